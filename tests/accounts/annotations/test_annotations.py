"""Making, reading and changing annotations: validation, untrusted bodies, privacy, the page."""

import json
import uuid

import pytest
from django.urls import reverse

from accounts.annotations.errors import AnnotationError
from accounts.annotations.services import AnnotationConflict, annotation_create, annotation_update
from accounts.models import Annotation
from notes.graph.selectors import live_graph
from notes.models import Note
from notes.services import revision_create
from tests.accounts.helpers import at_once
from tests.conftest import BOMB_MACROS, note_source

pytestmark = pytest.mark.django_db

BODY = r"""
## Setting

The logits $\bz$ go through a softmax. The softmax is smooth. The softmax is smooth.

$$
p_k = \frac{e^{z_k}}{\sum_l e^{z_l}} \label{eq:p}
$$

::: derivation {#d} Normalisation
1. Sum over $k$: $\sum_k p_k = 1$.
2. Every $p_k > 0$.

So $p$ is a distribution.
:::
"""


@pytest.fixture
def note(publish):
    publish("n", note_source("Note N", body=BODY))
    return Note.objects.get(slug="n")


def create(user, **fields):
    defaults = {"slug": "n", "revision_number": 1}
    return annotation_create(owner=user, **{**defaults, **fields})


def post(client, **fields):
    data = {"note": "n", "revision": 1, "kind": "text", **fields}
    return client.post(reverse("accounts:annotation_new"), data, HTTP_ACCEPT="application/json")


def test_a_passage_is_found_in_the_plain_text_with_its_context(reader, note):
    a = create(reader, quote="The logits $\\bz$ go", body="Why $\\bz$?")
    text = note.live_revision.plain_text
    assert text[a.start : a.end] == "The logits $\\bz$ go"
    assert text.endswith(a.suffix, 0, a.end + len(a.suffix)) and a.prefix.endswith("Setting\n\n")
    assert a.made_on_id == a.revision_id == note.live_revision_id
    assert a.state == "anchored" and a.anchored_by == "made"
    assert 'class="katex"' in a.body_html


def test_whitespace_from_the_page_does_not_matter(reader, note):
    a = create(reader, quote="The   logits\n$\\bz$ go")
    assert note.live_revision.plain_text[a.start : a.end] == "The logits $\\bz$ go"


def test_a_repeated_quote_is_told_apart_by_its_context(reader, note):
    first = create(reader, quote="The softmax is smooth.", suffix=" The softmax is smooth.")
    second = create(reader, quote="The softmax is smooth.", prefix="a softmax. The softmax is smooth. ")
    assert second.start > first.start


def test_whole_equation_derivation_and_step(reader, note):
    eq = create(reader, kind="equation", block_id="eq:p")
    assert eq.quote.startswith("p_k = \\frac") and eq.block_id == "eq:p"
    d = create(reader, kind="derivation", block_id="d")
    assert d.quote == "Normalisation"
    step = create(reader, kind="step", block_id="d-step-2")
    assert step.quote == "2. Every $p_k > 0$."


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"revision_number": 2}, "the note changed while you were reading"),
        ({"quote": "   "}, "select some text"),
        ({"quote": "not in the note at all"}, "was not found in the note"),
        ({"kind": "image"}, "unknown kind"),
        ({"quote": "x" * 2001}, "the limit is 2,000"),
        ({"quote": "The logits", "body": "$\\href{https://x.test}{y}$"}, "\\href is not allowed"),
        ({"quote": "The logits", "body": "$\\htmlData{a=b}{x}$"}, "\\htmlData is not allowed"),
        ({"quote": "The logits", "body": "$\\frac{1}{$"}, "math: "),
        ({"quote": "The logits", "body": "a" * 10_001}, "the limit is 10,000"),
        ({"quote": "The logits", "body": "> " * 40 + "deep"}, "nest"),
    ],
)
def test_refusals_say_what_to_fix_and_write_nothing(reader, note, fields, message):
    with pytest.raises(AnnotationError, match=message.replace("\\", "\\\\").replace("(", "\\(")):
        create(reader, **{"quote": "The logits", **fields})
    assert not Annotation.objects.exists()


