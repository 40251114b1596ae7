"""The last step of every render: nh3 (ammonia) with an allow-list that keeps KaTeX intact.

KaTeX writes HTML spans with inline styles, MathML for assistive technology, and SVG for
stretchy symbols (square roots, wide accents, arrows). The lists below are what KaTeX emits;
`tests/notes/rendering/test_sanitize.py` compares KaTeX's output before and after.
"""

import nh3

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "input", "kbd", "label", "li", "ol",
    "p", "pre", "s", "section", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}
MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace",
    "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover",
    "mtable", "mtr", "mtd", "mlabeledtr", "mstyle", "mpadded", "mphantom", "menclose",
    "merror", "mglyph",
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
    "mathvariant", "stretchy", "fence", "separator", "accent", "accentunder", "lspace",
    "rspace", "width", "height", "depth", "voffset", "columnalign", "columnspacing",
    "rowspacing", "rowlines", "columnlines", "frame", "framespacing", "scriptlevel",
    "displaystyle", "linethickness", "minsize", "maxsize", "movablelimits", "symmetric",
    "largeop", "notation", "mathcolor", "mathbackground", "style", "side", "align",
}
for _tag in MATHML_TAGS:
    TAG_ATTRIBUTES.setdefault(_tag, set()).update(MATHML_ATTRIBUTES)

# CSS properties KaTeX sets inline (layout only; nothing that can load a URL).
STYLE_PROPERTIES = {
    "background-color", "border-bottom-width", "border-color", "border-right-style",
    "border-right-width", "border-style", "border-top-width", "border-width", "bottom",
    "color", "height", "left", "margin", "margin-bottom", "margin-left", "margin-right",
    "margin-top", "min-width", "padding", "padding-left", "padding-right", "position",
    "top", "vertical-align", "width", "text-align", "font-size", "border-bottom-style",
    "border-left-style", "border-left-width", "border-top-style", "max-width", "overflow",
}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=HTML_TAGS | MATHML_TAGS | SVG_TAGS,
        attributes={"*": GLOBAL_ATTRIBUTES, **TAG_ATTRIBUTES},
        url_schemes={"http", "https", "mailto"},
        filter_style_properties=STYLE_PROPERTIES,
        link_rel=None,
        strip_comments=True,
    )
