#!/usr/bin/env python3
"""Assertions on a flame graph SVG written by pyflame.

    check_svg.py wellformed FILE        parses as XML with an <svg> root
    check_svg.py total FILE             print the number of samples of the root frame
    check_svg.py frame FILE LABEL       some frame's tooltip (<title>) names LABEL
    check_svg.py text FILE SUBSTRING    some <text> element contains SUBSTRING
    check_svg.py title FILE SUBSTRING   the graph's title (<text id="title">) contains it

The root frame is the one whose <title> starts with "all"; its tooltip reads
"all\\nN samples, 100.00%" (FlameGraph style; "1,234 samples" is accepted too).
"""
import re
import sys
from xml.dom import minidom


class Fail(Exception):
    pass


def parse(path):
    try:
        doc = minidom.parse(path)
    except Exception as e:  # expat errors have no common base worth naming
        raise Fail("%s is not well-formed XML: %s" % (path, e))
    if doc.documentElement.tagName != "svg":
        raise Fail("root element is <%s>, not <svg>" % doc.documentElement.tagName)
    return doc


def text_of(node):
    return "".join(c.data if c.nodeType in (c.TEXT_NODE, c.CDATA_SECTION_NODE) else text_of(c)
                   for c in node.childNodes)


def titles(doc):
    return [text_of(t) for t in doc.getElementsByTagName("title")]


def samples_in(title):
    m = re.search(r"([0-9][0-9,]*) samples?\b", title)
    return int(m.group(1).replace(",", "")) if m else None


def cmd_wellformed(doc, args):
    print("well-formed: %d frames" % len(titles(doc)))


def cmd_total(doc, args):
    for t in titles(doc):
        if t.split("\n")[0].strip() == "all" and samples_in(t) is not None:
            print(samples_in(t))
            return
    counts = [samples_in(t) for t in titles(doc) if samples_in(t) is not None]
    if not counts:
        raise Fail("no frame tooltip says how many samples it has")
    print(max(counts))


def cmd_frame(doc, args):
    for t in titles(doc):
        if t.split("\n")[0].strip() == args[0]:
            print("frame %r: %s" % (args[0], t.replace("\n", " / ")))
            return
    firsts = sorted(set(t.split("\n")[0] for t in titles(doc)))
    raise Fail("no frame labelled %r; frames: %s" % (args[0], firsts[:40]))


def cmd_text(doc, args):
    texts = [text_of(t) for t in doc.getElementsByTagName("text")]
    for t in texts:
        if args[0] in t:
            print("text: %r" % t[:200])
            return
    raise Fail("no <text> contains %r; texts: %s" % (args[0], [t[:80] for t in texts[:20]]))


def cmd_title(doc, args):
    titles_ = [text_of(t) for t in doc.getElementsByTagName("text")
               if t.getAttribute("id") == "title" or "title" in t.getAttribute("class").split()]
    if not titles_:
        raise Fail("no <text id=\"title\"> element")
    for t in titles_:
        if args[0] in t:
            print("title: %r" % t[:200])
            return
    raise Fail("the title %r does not contain %r" % (titles_, args[0]))


COMMANDS = {"wellformed": (cmd_wellformed, 0), "total": (cmd_total, 0),
            "frame": (cmd_frame, 1), "text": (cmd_text, 1),
            "title": (cmd_title, 1)}


def main(argv):
    if len(argv) < 2 or argv[0] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[0]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        COMMANDS[argv[0]][0](parse(argv[1]), argv[2:])
    except Fail as e:
        print("FAIL (%s %s): %s" % (argv[0], argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
