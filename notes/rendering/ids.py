"""Ids a note's content may not take."""

import re

from django.utils.text import slugify

# Ids the site's own pages and scripts use (templates/, static/js/): a heading or derivation
# taking one would clobber the page's element (an id "annotation-data" would hide the
# annotation script's data). tests/notes/rendering/test_ids.py keeps the list in step with
# the templates. Footnote ids (fn1, fnref1:2) belong to the footnotes of the note itself.
PAGE_IDS = frozenset(
    [
        "activity-title",
        "annotation-data",
        "annotation-panel",
        "annotation-panel-title",
        "annotation-single",
        "annotations-error",
        "annotations-q",
        "annotations-state",
        "chart-desc",
        "chart-title",
        "conflict-title",
        "data-title",
        "graph-list-title",
        "import-file",
        "import-file-help",
        "import-report-title",
        "jobs-title",
        "linked-from-title",
        "main",
        "next-title",
        "search-area",
        "search-limit",
        "search-q",
        "search-results-heading",
        "site-search-q",
        "study-attempt",
        "study-attempt-help",
        "study-count",
        "study-end-title",
        "study-mode-and-review",
        "study-mode-and-review-title",
        "study-title",
        "used-elsewhere-title",
    ]
)
FOOTNOTE_ID = re.compile(r"fn\d+|fnref\d+(?::\d+)?")


def id_is_reserved(anchor: str) -> bool:
    """True for an id the page or the note's footnotes already use."""
    return anchor in PAGE_IDS or FOOTNOTE_ID.fullmatch(anchor) is not None


MAX_HEADING_ID = 80


def heading_id(text: str) -> str:
    """The id a heading with this text gets (a repeated one then takes -2, -3...): also what
    an imported link to a heading names (notes.importing)."""
    return slugify(re.sub(r"[\\{}_^]", " ", text))[:MAX_HEADING_ID].strip("-") or "section"
