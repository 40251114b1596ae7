"""Equation labels and formula preparation.

KaTeX has no `\\label` or `\\eqref`, so numbering is ours: each `\\label{eq:name}` in a
display formula becomes `\\tag{n}` before KaTeX sees it, and unstarred amsmath environments
are starred so KaTeX numbers nothing on its own. Only labelled equations carry a number.

A `\\newcommand` of a site macro's name becomes `\\renewcommand`, with a warning: the note's
meaning overrides the site's for that note (notes.rendering.macros).

Edits to the formula are recorded so that a KaTeX error position can be mapped back to the
author's text. Every formula is also measured by the note's NestingGauge (notes.rendering.
nesting) before KaTeX sees it.
"""

import re
from dataclasses import dataclass, field

from .macros import NEWCOMMAND, override_warning, site_overrides
from .nesting import NestingGauge

LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
TAG = re.compile(r"\\tag\*?\s*\{")
LABEL_NAME = re.compile(r"eq:[A-Za-z0-9][A-Za-z0-9_.:-]{0,76}")
NUMBERED_ENVS = ("equation", "align", "gather", "alignat", "flalign", "multline")
ENV = re.compile(r"\\(begin|end)\{(" + "|".join(NUMBERED_ENVS) + r")\}")

# Refused before KaTeX sees it: a formula this long is a mistake or an attack, and either way
# should not reach the renderer (nor does one nested too deeply: notes.rendering.nesting).
MAX_FORMULA_CHARS = 20_000


@dataclass
class PreparedFormula:
    tex: str
    labels: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the formula is typeset, but look at it
    problems: list[tuple[int, str]] = field(default_factory=list)  # (offset in source tex, message)
    defines: bool = False  # the gauge saw it define macros for the formulas after it
    _edits: list[tuple[int, int, int]] = field(default_factory=list)  # (new_start, new_len, old_len)

    def source_offset(self, position: int) -> int:
        """Map an offset in the prepared tex back to the author's tex."""
        shift = 0
        for new_start, new_len, old_len in self._edits:
            if new_start + new_len <= position:
                shift += new_len - old_len
            elif new_start <= position:
                return new_start - shift
        return position - shift


# -- preparation ----------------------------------------------------------------------------


def _label(match: re.Match, prepared: PreparedFormula, *, display: bool, next_number: int, several: bool) -> str:
    """What a `\\label` becomes: its number as a `\\tag`, or nothing with a problem."""
    name = match.group(1).strip()
    if not display:
        prepared.problems.append((match.start(), "\\label belongs in a display formula ($$...$$), not inline math"))
    elif not LABEL_NAME.fullmatch(name):
        prepared.problems.append(
            (
                match.start(),
                f"equation label {name!r} must look like eq:name (letters, digits, - _ . :; at most 80 characters)",
            )
        )
    elif prepared.labels and not several:
        prepared.problems.append(
            (match.start(), "one \\label per display formula; use an align environment for several")
        )
    else:
        prepared.labels.append(name)
        return f"\\tag{{{next_number + len(prepared.labels) - 1}}}"
    return ""


def prepare(tex: str, *, display: bool, next_number: int, gauge: NestingGauge | None = None) -> PreparedFormula:
    """Check limits, turn labels into tags (numbered from next_number), star environments.

    gauge: the note's NestingGauge, given the formulas in typesetting order (default: site macros
    only); it keeps the formula's macros (`defines` says if any) only if it has no problems."""
    prepared = PreparedFormula(tex=tex)
    if len(tex) > MAX_FORMULA_CHARS:
        prepared.problems.append((0, f"formula is {len(tex)} characters long; the limit is {MAX_FORMULA_CHARS}"))
        return prepared
    # Most formulas hold none of the commands rewritten here: a substring test skips each search.
    for match in TAG.finditer(tex) if "\\tag" in tex else ():
        prepared.problems.append(
            (match.start(), "equation numbers are automatic: write \\label{eq:name} instead of \\tag")
        )

    environments = list(ENV.finditer(tex)) if "\\begin" in tex or "\\end" in tex else []
    in_environment = bool(environments)
    pieces: list[str] = []
    cursor = 0
    out_len = 0
    gauge = gauge or NestingGauge()
    overrides = site_overrides(tex, gauge.is_site_meaning) if "\\newcommand" in tex else []
    labels = list(LABEL.finditer(tex)) if "\\label" in tex else []
    for match in sorted([*labels, *environments, *overrides], key=lambda m: m.start()):
        pieces.append(tex[cursor : match.start()])
        out_len += match.start() - cursor
        if match.re is NEWCOMMAND:
            name = match.group(1) or match.group(2)
            replacement = f"\\renewcommand{{{name}}}"
            prepared.warnings.append(override_warning(name))
        elif match.re is ENV:
            replacement = f"\\{match.group(1)}{{{match.group(2)}*}}"
        else:
            replacement = _label(match, prepared, display=display, next_number=next_number, several=in_environment)
        prepared._edits.append((out_len, len(replacement), match.end() - match.start()))
        pieces.append(replacement)
        out_len += len(replacement)
        cursor = match.end()
    pieces.append(tex[cursor:])
    prepared.tex = "".join(pieces)

    # Measured as KaTeX will read it, after the rewriting above.
    nesting = gauge.measure(prepared.tex)
    if nesting.problem:
        prepared.problems.insert(0, (0, nesting.problem))
    elif not prepared.problems:
        gauge.adopt(nesting)
        prepared.defines = bool(nesting.definitions)
    return prepared
