"""The note page from its cached copies: the anonymous page, the shared body, the places in it."""

import gzip
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse

from accounts.annotations.services import annotation_create
from accounts.study.services import progress_mark
from notes import page_assembly, page_cache, selectors
from notes.link_header import stylesheet_preloads
from notes.recent import Recent
from notes.stitching import inflate_join
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
## First section

The logits $z$ go through a softmax.

::: derivation {#d} A derivation
1. Step $a$.

Done.
:::

::: derivation {#e} Another
1. Step $b$.

So $b$.
:::
"""


@pytest.fixture
def page(publish):
    publish("n", note_source("Note N", body=BODY))
    return reverse("notes:note", args=["n"])


@pytest.fixture
def renders(monkeypatch):
    """How many times the page was rendered (the cache missed)."""
    made = []
    monkeypatch.setattr(page_assembly, "_make", lambda *a, make=page_assembly._make: made.append(1) or make(*a))
    return made


def shared_entries(slug: str) -> tuple[bytes, bytes]:
    """The anonymous page and the shared body, as cached."""
    _, content_key, _ = selectors.note_page_version(slug)
    key = page_cache.page_key(content_key)
    return gzip.decompress(page_cache.cached(key)), inflate_join(page_cache.cached_shared(key).pieces)


def test_the_anonymous_page_is_the_cached_bytes_as_they_are(client, page, renders, django_assert_num_queries):
    first = client.get(page, HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_num_queries(1):  # the content version
        second = client.get(page, HTTP_ACCEPT_ENCODING="gzip")
    assert renders == [1]
    _, content_key, _ = selectors.note_page_version("n")
    assert first.content == second.content == page_cache.cached(page_cache.page_key(content_key))
    assert second["Content-Encoding"] == "gzip" and "private" not in second.get("Cache-Control", "")
    html = gzip.decompress(second.content).decode()
    assert "Log in" in html and "slot" not in html  # every place filled (with nothing, mostly)


@pytest.mark.parametrize("cookie", ["", "no-such-session-key-0123456789", "x"])
def test_a_session_cookie_that_names_no_one_stays_on_the_cached_path(
    client, page, renders, cookie, django_assert_max_num_queries
):
    anonymous = client.get(page).content
    client.cookies["sessionid"] = cookie
    with django_assert_max_num_queries(2):  # the session (none for a key that cannot be one), the version
        response = client.get(page)
    assert renders == [1] and response.content == anonymous


def test_a_session_of_a_reader_since_deleted_or_logged_out_is_anonymous(client, reader, page, renders):
    client.force_login(reader)
    assert b"bob" in client.get(page).content
    client.post(reverse("accounts:logout"))
    assert b"bob" not in client.get(page).content
    client.force_login(reader)
    key = client.cookies["sessionid"].value
    reader.delete()
    client.cookies["sessionid"] = key
    assert b"Log in" in client.get(page).content and renders == [1]


def test_the_shared_copies_hold_nothing_of_the_reader_who_caused_them(client, reader, page):
    annotation_create(owner=reader, slug="n", revision_number=1, quote="The logits", body="A secret thought.")
    progress_mark(owner=reader, slug="n", key="d", state="worked_through")
    client.force_login(reader)
    mine = client.get(page).content.decode()  # the first view of the note: rendered for bob
    assert "A secret thought." in mine and "bob" in mine and "csrfmiddlewaretoken" in mine
    for copy in shared_entries("n"):
        for private in (b"A secret thought.", b"bob", b"csrfmiddlewaretoken", b"progress-form", b"Log out"):
            assert private not in copy
    client.logout()
    assert "A secret thought." not in client.get(page).content.decode()


def test_messages_are_spliced_into_the_shared_body_for_an_anonymous_visitor(client, page, renders):
    client.get(page)
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Signed out <safely>.")
    response = page_assembly.HttpResponse()
    storage.update(response)
    client.cookies[CookieStorage.cookie_name] = response.cookies[CookieStorage.cookie_name].value
    shown = client.get(page, HTTP_ACCEPT_ENCODING="gzip")
    html = gzip.decompress(shown.content).decode()
    assert '<li class="message-success">Signed out &lt;safely&gt;.</li>' in html and "Log in" in html
    assert "private" in shown["Cache-Control"] and renders == [1]
    assert b"Signed out" not in client.get(page).content  # shown once: the cookie is spent


def test_a_reader_page_is_compressed_private_and_inflated_for_clients_without_gzip(client, reader, page):
    client.force_login(reader)
    packed = client.get(page, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    plain = client.get(page)
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert "private" in packed["Cache-Control"] and {"Cookie", "Accept-Encoding"} <= {
        v.strip() for v in packed["Vary"].split(",")
    }
    token = plain.content.split(b'name="csrfmiddlewaretoken" value="')[1][:64]
    assert token in plain.content and token not in gzip.decompress(packed.content)  # a token per response
    sent = gzip.decompress(packed.content).split(b'name="csrfmiddlewaretoken" value="')[1][:64]
    assert sent in packed.content  # in the compressed bytes as it is: never through a compressor (BREACH)
    assert b'class="nav-user">bob' in gzip.decompress(packed.content)


def test_the_stylesheets_the_head_links_are_named_in_the_link_header(client, reader, page):
    # The browser asks for them as the response arrives, before it has read the body
    # (notes.link_header): each one the head links, in its order, and nothing else.
    def linked(html: bytes) -> list[str]:
        head = html.partition(b"</head>")[0].decode()
        return re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)

    def named(response) -> list[str]:
        return re.findall(r"<([^>]+)>; rel=preload; as=style", response["Link"])

    anonymous = client.get(page, HTTP_ACCEPT_ENCODING="gzip")
    sheets = linked(gzip.decompress(anonymous.content))
    assert len(sheets) >= 3 and any("katex" in sheet for sheet in sheets)
    assert named(anonymous) == sheets
    assert anonymous["Link"].count(",") == len(sheets) - 1  # nothing else in the header
    assert named(client.get(page)) == sheets  # inflated for a client without gzip: the same
    client.force_login(reader)
    assert named(client.get(page, HTTP_ACCEPT_ENCODING="gzip")) == sheets  # a reader's own page


def test_a_page_that_links_no_stylesheet_gets_no_preloads():
    assert stylesheet_preloads(gzip.compress(b"<!doctype html><head><title>t</title></head><body>x</body>")) == ""


def test_every_key_changes_with_the_build(client, reader, page, renders, monkeypatch):
    stored = []
    monkeypatch.setattr(page_cache, "store_page", lambda *a, store=page_cache.store_page: stored.append(1) or store(*a))
    client.force_login(reader)
    client.get(page)
    client.get(page)
    assert renders == [1] and stored == [1]
    monkeypatch.setattr(page_cache, "BUILD", "another-build")  # a deploy: templates, styles or code changed
    client.get(page)
    assert renders == [1, 1] and stored == [1, 1]


def test_a_readers_page_is_kept_in_the_process_and_served_without_the_shared_cache(
    client, reader, page, renders, monkeypatch
):
    from django.core.cache import cache

    client.force_login(reader)
    first = client.get(page).content
    cache.clear()  # the shared cache lost it (evicted, or Redis restarted): the process's copy serves
    stored = []
    monkeypatch.setattr(page_cache, "store_page", lambda *a, store=page_cache.store_page: stored.append(1) or store(*a))
    again = client.get(page).content
    assert renders == [1] and stored == []
    assert again.count(b"csrfmiddlewaretoken") == first.count(b"csrfmiddlewaretoken") > 0
    progress_mark(owner=reader, slug="n", key="d", state="worked_through")  # a new stamp, a new key
    assert b'data-state="worked_through"' in client.get(page).content and stored == [1]


def test_the_process_keeps_the_pages_it_served_last():
    recent = Recent(size=2)
    pages = {key: page_cache.ReaderPage(1, key) for key in "abc"}
    recent.put("a", pages["a"])
    recent.put("b", pages["b"])
    assert recent.get("a") is pages["a"]  # now the newest
    recent.put("c", pages["c"])
    assert recent.get("b") is None and recent.get("a") is pages["a"] and recent.get("c") is pages["c"]
