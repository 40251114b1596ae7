"""Converting and rendering a collection of notes written for other sites (issue 17).

What it measures
    Every file of a folder (by default the dialect fixtures of tests/notes/importing/fixtures:
    kramdown, MyST, d2l, Quarto, Obsidian, Hugo, written from each dialect's documentation) is
    converted by `notes.importing.convert` (dialect detected per file) and rendered by the real
    pipeline (`notes.rendering.render`, KaTeX in mini-racer), each file timed from text to HTML.

    Files are converted as one batch (`convert_batch`: wikilinks resolve among them; `--macros`
    as import_notes takes it) and each is rendered against the batch's index, formulas kept in
    this process (no database).

    Printed: files, files rendering with no error, formulas typeset (KaTeX output in the HTML),
    formulas left untypeset as the import report lists them (notes.importing.report.untypeset):
    failing in KaTeX, or left as text ($, $$, \\( or \\[ the renderer warns about, with the
    cause); as a cross-check, those delimiter characters counted in the pages' text outside
    KaTeX output and code; report entries per kind, and milliseconds per file (median and
    slowest) with the load average, since a busy machine slows KaTeX.

Target
    The issue's goal for real collections: at least 95% of files with no error and at least
    99.5% of formulas typeset, with no delimiter left as text. On the fixtures this is a
    regression check; real collections that no test has seen are the real measure (not here).
    A benchmark, not a test: exits 0 either way.

Run (from the project root, a second or two)
    .venv/bin/python bench/import.py [FOLDER] [--from auto] [--topic foundations] [--macros FILE]
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
SUFFIXES = (".md", ".markdown", ".mdx", ".qmd", ".ipynb")


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
    parser.add_argument("--macros", help="a site's macros file, as import_notes --macros")
    args = parser.parse_args()
    django_setup()
    from notes.editorial.files import read_macros_file
    from notes.importing import convert_batch
    from notes.importing.report import untypeset
    from notes.rendering import outline, render
    from notes.rendering.formula_cache import MemoryStore, use_store
    from notes.rendering.links import MappingIndex

    paths = sorted(p for p in Path(args.folder).rglob("*") if p.suffix in SUFFIXES and ".expected" not in p.name)
    if not paths:
        sys.exit(f"no note files in {args.folder}")
    macros = read_macros_file(args.macros)[0] if args.macros else None
    use_store(MemoryStore())  # no database: each formula typeset once in this process, as check_notes does
    render("---\ntitle: W\nsummary: W.\ntopics: [foundations]\n---\n$x$\n", slug="warm-up")
    start = time.perf_counter()
    files = [(str(p.relative_to(args.folder)), p.read_text(encoding="utf-8")) for p in paths]
    conversions = convert_batch(files, dialect=args.dialect, topic=args.topic, macros=macros)
    convert_ms = (time.perf_counter() - start) * 1000 / len(paths)
    index = MappingIndex()  # the batch links to itself, as an import checks it
    for c in conversions:
        index.add(outline(c.text, slug=c.slug))
    times, kinds, dialects = [], Counter(), Counter()
    clean = typeset = failed = left = delimiters = 0
    for c in conversions:
        start = time.perf_counter()
        result = render(c.text, slug=c.slug, index=index)
        times.append(convert_ms + (time.perf_counter() - start) * 1000)
        dialects[c.dialect] += 1
        kinds.update(f"{e.action} {e.kind}" for e in c.entries)
        clean += not result.errors and not c.error
        typeset += result.html.count('<span class="katex">')
        lines = untypeset(c.text, result.errors + result.warnings)
        failed += sum(1 for line in lines if ": left as text: " not in line)
        left += sum(1 for line in lines if ": left as text: " in line)
        delimiters += left_as_text(result.html)
    report(paths, times, kinds, dialects, clean, typeset, failed, left, delimiters)


def report(paths, times, kinds, dialects, clean, typeset, failed, left, delimiters) -> None:
    files = len(paths)
    share = typeset / max(typeset + failed + left, 1)
    print(f"files: {files} ({', '.join(f'{d} {n}' for d, n in sorted(dialects.items()))})")
    print(f"files with no error: {clean} ({clean / files:.0%})")
    print(
        f"formulas typeset: {typeset}; left untypeset: {failed + left} (failing in KaTeX: {failed}, left as text: {left})"
    )
    print(f"typeset share: {share:.2%}; delimiter characters in the pages' text: {delimiters}")
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
