"""Links into a note: backlinks with their sentences, "used by" per anchor, link previews.

Everything follows live revisions only: a draft's links, or a newer unpublished revision's,
never show on a reader's page.
"""

import pytest
from django.urls import reverse

from notes.models import Note
from notes.rendering.links import MappingIndex, NoteInfo
from notes.rendering.pipeline import render
from notes.rendering.tokens import CONTEXT_CHARS
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

TARGET_BODY = r"""
## Setup

Let $x$ be given.

$$
f(x) = x^2 \label{eq:square}
$$

::: derivation {#square-grad} The gradient of the square
1. Differentiate: $f'(x) = 2x$.
2. Evaluate at one: $f'(1) = 2$.

So the slope at one is two.
:::
"""


@pytest.fixture
def target(publish):
    return publish("target", note_source("Target note", body=TARGET_BODY, summary="Squares <b>and</b> their slopes"))


def page(client, slug):
    response = client.get(reverse("notes:note", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def section(html, heading):
    start = html.index(f">{heading}</h2>")
    return html[start : html.index("</section>", start)]


# -- rendering: the sentence around a link ---------------------------------------------------


def links_of(body):
    index = MappingIndex([NoteInfo("t", "Tee", anchors={"eq:a": "(1)", "sec": "Sec"}, equations={"eq:a": 1})])
    result = render(note_source("Source", body=body), slug="src", index=index)
    assert not result.errors, result.errors
    return result.links


def test_context_is_the_sentence_with_the_link_marked():
    (link,) = links_of("First sentence. The map $y$ is **in [[t]] here** and ends. Next one.")
    assert link.context_html.startswith('The map <span class="katex">')
    assert (
        '<strong>in <mark><a class="xref" href="/notes/t/" title="Tee">Tee</a></mark> here</strong>'
        in link.context_html
    )
    assert link.context_html.endswith("and ends.")
    assert "First sentence" not in link.context_html and "Next one" not in link.context_html


def test_context_does_not_end_a_sentence_at_an_abbreviation():
    (link,) = links_of("We use [[t#eq:a]], e.g. the square. Not this.")
    assert link.context_html.endswith("e.g. the square.")


def test_context_of_a_long_sentence_is_cut_each_side():
    words = "word " * 200
    (link,) = links_of(f"{words}[[t]] {words}end.")
    text = link.context_html
    assert text.startswith("… ") and text.endswith(" …")
    assert len(text) < 2 * CONTEXT_CHARS + 200


def test_links_within_the_citing_note_point_back_to_it():
    body = "## Sec\n\nAs in [[#sec]] and [[t#sec]] together."
    (link,) = links_of(body)
    assert 'href="/notes/src/#sec"' in link.context_html
    assert 'href="#' not in link.context_html


def test_equations_and_derivations_link_to_their_uses_page(target):
    assert '<a class="uses-link" href="/notes/target/uses/eq:square/"' in target.html
    assert '<a class="uses-link" href="/notes/target/uses/square-grad/"' in target.html


# -- the note page ---------------------------------------------------------------------------


def test_linked_from_lists_live_citing_notes_with_their_sentences(client, publish, target):
    publish("citer", note_source("Citer", body="Intro. Squares are treated in [[target]] at length. Outro."))
    html = section(page(client, "target"), "Linked from")
    assert '<a class="backlink-note" href="/notes/citer/">Citer</a>' in html
    assert "Squares are treated in <mark>" in html and "Outro" not in html


def test_drafts_and_unpublished_revisions_do_not_count(client, publish, editor, target):
    publish("citer", note_source("Citer", body="Nothing to see."))
    note = Note.objects.get(slug="citer")
    revision_create(note=note, source=note_source("Citer", body="Now [[target#eq:square]]."), author=editor)
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft", body="See [[target]]."), author=editor)
    html = page(client, "target")
    assert "No other note links here yet." in html
    assert "Used in other notes" not in html
    assert client.get(reverse("notes:uses", args=["target", "eq:square"])).context["citations"] == []


def test_used_by_groups_uses_per_equation_and_derivation(client, publish, target):
    publish("a", note_source("Alpha", body="By [[target#eq:square]] the map is convex."))
    publish("b", note_source("Beta", body="Step [[target#square-grad-step-2]] evaluates it."))
    publish("c", note_source("Gamma", body="The [[target#square-grad]] derivation is short."))
    html = section(page(client, "target"), "Used in other notes")
    equation = html[html.index('id="uses-eq:square"') :]
    assert 'data-count="1"' in equation[:200] and "Alpha" in equation.split("</li>\n        </ul>")[0]
    derivation = html[html.index('id="uses-square-grad"') :]
    assert 'data-count="2"' in derivation[:200]  # the whole derivation and one of its steps
    assert html.index("uses-eq:square") < html.index("uses-square-grad")  # document order


def test_uses_page_works_without_javascript(client, publish, target):
    publish("a", note_source("Alpha", body="By [[target#eq:square]] the map is convex."))
    response = client.get(reverse("notes:uses", args=["target", "eq:square"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Uses of equation" in html and 'href="/notes/target/#eq:square">(1)</a>' in html
    assert 'class="katex' in html  # the equation itself, as stored
    assert "Alpha" in html and "the map is convex" in html
    empty = client.get(reverse("notes:uses", args=["target", "square-grad"])).content.decode()
    assert "No other note references this derivation yet." in empty


@pytest.mark.parametrize(
    "slug, anchor",
    [("target", "eq:nope"), ("target", "nope"), ("missing", "eq:square"), ("draft", "eq:square")],
)
def test_uses_page_404s(client, editor, target, slug, anchor):
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft", body=TARGET_BODY), author=editor)
    assert client.get(reverse("notes:uses", args=[slug, anchor])).status_code == 404


# -- previews --------------------------------------------------------------------------------


def preview(client, slug, anchor=None):
    data = {"anchor": anchor} if anchor is not None else {}
    return client.get(reverse("notes:preview", args=[slug]), data)


def test_note_preview_is_title_and_escaped_summary(client, target):
    html = preview(client, "target").content.decode()
    assert '<a href="/notes/target/">Target note</a>' in html
    assert "Squares &lt;b&gt;and&lt;/b&gt; their slopes" in html


def test_equation_derivation_and_step_previews_use_stored_html(client, target):
    equation = preview(client, "target", "eq:square").content.decode()
    assert "Target note · (1)" in equation and "katex-display" in equation
    derivation = preview(client, "target", "square-grad").content.decode()
    assert "The gradient of the square" in derivation
    step = preview(client, "target", "square-grad-step-2").content.decode()
    assert "step 2" in step and "Evaluate at one" in step
    heading = preview(client, "target", "setup").content.decode()
    assert "Target note · Setup" in heading


def test_previews_follow_the_live_revision(client, editor, target):
    note = Note.objects.get(slug="target")
    revision_create(
        note=note,
        source=note_source("Target renamed", body=TARGET_BODY.replace("eq:square", "eq:sq")),
        author=editor,
        index=LiveNoteIndex(),
    )
    assert "Target note" in preview(client, "target").content.decode()
    assert preview(client, "target", "eq:sq").status_code == 404


@pytest.mark.parametrize(
    "slug, anchor", [("missing", None), ("draft", None), ("target", "eq:nope"), ("target", "x" * 200)]
)
def test_preview_404s(client, editor, target, slug, anchor):
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft"), author=editor)
    assert preview(client, slug, anchor).status_code == 404


def test_preview_query_count_is_constant(client, publish, target, django_assert_max_num_queries):
    for i in range(5):
        publish(f"c{i}", note_source(f"C{i}", body="See [[target#eq:square]]."))
    with django_assert_max_num_queries(2):
        preview(client, "target", "eq:square")
    with django_assert_max_num_queries(2):
        preview(client, "target", "square-grad-step-1")


# -- editors see who a change affects --------------------------------------------------------


def test_a_new_title_lists_the_notes_that_print_the_old_one_and_updates_them(client, publish, editor, target):
    from notes.editorial.impact import publish_impact
    from notes.editorial.services import note_publish

    publish("citer", note_source("Citer", body="See [[target]], [[target#setup]] and [[target|the squares note]]."))
    note = Note.objects.get(slug="target")
    renamed = revision_create(
        note=note, source=note_source("Squares", body=TARGET_BODY), author=editor, index=LiveNoteIndex()
    )
    impact = publish_impact(revision=renamed)
    assert [(r["note"], r["text"]) for r in impact.retitled_in] == [
        ("citer", "Target note"),
        ("citer", "Target note § Setup"),
    ]
    assert not impact.gates
    note_publish(revision=renamed, user=editor)
    html = page(client, "citer")
    assert ">Squares</a>" in html and ">Squares § Setup</a>" in html and ">the squares note</a>" in html


def test_removing_a_cited_label_is_refused_and_names_the_citing_note(publish, editor, target):
    from notes.editorial.impact import publish_impact

    publish("citer", note_source("Citer", body="By [[target#eq:square]]."))
    note = Note.objects.get(slug="target")
    changed = revision_create(
        note=note,
        source=note_source("Target note", body=TARGET_BODY.replace(r"\label{eq:square}", "")),
        author=editor,
        index=LiveNoteIndex(),
    )
    impact = publish_impact(revision=changed)
    assert impact.broken_references == [{"note": "citer", "title": "Citer", "anchor": "eq:square"}]
    assert any("'citer' links to '#eq:square'" in gate for gate in impact.gates)


def test_retiring_is_refused_while_live_notes_depend_on_it_and_names_them(client, publish, editor, target):
    from notes.editorial.gates import PublishRefused
    from notes.editorial.services import note_retire

    publish("citer", note_source("Citer", body="By [[target#eq:square]] and [[target]]."))
    publish("needer", note_source("Needer", prerequisites=["target"]))
    note = Note.objects.get(slug="target")
    with pytest.raises(PublishRefused) as refused:
        note_retire(note=note, user=editor)
    assert refused.value.reasons[1:] == [
        "'citer' links here (2 links); remove or retarget them first",
        "'needer' lists it as a prerequisite; remove that edge first",
    ]
    assert client.get(reverse("notes:note", args=["target"])).status_code == 200
    client.force_login(editor)
    review = client.get(reverse("editor:review", args=["target"])).content.decode()
    assert "Not possible while other live notes depend on it" in review and "&#x27;citer&#x27; links here" in review


def test_retiring_takes_the_note_offline_and_keeps_its_history(client, publish, editor, reader, target):
    from notes.models import PublishRecord

    client.force_login(reader)
    assert client.post(reverse("editor:retire", args=["target"])).status_code == 403
    client.force_login(editor)
    response = client.post(reverse("editor:retire", args=["target"]), {"confirm": "yes"})
    assert response.status_code == 302
    note = Note.objects.get(slug="target")
    assert note.live_revision is None and note.revisions.count() == 1
    assert note.publish_records.latest("pk").action == PublishRecord.Action.RETIRE
    client.logout()
    assert client.get(reverse("notes:note", args=["target"])).status_code == 404
    assert client.get(reverse("notes:preview", args=["target"])).status_code == 404
    assert "retired" in client.get(reverse("notes:feed")).content.decode()
    assert "Target note" not in client.get(reverse("notes:home")).content.decode()


def test_a_retired_note_leaves_search(publish, editor, target):
    from notes.editorial.services import note_retire
    from notes.search.selectors import search

    assert [hit.slug for hit in search("squares").hits] == ["target"]
    note_retire(note=Note.objects.get(slug="target"), user=editor)
    assert search("squares").hits == []


# -- what links need of live notes, remembered by this process ----------------------------------


def cited(body: str) -> str:
    result = render(note_source("Citer", body=body), slug="citer", index=LiveNoteIndex())
    assert not result.errors, result.errors
    return result.html


def test_a_link_target_read_once_is_remembered_until_its_live_revision_changes(
    publish, editor, target, django_assert_num_queries
):
    from notes.editorial.services import note_publish
    from notes.models import Revision

    assert ">Target note (1)</a>" in cited("By [[target#eq:square]].")
    with django_assert_num_queries(1):  # which revision is live, and nothing else
        LiveNoteIndex().prefetch({"target", "absent"})
    # A new revision: its equation is now the second, and links say so at once.
    note = Note.objects.get(slug="target")
    before = "$$\ng(x) = x \\label{eq:first}\n$$\n"
    note_publish(
        revision=revision_create(
            note=note, source=note_source("Target note", body=before + TARGET_BODY), author=editor
        ),
        user=editor,
    )
    assert ">Target note (2)</a>" in cited("By [[target#eq:square]].")
    # Rows another renderer version wrote (before a `rerender`) are read each time, never kept.
    from notes.rendering.version import RENDERER_VERSION

    third = revision_create(note=note, source=note_source("Target note", body=TARGET_BODY), author=editor)
    note_publish(revision=third, user=editor)
    for text in ("Set-up", "Getting set up"):
        Revision.objects.filter(pk=third.pk).update(
            anchors={**third.anchors, "setup": text}, renderer_version=RENDERER_VERSION - 1
        )
        assert f"Target note § {text}" in cited("See [[target#setup]].")
