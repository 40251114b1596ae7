"""The note page's cached copies: the anonymous page, the shared body, each reader's parts.

A note page is hundreds of kilobytes of stored HTML; reading it back from the database and
through the template costs far more than a cache lookup. Three kinds of entry, each
compressed once when it is made (notes.page_assembly says how they make a page):

- the anonymous page: the final bytes, one gzip member, sent as they are to every anonymous
  browser (every browser takes gzip) and inflated for a client that does not;
- the shared body: the same page cut at the places where a signed-in reader's parts go,
  each piece compressed on its own (notes.stitching), with the names of those places;
- a reader's page: the shared body with their parts spliced in, one gzip member with holes
  where the CSRF token of each request is written (notes.stitching.Template), under a key
  holding their user id and the version of everything of theirs the page shows
  (ReaderLayer.note_page_stamp); the entry names its owner too, and is refused to anyone else.
  The pages a process served last are kept in it too (Recent).

Every key holds the note's content version (selectors.note_page_version) and the build of the
site (its templates, styles, scripts and code), so that neither a change of the note, of a
note it shows, nor a deploy serves a page made before it.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache

from notes.recent import Recent
from notes.stitching import Piece, Template

TIMEOUT_SECONDS = 3600
CODE = ("notes", "accounts", "config")  # packages whose Python builds parts of pages


def _build() -> str:
    """A digest of what pages are made from besides the database: every template, style sheet
    and script of the project, and the code that builds page fragments in Python (the panel
    of annotations, the graph). Read once per process (a few megabytes, a few milliseconds)."""
    digest = hashlib.sha256()
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [Path(d) for d in settings.STATICFILES_DIRS]
    sources = [(root, sorted(p for p in root.rglob("*") if "vendor" not in p.parts)) for root in roots]
    sources += [(settings.BASE_DIR, sorted((settings.BASE_DIR / package).rglob("*.py"))) for package in CODE]
    for root, paths in sources:
        for path in paths:
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


BUILD = _build()


@dataclass(frozen=True, slots=True)
class SharedBody:
    """A note page cut where a reader's parts go: pieces[0], slots[0], pieces[1], ..."""

    pieces: tuple[Piece, ...]
    slots: tuple[str, ...]  # one fewer than pieces


class ReaderPage(NamedTuple):
    owner_id: int
    page: Template


def page_key(content_key: str) -> str:
    return f"{content_key}:{BUILD}"


def newest_key(slug: str) -> str:
    """The key of the newest copy made of a note's page: a pointer, not a second copy."""
    return f"note-page-last:{slug}"


def shared_key(key: str) -> str:
    return f"{key}:shared"


def reader_key(key: str, owner_id: int, stamp: str) -> str:
    version = hashlib.sha256(stamp.encode()).hexdigest()[:24]
    return f"{key}:reader:{owner_id}:{version}"


def cached(key: str) -> bytes | None:
    """The anonymous page, gzip-compressed."""
    return cache.get(key)


def cached_shared(key: str) -> SharedBody | None:
    return cache.get(shared_key(key))


def store(slug: str, key: str, anonymous: bytes, shared: SharedBody) -> None:
    cache.set_many({key: anonymous, shared_key(key): shared, newest_key(slug): key}, timeout=TIMEOUT_SECONDS)


def newest(slug: str) -> bytes | None:
    key = cache.get(newest_key(slug))
    return cache.get(key) if key else None


def cached_page(key: str, owner_id: int) -> Template | None:
    found = recent.get(key)
    if found is None:
        found = cache.get(key)
        if found is not None:
            recent.put(key, found)
    # The key holds the owner; the entry names them too, so a key made wrong can never
    # hand one reader's page to another.
    if found is None or found.owner_id != owner_id:
        return None
    return found.page


def store_page(key: str, owner_id: int, page: Template) -> None:
    cache.set(key, ReaderPage(owner_id, page), timeout=TIMEOUT_SECONDS)
    recent.put(key, ReaderPage(owner_id, page))


# The reader pages this process served last, in front of the shared cache. A reader's page is a
# hundred kilobytes; from the shared cache it is copied out and unpickled on every view (over the
# network, with Redis). Its key names everything the page was made from (the content version,
# the build, the reader and their stamp), so the copy kept here is never stale.
recent: Recent[ReaderPage] = Recent(size=64)  # some 6 MB a process
