#!/usr/bin/env python3
"""Assertions on a differential flame graph written by pyflame diff.

    check_diff.py consistent FILE            every frame's data-base, data-change, title and
                                             colour agree with each other and the totals
    totals FILE BASE NEW                     BASE and NEW samples in the root frame, the
                                             <svg> attributes and the subtitle
    grew FILE REGEX MIN                      the widest frame whose label matches REGEX
                                             (full match) grew by >= MIN points, red-ish
    shrank FILE REGEX MIN                    ... shrank by >= MIN points, blue-ish
    vanished FILE MIN MAX                    the legend's share of base samples absent
                                             from new is within [MIN, MAX] percent
    absent FILE REGEX                        no frame's label matches REGEX
    neutral FILE REGEX                       the widest frame matching REGEX is drawn grey,
                                             marked not significant (data-ns)

A frame is <g data-o data-s data-d data-base data-change [data-ns]> with a <title> of four
lines: "LABEL", "new: N samples, P%", "base: M samples, Q%", "change: +C points" (followed
by " (not significant)" with data-ns="1", when the frame is drawn grey).
"""
import re
import sys
from xml.dom import minidom


class Fail(Exception):
    pass


def text_of(node):
    return "".join(c.data if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE) else text_of(c)
                   for c in node.childNodes)


TITLE = re.compile(r"^(?P<label>.*)\nnew: (?P<new>\d+) samples?, (?P<newpct>[\d.]+)%\n"
                   r"base: (?P<base>\d+) samples?, (?P<basepct>[\d.]+)%\n"
                   r"change: (?P<change>[+-][\d.]+) points(?P<ns> \(not significant\))?$")


def load(path):
    try:
        doc = minidom.parse(path)
    except Exception as e:
        raise Fail("%s is not well-formed XML: %s" % (path, e))
    svg = doc.documentElement
    if svg.tagName != "svg" or not svg.getAttribute("data-base-total"):
        raise Fail("%s is not a pyflame diff (no data-base-total on <svg>)" % path)
    frames = []
    for g in doc.getElementsByTagName("g"):
        if not g.getAttribute("data-change"):
            continue
        title = text_of(g.getElementsByTagName("title")[0])
        m = TITLE.match(title)
        if not m:
            raise Fail("frame title not in the diff form: %r" % title)
        rect = g.getElementsByTagName("rect")[0]
        fill = rect.getAttribute("fill")
        frames.append({
            "label": m.group("label"), "title": title, "m": m,
            "s": int(g.getAttribute("data-s")), "base": int(g.getAttribute("data-base")),
            "change": float(g.getAttribute("data-change")),
            "ns": g.getAttribute("data-ns") == "1",
            "rgb": tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5)),
        })
    if not frames:
        raise Fail("no frames")
    texts = {t.getAttribute("id"): text_of(t) for t in doc.getElementsByTagName("text")
             if t.getAttribute("id")}
    return svg, frames, texts


def describe(f):
    return "%s: new %d, base %d, change %+.2f, fill #%02x%02x%02x" % (
        f["label"], f["s"], f["base"], f["change"], *f["rgb"])


def widest(frames, regex):
    rx = re.compile(regex)
    hits = [f for f in frames if rx.fullmatch(f["label"])]
    if not hits:
        raise Fail("no frame matches %r; frames: %s" % (
            regex, sorted(set(f["label"] for f in frames))[:30]))
    return max(hits, key=lambda f: f["s"])


