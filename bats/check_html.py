#!/usr/bin/env python3
"""Assertions on pyflame's annotated-source HTML, read with html.parser.

    check_html.py lines HTML COLLAPSED FILE LINE...
        for each LINE of source FILE: the row's data-own and data-total equal the
        collapsed profile's samples with that line innermost (not idle) / anywhere on
        the stack (once per stack), and are > 0
    check_html.py safe HTML
        the page parses to no element but the ones pyflame writes (no <script>, no
        <img>, no on* attribute), and every row id is unique
    check_html.py source HTML FILE LINE TEXT
        the text of LINE in FILE's section is exactly TEXT (after HTML parsing)
    check_html.py missing HTML FILE
        FILE is listed under "Sources not read"
"""
import sys
from html.parser import HTMLParser

ALLOWED = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b",
           "table", "thead", "tbody", "tr", "th", "td", "a", "code", "section", "ol",
           "ul", "li"}


class Page(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.tags = []
        self.bad = []
        self.ids = []
        self.rows = {}          # (file, line) -> attrs
        self.code = {}          # (file, line) -> text of its code cell
        self.missing = []
        self.file = None
        self.row = None
        self.in_code = False
        self.in_missing = False
        self.li = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag not in ALLOWED:
            self.bad.append(tag)
        for k, _ in attrs:
            if k.startswith("on") or k in ("src", "srcdoc"):
                self.bad.append("%s@%s" % (tag, k))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "section":
            self.file = a.get("data-file")
        elif tag == "tr" and self.file is not None and a.get("id", "").startswith("f"):
            self.row = int(a["id"].rsplit("-", 1)[1])
            if "data-own" in a:
                self.rows[(self.file, self.row)] = a
            self.code[(self.file, self.row)] = ""
        elif tag == "td" and self.row is not None and a.get("class") == "code":
            self.in_code = True
        elif tag == "ul" and a.get("class") == "missing":
            self.in_missing = True
        elif tag == "li" and self.in_missing:
            self.li = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.in_code = False
        elif tag == "tr":
            self.row = None
        elif tag == "section":
            self.file = None
        elif tag == "ul":
            self.in_missing = False
        elif tag == "li" and self.li is not None:
            self.missing.append(self.li)
            self.li = None

    def handle_data(self, data):
        if self.in_code:
            self.code[(self.file, self.row)] += data
        if self.li is not None:
            self.li += data


def load(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p


def collapsed_counts(path, file, line):
    label = "(%s:%d)" % (file, line)
    own = total = 0
    with open(path, encoding="utf-8") as f:
        for raw in f:
            stack, count = raw.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            if any(fr.endswith(label) for fr in frames[1:]):
                total += int(count)
            if frames[-1] != "<idle>" and frames[-1].endswith(label):
                own += int(count)
    return own, total


def main(argv):
    cmd, html = argv[1], argv[2]
    page = load(html)
    if cmd == "lines":
        collapsed, file = argv[3], argv[4]
        for line in map(int, argv[5:]):
            row = page.rows.get((file, line))
            assert row, "no sampled row for %s:%d" % (file, line)
            own, total = collapsed_counts(collapsed, file, line)
            got = (int(row["data-own"]), int(row["data-total"]))
            print("# %s:%d: html own %d total %d, collapsed own %d total %d"
                  % (file, line, got[0], got[1], own, total))
            assert got == (own, total) and own > 0, "line %d differs" % line
    elif cmd == "safe":
        assert not page.bad, "unexpected elements or attributes: %r" % page.bad
        assert len(page.ids) == len(set(page.ids)), "duplicate ids"
        assert "section" in page.tags, "no source section"
    elif cmd == "source":
        file, line, text = argv[3], int(argv[4]), argv[5]
        got = page.code.get((file, line))
        assert got == text, "line %d of %r is %r, not %r" % (line, file, got, text)
    elif cmd == "missing":
        assert any(m.startswith(argv[3] + ":") for m in page.missing), page.missing
    else:
        raise SystemExit("unknown subcommand %r" % cmd)


main(sys.argv)
