"""The note page for one request, from cached copies: one body for everyone, with a signed-in
reader's own parts spliced in at the places stored with it.

Why splicing, rather than the shared page plus a per-reader payload for a script to draw:
the reader's layer has to look and work as it does when rendered whole, without JavaScript
too. Progress controls are forms in the text's flow after each derivation's heading, the
header names the reader and holds their Log out form, the panel lists their annotations. A
payload drawn by a script would leave a reader without JavaScript a different page (or need
a second one for them) and would move the text when it lands. Spliced, the bytes are the
ones the whole rendering gave, and a view costs a copy and a few writes.

How a page is made
- The shared body, once per content version and build (notes.page_cache keys): the page is
  rendered with no request, so no context processor runs and nothing of whoever caused the
  rendering can enter it. Each `{% reader_slot %}` leaves a marker opening with a nonce
  drawn for that rendering (no stored text can hold it), and one is put after each
  derivation's heading in the stored HTML (our markup: `data-derivation="key">`, then the
  heading's `</header>`). The page is cut at the markers and each piece compressed on its
  own (notes.stitching). From the same rendering, the anonymous page: the pieces with the
  anonymous parts (the Log in links), compressed whole.
- A reader's page: their parts (the header's links with their name, the Edit link if they
  may edit, and what accounts supplies through notes.hooks: progress, each derivation's mark
  and control, the annotation panel with the data for the page script, the page scripts) are
  rendered, cut where forms carry the CSRF token and compressed piece by piece, then laid
  into the shared body's pieces as one gzip member with a hole where each token goes
  (stitching.Template). Made on the first view after anything of theirs changed, and cached
  under their id and their ReaderLayer.note_page_stamp.
- A view by a signed-in reader: the session and user lookups of any signed-in request
  (config.sessions, config.auth: Django's, their reads compiled once), the content version
  with the reader's stamp (one query), their page (one cache lookup); the request's CSRF
  token (config.csrf: Django's, masked afresh) is written into its holes. Nothing is rendered or compressed, nothing grows
  with the note's size, and with the reader's data only the bytes copied.
- An anonymous view: the content version and the anonymous page, sent as it is; a session
  cookie that names no one (empty, expired, logged out elsewhere) is anonymous too.
- Pending messages (after a redirect: a form sent without JavaScript, a sign-out) are
  spliced into the shared body in their place, with the reader's parts made for the one
  view (it follows a change of their data, which made their page anew anyway).

CSRF tokens and BREACH
The CSRF token is secret and changes with each response (Django masks it afresh); every form
of the page carries it (Log out, each progress control). It is written in stored deflate
blocks, copied and never compressed, and every compressed piece was compressed alone (a
compressor of its own, sharing no window with another piece), so no compressed length
depends on the token: BREACH needs a secret and attacker-chosen text compressed together,
and here they never are. Pending messages, which may quote what a reader sent, are spliced
uncompressed the same way. A reader's annotations are compressed only with their own parts,
never with the shared body or anything from the request; the note page reflects nothing of
the request. Other dynamic pages are compressed by GZipMiddleware, which pads each response
with random bytes for the same reason.
"""

import gzip
import re
import secrets

from django.conf import settings
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import OperationalError
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from config.csrf import csrf_token
from notes import page_cache, selectors
from notes.font_preloads import katex_faces
from notes.graph import selectors as graph_selectors
from notes.hooks import reader_layer
from notes.link_header import stylesheet_preloads
from notes.models import Note
from notes.page_cache import SharedBody
from notes.stitching import EMPTY, LEVEL, Piece, Template, compressed, gzip_fill, gzip_join, gzip_template, stored

TEMPLATE = "notes/note.html"
MESSAGES = "messages"  # the one place filled on each request, never cached


