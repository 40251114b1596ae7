"""A reader's annotations across notes: the list page, W3C JSON and Markdown export, import
(all or nothing, duplicates skipped, ids never taken from another owner), privacy."""

import json
import uuid

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from markdown_it import MarkdownIt

from accounts.annotations import exchange as annotation_io
from accounts.annotations.errors import AnnotationError
from accounts.annotations.exchange import annotations_export, annotations_load, annotations_markdown
from accounts.annotations.services import annotation_create, annotations_import
from accounts.models import Annotation
from notes.models import Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

GRADIENT = r"""
Gradient descent moves the weights against the gradient of the loss.

$$
L(w) = \tfrac{1}{2} w^2 \label{eq:loss}
$$

::: derivation {#step-size} Why a small step decreases the loss
1. Expand $L(w - \eta g)$ to first order.
2. The change is $-\eta \|g\|^2 \le 0$.

So a small step helps.
:::

Momentum keeps a running average of past gradients.
"""

ENTROPY = r"""
Entropy measures the average surprise of a distribution, and a < b in our notation.
"""


@pytest.fixture
def notes(publish):
    publish("gradient-descent", note_source("Gradient descent", body=GRADIENT))
    publish("entropy", note_source("Entropy", body=ENTROPY))
    return {n.slug: n for n in Note.objects.with_live()}


def annotate(owner, slug, quote="", body="", **kwargs):
    number = Note.objects.with_live().get(slug=slug).live_revision.number
    return annotation_create(owner=owner, slug=slug, revision_number=number, quote=quote, body=body, **kwargs)


@pytest.fixture
def bobs(reader, notes):
    return [
        annotate(reader, "gradient-descent", "against the gradient", r"Sign: $-\nabla L$."),
        annotate(reader, "gradient-descent", kind="derivation", block_id="step-size", body="Worked it **twice**."),
        annotate(reader, "gradient-descent", "running average"),  # a highlight: no body
        annotate(reader, "entropy", "average surprise", "Expected $-\\log p$."),
    ]


def items_of(document):
    return document["first"]["items"]


def snapshot(owner):
    return sorted(
        Annotation.objects.filter(owner=owner).values_list("note__slug", "quote", "body", "kind", "block_id", "state")
    )


# Export ------------------------------------------------------------------------------------


