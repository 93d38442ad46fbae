"""Process trees for the follow tests.

usage: tree.py MODE [ARGS]
  subprocess              run a child interpreter (child_work) and wait for it
  short                   run a child that lives ~0.2 s (short_lived)
  mp-fork|mp-spawn|mp-forkserver   a multiprocessing pool of 2 (pool_work)
  fork                    os.fork() without exec: the child runs forked_child
  daemon PIDFILE          a daemonised grandchild (daemon_loop) that outlives us
  exec                    before_exec, then os.execv() of this script as after_exec
  exec-fork               a forked child runs forked_child, then execs after_exec
  child_work [SPENTFILE] | short_lived   (the children's own entry points; child_work
                          writes the seconds it spent in child_work() to SPENTFILE)
"""
import os
import sys
import time


def spin(secs):
    end = time.time() + secs
    x = 0
    while time.time() < end: x += 1
    return x


def child_work():
    spin(1.0)


def short_lived():
    spin(0.2)


def parent_waits(p):
    p.wait()


def parent_waits_pid(pid):
    os.waitpid(pid, 0)


def pool_work(n):
    spin(0.6)
    return n


def run_pool(method):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        pool.map(pool_work, range(4))


def forked_child():
    spin(1.0)


def parent_of_fork():
    spin(0.3)


def before_exec():
    spin(0.4)


def after_exec():
    spin(0.8)


def daemon_loop(pidfile):
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        time.sleep(0.1)


def main():
    mode = sys.argv[1]
    if mode == "subprocess":
        import subprocess
        parent_waits(subprocess.Popen([sys.executable, __file__, "child_work"]))
    elif mode == "short":
        import subprocess
        parent_waits(subprocess.Popen([sys.executable, __file__, "short_lived"]))
    elif mode.startswith("mp-"):
        run_pool(mode[3:])
    elif mode == "fork":
        pid = os.fork()
        if pid == 0:
            forked_child()
            os._exit(0)
        parent_of_fork()
        os.waitpid(pid, 0)
    elif mode == "daemon":
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                for fd in (0, 1, 2):
                    os.close(fd)
                daemon_loop(sys.argv[2])
            os._exit(0)
        spin(0.3)
    elif mode == "exec":
        before_exec()
        os.execv(sys.executable, [sys.executable, __file__, "after_exec"])
    elif mode == "exec-fork":
        pid = os.fork()
        if pid == 0:
            forked_child()
            os.execv(sys.executable, [sys.executable, __file__, "after_exec"])
        parent_waits_pid(pid)
    elif mode == "after_exec":
        after_exec()
    elif mode == "child_work":
        start = time.monotonic()
        child_work()
        if len(sys.argv) > 2:
            with open(sys.argv[2], "w") as f:
                f.write("%.6f\n" % (time.monotonic() - start))
    elif mode == "short_lived":
        short_lived()


if __name__ == "__main__":
    main()