def note_page(request, slug: str) -> HttpResponse:
    """The live note's page for whoever asks, from the cache."""
    # Without a session cookie nobody is signed in, and the session and user are not looked at.
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
    messages = _pending_messages(request)
    if not signed_in and not messages:
        return _anonymous(request, slug)
    if signed_in and not messages:
        return _send(request, gzip_fill(_reader_page(request, slug), csrf_token(request).encode()))
    key = _version(slug)
    # Messages after a redirect (a form sent without JavaScript, a sign-out): put together once.
    shared, note = _shared(slug, key)
    if signed_in:
        parts, token = _reader_parts(request, note or selectors.note_for_reader(slug)), csrf_token(request)
    else:
        parts, token = _cut_all(_anonymous_texts(), ""), ""
    notice = stored(render_to_string("_messages.html", {"messages": messages}).encode())
    return _send(request, gzip_join(_laid_out(shared, parts, notice, stored(token.encode()))))


def page_context(slug: str) -> dict:
    note = selectors.note_for_reader(slug)
    revision = note.live_revision
    return {
        "note": note,
        "revision": revision,
        "body_html": revision.html,
        # The summary sits above the body, in the first screen.
        "katex_preloads": katex_faces(revision.summary_html + revision.html),
        "references": selectors.references_into(note),
        "graph_context": graph_selectors.note_graph_context(note),
    }


def _anonymous(request, slug: str) -> HttpResponse:
    try:
        key = _version(slug)
    except OperationalError:
        # The database cannot say whether the page changed: the last copy any reader got
        # is served (a page minutes old beats none); without one, config.outages' 503.
        body = page_cache.newest(slug)
        if body is None:
            raise
    else:
        body = page_cache.cached(key) or _make(slug, key)[1]
    return _send(request, body, private=False)


# Every note page of a build links the same stylesheets (base.html and note.html name them;
# nothing per note or per reader), so the Link header is read from the first page this process
# sends and kept for the build, not inflated again for every response.
_links_by_build: dict[str, str] = {}


def _stylesheet_links(body: bytes) -> str:
    links = _links_by_build.get(page_cache.BUILD)
    if links is None:
        links = _links_by_build[page_cache.BUILD] = stylesheet_preloads(body)
    return links


def _send(request, body: bytes, *, private: bool = True) -> HttpResponse:
    """A gzip member as it is, or inflated for a client that does not take gzip; its head's
    stylesheets named in the Link header (notes.link_header)."""
    links = _stylesheet_links(body)
    if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
        answer = HttpResponse(body)
        answer["Content-Encoding"] = "gzip"
    else:
        answer = HttpResponse(gzip.decompress(body))
    if links:
        answer["Link"] = links
    # Set whole, as patch_vary_headers and patch_cache_control would on a new response.
    answer["Vary"] = "Accept-Encoding, Cookie"
    if private:  # a reader's page, or one with this browser's messages
        answer["Cache-Control"] = "private"
    return answer


def _version(slug: str) -> str:
    _, content_key, _ = selectors.note_page_version(slug)
    return page_cache.page_key(content_key)


def _pending_messages(request) -> list:
    # Messages always start in their cookie (the session holds only what overflows it), so
    # without the cookie there is nothing to read.
    if CookieStorage.cookie_name not in request.COOKIES:
        return []
    return list(get_messages(request))


def _laid_out(shared: SharedBody, parts: dict, notice: Piece, token: Piece | None) -> list[Piece | None]:
    """The shared body's pieces with the parts in their places; where forms carry the CSRF
    token, `token` (None: a hole for it)."""
    pieces = []
    for piece, slot in zip(shared.pieces, shared.slots, strict=False):
        pieces.append(piece)
        if slot == MESSAGES:
            pieces.append(notice)
        else:
            pieces.extend(token if part is None else part for part in parts.get(slot, ()))
    pieces.append(shared.pieces[-1])
    return pieces


# -- the shared body ------------------------------------------------------------------------


def _shared(slug: str, key: str) -> tuple[SharedBody, Note | None]:
    """The shared body, and the note if it had to be loaded to render it."""
    shared = page_cache.cached_shared(key)
    if shared is not None:
        return shared, None
    shared, _, note = _make(slug, key)
    return shared, note


