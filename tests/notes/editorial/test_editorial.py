"""The editorial workflow through its pages: write, conflict, submit, review, publish, roll back."""

import gzip
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from notes.editorial.gates import PublishRefused
from notes.editorial.impact import publish_impact
from notes.editorial.selectors import notes_for_editors
from notes.editorial.services import EditConflict, EditorialError, note_publish, revision_save, split_source
from notes.models import CheckResult, Derivation, Note, PublishRecord, Review, Revision
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = "## Part\n\nText $x^2$.\n\n$$\na = b \\label{eq:ab}\n$$\n\n::: derivation {#d} D\n1. Step $a$.\n\nDone.\n:::\n"


def form_data(**overrides):
    data = {
        "title": "Edited note",
        "slug": "edited",
        "summary": "What it is about.",
        "topics": ["foundations"],
        "prerequisites": [],
        "body": BODY,
        "message": "",
        "base_revision": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(client, editor, areas):
    client.force_login(editor)
    response = client.post(reverse("editor:new"), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return Note.objects.get(slug="edited")


def latest(slug):
    return Note.objects.select_related("latest_revision").get(slug=slug).latest_revision


# -- permissions ---------------------------------------------------------------------------------

# (method, url name, args, who may): every authoring URL
URLS = [
    ("get", "editor:home", [], {"editor", "reviewer"}),
    ("get", "editor:new", [], {"editor"}),
    ("post", "editor:preview", [], {"editor"}),
    ("post", "editor:upload", [], {"editor"}),
    ("get", "editor:edit", ["edited"], {"editor"}),
    ("post", "editor:edit", ["edited"], {"editor"}),
    ("get", "editor:review", ["edited"], {"editor", "reviewer"}),
    ("post", "editor:submit", ["edited"], {"editor"}),
    ("post", "editor:comment", ["edited"], {"editor", "reviewer"}),
    ("post", "editor:request_changes", ["edited"], {"editor", "reviewer"}),
    ("post", "editor:publish", ["edited"], {"editor", "reviewer"}),
    ("get", "editor:rollback", ["edited", 1], {"editor", "reviewer"}),
    ("post", "editor:rollback", ["edited", 1], {"editor", "reviewer"}),
    ("get", "editor:retire", ["edited"], {"editor", "reviewer"}),
    ("post", "editor:retire", ["edited"], {"editor", "reviewer"}),
]


@pytest.mark.parametrize("who", ["anonymous", "reader", "editor", "reviewer"])
@pytest.mark.parametrize("method, name, args, allowed", URLS, ids=[f"{m}-{n}" for m, n, _, _ in URLS])
def test_permission_matrix(client, draft, reader, editor, reviewer, who, method, name, args, allowed):
    people = {"reader": reader, "editor": editor, "reviewer": reviewer}
    if who != "anonymous":
        client.force_login(people[who])
    url = reverse(name, args=args)
    response = getattr(client, method)(url, {"content": "x"} if method == "post" else None)
    if who == "anonymous":
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    elif who in allowed:
        assert response.status_code in (200, 302, 400), response.status_code
    else:
        assert response.status_code == 403


def test_services_check_permissions_themselves(draft, reader):
    with pytest.raises(Exception, match="permission"):
        revision_save(note=draft, source="x", body="x", base_revision_id=draft.latest_revision_id, author=reader)
    with pytest.raises(Exception, match="permission"):
        note_publish(revision=draft.latest_revision, user=AnonymousUser())


# -- writing -----------------------------------------------------------------------------------


def test_create_then_edit_writes_revisions_and_no_op_saves_write_nothing(client, editor, draft):
    client.force_login(editor)
    revision = latest("edited")
    assert revision.number == 1 and revision.author == editor and not revision.errors
    front, body = split_source(revision.source)
    assert front == {"title": "Edited note", "summary": "What it is about.", "topics": ["foundations"]}
    assert body == BODY

    data = form_data(base_revision=revision.pk, body=BODY.replace("Text", "Better text"), message="Reword")
    assert client.post(reverse("editor:edit", args=["edited"]), data).status_code == 302
    second = latest("edited")
    assert (second.number, second.parent_id, second.message) == (2, revision.pk, "Reword")

    data["base_revision"] = second.pk
    response = client.post(reverse("editor:edit", args=["edited"]), data, follow=True)
    assert "Nothing changed" in response.content.decode()
    assert Revision.objects.filter(note__slug="edited").count() == 2


def test_edit_form_starts_from_the_latest_revision(client, editor, draft):
    client.force_login(editor)
    response = client.get(reverse("editor:edit", args=["edited"]))
    html = response.content.decode()
    assert f'name="base_revision" value="{draft.latest_revision_id}"' in html
    assert 'class="markdownx"' in html and "markdownx.js" in html
    assert "Edited note" in html


def test_a_draft_with_errors_is_kept_and_shows_its_errors(client, editor, draft):
    client.force_login(editor)
    data = form_data(base_revision=draft.latest_revision_id, body=BODY + "\nBroken $\\frac{$ and [[nowhere]].\n")
    client.post(reverse("editor:edit", args=["edited"]), data)
    revision = latest("edited")
    assert revision.number == 2 and len(revision.errors) == 2
    html = client.get(reverse("editor:edit", args=["edited"])).content.decode()
    assert "It has 2 errors" in html


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"slug": "Bad Slug"}, "lowercase letters"),
        ({"slug": "taken"}, "is taken"),
        ({"body": "   "}, "The body is empty"),
        ({"body": "x" * 1_000_001}, "the limit is 1,000,000"),
        ({"title": ""}, "This field is required"),
        ({"topics": []}, "This field is required"),
        ({"topics": ["alchemy"]}, "Select a valid choice"),
    ],
)
def test_bad_input_on_create_is_explained_and_writes_nothing(client, editor, areas, overrides, message, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000_000
    Note.objects.create(slug="taken")
    client.force_login(editor)
    response = client.post(reverse("editor:new"), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Revision.objects.count() == 0


def test_live_slug_is_permanent(client, editor, draft):
    note_publish(revision=draft.latest_revision, user=editor)
    client.force_login(editor)
    data = form_data(base_revision=draft.latest_revision_id, slug="renamed", body=BODY + "\nMore.\n")
    client.post(reverse("editor:edit", args=["edited"]), data)
    assert Note.objects.filter(slug="edited").exists() and not Note.objects.filter(slug="renamed").exists()
    with pytest.raises(EditorialError, match="permanent once a note is live"):
        revision_save(
            note=draft,
            source=note_source(),
            body="x",
            base_revision_id=latest("edited").pk,
            author=editor,
            new_slug="renamed",
        )


def test_a_draft_may_be_renamed(client, editor, draft):
    client.force_login(editor)
    data = form_data(base_revision=draft.latest_revision_id, slug="better-name", body=BODY + "\nMore.\n")
    assert client.post(reverse("editor:edit", args=["edited"]), data).status_code == 302
    assert Note.objects.get(pk=draft.pk).slug == "better-name"


# -- preview and upload ----------------------------------------------------------------------------


def test_preview_uses_our_pipeline_and_lists_problems_by_body_line(client, editor, areas):
    client.force_login(editor)
    response = client.post(
        reverse("editor:preview"), {"content": "Fine $x$.\n\n::: derivation {#a} A\n1. s\n\nR.\n:::\n\nBad $\\frac{$"}
    )
    html = response.content.decode()
    assert 'class="katex"' in html and 'class="derivation"' in html
    assert 'data-line="9"' in html and "9:" in html


def test_a_preview_is_gzipped_once_at_the_fast_level_and_says_so(client, editor, areas):
    client.force_login(editor)
    content = {"content": "Sum $\\sum_{i=1}^n x_i$ and more.\n\n" * 40}
    plain = client.post(reverse("editor:preview"), content)
    packed = client.post(reverse("editor:preview"), content, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content  # one layer: not compressed twice
    assert packed["Content-Length"] == str(len(packed.content))
    # The name field holds 0-99 random bytes (against BREACH), as GZipMiddleware writes it;
    # the header's XFL byte says the fastest level (4), where GZipMiddleware's level 6 says 0.
    assert packed.content[3] & gzip.FNAME and packed.content[8] == 4


def _png(size=(4, 4)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "x.png"
    return buffer


def test_image_upload_checks_type_and_content(client, editor, areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(editor)
    ok = client.post(reverse("editor:upload"), {"image": _png()}, headers={"x-requested-with": "XMLHttpRequest"})
    assert ok.status_code == 200 and ok.json()["image_code"].startswith("![](")

    fake = io.BytesIO(b"<script>alert(1)</script>")
    fake.name = "evil.png"
    bad = client.post(reverse("editor:upload"), {"image": fake})
    assert bad.status_code == 400 and "not a readable image" in bad.json()["error"]

    svg = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    svg.name = "x.svg"
    refused = client.post(reverse("editor:upload"), {"image": svg})
    assert refused.status_code == 400


def test_oversize_image_is_refused(client, editor, areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 10
    from markdownx import forms as markdownx_forms

    original = markdownx_forms.MARKDOWNX_UPLOAD_MAX_SIZE
    markdownx_forms.MARKDOWNX_UPLOAD_MAX_SIZE = 10
    try:
        client.force_login(editor)
        response = client.post(reverse("editor:upload"), {"image": _png((64, 64))})
    finally:
        markdownx_forms.MARKDOWNX_UPLOAD_MAX_SIZE = original
    assert response.status_code == 400 and "size" in response.json()["error"].lower()


# -- conflicts ----------------------------------------------------------------------------------------


def test_a_stale_base_is_refused_with_both_changes_and_a_merge(client, editor, draft):
    client.force_login(editor)
    base = draft.latest_revision_id
    body_lines = BODY.replace("Text", "Their text")
    client.post(reverse("editor:edit", args=["edited"]), form_data(base_revision=base, body=body_lines))
    theirs = latest("edited")
    mine = BODY.replace("Done.", "Done, as shown.")
    response = client.post(reverse("editor:edit", args=["edited"]), form_data(base_revision=base, body=mine))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved first" in html and "Their" in html and "as shown" in html
    assert "merged" in html.lower()
    assert f'name="base_revision" value="{theirs.pk}"' in html
    assert "Their text" in html and "Done, as shown." in html  # the merged body holds both
    assert latest("edited").pk == theirs.pk  # nothing was overwritten


def test_conflicting_lines_offer_no_merge(client, editor, draft):
    client.force_login(editor)
    base = draft.latest_revision_id
    client.post(
        reverse("editor:edit", args=["edited"]), form_data(base_revision=base, body=BODY.replace("Text", "Theirs"))
    )
    response = client.post(
        reverse("editor:edit", args=["edited"]), form_data(base_revision=base, body=BODY.replace("Text", "Mine"))
    )
    html = response.content.decode()
    assert response.status_code == 409 and "cannot be merged automatically" in html
    assert Revision.objects.filter(note=draft).count() == 2


# -- review and publishing ----------------------------------------------------------------------------


def test_submit_review_comment_request_changes_then_publish(client, editor, reviewer, draft):
    client.force_login(editor)
    client.post(reverse("editor:submit", args=["edited"]))
    assert Review.objects.get().state == Review.State.IN_REVIEW
    response = client.post(reverse("editor:submit", args=["edited"]), follow=True)
    assert "already in review" in response.content.decode()

    client.force_login(reviewer)
    client.post(reverse("editor:comment", args=["edited"]), {"body": "Step 1 needs a reason."})
    client.post(reverse("editor:request_changes", args=["edited"]), {"body": "Please justify step 1."})
    assert Review.objects.get().state == Review.State.CHANGES_REQUESTED
    page = client.get(reverse("editor:review", args=["edited"])).content.decode()
    assert "Step 1 needs a reason." in page and "Please justify step 1." in page
    states = {n.slug: n.state for n in notes_for_editors()}
    assert states["edited"] == "changes_requested"

    client.force_login(editor)
    client.post(reverse("editor:submit", args=["edited"]))
    client.force_login(reviewer)
    response = client.post(reverse("editor:publish", args=["edited"]), {"revision": latest("edited").pk}, follow=True)
    assert "Published." in response.content.decode()
    note = Note.objects.get(slug="edited")
    assert note.live_revision_id == note.latest_revision_id
    record = PublishRecord.objects.get()
    assert (record.user, record.from_revision, record.to_revision_id, record.action) == (
        reviewer,
        None,
        note.live_revision_id,
        "publish",
    )
    assert Review.objects.filter(state=Review.State.PUBLISHED).count() == 1
    assert client.get(reverse("notes:note", args=["edited"])).status_code == 200


def test_editor_list_shows_states_and_filters(client, editor, draft, publish):
    publish("live-one", note_source("Live one"))
    client.force_login(editor)
    html = client.get(reverse("editor:home")).content.decode()
    assert "Draft" in html and "Live" in html
    filtered = client.get(reverse("editor:home"), {"state": "draft"}).content.decode()
    assert "Edited note" in filtered and "Live one" not in filtered
    searched = client.get(reverse("editor:home"), {"q": "live"}).content.decode()
    assert "Live one" in searched and "Edited note" not in searched


def test_publish_gates_refuse_with_every_reason(client, editor, draft):
    client.force_login(editor)
    body = BODY + "\n$\\frac{$\n"
    client.post(reverse("editor:edit", args=["edited"]), form_data(base_revision=draft.latest_revision_id, body=body))
    with pytest.raises(PublishRefused) as refused:
        note_publish(revision=latest("edited"), user=editor)
    assert any("math:" in reason for reason in refused.value.reasons)
    response = client.post(reverse("editor:publish", args=["edited"]), {"revision": latest("edited").pk}, follow=True)
    assert "math:" in response.content.decode()
    assert Note.objects.get(slug="edited").live_revision_id is None
    assert PublishRecord.objects.filter(note__slug="edited").count() == 0


def test_a_prerequisite_cycle_is_refused_and_named(editor, publish, draft):
    note_publish(revision=draft.latest_revision, user=editor)
    publish("needs-edited", note_source("Needs", prerequisites=["edited"]))
    source = note_source("Edited note", body=BODY, prerequisites=["needs-edited"])
    revision = revision_save(note=draft, source=source, body=BODY, base_revision_id=latest("edited").pk, author=editor)
    with pytest.raises(PublishRefused, match="prerequisite cycle: .*edited.*needs-edited"):
        note_publish(revision=revision, user=editor)


def test_a_failed_numerical_check_blocks_publishing(editor, draft):
    derivation = Derivation.objects.get(revision=draft.latest_revision)
    CheckResult.objects.create(
        revision=draft.latest_revision,
        derivation_key=derivation.key,
        fingerprint=derivation.fingerprint,
        status="failed",
        detail="error 0.3 > 1e-8",
        checked_at=timezone.now(),
    )
    with pytest.raises(PublishRefused, match="numerical check of derivation 'd' failed: error 0.3"):
        note_publish(revision=draft.latest_revision, user=editor)


def test_impact_lists_broken_references_changed_derivations_and_edges(client, editor, draft, publish):
    note_publish(revision=draft.latest_revision, user=editor)
    publish("citer", note_source("Citer", body="See [[edited#eq:ab]] and [[edited#d]]."))
    publish("base-two", note_source("Base two"))
    body = BODY.replace("\\label{eq:ab}", "").replace("Step $a$", "Step $b$")
    source = note_source("Edited note", body=body, prerequisites=["base-two"])
    revision = revision_save(note=draft, source=source, body=body, base_revision_id=latest("edited").pk, author=editor)
    impact = publish_impact(revision=revision)
    assert impact.broken_references == [{"note": "citer", "title": "Citer", "anchor": "eq:ab"}]
    assert impact.changes.derivations_changed == ["d"]
    assert impact.prerequisites_added == ["base-two"]
    assert any("'citer' links to '#eq:ab'" in gate for gate in impact.gates)
    with pytest.raises(PublishRefused):
        note_publish(revision=revision, user=editor)
    client.force_login(editor)
    page = client.get(reverse("editor:review", args=["edited"])).content.decode()
    assert "Publishing is blocked" in page and "#eq:ab" in page and "base-two" in page


def test_publishing_without_permission_is_refused(client, reader, draft):
    client.force_login(reader)
    assert (
        client.post(reverse("editor:publish", args=["edited"]), {"revision": draft.latest_revision_id}).status_code
        == 403
    )
    assert Note.objects.get(slug="edited").live_revision_id is None


def test_publishing_a_stale_page_is_refused(client, editor, draft):
    client.force_login(editor)
    old = draft.latest_revision_id
    client.post(reverse("editor:edit", args=["edited"]), form_data(base_revision=old, body=BODY + "\nNew.\n"))
    response = client.post(reverse("editor:publish", args=["edited"]), {"revision": old}, follow=True)
    assert "a newer revision was saved" in response.content.decode()
    assert Note.objects.get(slug="edited").live_revision_id is None


# -- history, diff, rollback, feeds ---------------------------------------------------------------------


@pytest.fixture
def three_revisions(client, editor, draft):
    """Revision 1 published, 2 published, 3 a draft."""
    client.force_login(editor)
    note_publish(revision=latest("edited"), user=editor)
    r2_body = BODY.replace("Text $x^2$", "Text $x^3$").replace("a = b", "a = c")
    client.post(
        reverse("editor:edit", args=["edited"]),
        form_data(base_revision=latest("edited").pk, body=r2_body, message="Cube"),
    )
    note_publish(revision=latest("edited"), user=editor)
    client.post(
        reverse("editor:edit", args=["edited"]),
        form_data(base_revision=latest("edited").pk, body=r2_body + "\nDraft.\n"),
    )
    client.logout()
    return Note.objects.get(slug="edited")


def test_history_readers_see_published_editors_see_all(client, editor, reader, three_revisions):
    html = client.get(reverse("notes:history", args=["edited"])).content.decode()
    assert ">1</a>" in html and ">2</a>" in html and ">3</a>" not in html
    assert "Cube" in html and "live" in html
    assert client.get(reverse("notes:revision", args=["edited", 3])).status_code == 404
    assert client.get(reverse("notes:revision", args=["edited", 1])).status_code == 200
    client.force_login(editor)
    html = client.get(reverse("notes:history", args=["edited"])).content.decode()
    assert ">3</a>" in html and "draft" in html and "Roll back to this" in html
    assert client.get(reverse("notes:revision", args=["edited", 3])).status_code == 200


def test_diff_word_level_inline_and_side_by_side(client, three_revisions):
    url = reverse("notes:diff", args=["edited"])
    side = client.get(url, {"from": 1, "to": 2}).content.decode()
    assert "<del>2</del>" in side and "<ins>3</ins>" in side
    assert "Equations changed: <code>eq:ab</code>" in side
    inline = client.get(url, {"from": 1, "to": 2, "view": "inline"}).content.decode()
    assert 'class="diff-inline"' in inline and "<del>b</del><ins>c</ins>" in inline
    assert client.get(url, {"from": 1, "to": 3}).status_code == 404  # a draft, for a reader
    assert client.get(url, {"from": "x"}).status_code == 404


def test_diff_calls_out_changed_derivations(client, editor, draft):
    client.force_login(editor)
    client.post(
        reverse("editor:edit", args=["edited"]),
        form_data(base_revision=draft.latest_revision_id, body=BODY.replace("Step $a$", "Step $z$")),
    )
    html = client.get(reverse("notes:diff", args=["edited"]), {"from": 1, "to": 2}).content.decode()
    assert "Derivations changed: <code>d</code>" in html


def test_rollback_writes_a_new_revision_and_records_it(client, editor, three_revisions):
    client.force_login(editor)
    client.post(reverse("editor:rollback", args=["edited", 1]), {"confirm": "yes"})
    note = Note.objects.get(slug="edited")
    assert note.live_revision.number == 4
    assert note.live_revision.source == note.revisions.get(number=1).source
    assert note.live_revision.message == "Rollback to revision 1"
    record = PublishRecord.objects.filter(note=note).first()
    assert (record.action, record.from_revision.number, record.to_revision.number) == ("rollback", 2, 4)
    assert Revision.objects.filter(note=note).count() == 4  # nothing lost


def test_rollback_goes_through_the_gates_and_writes_nothing_when_refused(client, editor, three_revisions, publish):
    publish("citer", note_source("Citer", body="See [[edited#eq:ab]]."))
    client.force_login(editor)
    body = BODY.replace("\\label{eq:ab}", "")
    source = note_source("Edited note", body=body)
    broken = revision_save(
        note=three_revisions, source=source, body=body, base_revision_id=latest("edited").pk, author=editor
    )
    response = client.post(reverse("editor:rollback", args=["edited", broken.number]), {"confirm": "yes"}, follow=True)
    assert "which this revision removes" in response.content.decode()
    assert Revision.objects.filter(note=three_revisions).count() == 4
    assert Note.objects.get(slug="edited").live_revision.number == 2


def test_feeds_list_publishes_and_rollbacks(client, editor, three_revisions, publish):
    publish("other", note_source("Other note"))
    client.force_login(editor)
    client.post(reverse("editor:rollback", args=["edited", 1]), {"confirm": "yes"})
    client.logout()
    site = client.get(reverse("notes:feed"))
    assert site["Content-Type"].startswith("application/atom+xml")
    text = site.content.decode()
    assert text.count("<entry>") == 4
    assert "revision 4 rolled back" in text and "Other note" in text and "?from=2&amp;to=4" in text
    note_feed = client.get(reverse("notes:note_feed", args=["edited"])).content.decode()
    assert note_feed.count("<entry>") == 3 and "Other note" not in note_feed
    assert client.get(reverse("notes:note_feed", args=["missing"])).status_code == 404


def test_revision_save_refuses_a_stale_base_directly(editor, draft):
    base = draft.latest_revision_id
    revision_save(note=draft, source=note_source(body="One."), body="One.", base_revision_id=base, author=editor)
    with pytest.raises(EditConflict) as conflict:
        revision_save(note=draft, source=note_source(body="Two."), body="Two.", base_revision_id=base, author=editor)
    assert conflict.value.latest.number == 2 and conflict.value.base.number == 1


def test_impact_counts_readers_marks_that_would_become_stale(editor, reader, stranger, draft):
    from accounts.models import DerivationProgress

    note_publish(revision=draft.latest_revision, user=editor)
    live = latest("edited")
    fingerprint = live.derivations.get(key="d").fingerprint
    for person, state in ((reader, "worked_through"), (stranger, "working")):
        DerivationProgress.objects.create(
            owner=person, note=draft, derivation_key="d", state=state, revision=live, fingerprint=fingerprint
        )
    unchanged = revision_save(
        note=draft,
        source=note_source("Edited note", body=BODY + "\nMore prose.\n"),
        body="x",
        base_revision_id=live.pk,
        author=editor,
    )
    assert publish_impact(revision=unchanged).readers.stale_marks == 0
    body = BODY.replace("Step $a$", "Step $c$")
    changed = revision_save(
        note=draft,
        source=note_source("Edited note", body=body),
        body=body,
        base_revision_id=unchanged.pk,
        author=editor,
    )
    impact = publish_impact(revision=changed)
    assert impact.changes.derivations_changed == ["d"] and impact.readers.stale_marks == 1
