"""Reader pages: content, status codes, and query counts that do not grow with data."""

import re

import pytest
from django.urls import reverse

from notes.graph.selectors import live_graph
from notes.models import Note
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
## First section

Text with $x^2$ and a [[base]] link.

::: derivation {#d} A derivation
1. Step $a$.

Done.
:::
"""


@pytest.fixture
def base(publish):
    return publish("base", note_source("Base note", body="## Intro\n\nBase $y$."))


def test_home_lists_areas_and_notes_in_reading_order(client, publish, base):
    publish("second", note_source("Aardvark second", prerequisites=["base"]))
    response = client.get(reverse("notes:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Foundations" in html and "Generative Modeling" in html
    # "Aardvark second" sorts first by title but builds on "Base note", so comes after it
    assert html.index("Base note") < html.index("Aardvark second")


def test_topic_page_in_reading_order(client, publish, base):
    publish("second", note_source("Aardvark second", prerequisites=["base"]))
    html = client.get(reverse("notes:topic", args=["foundations"])).content.decode()
    assert html.index("Base note") < html.index("Aardvark second")
    assert client.get(reverse("notes:topic", args=["nope"])).status_code == 404


def test_note_page_shows_everything_a_reader_needs(client, publish, base):
    publish("full", note_source("Full note", body=BODY, prerequisites=["base"]))
    response = client.get(reverse("notes:note", args=["full"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Full note</h1>" in html
    assert "Summary of Full note" in html
    assert "Revision 1" in html
    assert 'href="#first-section"' in html  # table of contents
    assert 'href="/notes/base/">Base note</a>' in html  # prerequisites
    assert '<section class="derivation" id="d"' in html
    assert "katex.min.css" in html
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="module" src="/static/js/search.js">',
        '<script type="module" src="/static/js/displays.js">',
        '<script type="module" src="/static/js/menu.js">',
        '<script type="module" src="/static/js/note-links.js">',
        '<script type="module" src="/static/js/contents.js">',
    ]


def test_drafts_and_missing_notes_are_404(client, areas):
    Note.objects.create(slug="draft-only")
    assert client.get(reverse("notes:note", args=["draft-only"])).status_code == 404
    response = client.get("/notes/missing/")
    assert response.status_code == 404
    assert b"There is no page at this address" in response.content


def test_about_and_guide(client, db):
    assert b"Why this site exists" in client.get(reverse("notes:about")).content
    guide = client.get(reverse("notes:guide"))
    assert guide.status_code == 200
    assert b"katex" in guide.content and b"derivation" in guide.content


def test_pages_send_a_csp_without_inline_scripts(client, base):
    response = client.get(reverse("notes:note", args=["base"]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp


def _add_notes(publish, count, start=0):
    for i in range(start, start + count):
        publish(f"extra-{i}", note_source(f"Extra {i}", body=BODY, prerequisites=["base"]))


@pytest.mark.parametrize("url", [reverse("notes:home"), reverse("notes:topic", args=["foundations"])])
def test_list_pages_query_count_is_constant(client, publish, base, django_assert_num_queries, url):
    _add_notes(publish, 2)
    with django_assert_num_queries(5 if url == "/" else 4) as first:
        client.get(url)
    _add_notes(publish, 5, start=2)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_note_page_query_count_is_constant(client, reader, publish, base, django_assert_num_queries):
    publish("few", note_source("Few", body=BODY, prerequisites=["base"]))
    _add_notes(publish, 3)
    long_body = "\n\n".join(BODY.replace("{#d}", f"{{#d{i}}}").replace("First", f"Part {i}") for i in range(5))
    publish("many", note_source("Many", body=long_body, prerequisites=["base", "extra-0", "extra-1", "extra-2"]))
    for i in range(4):  # "many" is cited by four notes, in its sections and derivations; "few" by none
        publish(
            f"citer-{i}", note_source(f"Citer {i}", body=f"See [[many]], [[many#d{i}]] and [[many#part-{i}-section]].")
        )
    live_graph()  # drawn once per publish, not per page: warm it so each page pays the same
    for slug in ("few", "many"):
        url = reverse("notes:note", args=[slug])
        # anonymous, first visit: version key + note, topics, derivations, links in, graph version
        with django_assert_num_queries(6):
            client.get(url)
        with django_assert_num_queries(1):  # anonymous again: the version key only
            client.get(url)
    client.force_login(reader)
    for slug in ("few", "many"):
        # session, user, version key with the reader's stamp; the shared body from the cache; the
        # reader's parts: note, topics, derivations, their two permission sets, marks, annotations
        with django_assert_num_queries(10):
            client.get(reverse("notes:note", args=[slug]))
        with django_assert_num_queries(3):  # again: everything from the cache
            client.get(reverse("notes:note", args=[slug]))


def test_anonymous_page_cache_follows_every_change(client, publish, base):
    publish("user", note_source("User", body="Cites [[base]].", prerequisites=["base"]))
    url = reverse("notes:note", args=["user"])
    assert b"Summary of User" in client.get(url).content
    publish("user", note_source("User", body="Cites [[base]] twice.", prerequisites=["base"], summary="New summary"))
    assert b"New summary" in client.get(url).content
    publish("base", note_source("Renamed base", body="## Intro\n\nBase $y$."))
    assert b"Renamed base" in client.get(url).content  # the prerequisite's new title


def test_a_reader_with_a_session_never_gets_the_shared_copy(client, reader, publish, base):
    url = reverse("notes:note", args=["base"])
    client.get(url)
    client.force_login(reader)
    assert b"bob" in client.get(url).content  # the personal header, not the cached anonymous page


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "Something went wrong" in html and "<script" not in html


def test_the_shared_copy_is_sent_compressed_and_inflated_for_clients_without_gzip(client, publish):
    import gzip

    body = "\n\n".join(f"Paragraph {i} on $x_{{{i}}}^2 = \\sum_j w_{{ij}}$ and its gradient." for i in range(200))
    publish("long", note_source("Long", body=body))
    url = reverse("notes:note", args=["long"])
    plain = client.get(url)
    assert "Content-Encoding" not in plain and b"Paragraph 199" in plain.content
    for _ in range(2):  # made, then served from the cache
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 10


def test_other_pages_are_compressed_for_clients_that_accept_gzip(client, reader, publish, base):
    import gzip

    client.force_login(reader)
    response = client.get(reverse("notes:note", args=["base"]), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip" and b"bob" in gzip.decompress(response.content)


def test_a_new_build_of_the_site_does_not_serve_the_last_builds_pages(client, publish, base, monkeypatch):
    from notes import page_cache

    url = reverse("notes:note", args=["base"])
    client.get(url)
    made = []
    monkeypatch.setattr(page_cache, "store", lambda *args, store=page_cache.store: made.append(1) or store(*args))
    client.get(url)
    assert made == []  # the same build: the cached copy
    monkeypatch.setattr(page_cache, "BUILD", "another-build")
    client.get(url)
    assert made == [1]  # templates or styles changed: made afresh