def _make(slug: str, key: str) -> tuple[SharedBody, bytes, Note]:
    """Render the page once, without a request; store the shared body and the anonymous page
    (and return the note, loaded for it)."""
    context = page_context(slug)
    marker = f"<!--slot {secrets.token_hex(8)} "
    revision = context["revision"]
    context["slot_marker"] = marker
    context["body_html"] = _marked_derivations(revision.html, [d.key for d in revision.derivations.all()], marker)
    cut = re.split(re.escape(marker) + "(.*?)-->", render_to_string(TEMPLATE, context))
    texts, slots = cut[0::2], cut[1::2]
    anonymous = _anonymous_texts()
    whole = "".join(text + anonymous.get(slot, "") for text, slot in zip(texts, [*slots, ""], strict=True))
    body = gzip.compress(whole.encode(), compresslevel=LEVEL, mtime=0)
    shared = SharedBody(tuple(compressed(text.encode()) for text in texts), tuple(slots))
    page_cache.store(slug, key, body, shared)
    return shared, body, context["note"]


def _marked_derivations(html: str, keys: list[str], marker: str) -> str:
    """The stored HTML with a place marked after each derivation's heading."""
    places = []
    for key in keys:
        start = html.find(f'data-derivation="{key}">')
        end = html.find("</header>", start) if start >= 0 else -1
        if end >= 0:
            places.append((end + len("</header>"), key))
    out, at = [], 0
    for end, key in sorted(places):
        out += [html[at:end], f"{marker}derivation:{key}-->"]
        at = end
    out.append(html[at:])
    return "".join(out)


def _anonymous_texts() -> dict[str, str]:
    nobody = AnonymousUser()
    return {"nav": render_to_string("_nav_account.html", {"user": nobody, "perms": PermWrapper(nobody)})}


# -- a reader's page ------------------------------------------------------------------------


def _reader_page(request, slug: str) -> Template:
    """The reader's page with a hole wherever the CSRF token goes: from the cache, or made
    from the shared body and their parts, rendered afresh."""
    user, layer = request.user, reader_layer()
    # One query: the note's version and the reader's stamp
    _, content_key, columns = selectors.note_page_version(
        slug, reader_columns=layer.note_page_stamp_columns, reader_id=user.pk
    )
    key = page_cache.page_key(content_key)
    page_key = page_cache.reader_key(key, user.pk, layer.note_page_stamp(request, columns=columns))
    page = page_cache.cached_page(page_key, user.pk)
    if page is None:
        shared, note = _shared(slug, key)
        parts = _reader_parts(request, note or selectors.note_for_reader(slug))
        page = gzip_template(_laid_out(shared, parts, EMPTY, None), CSRF_TOKEN_LENGTH)
        page_cache.store_page(page_key, user.pk, page)
    return page


def _reader_parts(request, note: Note) -> dict[str, tuple[Piece | None, ...]]:
    """The reader's HTML for each place, compressed in pieces around the CSRF token (None)."""
    user = request.user
    token = f"csrf{secrets.token_hex(16)}"  # stands for each request's token; cut out below
    texts = {
        "nav": render_to_string("_nav_account.html", {"user": user, "perms": PermWrapper(user), "csrf_token": token}),
        **reader_layer().note_page_parts(request, note=note, revision=note.live_revision, csrf_token=token),
    }
    if user.has_perm("notes.change_note"):
        texts["edit"] = format_html(' · <a href="{}">Edit</a>', reverse("editor:edit", args=[note.slug]))
    return _cut_all(texts, token)


def _cut_all(texts: dict[str, str], token: str) -> dict[str, tuple[Piece | None, ...]]:
    """Each text compressed, in pieces around `token` (None where it stood)."""
    parts = {}
    for slot, text in texts.items():
        chunks = text.split(token) if token else [text]
        pieces: list[Piece | None] = [compressed(chunks[0].encode())]
        for chunk in chunks[1:]:
            pieces += [None, compressed(chunk.encode())]
        parts[slot] = tuple(pieces)
    return parts
