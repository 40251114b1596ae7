"""The last step of every render: nh3 (ammonia) with an allow-list that keeps KaTeX intact.

KaTeX writes HTML spans with inline styles, MathML for assistive technology, and SVG for
stretchy symbols (square roots, wide accents, arrows). The lists below are what KaTeX emits;
`tests/notes/rendering/test_sanitize.py` compares KaTeX's output before and after.
"""

import nh3

HTML_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "div",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "input",
    "kbd",
    "label",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
MATHML_TAGS = {
    "math",
    "semantics",
    "annotation",
    "mrow",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mlabeledtr",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "merror",
    "mglyph",
}
SVG_TAGS = {"svg", "path", "line", "rect", "g"}

GLOBAL_ATTRIBUTES = {"class", "id", "aria-hidden", "aria-label", "title", "role"}
TAG_ATTRIBUTES = {
    "a": {"href", "rel"},
    "section": {"data-derivation"},
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "checked", "disabled"},
    "ol": {"start"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan"},
    "span": {"style"},
    "div": {"style"},
    "math": {"xmlns", "display"},
    "annotation": {"encoding"},
    "svg": {"xmlns", "width", "height", "viewBox", "preserveAspectRatio", "style"},
    "path": {"d"},
    "line": {"x1", "y1", "x2", "y2", "stroke-width"},
    "rect": {"x", "y", "width", "height"},
}
MATHML_ATTRIBUTES = {
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "accent",
    "accentunder",
    "lspace",
    "rspace",
    "width",
    "height",
    "depth",
    "voffset",
    "columnalign",
    "columnspacing",
    "rowspacing",
    "rowlines",
    "columnlines",
    "frame",
    "framespacing",
    "scriptlevel",
    "displaystyle",
    "linethickness",
    "minsize",
    "maxsize",
    "movablelimits",
    "symmetric",
    "largeop",
    "notation",
    "mathcolor",
    "mathbackground",
    "style",
    "side",
    "align",
}
for _tag in MATHML_TAGS:
    TAG_ATTRIBUTES.setdefault(_tag, set()).update(MATHML_ATTRIBUTES)

# CSS properties KaTeX sets inline (layout only; nothing that can load a URL).
STYLE_PROPERTIES = {
    "background-color",
    "border-bottom-width",
    "border-color",
    "border-right-style",
    "border-right-width",
    "border-style",
    "border-top-width",
    "border-width",
    "bottom",
    "color",
    "height",
    "left",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "min-width",
    "padding",
    "padding-left",
    "padding-right",
    "position",
    "top",
    "vertical-align",
    "width",
    "text-align",
    "font-size",
    "border-bottom-style",
    "border-left-style",
    "border-left-width",
    "border-top-style",
    "max-width",
    "overflow",
}


# Built once: passing the allow-lists to nh3.clean on every call costs more than cleaning.
_cleaner = nh3.Cleaner(
    tags=HTML_TAGS | MATHML_TAGS | SVG_TAGS,
    attributes={"*": GLOBAL_ATTRIBUTES, **TAG_ATTRIBUTES},
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=STYLE_PROPERTIES,
    link_rel=None,
    strip_comments=True,
)


def sanitize(html: str) -> str:
    return _cleaner.clean(html)


# The HTML elements a formula's HTML may hold for the engine to prove it clean without nh3
# (katex_clean.js): KaTeX writes only spans, and a span has no parsing rules of its own (it
# closes no other element, is never moved out of a table, is not void), so its tags make the
# tree they say. SVG and MathML elements are proven each inside their own <svg> or <math>.
PROVABLE_HTML_TAGS = {"span"}
assert PROVABLE_HTML_TAGS <= HTML_TAGS

# The lists the engine proves formulas clean by: the sanitizer's own, so that the two
# cannot disagree about what is allowed (the formula cache's key holds this file's digest).
PROOF_ALLOW_LIST = {
    "tags": {"html": sorted(PROVABLE_HTML_TAGS), "svg": sorted(SVG_TAGS), "math": sorted(MATHML_TAGS)},
    "attributes": {tag: sorted(names) for tag, names in {"*": GLOBAL_ATTRIBUTES, **TAG_ATTRIBUTES}.items()},
    "styleProperties": sorted(STYLE_PROPERTIES),
}
