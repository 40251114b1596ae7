"""Converting and rendering a collection of notes written for other sites (issue 17).

What it measures
    Every file of a folder (by default the dialect fixtures of tests/notes/importing/fixtures:
    kramdown, MyST, d2l, Quarto, Obsidian, Hugo, written from each dialect's documentation) is
    converted by `notes.importing.convert` (dialect detected per file) and rendered by the real
    pipeline (`notes.rendering.render`, KaTeX in mini-racer), each file timed from text to HTML.

    Printed: files, files rendering with no error, formulas typeset (KaTeX output in the HTML),
    formulas failing in KaTeX (math errors), delimiters left as text in the page outside KaTeX
    output and code ($, \\( or \\[: a formula not typeset), report entries per kind, and
    milliseconds per file (median and slowest) with the load average, since a busy machine
    slows KaTeX.

Target
    The issue's goal for real collections: at least 95% of files with no error and at least
    99.5% of formulas typeset, with no delimiter left as text. On the fixtures this is a
    regression check; real collections that no test has seen are the real measure (not here).
    A benchmark, not a test: exits 0 either way.

Run (from the project root, a second or two)
    .venv/bin/python bench/import.py [FOLDER] [--from auto] [--topic foundations]
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from scratch import ROOT, django_setup

FIXTURES = ROOT / "tests" / "notes" / "importing" / "fixtures"
SUFFIXES = (".md", ".markdown", ".mdx", ".qmd")


class Prose(HTMLParser):
    """The page's text outside KaTeX output and code."""

    def __init__(self):
        super().__init__()
        self.hidden: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "input", "col"):
            return
        inside = bool(self.hidden and self.hidden[-1])
        self.hidden.append(inside or "katex" in (dict(attrs).get("class") or "") or tag in ("code", "pre"))

    def handle_endtag(self, tag):
        if tag not in ("br", "img", "hr", "input", "col") and self.hidden:
            self.hidden.pop()

    def handle_data(self, data):
        if not (self.hidden and self.hidden[-1]):
            self.text.append(data)


def left_as_text(html: str) -> int:
    prose = Prose()
    prose.feed(html)
    text = "".join(prose.text)
    return text.count("$") + text.count("\\(") + text.count("\\[")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(FIXTURES))
    parser.add_argument("--from", dest="dialect", default="auto")
    parser.add_argument("--topic", default="foundations")
    args = parser.parse_args()
    django_setup()
    from notes.importing import convert
    from notes.rendering import render

    paths = sorted(p for p in Path(args.folder).rglob("*") if p.suffix in SUFFIXES and ".expected" not in p.name)
    if not paths:
        sys.exit(f"no note files in {args.folder}")
    render("---\ntitle: W\nsummary: W.\ntopics: [foundations]\n---\n$x$\n", slug="warm-up")
    times, kinds, dialects = [], Counter(), Counter()
    clean = typeset = failed = left = 0
    for path in paths:
        start = time.perf_counter()
        conversion = convert(path.read_text(encoding="utf-8"), name=path.name, dialect=args.dialect, topic=args.topic)
        result = render(conversion.text, slug=conversion.slug)
        times.append((time.perf_counter() - start) * 1000)
        dialects[conversion.dialect] += 1
        kinds.update(f"{e.action} {e.kind}" for e in conversion.entries)
        clean += not result.errors
        typeset += result.html.count('<span class="katex">')
        failed += sum(1 for e in result.errors if e.message.startswith("math:"))
        left += left_as_text(result.html)
    report(paths, times, kinds, dialects, clean, typeset, failed, left)


def report(paths, times, kinds, dialects, clean, typeset, failed, left) -> None:
    files = len(paths)
    share = typeset / max(typeset + failed + left, 1)
    print(f"files: {files} ({', '.join(f'{d} {n}' for d, n in sorted(dialects.items()))})")
    print(f"files with no error: {clean} ({clean / files:.0%})")
    print(f"formulas typeset: {typeset}; failing in KaTeX: {failed}; delimiters left as text: {left}")
    print(f"typeset share: {share:.2%}")
    print("report entries per kind:")
    for kind, count in sorted(kinds.items()):
        print(f"  {count:4d}  {kind}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"ms per file (convert + render): median {statistics.median(times):.1f}, slowest {max(times):.1f} (load {load})"
    )
    met = clean / files >= 0.95 and share >= 0.995 and left == 0
    print("MET" if met else "NOT MET", "(>= 95% files clean, >= 99.5% formulas typeset, none left as text)")


if __name__ == "__main__":
    main()
