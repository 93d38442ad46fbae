"""Be stopped and continued from outside, with a grandchild that outlives us.

usage: stopcont.py READYFILE GRANDCHILDFILE
Forks a grandchild (a Python process that sleeps up to 60 s, stdio on /dev/null) and
writes its pid to GRANDCHILDFILE; writes our pid to READYFILE; then waits for a file
READYFILE.go to appear (the test creates it after SIGSTOP/SIGCONT), spins 0.3 s, prints
"finished" and exits 0.
"""
import os
import sys
import time

gc = os.fork()
if gc == 0:
    fd = os.open(os.devnull, os.O_RDWR)
    for i in (0, 1, 2):
        os.dup2(fd, i)
    os.closerange(3, 1024)
    end = time.time() + 60
    while time.time() < end:
        time.sleep(0.1)
    os._exit(0)
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % gc)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(sys.argv[1] + ".tmp", sys.argv[1])

give_up = time.time() + 60
while not os.path.exists(sys.argv[1] + ".go"):
    if time.time() > give_up:
        sys.exit(99)
    time.sleep(0.02)
end = time.time() + 0.3
while time.time() < end: pass
print("finished")
