"""What users run under a CI wrapper, at its most hostile: threads + shells, vfork,
posix_spawn, exec chains, fork storms, daemons, multiprocessing.

    stress.py MODE [N]

Every Python process it makes appends its pid to $STRESS_PIDS (when set), so that the
test can check afterwards that none was left stopped or traced.  Output is deterministic:
the test compares it with a run without pyflame.
"""
import os
import subprocess
import sys
import threading
import time
import warnings

# 3.12+ warns that fork() in a threaded process may deadlock, naming a pid that differs
# from run to run: the comparison with a plain run needs the same stderr.
warnings.simplefilter("ignore", DeprecationWarning)


def note_pid():
    path = os.environ.get("STRESS_PIDS")
    if path:
        with open(path, "a") as f:
            f.write("%d\n" % os.getpid())


def spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def shells(n):
    done = []

    def work():
        for _ in range(n):
            subprocess.run(["/bin/sh", "-c", "/bin/true; /bin/true"], check=True)
        done.append(1)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("shells", len(done) * n)


def vfork(n):
    for _ in range(n):
        subprocess.run(["/bin/true"], check=True)
    print("vfork", n)


def posix_spawn(n):
    for _ in range(n):
        pid = os.posix_spawn("/bin/true", ["true"], os.environ)
        _, status = os.waitpid(pid, 0)
        assert status == 0
    print("posix_spawn", n)


def first_stage():
    spin(0.4)


def second_stage():
    spin(0.4)


def execchain(n):
    first_stage()
    sys.stdout.flush()
    # Python -> shell -> Python: the second Python is another program under the same pid
    os.execv("/bin/sh", ["sh", "-c", 'exec "$0" "$1" execchain2', sys.executable,
                         os.path.abspath(__file__)])


def execchain2(n):
    second_stage()
    print("execchain done")


def forkstorm(n):
    stop = []

    def busy():
        while not stop:
            spin(0.01)

    ts = [threading.Thread(target=busy) for _ in range(3)]
    for t in ts:
        t.start()
    codes = 0
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(i % 7)
        _, status = os.waitpid(pid, 0)
        codes += os.WEXITSTATUS(status)
    stop.append(1)
    for t in ts:
        t.join()
    print("forkstorm", n, codes)


def daemon(n):
    r, w = os.pipe()
    if os.fork():
        os.close(w)
        print("daemon pid", os.read(r, 32).decode().strip() != "")
        return
    os.close(r)
    os.setsid()
    if os.fork():
        os._exit(0)
    note_pid()
    os.write(w, b"%d\n" % os.getpid())
    os.close(w)
    for fd in (0, 1, 2):
        os.close(fd)
    daemon_work(n)
    os._exit(0)


def daemon_work(n):
    spin(n / 10.0)


def square(x):
    return x * x


def mp(method):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2, initializer=note_pid) as pool:
        print("mp", method, sum(pool.map(square, range(200))))


def descend(n):
    if n == 0:
        # a second of the process's own CPU time: a stopped process takes no CPU, so the
        # time pyflame holds it only adds wall time, never work
        end = time.process_time() + 1.0
        while time.process_time() < end:
            pass
        return 0
    return descend(n - 1) + 1


def deep(n):
    sys.setrecursionlimit(n + 100)
    print("deep", descend(n))


if __name__ == "__main__":
    note_pid()
    mode = sys.argv[1]
    arg = sys.argv[2] if len(sys.argv) > 2 else "20"
    if mode == "mp":
        mp(arg)
    else:
        globals()[mode](int(arg))
