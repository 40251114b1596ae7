"""A reader's parts of the cached note page: only ever theirs, and new after every change."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.annotations.quote_display import annotation_quotes_render
from accounts.annotations.services import (
    annotation_create,
    annotation_delete,
    annotation_reattach,
    annotation_update,
)
from accounts.models import Annotation
from accounts.study.services import progress_mark
from notes import page_assembly, page_cache
from notes.editorial.services import editors_group_ensure
from notes.graph.selectors import live_graph
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
## Setting

The logits $z$ go through a softmax. The softmax is smooth.

$$
p_k = \frac{e^{z_k}}{\sum_l e^{z_l}} \label{eq:p}
$$

::: derivation {#d} Normalisation
1. Sum over $k$: $\sum_k p_k = 1$.

So $p$ is a distribution.
:::

::: derivation {#e} Positivity
1. Every $p_k > 0$.

So no class is impossible.
:::
"""
URL = reverse("notes:note", args=["n"])


@pytest.fixture
def note(publish):
    return publish("n", note_source("Note N", body=BODY))


def page(client) -> str:
    return client.get(URL).content.decode()


def panel(html: str) -> str:
    return html[html.index('id="annotation-panel"') :]


def test_two_readers_one_cache_each_sees_only_their_own(reader, stranger, note):
    annotation_create(owner=reader, slug="n", revision_number=1, quote="The logits", body="Bob's own thought.")
    annotation_create(owner=stranger, slug="n", revision_number=1, quote="is smooth", body="Charlie's own thought.")
    progress_mark(owner=reader, slug="n", key="d", state="worked_through")
    progress_mark(owner=stranger, slug="n", key="e", state="working")
    bob, charlie = Client(), Client()
    bob.force_login(reader)
    charlie.force_login(stranger)
    for _ in range(2):  # made, then from the cache, interleaved
        mine, theirs = page(bob), page(charlie)
        assert "Bob's own thought." in mine and "Charlie's own thought." not in mine
        assert "Charlie's own thought." in theirs and "Bob's own thought." not in theirs
        assert 'class="nav-user">bob<' in mine and "charlie" not in mine
        assert 'class="nav-user">charlie<' in theirs and "bob" not in theirs
        assert "<strong>1 of 2</strong>" in mine and "<strong>0 of 2</strong>" in theirs
    assert 'data-state="worked_through"' in mine and 'data-state="working"' in theirs


def test_a_readers_cached_parts_are_refused_to_anyone_else(reader, stranger, note, monkeypatch):
    annotation_create(owner=reader, slug="n", revision_number=1, quote="The logits", body="Bob's own thought.")
    # Keys made wrong, the same for everyone: the entry still names its owner.
    monkeypatch.setattr(page_cache, "reader_key", lambda key, owner_id, stamp: f"{key}:one-key-for-all")
    bob, charlie = Client(), Client()
    bob.force_login(reader)
    charlie.force_login(stranger)
    assert "Bob's own thought." in page(bob)
    theirs = page(charlie)
    assert "Bob's own thought." not in theirs and 'class="nav-user">charlie<' in theirs


def test_the_page_is_made_again_after_each_change_of_the_readers_data(client, reader, note, publish):
    client.force_login(reader)
    annotation = annotation_create(owner=reader, slug="n", revision_number=1, quote="The logits", body="First.")
    assert "First." in page(client)
    annotation = annotation_update(annotation=annotation, body="Second.", version=annotation.version)
    assert "Second." in page(client) and "First." not in page(client)
    other = annotation_create(owner=reader, slug="n", revision_number=1, quote="is smooth", body="Other.")
    assert "Other." in page(client)
    annotation_delete(annotation=other)
    assert "Other." not in page(client)
    progress_mark(owner=reader, slug="n", key="d", state="working")
    assert re.search(r'data-state="working"', page(client))
    progress_mark(owner=reader, slug="n", key="d", state="worked_through")
    assert "<strong>1 of 2</strong>" in page(client)
    progress_mark(owner=reader, slug="n", key="d", state="none")
    assert "<strong>0 of 2</strong>" in page(client)
    # A publish that drops the passage orphans the annotation; re-attaching brings it back.
    publish("n", note_source("Note N", body=BODY.replace("The logits $z$ go", "Scores go")))
    assert "orphan-flag" in panel(page(client))
    annotation_reattach(annotation=Annotation.objects.get(pk=annotation.pk), quote="is smooth")
    assert "orphan-flag" not in panel(page(client))