def test_raw_html_and_script_links_are_neutralised(reader, note):
    a = create(
        reader,
        quote="The logits",
        body="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    assert "<script" not in a.body_html and "<img" not in a.body_html
    assert 'href="javascript' not in a.body_html
    assert "&lt;script&gt;" in a.body_html


@pytest.mark.parametrize(
    "kind, block", [("equation", "eq:nope"), ("derivation", "nope"), ("step", "d-step-9"), ("step", "x-step-1")]
)
def test_unknown_blocks_are_404(reader, note, kind, block):
    from django.http import Http404

    with pytest.raises(Http404):
        create(reader, kind=kind, block_id=block)


def test_drafts_and_missing_notes_are_404(client, reader, editor, note):
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft", body=BODY), author=editor)
    client.force_login(reader)
    assert post(client, note="draft", quote="The logits").status_code == 404
    assert post(client, note="missing", quote="The logits").status_code == 404


# -- the endpoints ----------------------------------------------------------------------------


def test_json_create_then_edit_and_delete(client, reader, note):
    client.force_login(reader)
    response = post(client, quote="The logits", prefix="Setting\n\n", suffix=" $\\bz$", near="0.1", body="*Hi*")
    assert response.status_code == 201
    data = response.json()
    assert data["quote"] == "The logits" and data["body_html"] == "<p><em>Hi</em></p>\n"
    a = Annotation.objects.get(pk=data["id"])
    edit = client.post(a_url("edit", a), {"body": "New $x$", "version": 1}, HTTP_ACCEPT="application/json")
    assert edit.status_code == 200 and "katex" in edit.json()["body_html"]
    bad = client.post(a_url("edit", a), {"body": "$\\href{x}{y}$", "version": 2}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "\\href is not allowed" in bad.json()["errors"][0]
    a.refresh_from_db()
    assert a.body == "New $x$"  # the refused edit changed nothing
    confirm = client.get(a_url("delete", a))
    assert b"Delete this annotation?" in confirm.content and Annotation.objects.filter(pk=a.pk).exists()
    assert client.post(a_url("delete", a)).status_code == 302
    assert not Annotation.objects.filter(pk=a.pk).exists()


def test_form_errors_are_shown_with_what_was_typed(client, reader, note):
    client.force_login(reader)
    response = client.post(
        reverse("accounts:annotation_new"),
        {"note": "n", "revision": 1, "kind": "equation", "block": "eq:p", "body": "$\\frac{$ kept text"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Not saved:" in html and "kept text" in html
    assert not Annotation.objects.exists()
    ok = client.post(
        reverse("accounts:annotation_new"), {"note": "n", "revision": 1, "kind": "equation", "block": "eq:p"}
    )
    a = Annotation.objects.get()
    assert ok["Location"] == f"/notes/n/#annotation-{a.pk}"


def a_url(action, a):
    return reverse(f"accounts:annotation_{action}", args=[a.pk])


def test_only_the_owner_reaches_an_annotation(client, reader, stranger, editor, note):
    a = create(reader, quote="The logits", body="mine")
    for user in (stranger, editor):
        client.force_login(user)
        assert client.get(a_url("edit", a)).status_code == 404
        assert client.post(a_url("edit", a), {"body": "theirs", "version": 1}).status_code == 404
        assert client.post(a_url("delete", a)).status_code == 404
        assert client.post(a_url("reattach", a), {"quote": "The logits"}).status_code == 404
        revision = reverse("notes:revision", args=["n", 1]) + f"?annotation={a.pk}"
        assert client.get(revision).status_code == 404
        assert "mine" not in client.get(reverse("notes:note", args=["n"])).content.decode()
    client.logout()
    assert client.get(a_url("edit", a))["Location"].startswith("/accounts/login/")
    a.refresh_from_db()
    assert a.body == "mine"


def test_malformed_and_unknown_ids_are_404(client, reader, note):
    client.force_login(reader)
    assert client.get(f"/accounts/annotations/{uuid.uuid4()}/edit/").status_code == 404
    assert client.get(reverse("notes:revision", args=["n", 1]) + "?annotation=not-a-uuid").status_code == 404


def test_reattach_moves_an_annotation_to_a_new_passage(client, reader, note):
    a = create(reader, quote="The logits")
    Annotation.objects.filter(pk=a.pk).update(state="orphaned", anchored_by="orphan")
    client.force_login(reader)
    response = client.post(a_url("reattach", a), {"quote": "Every $p_k > 0$."}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    a.refresh_from_db()
    assert (a.state, a.anchored_by, a.quote) == ("anchored", "reattached", "Every $p_k > 0$.")
    missing = client.post(a_url("reattach", a), {"quote": "nowhere to be found"}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400


# -- the note page ----------------------------------------------------------------------------


def test_note_page_lists_annotations_in_document_order_with_data_for_the_script(client, reader, note):
    later = create(reader, quote="Every $p_k > 0$.", body="second")
    earlier = create(reader, quote="The logits", body="first")
    client.force_login(reader)
    html = client.get(reverse("notes:note", args=["n"])).content.decode()
    panel = html[html.index('id="annotation-panel"') :]
    assert panel.index(f"annotation-{earlier.pk}") < panel.index(f"annotation-{later.pk}")
    data = json.loads(html.split('<script id="annotation-data" type="application/json">')[1].split("</script>")[0])
    assert [item["id"] for item in data["items"]] == [str(earlier.pk), str(later.pk)]
    assert data["revision"] == 1 and data["create_url"] == reverse("accounts:annotation_new")


def test_orphans_link_to_the_revision_where_the_passage_is_shown(client, reader, note):
    a = create(reader, quote="The logits", body="lost")
    Annotation.objects.filter(pk=a.pk).update(state="orphaned", anchored_by="orphan")
    client.force_login(reader)
    html = client.get(reverse("notes:note", args=["n"])).content.decode()
    link = reverse("notes:revision", args=["n", 1]) + f"?annotation={a.pk}"
    assert "orphaned" in html and link in html
    page = client.get(link).content.decode()
    assert "Your annotation" in page and "lost" in page and 'id="annotation-single"' in page


def test_note_page_query_count_is_constant_as_annotations_grow(client, reader, note, django_assert_num_queries):
    live_graph()  # drawn once per publish, not per page: warm it so each page pays the same
    client.force_login(reader)
    client.get(reverse("notes:note", args=["n"]))  # the shared body, cached
    create(reader, quote="The logits")
    # session, user, the version with the reader's stamp; their parts made again: note, topics,
    # derivations, their two permission sets, their marks and annotations
    with django_assert_num_queries(10) as first:
        client.get(reverse("notes:note", args=["n"]))
    for i in range(200):
        create(reader, quote="The softmax is smooth." if i % 2 else "Every $p_k > 0$.", body=f"note {i}")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("notes:note", args=["n"]))
    assert response.content.decode().count('class="annotation-entry') == 201
    with django_assert_num_queries(3):  # all from the cache: session, user, version with stamp
        client.get(reverse("notes:note", args=["n"]))


def test_a_spread_bomb_gets_a_json_400_that_says_what_to_fix_and_writes_nothing(client, reader, note):
    client.force_login(reader)
    expected = {
        1600: "the text has 1,601 formulas; the limit is 50",
        40: r"math: formula expands to more than 5,000 tokens through its macros; simplify them in $\zd$",
    }
    for count, message in expected.items():
        response = post(client, quote="The logits", body=(BOMB_MACROS + " " + " ".join([r"$\zd$"] * count))[:10_000])
        assert response.status_code == 400 and response["Content-Type"] == "application/json"
        assert response.json()["errors"][0] == message
    assert not Annotation.objects.exists()


# -- edits from several tabs ---------------------------------------------------------------------


def test_an_edit_made_on_an_older_version_gets_409_with_both_bodies(client, reader, note):
    a = create(reader, quote="The logits", body="First.")
    client.force_login(reader)
    assert client.post(a_url("edit", a), {"body": "From tab one.", "version": 1}).status_code == 302
    stale = client.post(a_url("edit", a), {"body": "From tab two.", "version": 1}, HTTP_ACCEPT="application/json")
    assert stale.status_code == 409
    data = stale.json()
    assert data["current"]["body"] == "From tab one." and data["current"]["version"] == 2
    assert data["yours"] == "From tab two." and "changed in another tab" in data["errors"][0]
    page = client.post(a_url("edit", a), {"body": "From tab two.", "version": 1})
    assert page.status_code == 409
    html = page.content.decode()
    assert "From tab one." in html and "From tab two." in html and 'name="version" value="2"' in html
    # saving again from that page, at the version it now carries, is a deliberate overwrite
    assert client.post(a_url("edit", a), {"body": "From tab two.", "version": 2}).status_code == 302
    assert Annotation.objects.get(pk=a.pk).body == "From tab two."


def test_an_edit_without_a_version_is_refused(client, reader, note):
    a = create(reader, quote="The logits", body="First.")
    client.force_login(reader)
    response = client.post(a_url("edit", a), {"body": "No version."}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "which version" in response.json()["errors"][0]
    assert Annotation.objects.get(pk=a.pk).body == "First."


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_edits_save_one_and_tell_the_others(reader, publish, areas):
    publish("n", note_source("Note N", body=BODY))
    a = create(reader, quote="The logits", body="First.")
    bodies = iter(f"Edit {i}." for i in range(8))
    outcomes = at_once(lambda: annotation_update(annotation=a, body=next(bodies), version=1), times=8)
    saved = [o for o in outcomes if isinstance(o, Annotation)]
    refused = [o for o in outcomes if isinstance(o, AnnotationConflict)]
    assert len(saved) == 1 and len(refused) == 7, outcomes
    stored = Annotation.objects.get(pk=a.pk)
    assert stored.version == 2 and stored.body == saved[0].body
    # every refused edit was handed back, with the saved one beside it: nothing is lost
    assert {c.current.body for c in refused} == {stored.body}
    assert len({c.yours for c in refused} | {stored.body}) == 8
