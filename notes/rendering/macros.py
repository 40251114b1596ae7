"""Macro definitions as text: a LaTeX preamble read into definitions, the site's own macros
(site_macros.tex), and a note's `\\newcommand` of a name the site defines, which overrides the
site's meaning for that note instead of failing.

KaTeX refuses `\\newcommand{\\R}` when `\\R` exists ("attempting to redefine"), and every note
starts with the site macros, so a note written elsewhere that defines its own `\\R` or `\\KL`
lost its whole definitions formula. `site_overrides` finds those definitions, and
notes.rendering.math turns each into `\\renewcommand` with a warning before KaTeX (and the
nesting gauge, and the formula cache's key) see the formula.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from .katex import KATEX_JS, SITE_MACROS

NAME = r"\\(?:[A-Za-z@]+|[^A-Za-z@\s])"
DEFINER = re.compile(
    rf"\\(newcommand|renewcommand|providecommand|DeclareMathOperator|def|gdef)(\*?)\s*(?:\{{\s*({NAME})\s*\}}|({NAME}))"
)
NEWCOMMAND = re.compile(rf"\\newcommand\s*(?:\{{\s*({NAME})\s*\}}|({NAME}))")


@dataclass(frozen=True)
class MacroDefinition:
    name: str  # with its backslash: \R
    nargs: int
    body: str
    default: str | None = None  # the first argument's default, \newcommand{\x}[2][d]{...}
    line: int = 1  # where it was read

    def tex(self) -> str:
        """As a note defines it: `\\newcommand{\\R}{\\mathbb{R}}`."""
        args = f"[{self.nargs}]" if self.nargs else ""
        default = f"[{self.default}]" if self.default is not None and self.nargs else ""
        return f"\\newcommand{{{self.name}}}{args}{default}{{{self.body}}}"

    def def_tex(self) -> str:
        """As `\\def`, which defines a name whether or not it exists (no default argument)."""
        return f"\\def{self.name}{''.join(f'#{n}' for n in range(1, self.nargs + 1))}{{{self.body}}}"

    def same_meaning(self, other: "MacroDefinition") -> bool:
        return (self.nargs, self.default, " ".join(self.body.split())) == (
            other.nargs,
            other.default,
            " ".join(other.body.split()),
        )


def _group(text: str, pos: int) -> tuple[str, int] | None:
    """The balanced {...} group at `pos` (after spaces): (its inside, the position after it)."""
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        return None
    depth, k = 0, pos
    while k < len(text):
        char = text[k]
        if char == "\\":
            k += 2
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return text[pos + 1 : k], k + 1
        k += 1
    return None


def _optional(text: str, pos: int) -> tuple[str | None, int]:
    """An optional [argument] at `pos` (after spaces), or None."""
    match = re.compile(r"\s*\[([^\]]*)\]").match(text, pos)
    return (match.group(1), match.end()) if match else (None, pos)


def parse_preamble(text: str) -> tuple[list[MacroDefinition], list[tuple[int, str]]]:
    """Long because each definer reads its arguments its own way.

    The definitions of a LaTeX preamble (\\newcommand, \\renewcommand, \\providecommand,
    \\def and \\gdef with undelimited parameters, \\DeclareMathOperator) in order, and
    (line, problem) for what could not be read. `%` comments and `$` wrappers are ignored."""
    text = re.sub(r"(?<!\\)%[^\n]*", "", text)
    found: list[MacroDefinition] = []
    problems: list[tuple[int, str]] = []
    pos = 0
    while match := DEFINER.search(text, pos):
        line = text.count("\n", 0, match.start()) + 1
        kind, star, name = match.group(1), match.group(2), match.group(3) or match.group(4)
        pos = match.end()
        nargs, default = 0, None
        if kind in ("def", "gdef"):
            params = re.compile(r"((?:#\d)*)\s*(?=\{)").match(text, pos)
            if params is None:
                problems.append((line, f"\\{kind}{name} has delimited parameters, which a note cannot take"))
                continue
            nargs, pos = len(params.group(1)) // 2, params.end()
        elif kind != "DeclareMathOperator":
            count, pos = _optional(text, pos)
            if count is not None and not count.strip().isdigit():
                problems.append((line, f"{name}: [{count}] is not a number of arguments"))
                continue
            nargs = int(count) if count else 0
            default, pos = _optional(text, pos) if nargs else (None, pos)
        body = _group(text, pos)
        if body is None:
            problems.append((line, f"{name}: its definition has no {{body}} or unbalanced braces"))
            continue
        tex, pos = body
        if kind == "DeclareMathOperator":
            tex = f"\\operatorname{star}{{{tex}}}"
        found.append(MacroDefinition(name, nargs, tex.strip(), default, line))
    return found, problems


@lru_cache(maxsize=1)
def site_definitions() -> dict[str, MacroDefinition]:
    """The site macros (site_macros.tex), by name."""
    definitions, _ = parse_preamble(SITE_MACROS.read_text(encoding="utf-8"))
    return {d.name: d for d in definitions}


@lru_cache(maxsize=1)
def katex_names() -> frozenset[str]:
    """Every control sequence KaTeX names (its symbols, functions and macros, read from the
    vendored katex.min.js): `\\newcommand` of one of these fails, `\\renewcommand` of any other."""
    return frozenset("\\" + n for n in re.findall(r'"\\\\([A-Za-z]+)"', KATEX_JS.read_text(encoding="utf-8")))


def override_warning(name: str) -> str:
    return f"{name} is a site macro; this note's definition overrides it here"


def site_overrides(tex: str, is_site_meaning) -> list[re.Match]:
    """The `\\newcommand`s in `tex` of a name the site defines and the note has not redefined
    yet (`is_site_meaning(name)`): each overrides the site's meaning for the note."""
    site = site_definitions()
    return [
        m
        for m in NEWCOMMAND.finditer(tex)
        if (m.group(1) or m.group(2)) in site and is_site_meaning(m.group(1) or m.group(2))
    ]
