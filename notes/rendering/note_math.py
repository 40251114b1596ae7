"""The typesetting half of a note's render (notes.rendering.pipeline): its formulas through the
formula cache, each standing in the token stream as a placeholder until its HTML is known.

Each formula's KaTeX HTML is sanitized once (formula_cache); every HTML fragment built from the
tokens (page, TOC, derivation steps) is sanitized without the bulky math and then gets the math
back. The placeholders are set before the engines are done, so that the page can be drawn while
they typeset (typeset_start, then typeset_finish).
"""

import re
import secrets

from markdown_it.token import Token

from . import formula_cache
from .math import PreparedFormula, prepare
from .nesting import NestingGauge
from .sanitize import sanitize

REFUSED_IN_MATH = "links, classes, ids, styles and images"
# Inline math as dollarmath reads it with allow_space=False (notes.rendering.parser), in the
# text of a block outside code spans; a guess that the inline pass confirms or not.
INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\.|[^$\\])*?(?:\\.|[^\s$\\]))\$")
CODE_SPAN = re.compile(r"(`+).*?\1", re.S)


def formulas_in_blocks(blocks: list[Token]):
    """(tex, display) of the formulas the block tokens show, in order, as the inline pass
    will most likely find them."""
    for token in blocks:
        if token.type in {"math_block", "amsmath"}:
            yield token.content, True
        elif token.type == "inline" and "$" in token.content:
            text = CODE_SPAN.sub(" ", token.content) if "`" in token.content else token.content
            for match in INLINE_MATH.finditer(text):
                yield match.group(1), False


class NoteMath:
    """Mixed into the pipeline's note render, which keeps `formulas` (token, PreparedFormula,
    line, col), `gauge`, `result`, `error()` and `warning()`."""

    def __init__(self) -> None:
        # The nonce makes the placeholder impossible to forge from the note's text.
        self.nonce = secrets.token_hex(8)
        self.math_html: list[str] = []
        self.placeholder = re.compile("\ue000" + self.nonce + r":(\d+)\ue001")
        self.ahead: formula_cache.Ahead | None = None

    def typeset_ahead(self, blocks: list[Token]) -> None:
        """Start the engines on the formulas the note's blocks show, before the inline pass
        finds them all (the parser calls this between its passes): a cold render's KaTeX
        then runs beside the rest of the parse. Prepared as the walk will prepare them, in a
        gauge of their own; one the walk does not confirm is typeset for nothing."""
        gauge, number, expected = NestingGauge(), 1, []
        for tex, display in formulas_in_blocks(blocks):
            prepared = prepare(tex, display=display, next_number=number, gauge=gauge)
            number += len(prepared.labels)
            if not prepared.problems:
                expected.append(formula_cache.Formula(prepared.tex, display, prepared.defines))
        if expected and not gauge.exhausted:
            self.ahead = formula_cache.typeset_ahead(expected)

    def typeset_start(self):
        """Every formula of the note to the formula cache, sharing the note's macros; each
        token's placeholder is set now, as if typeset. Returns what typeset_finish waits on."""
        if not self.formulas or self.gauge.exhausted:
            # Past the note's expansion budget (reported per formula already), typesetting
            # the formulas that fit would cost seconds for a note that cannot be published.
            return None
        collect = formula_cache.typeset_start(self.formula_jobs(), ahead=self.ahead)
        for token, _, _, _ in self.formulas:
            token.meta["html"] = self.stash("")
        return collect

    def typeset_finish(self, collect, errors: int, warnings: int) -> bool:
        """The formulas' HTML behind their placeholders, and their problems at `errors` and
        `warnings` in the lists; whether every formula was typeset (the page as drawn holds)."""
        if collect is None:
            return True
        later = self.result.errors[errors:], self.result.warnings[warnings:]
        del self.result.errors[errors:], self.result.warnings[warnings:]
        every = True
        for (token, prep, line, col), out in zip(self.formulas, collect(), strict=True):
            for warning in out.warnings:
                self.warning(line, col, f"math: {warning}")
            if out.error is None and not out.refused and not out.failure:
                self.math_html[self.placeholder_index(token.meta["html"])] = out.html
                token.meta["blank"] = out.blank
                continue
            every = False
            del token.meta["html"]
            for command in out.refused:
                self.error(line, col, f"math: {command} is not allowed ({REFUSED_IN_MATH} are off in formulas)")
            if out.failure:  # the engine's: time or memory (said once when it stopped many)
                self.result.engine_failures += 1
                advice = "" if "look for" in (out.error or "") else "; look for runaway macros or very large formulas"
                if out.error:
                    self.error(line, col, f"math: {out.error}{advice}")
            elif out.error is not None:
                self.math_error(token, prep, line, col, out)
        self.result.errors += later[0]
        self.result.warnings += later[1]
        return every

    def placeholder_index(self, placeholder: str) -> int:
        return int(self.placeholder.fullmatch(placeholder).group(1))

    def stash(self, html: str) -> str:
        """A placeholder for HTML that is already clean (typeset math, drawn figures)."""
        self.math_html.append(html)
        return f"\ue000{self.nonce}:{len(self.math_html) - 1}\ue001"

    def formula_jobs(self) -> list[formula_cache.Formula]:
        return [formula_cache.Formula(p.tex, t.type != "math_inline", p.defines) for t, p, _, _ in self.formulas]

    def math_error(self, token: Token, prep: PreparedFormula, line: int, col: int, out) -> None:
        """KaTeX's error, placed at the failing character of the author's formula."""
        where, src_pos = "", None
        if out.position is not None:
            src_pos = prep.source_offset(out.position)
            excerpt = token.content[max(0, src_pos - 15) : src_pos + 15]
            where = f" (at position {src_pos} in the formula, near {excerpt!r})"
            # Point the column at the failing character when the formula is on one line.
            if "\n" not in token.content[:src_pos]:
                col += src_pos
        self.error(line, col, f"math: {out.error}{where}", formula_pos=src_pos)

    def clean(self, html: str) -> str:
        """Sanitize an HTML fragment, then put its (already sanitized) formulas back."""
        alone = self.placeholder.fullmatch(html)  # one formula, as search fragments ask
        if alone is not None:
            return self.math_html[int(alone.group(1))]
        return self.fill(sanitize(html))

    def fill(self, html: str) -> str:
        """Sanitized HTML with its formulas and figures put back."""
        return self.placeholder.sub(lambda m: self.math_html[int(m.group(1))], html)
