"""The markdown-it configuration: CommonMark with raw HTML off, plus our plugins and render rules.

Parsing produces tokens; `pipeline.py` walks them (labels, derivations, links, heading ids),
renders all math in one KaTeX call and writes the results into `token.meta` before these
render rules turn the tokens into HTML. The rules here only print what the walk decided.
"""

import re
from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .figures import figure_close, figure_number, figure_open

WIKILINK = re.compile(r"\[\[([^\[\]\n|]+?)(?:\|([^\[\]\n]+?))?\]\]")
_formatter = HtmlFormatter(nowrap=True)


# The pages' Content-Security-Policy allows images from the site itself (and data: URLs)
# only, so an image elsewhere would show broken to every reader: it is refused when written.
OUTSIDE_URL = re.compile(r"(?i)^\s*(?:[a-z][a-z0-9+.-]*:|//)")  # a scheme, or //host


def outside_image(src: str) -> bool:
    """True for an image address on another site (http:, https:, //host/...), which the pages'
    security policy blocks."""
    return bool(OUTSIDE_URL.match(src)) and not src.strip().lower().startswith("data:")


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Pygments for fenced code with a known language; escaped text otherwise."""
    if not lang:
        return ""  # markdown-it escapes it
    if len(code) <= 10_000:  # notes are re-rendered whole (every save and preview)
        return _highlighted(code, lang)
    return _highlight(code, lang)


@lru_cache(maxsize=512)
def _highlighted(code: str, lang: str) -> str:
    return _highlight(code, lang)


def _highlight(code: str, lang: str) -> str:
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    return (
        f'<pre class="highlight"><code class="language-{escape(lang)}">'
        f"{highlight(code, lexer, _formatter)}</code></pre>\n"
    )


def wikilink_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[[", state.pos):
        return False
    match = WIKILINK.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        slug, _, anchor = match.group(1).strip().partition("#")
        token = state.push("wikilink", "a", 0)
        token.content = match.group(0)
        text = match.group(2)
        token.meta = {
            "slug": slug.strip(),
            "anchor": anchor.strip(),
            "text": text.strip() if text else None,
        }
    state.pos = match.end()
    return True


# -- render rules: each prints what the pipeline's walk stored in token.meta ---------------


def _math_inline(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    if "html" in meta:
        return meta["html"]
    return f'<code class="math-error">{escape(tokens[idx].content)}</code>'


def _math_display(self, tokens, idx, options, env):
    token = tokens[idx]
    meta = token.meta
    body = meta.get("html") or f'<pre class="math-error">{escape(token.content)}</pre>'
    labels = meta.get("labels", [])
    if not labels:
        return f'<div class="math-display">{body}</div>\n'
    # The first label is the block's id; further labels (align rows) get their own anchors.
    extra = "".join(f'<span class="eq-anchor" id="{escape(lab)}"></span>' for lab in labels[1:])
    uses = "".join(_uses_link(env, lab, "equation") for lab in labels)
    return f'<div class="math-display equation" id="{escape(labels[0])}">{extra}{body}{uses}</div>\n'


def _uses_link(env, anchor: str, kind: str) -> str:
    """A link from an equation or derivation to the page of notes that use it.

    Written at render time so it works without JavaScript; the page script turns it into a
    popover with the count, or hides it when nothing links there.
    """
    base = env.get("uses_url")
    if not base:
        return ""
    anchor = escape(anchor)
    # The accessible name begins with the visible words (WCAG 2.5.3), then says what they mean.
    return f'<a class="uses-link" href="{escape(base)}{anchor}/" aria-label="used by: notes that use this {kind}">used by</a>'


def _wikilink(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    label = escape(meta.get("label") or meta.get("text") or tokens[idx].content)
    if meta.get("broken") or "href" not in meta:
        return f'<span class="xref-broken">{label}</span>'
    css = "eqref" if meta.get("is_equation") else "xref"
    title = f' title="{escape(meta["title"])}"' if meta.get("title") else ""
    return f'<a class="{css}" href="{escape(meta["href"])}"{title}>{label}</a>'


def _derivation_open(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    key = escape(meta.get("key", ""))
    title = meta.get("title_html", "")
    return (
        f'<section class="derivation" id="{key}" data-derivation="{key}">\n'
        f'<header class="derivation-head"><span class="derivation-kind">Derivation</span> '
        f'<h3 class="derivation-heading"><a class="derivation-title" href="#{key}">{title}</a></h3>'
        f"{_uses_link(env, meta.get('key', ''), 'derivation')}"
        "</header>\n"
    )


def _derivation_close(self, tokens, idx, options, env):
    return "</section>\n"


def _derivation_part_open(css):
    def rule(self, tokens, idx, options, env):
        label = '<span class="result-label">Result.</span> ' if css == "derivation-result" else ""
        return f'<div class="{css}">{label}\n'

    return rule


def _div_close(self, tokens, idx, options, env):
    return "</div>\n"


def _list_item_open(self, tokens, idx, options, env):
    token = tokens[idx]
    step_id = token.meta.get("step_id")
    if not step_id:
        return self.renderToken(tokens, idx, options, env)
    number = token.meta["step_number"]
    return (
        f'<li class="derivation-step" id="{escape(step_id)}">'
        f'<a class="step-number" href="#{escape(step_id)}" aria-label="Step {number}">{number}</a>'
    )


def _link_open(self, tokens, idx, options, env):
    token = tokens[idx]
    if (token.attrGet("href") or "").startswith(("http://", "https://")):
        token.attrSet("rel", "noopener noreferrer")
        token.attrJoin("class", "external")
    return self.renderToken(tokens, idx, options, env)


def _front_matter(self, tokens, idx, options, env):
    return ""


@lru_cache(maxsize=1)
def make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight_code})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    # allow_digits=False has a wrap-around bug in mdit-py-plugins 0.7.0; allow_space=False
    # keeps "$5 and $10" prose from becoming math.
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=True,
        allow_blank_lines=False,
    )
    md.use(amsmath_plugin)
    md.use(footnote_plugin)
    md.use(admon_plugin)
    md.use(tasklists_plugin, label=True)  # the item's text wraps and so names its checkbox
    md.use(
        container_plugin,
        name="derivation",
        validate=lambda params, *_: params.strip().split(" ", 1)[0].startswith("derivation"),
    )
    md.use(container_plugin, name="figure", validate=lambda params, *_: params.strip().startswith("figure"))
    md.inline.ruler.before("link", "wikilink", wikilink_rule)
    md.core.ruler.after("block", "blocks_parsed", _blocks_parsed)

    rules = md.add_render_rule
    rules("math_inline", _math_inline)
    rules("math_block", _math_display)
    rules("amsmath", _math_display)
    rules("wikilink", _wikilink)
    rules("container_derivation_open", _derivation_open)
    rules("container_derivation_close", _derivation_close)
    rules("derivation_statement_open", _derivation_part_open("derivation-statement"))
    rules("derivation_statement_close", _div_close)
    rules("derivation_result_open", _derivation_part_open("derivation-result"))
    rules("derivation_result_close", _div_close)
    rules("container_figure_open", figure_open)
    rules("container_figure_close", figure_close)
    rules("figure_number", figure_number)
    rules("list_item_open", _list_item_open)
    rules("front_matter", _front_matter)
    rules("link_open", _link_open)
    return md


def _blocks_parsed(state) -> None:
    """Between the block and the inline pass, the blocks go to env["blocks_parsed"] if a
    caller set it: a note's render starts typesetting the formulas it sees there while the
    inline pass runs (notes.rendering.note_math)."""
    if (callback := state.env.get("blocks_parsed")) is not None:
        callback(state.tokens)


@lru_cache(maxsize=1)
def escapes_parser() -> MarkdownIt:
    """The same parser with Markdown's escapes kept apart from the text (text_special tokens,
    which text_join otherwise merges): it tells a `\\$` the author wrote from a `$` that was
    meant to open math (notes.rendering.leftovers)."""
    md = make_parser.__wrapped__()
    md.disable("text_join")
    return md