def cmd_consistent(path):
    svg, frames, _ = load(path)
    total = int(svg.getAttribute("data-total"))
    btotal = int(svg.getAttribute("data-base-total"))
    sat = float(svg.getAttribute("data-saturation"))
    for f in frames:
        m = f["m"]
        want = 100.0 * (f["s"] / total - f["base"] / btotal)
        if abs(want - f["change"]) > 0.0001:
            raise Fail("%s: data-change %s, want %.4f" % (f["label"], f["change"], want))
        if int(m.group("new")) != f["s"] or int(m.group("base")) != f["base"]:
            raise Fail("%s: title and attributes disagree: %r" % (f["label"], f["title"]))
        if abs(float(m.group("change")) - f["change"]) > 0.006:
            raise Fail("%s: title change %s, data-change %s" % (f["label"], m.group("change"),
                                                                 f["change"]))
        if abs(float(m.group("newpct")) - 100.0 * f["s"] / total) > 0.006 or \
                abs(float(m.group("basepct")) - 100.0 * f["base"] / btotal) > 0.006:
            raise Fail("%s: wrong percentages in %r" % (f["label"], f["title"]))
        r, _, b = f["rgb"]
        if f["ns"] != bool(m.group("ns")):
            raise Fail("%s: data-ns and the title disagree" % f["label"])
        if f["ns"]:
            if f["rgb"] != (0xee, 0xee, 0xee):
                raise Fail("a non-significant frame is coloured: %s" % describe(f))
            continue
        if abs(f["change"]) >= 0.25 * sat and not ((r > b) == (f["change"] > 0)):
            raise Fail("colour does not follow the change: %s" % describe(f))
        if abs(f["change"]) < 0.005 and abs(r - b) > 2:
            raise Fail("an unchanged frame is coloured: %s" % describe(f))
    print("consistent: %d frames" % len(frames))


def cmd_totals(path, base, new):
    svg, frames, texts = load(path)
    root = [f for f in frames if f["label"] == "all"]
    if not root or root[0]["s"] != int(new) or root[0]["base"] != int(base):
        raise Fail("root frame %s, want new %s base %s" % (root and describe(root[0]), new, base))
    if svg.getAttribute("data-total") != new or svg.getAttribute("data-base-total") != base:
        raise Fail("<svg> totals %s/%s, want %s/%s" % (
            svg.getAttribute("data-base-total"), svg.getAttribute("data-total"), base, new))
    sub = texts.get("subtitle", "")
    if not re.search(r"\bbase %s samples?\b" % base, sub) or \
            not re.search(r"\bnew %s samples?\b" % new, sub):
        raise Fail("subtitle %r does not give the totals %s and %s" % (sub, base, new))
    print("totals: base %s, new %s" % (base, new))


def cmd_grew(path, regex, minimum):
    _, frames, _ = load(path)
    f = widest(frames, regex)
    r, _, b = f["rgb"]
    if f["change"] < float(minimum) or r < b + 40:
        raise Fail("did not grow by %s points in red: %s" % (minimum, describe(f)))
    print("grew: " + describe(f))


def cmd_shrank(path, regex, minimum):
    _, frames, _ = load(path)
    f = widest(frames, regex)
    r, _, b = f["rgb"]
    if f["change"] > -float(minimum) or b < r + 40:
        raise Fail("did not shrink by %s points in blue: %s" % (minimum, describe(f)))
    print("shrank: " + describe(f))


def cmd_vanished(path, lo, hi):
    _, _, texts = load(path)
    m = re.search(r"([\d.]+)% of base samples are in stacks absent from new",
                  texts.get("legend", ""))
    if not m or not float(lo) <= float(m.group(1)) <= float(hi):
        raise Fail("legend %r: want %s..%s%%" % (texts.get("legend"), lo, hi))
    print("vanished: %s%%" % m.group(1))


def cmd_absent(path, regex):
    _, frames, _ = load(path)
    rx = re.compile(regex)
    hits = [f["label"] for f in frames if rx.fullmatch(f["label"])]
    if hits:
        raise Fail("frames match %r: %s" % (regex, hits[:5]))
    print("absent: %s" % regex)


def cmd_neutral(path, regex):
    _, frames, _ = load(path)
    f = widest(frames, regex)
    if not f["ns"] or f["rgb"] != (0xee, 0xee, 0xee):
        raise Fail("not drawn as not significant: %s" % describe(f))
    print("neutral: " + describe(f))


COMMANDS = {"neutral": (cmd_neutral, 1), "consistent": (cmd_consistent, 0), "totals": (cmd_totals, 2),
            "grew": (cmd_grew, 2), "shrank": (cmd_shrank, 2),
            "vanished": (cmd_vanished, 2), "absent": (cmd_absent, 1)}


def main(argv):
    if len(argv) < 2 or argv[0] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[0]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        COMMANDS[argv[0]][0](*argv[1:])
    except Fail as e:
        print("FAIL (%s %s): %s" % (argv[0], argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
