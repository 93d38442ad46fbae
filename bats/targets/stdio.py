"""Echo the process's view of its world, bytes exactly: what pyflame must not change.

Reads all of stdin; writes binary and UTF-8 bytes, stdin reversed, open fds, signal
mask and ignored signals, and the environment's names to stdout, and interleaved other
bytes to stderr.  Exit 0.
"""
import os
import sys

out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else sys.stdout
err = sys.stderr.buffer if hasattr(sys.stderr, "buffer") else sys.stderr
data = (sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin).read()

out.write(b"binary:" + bytes(bytearray(range(256))) + b"\n")
out.flush()
err.write(b"stderr 1: \xff\xfe\x00 caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\r\n")
err.flush()
out.write(u"unicode: h\u00e9llo w\u00f6rld \u65e5\u672c \u2028 \U0001F600\n".encode("utf-8"))
out.write(b"stdin: %d bytes, reversed: " % len(data) + data[::-1] + b"\n")
out.write(("fds: %s\n" % sorted(int(x) for x in os.listdir("/proc/self/fd"))).encode())
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith(("SigBlk:", "SigIgn:")):
            out.write(line.encode())
out.write(("env: %s\n" % " ".join(sorted(os.environ))).encode())
out.write(("tty: %s %s %s\n" % (os.isatty(0), os.isatty(1), os.isatty(2))).encode())
out.flush()
err.write(b"stderr 2: no newline at the end")
err.flush()
