"""The anonymous note page, cached compressed.

Anonymous readers share one copy of a note page per content version: the page is hundreds
of kilobytes of stored HTML, and reading it back from the database and through the template
costs far more than a cache lookup. The copy is kept gzip-compressed (a tenth of the bytes),
and sent as it is to every browser that accepts gzip, which is every browser.

Compressing it is safe from BREACH: an anonymous page holds no secret (no session, no CSRF
token) for an attacker's guesses to be compared against. Other dynamic pages are compressed by
Django's GZipMiddleware, which pads each response with random bytes for the same reason.

The key holds the content version (selectors.note_page_key) and the build of the site (its
templates, styles and scripts), so that a deploy never serves pages of the last one.
"""

import gzip
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

COMPRESS_LEVEL = 6  # zlib's default: within 2% of level 9 on these pages, at a third of the time
TIMEOUT_SECONDS = 3600


def _build() -> str:
    """A digest of what pages are made from besides the database: every template, style sheet
    and script of the project. Read once per process (about a megabyte, a few milliseconds)."""
    digest = hashlib.sha256()
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [Path(d) for d in settings.STATICFILES_DIRS]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "vendor" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


BUILD = _build()


def page_key(content_key: str) -> str:
    return f"{content_key}:{BUILD}"


def newest_key(slug: str) -> str:
    """The key of the newest copy made of a note's page: a pointer, not a second copy."""
    return f"note-page-last:{slug}"


def cached(key: str) -> bytes | None:
    return cache.get(key)


def store(slug: str, key: str, html: str) -> bytes:
    body = gzip.compress(html.encode(), compresslevel=COMPRESS_LEVEL, mtime=0)
    cache.set_many({key: body, newest_key(slug): key}, timeout=TIMEOUT_SECONDS)
    return body


def newest(slug: str) -> bytes | None:
    key = cache.get(newest_key(slug))
    return cache.get(key) if key else None


def response(request, body: bytes) -> HttpResponse:
    """The compressed page as it is, or inflated for a client that does not take gzip."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        answer = HttpResponse(body)
        answer["Content-Encoding"] = "gzip"
    else:
        answer = HttpResponse(gzip.decompress(body))
    patch_vary_headers(answer, ("Accept-Encoding", "Cookie"))
    return answer
