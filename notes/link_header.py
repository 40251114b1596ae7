"""The stylesheets a note page's head links, named in its response's Link header.

Nothing of a page is painted before the stylesheets its head links are in, and the browser
asks for them only once it has found them: after it has decoded the body it received and
scanned it for what to fetch. A note page is large (the longest starter note is over 600 kB of
HTML, KaTeX's markup and MathML for each formula), and on a loopback or a fast link all of it
arrives at once, so that scan covers the whole page first: tens of milliseconds of the main
thread, more on a busy machine, before the first stylesheet is asked for. Named in the
response header (rel=preload, as=style), they are asked for as the response is committed,
before its body is read; the <link> elements then use those fetches.

Read from the page's own head (the gzip member's first few kB), so the header names exactly
the stylesheets the templates link, in their order; the note page reads it once per build
(notes.page_assembly).
"""

import re
import zlib

_STYLESHEET = re.compile(rb'<link rel="stylesheet" href="([^"]+)"')
_HEAD_END = b"</head>"
# A page's head is its first two or three kB; the note page reads it once per build, so one
# bounded inflation is enough.
_HEAD_MAX = 64 * 1024


def stylesheet_preloads(page: bytes) -> str:
    """The Link header value for a note page given as one gzip member ("" if it links none)."""
    head = zlib.decompressobj(wbits=31).decompress(page, _HEAD_MAX)  # gzip, at most _HEAD_MAX out
    head = head.partition(_HEAD_END)[0]
    return ", ".join(f"<{href.decode()}>; rel=preload; as=style" for href in _STYLESHEET.findall(head))
