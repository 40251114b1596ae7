"""Re-anchoring annotations when a new revision goes live: the engine's table of cases, then
the service through real publishing."""

import random

import pytest
from diff_match_patch import diff_match_patch
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.annotations.anchoring import (
    BLOCK,
    DIFF,
    FUZZY,
    ORPHAN,
    QUOTE_FLOOR,
    THRESHOLD,
    Anchor,
    DiffMap,
    plan_reanchor,
    text_diff,
)
from accounts.annotations.quotes import Span, context_of
from accounts.annotations.reanchoring import annotations_reanchor, orphan_count
from accounts.annotations.services import annotation_create
from accounts.models import Annotation
from notes.models import Note, Revision
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.conftest import note_source

OPTIMIZERS = (
    "Gradient descent moves the parameters against the gradient of the loss. "
    "Its step size $\\eta$ trades speed against stability."
)
MOMENTUM = (
    "Momentum keeps a running average of past gradients, so consistent directions accumulate. "
    "This is the step that matters."
)
ADAM = "Adam divides each coordinate by a running estimate of the second moment. This is the step that matters."
CLOSING = "Warm-up keeps the early updates small while the moment estimates are still biased."
OLD = "\n\n".join([OPTIMIZERS, MOMENTUM, ADAM, CLOSING])


