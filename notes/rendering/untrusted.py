"""The pipeline's untrusted mode: Markdown with math written by readers (annotation bodies).

Same parts as a note's render (markdown-it with raw HTML off, KaTeX in mini-racer with
`trust` refusing everything, through the same formula cache with the annotation options in
its key, nh3 with the same allow-list), fewer features and tighter
limits: no front matter, cross-links, derivations, admonitions or equation labels; a size
limit; a nesting limit; every link http(s) or mailto only (markdown-it refuses
`javascript:` and the sanitizer keeps only those schemes).
"""

from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from . import formula_cache
from .formula_cache import ANNOTATION_OPTIONS, Formula
from .nesting import NestingGauge
from .parser import _link_open, _math_display, _math_inline, outside_image
from .sanitize import sanitize

MAX_CHARS = 10_000
MAX_NESTING = 12  # lists in quotes in lists: deeper than this is refused, not silently cut
# Anyone with an account may write an annotation, so every limit is tighter than a note's,
# and all of them hold before KaTeX runs but the time budget, which bounds KaTeX itself.
MAX_FORMULA_CHARS = 1_000
MAX_FORMULAS = 50
# Levels of nesting, counted as for notes (notes.rendering.nesting, where KaTeX's real limits
# are noted).
MAX_NESTING_DEPTH = 40
# Tokens the formulas may expand to through macros: per formula, and for the whole text (a
# dense page of real math is a few thousand; 1,600 formulas each under KaTeX's maxExpand
# would otherwise add up to gigabytes of KaTeX output).
MAX_EXPANDED_TOKENS = 5_000
MAX_EXPANDED_TOKENS_IN_ALL = 20_000
RENDER_SECONDS = 2.0  # KaTeX's time for one text's formulas; past it, an error, not a wait


@dataclass
class UntrustedRender:
    html: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # maxNesting is one above our limit so that too-deep input still parses and can be named.
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING + 8})
    md.enable(["table", "strikethrough"])
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=True, allow_blank_lines=False)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_block", _math_display)
    md.add_render_rule("link_open", _link_open)
    return md


def _excerpt(tex: str) -> str:
    return tex if len(tex) < 40 else tex[:37] + "..."


def _walk(tokens):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def render_untrusted(source: str) -> UntrustedRender:
    """Render reader-written Markdown; problems come back as messages that say what to fix."""
    result = UntrustedRender()
    if len(source) > MAX_CHARS:
        result.errors.append(f"the text is {len(source):,} characters; the limit is {MAX_CHARS:,}")
        return result
    md = _parser()
    env: dict = {}
    tokens = md.parse(source, env)
    depth = max((t.level for t in tokens), default=0)
    if depth > MAX_NESTING:
        result.errors.append(f"lists and quotes nest {depth} deep; the limit is {MAX_NESTING}")
        return result
    outside = [t.attrGet("src") for t in _walk(tokens) if t.type == "image" and outside_image(t.attrGet("src") or "")]
    if outside:
        result.errors.append(f"images from other sites cannot be shown here ({outside[0]}); link to it instead")
        return result
    formulas = [t for t in _walk(tokens) if t.type in {"math_inline", "math_block"}]
    if len(formulas) > MAX_FORMULAS:
        result.errors.append(f"the text has {len(formulas):,} formulas; the limit is {MAX_FORMULAS}")
        return result
    # The formulas are typeset in this order in one batch, sharing their macros: the gauge
    # follows them the same way.
    gauge = NestingGauge(
        limit=MAX_NESTING_DEPTH, max_tokens=MAX_EXPANDED_TOKENS, max_total_tokens=MAX_EXPANDED_TOKENS_IN_ALL
    )
    defines = []  # what each formula leaves the ones after it, as the formula cache needs to know
    for token in formulas:
        if len(token.content) > MAX_FORMULA_CHARS:
            result.errors.append(f"a formula is {len(token.content):,} characters; the limit is {MAX_FORMULA_CHARS:,}")
            continue
        nesting = gauge.measure(token.content)
        if nesting.problem:
            result.errors.append(f"math: {nesting.problem} in ${_excerpt(token.content)}$")
        else:
            gauge.adopt(nesting)
            defines.append(bool(nesting.definitions))
    if result.errors:
        return result
    jobs = [Formula(t.content, t.type == "math_block", d) for t, d in zip(formulas, defines, strict=True)]
    outputs = formula_cache.typeset(jobs, timeout_seconds=RENDER_SECONDS, options=ANNOTATION_OPTIONS)
    for token, out in zip(formulas, outputs, strict=True):
        excerpt = _excerpt(token.content)
        if out.refused:
            commands = ", ".join(sorted(set(out.refused)))
            result.errors.append(f"math: {commands} is not allowed in ${excerpt}$")
        elif out.error is not None:
            result.errors.append(f"math: {out.error} in ${excerpt}$")
        elif not out.failure:
            token.meta["html"] = out.html
    if result.errors:
        return result
    result.html = sanitize(md.renderer.render(tokens, md.options, env))
    return result
