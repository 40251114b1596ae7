"""Whole fixture files, one per dialect: converted as expected, rendered by the real pipeline with
no errors and no math delimiter left as text; every starter note converts to itself."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from notes.importing import convert, convert_batch
from notes.rendering import render

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[3] / "notes" / "corpus"
TOPICS = {"foundations", "optimization", "information-theory", "architectures", "generative-modeling"}
SOURCES = sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.md"))
DIALECT = {
    "2019-03-15-Softmax-Notes.markdown": "kramdown",
    "jupyter-book-page.md": "myst",
    "d2l-softmax.md": "d2l",
    "gradient-descent.qmd": "quarto",
    "Attention Scores.md": "obsidian",
    "momentum.md": "hugo",
    "Softmax Regression.md": "obsidian",
    "linear-regression.ipynb": "markdown",
}


def converted(path: Path):
    return convert(path.read_text(), name=path.name, topic=None if "topics" in path.name else None, known_topics=TOPICS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_fixture_converts_as_expected(path):
    conversion = converted(path)
    assert conversion.dialect == DIALECT[path.name], conversion.reason
    expected = FIXTURES / f"{conversion.slug}.expected.md"
    assert conversion.text == expected.read_text()


class _Prose(HTMLParser):
    """The page's text outside typeset math and code."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        hidden = (self.stack and self.stack[-1]) or "katex" in classes or tag in ("code", "pre")
        if tag not in ("br", "img", "hr", "input", "col"):
            self.stack.append(bool(hidden))

    def handle_endtag(self, tag):
        if tag not in ("br", "img", "hr", "input", "col") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_fixture_renders_with_every_formula_typeset(path):
    conversion = convert(path.read_text(), name=path.name, topic="foundations", known_topics=TOPICS)
    result = render(conversion.text, slug=conversion.slug)
    assert [str(e) for e in result.errors] == []
    prose = _Prose()
    prose.feed(result.html)
    text = "".join(prose.text)
    for delimiter in ("$", "\\(", "\\["):
        assert delimiter not in text, (delimiter, text)
    assert "katex" in result.html


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.md")), ids=lambda p: p.name)
@pytest.mark.parametrize("dialect", ["auto", "kramdown", "myst", "d2l", "quarto", "obsidian", "hugo"])
def test_a_native_note_converts_to_itself(path, dialect):
    source = path.read_text()
    conversion = convert(source, name=path.name, dialect=dialect, known_topics=TOPICS)
    assert conversion.text == source
    assert conversion.entries == []


def test_batch_reports_slug_collisions():
    files = [("a/2020-01-01-Same.md", "# Same\n\nText.\n"), ("b/same.md", "# Same\n\nText.\n")]
    first, second = convert_batch(files, topic="foundations")
    assert (first.slug, second.slug) == ("same", "same-2")
    assert any(e.kind == "slug.collision" for e in second.entries)


def test_toml_front_matter_and_unknown_keys_reported():
    conversion = convert('+++\ntitle = "T"\nweight = 3\n+++\nBody.\n', name="t.md", topic="foundations")
    assert conversion.text.startswith("---\ntitle: T\nsummary: Body.\ntopics: [foundations]\n---\n")
    assert [e.line for e in conversion.entries if "weight" in e.message] == [3]