def anchor(text: str, quote: str, nth: int = 0, *, kind: str = "text", block_id: str = "") -> Anchor:
    """The anchor annotation_create would store for the nth copy of `quote` in `text`."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(quote, at + 1)
    span = Span(at, at + len(quote))
    prefix, suffix = context_of(text, span)
    return Anchor(kind, block_id, quote, prefix, suffix, span.start, span.end)


def one(old: str, new: str, a: Anchor, blocks=None):
    return plan_reanchor(old, new, [a], blocks or {})[0]


# The table ----------------------------------------------------------------------------------


def test_unchanged_text_follows_the_diff_exactly():
    new = "A new opening paragraph pushes everything down.\n\n" + OLD.replace("Warm-up", "A warm-up phase")
    outcome = one(OLD, new, anchor(OLD, "running estimate of the second moment"))
    assert outcome.method == DIFF and outcome.score is None
    assert new[outcome.start : outcome.end] == outcome.quote == "running estimate of the second moment"
    assert (outcome.prefix, outcome.suffix) == context_of(new, Span(outcome.start, outcome.end))


def test_text_moved_to_another_paragraph_is_found_there():
    moved = "Its step size $\\eta$ trades speed against stability."
    new = "\n\n".join([OPTIMIZERS.replace(" " + moved, ""), MOMENTUM, ADAM, CLOSING + " " + moved])
    outcome = one(OLD, new, anchor(OLD, "step size $\\eta$ trades speed against stability"))
    assert outcome.method == FUZZY
    assert outcome.start == new.index("step size $\\eta$ trades speed") > new.index("Warm-up")
    assert outcome.quote == "step size $\\eta$ trades speed against stability"


def test_text_edited_slightly_is_matched_fuzzily_with_its_score():
    new = OLD.replace("consistent directions accumulate", "consistent directions build up")
    outcome = one(OLD, new, anchor(OLD, "past gradients, so consistent directions accumulate"))
    assert outcome.method == FUZZY
    assert THRESHOLD <= outcome.score < 1
    assert outcome.quote == "past gradients, so consistent directions build up"
    assert new[outcome.start : outcome.end] == outcome.quote


def test_deleted_text_becomes_an_orphan_that_keeps_its_old_anchor():
    new = "\n\n".join([OPTIMIZERS, ADAM, CLOSING])
    old_anchor = anchor(OLD, "Momentum keeps a running average of past gradients")
    outcome = one(OLD, new, old_anchor)
    assert outcome.method == ORPHAN and outcome.score is None
    assert (outcome.quote, outcome.prefix, outcome.suffix, outcome.start, outcome.end) == (
        old_anchor.quote,
        old_anchor.prefix,
        old_anchor.suffix,
        old_anchor.start,
        old_anchor.end,
    )


def test_a_deleted_sentence_between_surviving_neighbours_is_an_orphan():
    # The neighbours give any candidate at that place a perfect context: only the quote tells.
    new = OLD.replace(" Its step size $\\eta$ trades speed against stability.", "")
    outcome = one(OLD, new, anchor(OLD, "Its step size $\\eta$ trades speed against stability."))
    assert outcome.method == ORPHAN


@pytest.mark.parametrize("nth, paragraph", [(0, "Heavy-ball momentum"), (1, "Adam")])
def test_duplicated_quotes_land_on_the_right_copy(nth, paragraph):
    # The paragraphs swap places and one is edited, so the diff cannot carry both copies:
    # context and place decide.
    new = "\n\n".join([OPTIMIZERS, ADAM, MOMENTUM.replace("Momentum keeps", "Heavy-ball momentum keeps"), CLOSING])
    outcome = one(OLD, new, anchor(OLD, "This is the step that matters.", nth))
    assert outcome.quote == "This is the step that matters."
    owner = new.rfind("\n\n", 0, outcome.start)
    assert new[owner + 2 :].startswith(paragraph)


def test_duplicated_quotes_in_unchanged_text_keep_their_copies():
    new = "An added first paragraph.\n\n" + OLD
    outcomes = plan_reanchor(OLD, new, [anchor(OLD, "This is the step that matters.", n) for n in (0, 1)], {})
    assert [o.method for o in outcomes] == [DIFF, DIFF]
    assert [o.start for o in outcomes] == [new.index("This is the step"), new.rindex("This is the step")]


@pytest.mark.parametrize("quote, lookalikes", [("$\\eta$", "$\\eta_t$ and $\\beta$"), ("the", "the the"), ("s", "s")])
def test_very_short_quotes_never_match_approximately(quote, lookalikes):
    # Its sentence is deleted; copies and lookalikes elsewhere must not catch it.
    old = f"First, {quote} stands in a sentence about to go.\n\nAnother paragraph mentions {lookalikes}."
    new = f"Another paragraph mentions {lookalikes}.\n\nAnd a new one."
    start = old.index(quote, len("First, ") - 1)
    span = Span(start, start + len(quote))
    outcome = one(old, new, Anchor("text", "", quote, *context_of(old, span), span.start, span.end))
    assert outcome.method == ORPHAN


def test_a_short_quote_is_found_after_a_move_when_its_context_came_along():
    new = "\n\n".join([MOMENTUM, ADAM, CLOSING, OPTIMIZERS])
    outcome = one(OLD, new, anchor(OLD, "$\\eta$"))
    assert outcome.method == FUZZY
    assert outcome.start == new.index("$\\eta$")


def test_long_quotes_with_an_edit_inside_are_matched():
    body = " ".join(f"Sentence {i} says something specific about layer {i} and its norm." for i in range(30))
    old = f"Intro.\n\n{body}\n\nOutro."
    new = old.replace("about layer 15 and", "about block 15 and")
    outcome = one(old, new, anchor(old, body))
    assert outcome.method == FUZZY and outcome.score > 0.95
    assert outcome.quote == new.split("\n\n")[1]


def test_equation_whose_formula_changes_follows_its_label():
    old = "Define the loss.\n\n$$L = (y - x)^2 \\label{eq:loss}$$\n\nThen minimise it."
    new = "Define the loss.\n\n$$L = \\tfrac12 (y - x)^2 \\label{eq:loss}$$\n\nThen minimise it."
    outcome = one(
        old,
        new,
        anchor(old, "L = (y - x)^2 \\label{eq:loss}", kind="equation", block_id="eq:loss"),
        {("equation", "eq:loss"): "L = \\tfrac12 (y - x)^2 \\label{eq:loss}"},
    )
    assert (outcome.method, outcome.kind, outcome.block_id) == (BLOCK, "equation", "eq:loss")
    assert outcome.quote == new[outcome.start : outcome.end] == "L = \\tfrac12 (y - x)^2 \\label{eq:loss}"


def test_equation_whose_label_disappears_is_matched_as_text_or_orphaned():
    old = "Define the loss.\n\n$$L = (y - x)^2 \\label{eq:loss}$$\n\nThen minimise it."
    kept = old.replace(" \\label{eq:loss}", " \\qquad \\label{eq:squared}")
    dropped = "Define the loss.\n\nThen minimise it."
    a = anchor(old, "L = (y - x)^2 \\label{eq:loss}", kind="equation", block_id="eq:loss")
    relabelled = one(old, kept, a, {("equation", "eq:squared"): "L = (y - x)^2 \\qquad \\label{eq:squared}"})
    assert relabelled.method in (FUZZY, ORPHAN)
    if relabelled.method == FUZZY:  # a passage of text now: its old block id is gone
        assert (relabelled.kind, relabelled.block_id) == ("text", "")
        assert relabelled.quote.startswith("L = (y - x)^2")
    assert one(old, dropped, a).method == ORPHAN


def test_derivation_step_follows_its_id_to_the_steps_new_text():
    old = "Setup.\n\nDifferentiate: $f'(x) = 2x$.\n\nEvaluate at one: $f'(1) = 2$.\n\nDone."
    new = "Setup.\n\nDifferentiate: $f'(x) = 2x$.\n\nEvaluate at one, which gives $f'(1) = 2$.\n\nDone."
    a = Anchor("step", "sq-step-2", "2. Evaluate at one: $f'(1) = 2$.", "", old[:32], 0, 0)
    outcome = one(old, new, a, {("step", "sq-step-2"): "2. Evaluate at one, which gives $f'(1) = 2$."})
    assert (outcome.method, outcome.kind, outcome.block_id) == (BLOCK, "step", "sq-step-2")
    assert outcome.quote == "2. Evaluate at one, which gives $f'(1) = 2$."
    # The plain text holds the step without its list number: that is where it points.
    assert new[outcome.start : outcome.end] == "Evaluate at one, which gives $f'(1) = 2$."


def test_derivation_follows_its_key_with_the_new_title():
    a = Anchor("derivation", "sq", "The gradient of the square", "", "Setup.", 0, 0)
    outcome = one("Setup.", "Setup, revised.", a, {("derivation", "sq"): "Gradient of a square"})
    assert (outcome.method, outcome.quote) == (BLOCK, "Gradient of a square")


def test_the_thresholds_are_stated_and_ordered():
    assert 0 < THRESHOLD <= QUOTE_FLOOR < 1


def test_positions_map_as_diff_match_patch_maps_them():
    rng = random.Random(3)
    words = ["loss", "gradient", "step", "the", "of", "a", "$x$", "norm", "layer"]
    old = " ".join(rng.choice(words) for _ in range(400))
    pieces = old.split(" ")
    for _ in range(40):
        k = rng.randrange(len(pieces))
        pieces[k] = rng.choice(words + ["new", "\n\n"])
    new = " ".join(pieces)
    diffs, mapped = text_diff(old, new), DiffMap(old, new)
    dmp = diff_match_patch()
    assert dmp.diff_text1(diffs) == old and dmp.diff_text2(diffs) == new
    assert all(mapped.position(at) == dmp.diff_xIndex(diffs, at) for at in range(len(old)))


# The service, through real publishing --------------------------------------------------------

BODY = r"""
Gradient descent moves the parameters against the gradient of the loss. Its step size
$\eta$ trades speed against stability.