def test_export_is_a_web_annotation_collection(reader, bobs):
    document = json.loads(json.dumps(annotations_export(reader, base_url="https://example.org")))
    assert document["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert document["type"] == "AnnotationCollection" and document["total"] == 4
    assert document["first"]["type"] == "AnnotationPage"
    by_quote = {item["target"]["selector"][0]["exact"]: item for item in items_of(document)}
    item = by_quote["against the gradient"]
    assert item["id"] == f"urn:uuid:{bobs[0].pk}" and item["type"] == "Annotation"
    assert item["motivation"] == "commenting" and item["created"] and item["modified"]
    assert item["body"] == {"type": "TextualBody", "value": r"Sign: $-\nabla L$.", "format": "text/markdown"}
    target = item["target"]
    assert target["source"] == "https://example.org/notes/gradient-descent/"
    quote, position = target["selector"]
    assert quote["type"] == "TextQuoteSelector" and quote["prefix"].endswith("moves the weights ")
    assert quote["exact"] == "against the gradient" and quote["suffix"].startswith(" of the loss")
    assert position == {"type": "TextPositionSelector", "start": bobs[0].start, "end": bobs[0].end}
    assert target["state"]["type"] == "TimeState"
    assert target["state"]["cached"] == "https://example.org/notes/gradient-descent/revisions/1/"
    assert (item["dld:kind"], item["dld:revision"], item["dld:madeOn"], item["dld:state"]) == ("text", 1, 1, "anchored")

    derivation = next(i for i in items_of(document) if i["dld:kind"] == "derivation")
    assert derivation["target"]["selector"][-1] == {
        "type": "FragmentSelector",
        "value": "step-size",
        "conformsTo": "http://tools.ietf.org/rfc/rfc3986",
    }
    highlight = by_quote["running average"]
    assert highlight["motivation"] == "highlighting" and "body" not in highlight


def test_json_download_has_absolute_note_urls(client, reader, bobs):
    client.force_login(reader)
    response = client.get(reverse("accounts:annotations_export_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Content-Disposition"] == 'attachment; filename="bob-annotations.json"'
    sources = {item["target"]["source"] for item in items_of(json.loads(response.content))}
    assert sources == {"http://testserver/notes/gradient-descent/", "http://testserver/notes/entropy/"}


def test_markdown_groups_by_note_title_and_escapes_quotes(client, reader, bobs):
    Annotation.objects.filter(pk=bobs[3].pk).update(quote="# not a heading\n    1. not a list\n> nor a quote")
    Annotation.objects.filter(pk=bobs[2].pk).update(state=Annotation.State.ORPHANED)
    text = annotations_markdown(reader)
    assert text.index("## Entropy") < text.index("## Gradient descent")  # by title
    assert text.count("## Gradient descent") == 1
    assert "> \\# not a heading\n> 1\\. not a list\n> \\> nor a quote" in text
    assert "Worked it **twice**." in text and "Derivation `step-size` · revision 1" in text
    assert "orphaned: the passage is not in the current text" in text

    tokens = MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Annotations of bob", "Entropy", "Gradient descent"]
    assert "[/notes/entropy/](/notes/entropy/)" in text
    assert not any(t.type in {"bullet_list_open", "ordered_list_open", "code_block"} for t in tokens)

    client.force_login(reader)
    response = client.get(reverse("accounts:annotations_export_markdown"))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="bob-annotations.md"'
    assert response.content.decode() == annotations_markdown(reader, base_url="http://testserver")


# Import ------------------------------------------------------------------------------------


def test_round_trip_then_everything_is_a_duplicate(reader, bobs):
    before, ids = snapshot(reader), {a.pk for a in bobs}
    document = json.loads(json.dumps(annotations_export(reader)))
    Annotation.objects.filter(owner=reader).delete()

    report = annotations_import(owner=reader, data=document)
    assert (report.created, report.skipped, report.orphaned, report.new_ids) == (4, 0, 0, 0)
    assert snapshot(reader) == before
    assert set(Annotation.objects.filter(owner=reader).values_list("pk", flat=True)) == ids
    assert all(a.body_html for a in Annotation.objects.filter(owner=reader).exclude(body=""))

    again = annotations_import(owner=reader, data=document)
    assert (again.created, again.skipped_same_id, again.skipped_duplicate) == (0, 4, 0)
    assert Annotation.objects.filter(owner=reader).count() == 4


def test_same_note_quote_and_body_under_another_id_is_a_duplicate(reader, bobs):
    document = annotations_export(reader)
    for item in items_of(document):
        item["id"] = uuid.uuid4().urn
    report = annotations_import(owner=reader, data=document)
    assert (report.created, report.skipped_duplicate) == (0, 4)


def test_the_same_item_twice_in_one_file_is_imported_once(reader, bobs):
    document = annotations_export(reader)
    Annotation.objects.filter(owner=reader).delete()
    items_of(document).append(items_of(document)[0])
    report = annotations_import(owner=reader, data=document)
    assert (report.created, report.skipped) == (4, 1)


def test_another_readers_id_is_never_overwritten(reader, stranger, notes):
    theirs = annotate(stranger, "entropy", "average surprise", "Charlie's own words.")
    document = annotations_export(stranger)
    items_of(document)[0]["body"]["value"] = "Bob's words."

    report = annotations_import(owner=reader, data=document)
    assert (report.created, report.new_ids) == (1, 1)
    assert "another account" in report.details[0]
    theirs.refresh_from_db()
    assert (theirs.owner, theirs.body) == (stranger, "Charlie's own words.")
    mine = Annotation.objects.get(owner=reader)
    assert mine.pk != theirs.pk and mine.body == "Bob's words."


def test_a_passage_not_in_the_note_is_imported_as_an_orphan(reader, bobs):
    document = annotations_export(reader)
    Annotation.objects.filter(owner=reader).delete()
    items_of(document)[0]["target"]["selector"][0]["exact"] = "a sentence the note never had"
    report = annotations_import(owner=reader, data=document)
    assert (report.created, report.orphaned) == (4, 1)
    orphan = Annotation.objects.get(owner=reader, state=Annotation.State.ORPHANED)
    assert orphan.quote == "a sentence the note never had" and (orphan.start, orphan.end) == (0, 0)
    assert "is not in revision 1" in report.details[0]


def test_an_anchor_on_a_revision_no_longer_live_is_an_orphan_on_that_revision(reader, bobs, publish):
    document = annotations_export(reader)
    Annotation.objects.filter(owner=reader).delete()
    publish("entropy", note_source("Entropy", body="Entropy, rewritten entirely."))

    annotations_import(owner=reader, data=document)
    moved_on = Annotation.objects.get(owner=reader, note__slug="entropy")
    assert moved_on.state == Annotation.State.ORPHANED and moved_on.revision.number == 1
    assert moved_on.revision.plain_text[moved_on.start : moved_on.end] == "average surprise"


def test_an_unpublished_revision_is_never_searched(reader, bobs, editor):
    """Anchoring against a draft would tell the importer what the draft says."""
    note = Note.objects.get(slug="entropy")
    draft = revision_create(
        note=note, source=note_source("Entropy", body="Secret draft words."), author=editor, index=LiveNoteIndex()
    )
    document = annotations_export(reader)
    Annotation.objects.filter(owner=reader).delete()
    item = next(i for i in items_of(document) if i["dld:revision"] and "entropy" in i["target"]["source"])
    item["dld:revision"] = draft.number
    item["target"]["selector"][0]["exact"] = "Secret draft words."

    annotations_import(owner=reader, data=document)
    imported = Annotation.objects.get(owner=reader, note=note)
    assert imported.revision == note.live_revision and imported.state == Annotation.State.ORPHANED


def _bad(document, mutate):
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.clear(), "not an annotation collection"),
        (lambda d: d.update({"@context": "https://example.org/other"}), "Web Annotation context"),
        (lambda d: d.pop("first"), "no page of items"),
        (lambda d: items_of(d).__setitem__(1, "text"), "item 2: not an annotation object"),
        (lambda d: items_of(d)[1].pop("target"), "item 2: no target"),
        (lambda d: items_of(d)[1]["target"].update(source="/topics/x/"), "item 2: target.source"),
        (lambda d: items_of(d)[1]["target"].update(selector=[]), "item 2: no TextQuoteSelector"),
        (lambda d: items_of(d)[1].update({"id": "urn:uuid:nope"}), "item 2: the id"),
        (lambda d: items_of(d)[1].update({"dld:kind": "poem"}), "item 2: unknown kind"),
        (lambda d: items_of(d)[0]["body"].update(value=r"$\frac{1}{$"), "item 1: body: math:"),
        (lambda d: items_of(d)[0]["body"].update(value=r"$\href{javascript:x}{y}$"), "item 1: body: math:"),
        (lambda d: items_of(d)[0]["body"].update(value="x" * 10_001), "item 1: body: the text is 10,001"),
        (lambda d: items_of(d)[3]["target"].update(source="/notes/no-such-note/"), "no published note"),
    ],
)
def test_a_bad_document_is_refused_whole_with_messages(reader, bobs, mutate, message):
    document = annotations_export(reader)
    Annotation.objects.filter(owner=reader).delete()
    with pytest.raises(AnnotationError) as refused:
        annotations_import(owner=reader, data=_bad(document, mutate))
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert Annotation.objects.count() == 0


