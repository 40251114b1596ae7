"""Math delimiters a note leaves as text are warned about with their cause (notes.rendering.
leftovers), through the real pipeline: each source below is one way real notes go wrong."""

import pytest

from notes.rendering import render
from notes.rendering.leftovers import (
    AFTER_TEXT,
    DISPLAY_IN_SENTENCE,
    DOUBLED_BRACKET,
    DOUBLED_PAREN,
    ESCAPED_BRACKET,
    ESCAPED_PAREN,
    LONE_DOLLAR,
    SPACE_INSIDE,
    UNCLOSED_DISPLAY,
)

FRONT = "---\ntitle: T\nsummary: S.\ntopics: [foundations]\n---\n"  # the body starts at line 6


def warnings(body: str) -> list[str]:
    result = render(FRONT + body, slug="t")
    assert result.errors == []
    return [str(w) for w in result.warnings]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Text line\n$$\nx = 1\n$$\n", [f"7:1: {AFTER_TEXT}"]),
        ("1. Step\n   $$\n   x\n   $$\n", [f"7:4: {AFTER_TEXT}"]),
        ("> Quote\n> $$\n> x\n> $$\n", [f"7:3: {AFTER_TEXT}"]),
        ("$$\nx\n\ny\n$$\n", [f"6:1: {UNCLOSED_DISPLAY}", f"10:1: {UNCLOSED_DISPLAY}"]),
        ("A $$x$$ b\n", [f"6:3: {DISPLAY_IN_SENTENCE}"]),
        ("A $ x$ b\n", [f"6:3: {SPACE_INSIDE}"]),
        ("It costs $5.\n", [f"6:10: {LONE_DOLLAR}"]),
        ("Inline $a +\n\nb$ split.\n", [f"6:8: {LONE_DOLLAR}", f"8:2: {LONE_DOLLAR}"]),
        ("A \\(x\\) b\n", [f"6:3: {ESCAPED_PAREN}"]),
        ("A \\[x\\] b\n", [f"6:3: {ESCAPED_BRACKET}"]),
        ("A \\\\(x\\\\) b\n", [f"6:3: {DOUBLED_PAREN}"]),
        ("Then \\\\[x\\\\] b\n", [f"6:6: {DOUBLED_BRACKET}"]),
    ],
)
def test_a_delimiter_left_as_text_is_warned_with_its_cause(body, expected):
    assert warnings(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "It costs \\$5, and \\$10 with tax.\n",
        "Code `$x$`, `\\(y\\)` and `$$`.\n",
        "```\n$$\nx\n```\n",
        "Math $x$ and\n\n$$\ny\n$$\n\n\\begin{equation}\nz\n\\end{equation}\n",
        "Parentheses (a) and [b] are text.\n",
    ],
)
def test_math_escaped_dollars_and_code_are_not_warned(body):
    assert warnings(body) == []


def test_the_old_blank_line_message_is_gone_where_it_was_the_wrong_cause():
    found = warnings("Text line\n$$\nx\n$$\n")
    assert not any("blank line inside" in w or "cannot contain a blank line" in w for w in found)