$$
L = (y - x)^2 \label{eq:loss}
$$

::: derivation {#sq} The gradient of the square
1. Differentiate: $f'(x) = 2x$.
2. Evaluate at one: $f'(1) = 2$.

So the slope at one is two.
:::

Momentum keeps a running average of past gradients, so consistent directions accumulate.
"""


def publish_body(publish, body):
    return publish("opt", note_source("Optimisation", body=body))


def annotate(user, revision, quote, **kwargs):
    return annotation_create(
        owner=user, slug="opt", revision_number=revision.number, quote=quote, body="my private thought", **kwargs
    )


@pytest.mark.django_db
def test_publishing_re_anchors_every_readers_annotations(publish, reader, stranger):
    first = publish_body(publish, BODY)
    mine = annotate(reader, first, "running average of past gradients")
    theirs = annotate(stranger, first, "Its step size $\\eta$ trades speed against stability")
    equation = annotate(reader, first, "", kind="equation", block_id="eq:loss")
    step = annotate(reader, first, "", kind="step", block_id="sq-step-2")
    second = publish_body(
        publish,
        "An opening paragraph.\n"
        + BODY.replace("trades speed against", "trades speed versus")
        .replace("(y - x)^2", "\\tfrac12 (y - x)^2")
        .replace("Evaluate at one:", "Evaluate it at one:"),
    )
    rows = {a.pk: a for a in Annotation.objects.all()}
    assert {a.revision_id for a in rows.values()} == {second.pk}
    assert {a.made_on_id for a in rows.values()} == {first.pk}
    assert rows[mine.pk].anchored_by == Annotation.Method.DIFF
    assert second.plain_text[rows[mine.pk].start : rows[mine.pk].end] == "running average of past gradients"
    assert rows[theirs.pk].anchored_by == Annotation.Method.FUZZY
    assert rows[theirs.pk].quote == "Its step size $\\eta$ trades speed versus stability"
    assert rows[theirs.pk].anchor_score >= THRESHOLD
    assert rows[equation.pk].anchored_by == Annotation.Method.BLOCK
    assert rows[equation.pk].quote == "L = \\tfrac12 (y - x)^2 \\label{eq:loss}"
    assert rows[step.pk].anchored_by == Annotation.Method.BLOCK and "Evaluate it at one" in rows[step.pk].quote
    assert all(a.state == Annotation.State.ANCHORED and a.body == "my private thought" for a in rows.values())


@pytest.mark.django_db
def test_orphans_keep_their_last_revision_and_come_back_when_the_text_does(publish, reader):
    first = publish_body(publish, BODY)
    annotation = annotate(reader, first, "consistent directions accumulate")
    without = BODY.replace(
        "\nMomentum keeps a running average of past gradients, so consistent directions accumulate.", ""
    )
    publish_body(publish, without)
    annotation.refresh_from_db()
    assert annotation.state == Annotation.State.ORPHANED
    assert annotation.anchored_by == Annotation.Method.ORPHAN
    assert annotation.revision_id == first.pk  # the old passage can still be shown
    assert first.plain_text[annotation.start : annotation.end] == annotation.quote

    # Rolled back: the text is there again, and the orphan is found from its last revision.
    third = publish_body(publish, BODY + "\nA closing line.\n")
    annotation.refresh_from_db()
    assert (annotation.state, annotation.anchored_by, annotation.revision_id) == (
        Annotation.State.ANCHORED,
        Annotation.Method.DIFF,
        third.pk,
    )


@pytest.mark.django_db
def test_an_unpublished_revision_re_anchors_nothing(publish, reader, editor):
    first = publish_body(publish, BODY)
    annotation = annotate(reader, first, "consistent directions accumulate")
    before = Annotation.objects.values().get(pk=annotation.pk)
    revision_create(
        note=Note.objects.get(slug="opt"),
        source=note_source("Optimisation", body="Everything rewritten."),
        author=editor,
        index=LiveNoteIndex(),
    )
    assert Annotation.objects.values().get(pk=annotation.pk) == before


@pytest.mark.django_db
def test_editors_see_how_many_annotations_a_change_would_orphan_and_nothing_else(client, publish, reader, editor):
    first = publish_body(publish, BODY)
    annotate(reader, first, "consistent directions accumulate")
    annotate(reader, first, "trades speed against stability")
    note = Note.objects.get(slug="opt")
    draft = revision_create(
        note=note,
        source=note_source("Optimisation", body=BODY.split("::: derivation")[0] + "\nA new ending.\n"),
        author=editor,
        index=LiveNoteIndex(),
    )
    assert orphan_count(note=note, revision=draft) == 1  # the momentum sentence is gone
    client.force_login(editor)
    html = client.get(reverse("editor:review", args=["opt"])).content.decode()
    assert '<dt>Readers\' annotations this would orphan</dt><dd class="orphan-impact">1</dd>' in html
    assert "my private thought" not in html and reader.username not in html
    # The dry run wrote nothing.
    assert set(Annotation.objects.values_list("revision_id", "state")) == {(first.pk, Annotation.State.ANCHORED)}


@pytest.mark.django_db
def test_re_anchoring_takes_the_same_queries_however_many_annotations(publish, reader, stranger):
    def queries_for(count):
        Annotation.objects.all().delete()
        live = Note.objects.get(slug="opt").live_revision
        for k in range(count):
            annotate((reader, stranger)[k % 2], live, ("running average", "trades speed")[k % 2])
            annotate(reader, live, "", kind="equation", block_id="eq:loss")
        note = Note.objects.get(slug="opt")
        revision = Revision.objects.get(note=note, number=live.number + 1)
        with CaptureQueriesContext(connection) as captured:
            counts = annotations_reanchor(note=note, revision=revision)
        assert sum(counts.values()) == 2 * count
        return len(captured)

    publish_body(publish, BODY)
    note = Note.objects.get(slug="opt")
    revision_create(
        note=note,
        source=note_source("Optimisation", body="Intro.\n" + BODY.replace("(y - x)^2", "|y - x|^2")),
        index=LiveNoteIndex(),
    )
    assert queries_for(2) == queries_for(40)