def test_every_bad_item_is_named_at_once(reader, bobs):
    document = annotations_export(reader)
    with_body = [n for n, item in enumerate(items_of(document), start=1) if "body" in item]
    for n, tex in zip(with_body[::2], (r"$\frac{1}{$", r"$\undefinedcommand$"), strict=True):
        items_of(document)[n - 1]["body"]["value"] = tex
    with pytest.raises(AnnotationError) as refused:
        annotations_import(owner=reader, data=document)
    assert [m.split(":")[0] for m in refused.value.messages] == [f"item {n}" for n in with_body[::2]]


def test_size_limits(reader, notes):
    with pytest.raises(AnnotationError, match="the limit is 5 MB"):
        annotations_load(b" " * (annotation_io.IMPORT_MAX_BYTES + 1))
    with pytest.raises(AnnotationError, match="not valid JSON"):
        annotations_load(b"[" * 100_000)
    too_many = {
        "@context": annotation_io.ANNO_CONTEXT,
        "type": "AnnotationCollection",
        "first": {"items": [{}] * (annotation_io.IMPORT_MAX_ITEMS + 1)},
    }
    with pytest.raises(AnnotationError, match="5,001 annotations; the limit is 5,000"):
        annotations_import(owner=reader, data=too_many)


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("annotations.json", content, content_type="application/json")


