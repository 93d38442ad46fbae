"""A small program for `make demo`: three functions with a known share of the time."""
import time


def parse(n):
    # about 50% of the run
    return sum(int(str(i)) for i in range(n))


def render(n):
    # about 30% of the run
    out = []
    for i in range(n):
        out.append("<td>%d</td>" % i)
    return "".join(out)


def checksum(data):
    # about 20% of the run
    h = 0
    for ch in data:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return h


def main(seconds=3.0):
    end = time.time() + seconds
    while time.time() < end:
        parse(50000)
        page = render(60000)
        checksum(page[:150000])


if __name__ == "__main__":
    main()