def test_a_quote_typeset_again_reaches_the_page(client, reader, note):
    annotation = annotation_create(owner=reader, slug="n", revision_number=1, quote="The logits $z$ go")
    client.force_login(reader)
    Annotation.objects.filter(pk=annotation.pk).update(quote_html="<em>as typeset by an older KaTeX</em>")
    assert "as typeset by an older KaTeX" in page(client)  # what the page was made from
    annotation_quotes_render(revision_ids=[annotation.revision_id], every=True)  # a re-render's quotes
    html = panel(page(client))
    assert "as typeset by an older KaTeX" not in html and 'class="katex"' in html


def test_permissions_and_name_changes_reach_the_header(client, reader, note):
    client.force_login(reader)
    html = page(client)
    assert ">Editors<" not in html and ">Edit<" not in html
    reader.groups.add(editors_group_ensure())
    html = page(client)
    assert ">Editors<" in html and ">Edit<" in html
    reader.groups.clear()
    reader.user_permissions.add(Permission.objects.get(codename="view_note"))
    html = page(client)
    assert ">Editors<" in html and ">Edit<" not in html
    reader.username = "robert"
    reader.save()
    assert 'class="nav-user">robert<' in page(client)


def test_progress_controls_are_forms_after_each_heading_with_a_working_token(reader, note):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    client.get(URL)  # the CSRF cookie, as a browser gets it on its first page
    html = page(client)
    for key in ("d", "e"):
        head = html.index(f'data-derivation="{key}"')
        after = html.index("</header>", head) + len("</header>")
        assert (
            html[after:]
            .lstrip()
            .startswith(f'<form class="progress-form" method="post" action="/accounts/progress/n/{key}/"')
        )
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) == 3 and len(set(tokens)) == 1  # Log out and the two controls
    assert tokens[0] not in page(client)  # masked afresh for each response
    done = client.post(
        reverse("accounts:progress", args=["n", "d"]), {"state": "worked_through", "csrfmiddlewaretoken": tokens[0]}
    )
    assert done.status_code == 302
    assert client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": tokens[0]}).status_code == 302
    assert client.post(reverse("accounts:progress", args=["n", "e"]), {"state": "working"}).status_code == 403


def test_query_counts_are_pinned_on_every_path_and_do_not_grow(
    client, reader, note, publish, django_assert_num_queries
):
    live_graph()  # drawn once per publish, not per page: warm it so each page pays the same
    client.force_login(reader)
    # nothing cached: session, user, the version with their stamp; the page (note, topics,
    # derivations, links in, graph version); the reader's parts (their two permission sets,
    # marks, annotations)
    with django_assert_num_queries(12):
        client.get(URL)
    with django_assert_num_queries(3):  # from the cache: session, user, the version with their stamp
        client.get(URL)
    for i in range(100):
        annotation_create(
            owner=reader, slug="n", revision_number=1, quote="is smooth" if i % 2 else "The logits", body=f"n{i}"
        )
    progress_mark(owner=reader, slug="n", key="d", state="worked_through")
    progress_mark(owner=reader, slug="n", key="e", state="working")
    # their data changed: the shared body from the cache, their parts made again
    with django_assert_num_queries(3 + 3 + 4):
        html = page(client)
    assert html.count('class="annotation-entry') == 100
    with django_assert_num_queries(3):
        client.get(URL)


def test_a_reader_layer_that_is_not_there_leaves_a_plain_signed_in_page(client, reader, note, monkeypatch):
    from notes import hooks

    monkeypatch.setattr(page_assembly, "reader_layer", lambda: hooks._NoReaders())  # noqa: SLF001
    client.force_login(reader)
    html = page(client)
    assert 'class="nav-user">bob<' in html and "progress-form" not in html and "annotation-panel" not in html


def test_after_a_form_sent_without_javascript_the_page_shows_the_message_once(reader, note):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(client)).group(1)
    answer = client.post(
        reverse("accounts:progress", args=["n", "d"]), {"state": "working", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302 and answer["Location"] == "/notes/n/#d"
    html = page(client)  # where the browser is sent back
    assert "“Normalisation”: working on it." in html and 'data-state="working"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    done = {"state": "worked_through", "csrfmiddlewaretoken": token}
    assert client.post(reverse("accounts:progress", args=["n", "e"]), done).status_code == 302
    page(client)  # the second message, shown
    again = page(client)
    assert "worked through." not in again and "<strong>1 of 2</strong>" in again