def test_import_page_reports_and_refuses(client, reader, bobs):
    client.force_login(reader)
    url = reverse("accounts:annotations_import")
    assert client.get(url).status_code == 200
    exported = client.get(reverse("accounts:annotations_export_json")).content
    Annotation.objects.filter(owner=reader).delete()

    response = client.post(url, {"file": upload(exported)})
    assert response.status_code == 200 and "<strong>4</strong> annotations added" in response.content.decode()
    assert client.post(url, {"file": upload(exported)}).context["report"].skipped_same_id == 4

    refused = client.post(url, {"file": upload(b"{not json")})
    assert refused.status_code == 400 and "Nothing was imported" in refused.content.decode()
    big = client.post(url, {"file": upload(b" " * (annotation_io.IMPORT_MAX_BYTES + 1))})
    assert big.status_code == 400 and "the limit is 5 MB" in big.content.decode()
    assert client.post(url, {}).status_code == 400
    assert Annotation.objects.filter(owner=reader).count() == 4


def test_import_needs_the_csrf_token(reader, bobs):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    response = client.post(reverse("accounts:annotations_import"), {"file": upload(b"{}")})
    assert response.status_code == 403


# The list page -----------------------------------------------------------------------------


def test_list_shows_every_annotation_grouped_by_note(client, reader, bobs):
    Annotation.objects.filter(pk=bobs[2].pk).update(state=Annotation.State.ORPHANED)
    client.force_login(reader)
    response = client.get(reverse("accounts:annotations"))
    html = response.content.decode()
    assert response.context["page"].paginator.count == 4
    assert html.index(">Entropy</a></h2>") < html.index(">Gradient descent</a></h2>")
    assert f'href="/notes/entropy/#annotation-{bobs[3].pk}"' in html
    assert "Worked it <strong>twice</strong>." in html  # the stored, sanitized HTML
    assert 'class="katex"' in html
    assert f'href="/notes/gradient-descent/revisions/1/?annotation={bobs[2].pk}"' in html


def test_quotes_are_escaped(client, reader, notes):
    annotate(reader, "entropy", "a < b in our notation")
    client.force_login(reader)
    html = client.get(reverse("accounts:annotations")).content.decode()
    assert "a &lt; b in our notation" in html


def test_search_covers_bodies_and_quotes_and_state_filters(client, reader, bobs):
    Annotation.objects.filter(pk=bobs[2].pk).update(state=Annotation.State.ORPHANED)
    client.force_login(reader)
    url = reverse("accounts:annotations")

    def found(**params):
        return {a.pk for a in client.get(url, params).context["page"].object_list}

    assert found(q="TWICE") == {bobs[1].pk}  # body, any case
    assert found(q="surprise") == {bobs[3].pk}  # quote
    assert found(state="orphaned") == {bobs[2].pk}
    assert found(state="anchored") == {bobs[0].pk, bobs[1].pk, bobs[3].pk}
    assert found(q="average", state="anchored") == {bobs[3].pk}
    assert found(state="bogus") == {a.pk for a in bobs}

    too_long = client.get(url, {"q": "x" * 201})
    assert "the limit is 200" in too_long.content.decode() and not too_long.context["page"].object_list


def test_nobody_but_the_owner_sees_anything(client, reader, stranger, editor, bobs):
    staff = User.objects.create_superuser("root", "root@example.com", "root-password-1")
    for other in (stranger, editor, staff):
        client.force_login(other)
        assert not client.get(reverse("accounts:annotations")).context["page"].object_list
        exported = json.loads(client.get(reverse("accounts:annotations_export_json")).content)
        assert exported["total"] == 0 and items_of(exported) == []
        assert "surprise" not in client.get(reverse("accounts:annotations_export_markdown")).content.decode()


@pytest.mark.parametrize("name", ["annotations", "annotations_export_json", "annotations_export_markdown"])
def test_anonymous_readers_are_sent_to_log_in(client, name):
    response = client.get(reverse(f"accounts:{name}"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_import_is_sent_to_log_in(client):
    response = client.post(reverse("accounts:annotations_import"), {"file": upload(b"{}")})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert Annotation.objects.count() == 0


def test_list_page_query_count_does_not_grow(client, reader, notes, publish, django_assert_num_queries):
    annotate(reader, "entropy", "average surprise", "One.")
    client.force_login(reader)
    url = reverse("accounts:annotations")
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200

    publish("momentum", note_source("Momentum", body="Momentum adds velocity to the update."))
    for quote in ("adds velocity", "the update"):
        annotate(reader, "momentum", quote, f"On ${quote[0]}$.")
    annotate(reader, "gradient-descent", kind="equation", block_id="eq:loss")
    annotate(reader, "gradient-descent", "running average", "Two.")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 5
