"""Links in a derivation's stored HTML, as study mode shows them: none may take the study tab
away, since a reload starts the steps over.

- Links within the note ("#eq:...") point at the note, since the study page is elsewhere.
- Every link opens in a new tab (target=_blank, rel=noopener): that is what happens without
  JavaScript; with it, static/js/study-previews.js opens a preview of a cross-link or equation
  reference in place instead, and a link inside a preview opens in a new tab.
- The "used by" chips are dropped: which notes build on a result is a question for the note
  page, and without the note page's script a chip could not say how many there are, or hide
  when there are none.

The input is sanitized pipeline output (notes.rendering.sanitize): an <a> carries only href,
rel, class, id, aria-label, title and role, each double-quoted, never target; so a tag-level
regular expression is exact here.
"""

import re

USES_CHIP = re.compile(r'<a\b[^>]*\bclass="uses-link"[^>]*>.*?</a>', re.DOTALL)
ANCHOR_TAG = re.compile(r"<a\b([^>]*)>")
REL = re.compile(r'\brel="([^"]*)"')


def _new_tab(match: re.Match) -> str:
    attributes = match.group(1)
    rel = REL.search(attributes)
    if rel is None:
        attributes += ' rel="noopener"'
    elif "noopener" not in rel.group(1).split():
        attributes = REL.sub(f'rel="{rel.group(1)} noopener"', attributes, count=1)
    return f'<a{attributes} target="_blank">'


def study_links(html: str, *, note_url: str) -> str:
    """`html` (a derivation's statement, step or result) with its links kept off the study tab."""
    html = USES_CHIP.sub("", html)
    html = html.replace('href="#', f'href="{note_url}#')
    return ANCHOR_TAG.sub(_new_tab, html)
