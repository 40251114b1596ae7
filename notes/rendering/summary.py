"""A note's summary: one line of Markdown whose `$...$` formulas are typeset with the note's.

The summary is parsed inline only, so a block (a list, a display formula) cannot start in it.
Emphasis, code and inline math are allowed; links, cross-links and images are errors, because
a summary is shown inside other links (lists of notes, search results, previews). Its formulas
join the note's KaTeX batch after the body's, so they see the site macros and the note's own
definitions and count against the same limits.

Besides the HTML, the summary is given as plain text for places that cannot show markup
(meta descriptions, feeds, graph tooltips): each formula's TeX made readable, as in
`KL(p ∥ q)` for `$\\KL(p \\Vert q)$`.
"""

import re
import unicodedata
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED = {"text", "math_inline", "em_open", "em_close", "strong_open", "strong_close", "code_inline", "softbreak"}
REFUSED = (
    "the summary allows emphasis, `code` and inline math ($...$) only; a link or image there "
    "would sit inside the links that show the summary"
)
NAMES = {"link_open": "a link", "wikilink": "a cross-link", "image": "an image"}
QUIET = {"link_close", "hardbreak"}  # reported with their opening token, or harmless
SUMMARY_KEY = re.compile(r"\s*summary\s*:")

# Readable stand-ins for the control sequences summaries use most; any other control
# sequence is shown as its name without the backslash (\KL -> KL, \diag -> diag).
SYMBOLS = {
    "Vert": "∥", "|": "∥", "mid": "|", "top": "⊤", "T": "ᵀ", "cdot": "·", "times": "×", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "propto": "∝",
    "in": "∈", "to": "→", "infty": "∞", "nabla": "∇", "partial": "∂", "sum": "∑", "prod": "∏",
    "log": "log", "exp": "exp", "sqrt": "√", "pm": "±", "sim": "∼", "odot": "⊙", "otimes": "⊗",
    "ell": "ℓ", "varepsilon": "ε", "epsilon": "ϵ", "vartheta": "ϑ", "varphi": "φ", "quad": " ",
    "qquad": " ", ",": " ", ";": " ", "!": "", " ": " ", "left": "", "right": "", "big": "", "Big": "",
    "mathrm": "", "mathbf": "", "mathbb": "", "mathcal": "", "bm": "", "boldsymbol": "", "operatorname": "",
    "text": "", "tilde": "", "hat": "", "bar": "",
}  # fmt: skip
_CONTROL = re.compile(r"\\([A-Za-z]+|.)")
_SQRT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
_DEFINITION = re.compile(r"\\(?:re)?newcommand\{\\([A-Za-z]+)\}\{(.*)\}\s*$")


def _site_macros() -> dict[str, str]:
    """The site's macros without arguments (\\bp, \\KL, \\T), to read them as what they print."""
    text = (Path(__file__).parent / "site_macros.tex").read_text()
    return dict(m.groups() for line in text.splitlines() if (m := _DEFINITION.match(line.strip())))


SITE_MACROS = _site_macros()
_SITE_MACRO = re.compile(r"\\(" + "|".join(sorted(SITE_MACROS, key=len, reverse=True)) + r")(?![A-Za-z])")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def summary_lines(lines: list[str]) -> list[int]:
    """The source lines (0-based, end exclusive) from the `summary:` key to the front
    matter's end, where the summary's formulas are looked for to report problems."""
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), len(lines))
    start = next((i for i in range(1, end) if SUMMARY_KEY.match(lines[i])), 0)
    return [start, end]


def summary_parse(md: MarkdownIt, summary: str) -> tuple[Token, list[str]]:
    """The summary as one inline token, and what it uses that a summary may not."""
    tokens = md.parseInline(summary, {}) if summary else []
    inline = tokens[0] if tokens else Token("inline", "", 0)
    inline.children = inline.children or []
    refused = sorted(
        {NAMES.get(child.type, child.type) for child in inline.children if child.type not in ALLOWED | QUIET}
    )
    return inline, refused


def _greek(name: str) -> str | None:
    case = "CAPITAL" if name[0].isupper() else "SMALL"
    try:
        return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
    except KeyError:
        return None


def _symbol(match: re.Match) -> str:
    name = match.group(1)
    if name in SYMBOLS:
        return SYMBOLS[name]
    return (len(name) > 1 and _greek(name)) or name


def readable_tex(tex: str) -> str:
    """A formula's TeX as text a reader can follow: `\\frac{a}{b}` as a/b, Greek letters and
    common symbols as Unicode, other control sequences by name, braces dropped."""
    text = _SITE_MACRO.sub(lambda m: SITE_MACROS[m.group(1)], tex)
    text = _SQRT.sub(lambda m: "√" + (m.group(1) if len(m.group(1).strip()) == 1 else f"({m.group(1)})"), text)
    for _ in range(3):  # fractions inside fractions, innermost first
        text = _FRACTION.sub(lambda m: f"({m.group(1)})/({m.group(2)})", text)
    text = _CONTROL.sub(_symbol, text)
    text = re.sub(r"\(([\w√]+)\)/", r"\1/", text)
    text = re.sub(r"/\(([\w√]+)\)", r"/\1", text)
    text = text.replace("{", "").replace("}", "").replace("^⊤", "ᵀ").replace("^ᵀ", "ᵀ")
    return " ".join(text.split())


def summary_text(inline: Token) -> str:
    """The summary as plain text, formulas readable."""
    parts = []
    for child in inline.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "math_inline":
            parts.append(readable_tex(child.content))
        elif child.type == "softbreak":
            parts.append(" ")
    return " ".join("".join(parts).split())
