"""The garbage collector in a long-lived server process (a gunicorn worker): config/wsgi.py
settles it once the site is loaded.

A worker that has loaded the site holds about 100,000 objects that live as long as it does:
Django, the URLconf, every view and template tag, the renderer's tables. CPython's full
collection walks all of them, and measured 45-60 ms each on this project's machines; a run of
previews of the longest note set one off every 15 requests or so (3.5 ms a request on
average, and a 50 ms stall for the one that drew it). So once the worker has loaded everything
it imports, `settle()` moves what it holds into the permanent generation (`gc.freeze()`),
which collections never walk; everything made afterwards is collected as before.

It also raises the youngest generation's threshold. A render makes tens of thousands of
container objects (markdown-it's tokens) that live until it ends and are then freed by
reference counting; at CPython's default (700) the young collection runs every few hundred
of them and carries the still-live tokens into the older generations, whose collections then
walk them. At YOUNG_THRESHOLD a preview of the longest note runs no collection at all, and
cyclic garbage waits at most that many allocations.
"""

import gc

YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Import what requests would import, then freeze it out of the collector's reach."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and what they import
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
