"""One busy thread; 60% of its time in work_a, 30% in work_b, 10% in work_c, each called
--depth frames deep (<module> -> main -> split_rounds -> descend ... -> work_X)."""
import _common as c


def main():
    a = c.args()
    pad = max(0, a.depth - 4)
    timers = {"a": 0.0, "b": 0.0, "c": 0.0}
    if a.calibrate:
        c.calibrate(lambda k: c.split_rounds(k, pad, timers), a.calibrate)
        return
    c.split_rounds(a.units, pad, timers)
    tot = sum(timers.values()) or 1.0
    c.finish("cpu_split", split=dict((k, v / tot) for k, v in timers.items()))


if __name__ == "__main__":
    main()
