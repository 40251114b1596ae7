"""Spaced re-derivation: FSRS scheduling, implicit credit down the prerequisite graph, stale and
removed derivations, the study and queue pages, forged and repeated grades, privacy."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fsrs import Card, Rating, Scheduler, State

from accounts.models import DerivationProgress, ReviewCard, ReviewLog
from accounts.study.selectors import due_count, due_queue, export_reviews, recent_reviews
from accounts.study.services import (
    CREDIT_WEIGHTS,
    FIRST_REVIEW_AFTER,
    ReviewError,
    StaleGradeError,
    credit_weights,
    rating_parse,
    review_grade,
)
from notes.models import Derivation, Note
from notes.selectors import LiveNoteIndex
from notes.services import revision_create
from tests.accounts.helpers import at_once, work_through
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
MARKED = T0 - FIRST_REVIEW_AFTER  # marks made then are first due at T0


def derivation(key, title, steps=("Write $a = b$.", "Then $b = c$."), result="So $a = c$."):
    numbered = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    return f"::: derivation {{#{key}}} {title}\nWe show it.\n\n{numbered}\n\n{result}\n:::\n"


def publish_note(publish, slug, *keys, prerequisites=(), steps=("Write $a = b$.", "Then $b = c$.")):
    body = "\n".join(derivation(key, f"Derivation {key}", steps) for key in keys)
    publish(slug, note_source(f"Note {slug}", body=body, prerequisites=prerequisites))
    return Note.objects.get(slug=slug)


def card_of(owner, slug, key):
    return ReviewCard.objects.get(owner=owner, note__slug=slug, derivation_key=key)


def grade(owner, slug, key, rating, now):
    """A self-grade carrying the stamp the study page would have shown."""
    card = ReviewCard.objects.filter(owner=owner, note__slug=slug, derivation_key=key).first()
    return review_grade(
        owner=owner,
        note=Note.objects.get(slug=slug),
        derivation_key=key,
        rating=rating,
        expected_last_review=card.last_review if card else None,
        now=now,
    )


def fsrs_says(card_dict, rating, now, seed):
    """The due date the fsrs package itself gives, with the same random fuzz (default
    parameters, no learning steps: see test_schedule.py for why)."""
    random.seed(seed)
    card, _ = Scheduler(learning_steps=(), relearning_steps=()).review_card(
        Card.from_dict(card_dict), rating, review_datetime=now
    )
    return card


@pytest.fixture
def graph(publish):
    """root <- base <- middle <- top: each note's prerequisites are the one before it."""
    root = publish_note(publish, "root", "r1")
    base = publish_note(publish, "base", "b1", "b2", prerequisites=["root"])
    middle = publish_note(publish, "middle", "m1", prerequisites=["base"])
    top = publish_note(publish, "top", "t1", prerequisites=["middle"])
    return root, base, middle, top


@pytest.fixture
def studied(reader, graph):
    """bob has worked through every derivation of the graph at T0."""
    root, base, middle, top = graph
    for note, key in [(root, "r1"), (base, "b1"), (base, "b2"), (middle, "m1"), (top, "t1")]:
        work_through(reader, note, key, now=MARKED)
    return graph


# -- scheduling -----------------------------------------------------------------------------------


def test_grades_move_the_due_date_exactly_as_fsrs_says(reader, graph):
    _, _, _, top = graph
    work_through(reader, top, "t1", now=MARKED)
    now = T0
    for seed, rating in enumerate([Rating.Good, Rating.Good, Rating.Easy, Rating.Hard, Rating.Good]):
        before = card_of(reader, "top", "t1").card
        random.seed(seed)
        result = grade(reader, "top", "t1", int(rating), now)
        expected = fsrs_says(before, rating, now, seed)
        row = card_of(reader, "top", "t1")
        assert row.due == expected.due == result.card.due
        assert row.card == expected.to_dict() | {"card_id": row.card["card_id"]}
        assert row.last_review == now
        now = row.due + timedelta(hours=1)
    # by now the card is in FSRS's review state, days apart
    assert row.due - row.last_review > timedelta(days=2)
    logs = ReviewLog.objects.filter(owner=reader, kind=ReviewLog.Kind.EXPLICIT)
    assert list(logs.values_list("rating", flat=True)) == [3, 3, 4, 2, 3]
    assert {log.revision_id for log in logs} == {top.live_revision_id}


def test_again_brings_the_derivation_back_sooner_than_good(reader, graph):
    _, _, _, top = graph
    work_through(reader, top, "t1", now=MARKED)
    now = T0
    for _ in range(3):
        grade(reader, "top", "t1", 3, now)
        now = card_of(reader, "top", "t1").due + timedelta(hours=2)
    before = card_of(reader, "top", "t1").card
    good = fsrs_says(before, Rating.Good, now, seed=1)

    random.seed(1)
    grade(reader, "top", "t1", 1, now)
    row = card_of(reader, "top", "t1")
    assert row.due == fsrs_says(before, Rating.Again, now, seed=1).due
    # no relearning steps: a day at least, and sooner than good
    assert timedelta(days=1) <= row.due - now < good.due - now
    assert Card.from_dict(row.card).state == State.Review


# -- implicit credit ------------------------------------------------------------------------------


def test_credit_weights_follow_the_prerequisite_graph_two_levels_deep():
    edges = {"top": {"middle", "side"}, "middle": {"base"}, "side": {"middle"}, "base": {"root"}}
    # middle is both a direct prerequisite and one two levels up: the nearer weight, once
    assert credit_weights("top", edges) == {"middle": 0.5, "side": 0.5, "base": 0.25}
    assert credit_weights("root", edges) == {}
    assert CREDIT_WEIGHTS == (0.5, 0.25)


def test_a_good_review_credits_prerequisites_and_a_whole_credit_is_an_fsrs_review(reader, studied):
    first = T0 + timedelta(days=1)
    result = grade(reader, "top", "t1", 3, first)
    credit = {(c.note.slug, c.derivation_key): c.implicit_credit for c in ReviewCard.objects.select_related("note")}
    assert credit == {
        ("top", "t1"): 0.0,
        ("middle", "m1"): 0.5,
        ("base", "b1"): 0.25,
        ("base", "b2"): 0.25,
        ("root", "r1"): 0.0,  # three levels up: no credit
    }
    assert sorted((log.note.slug, log.derivation_key, log.weight, log.applied) for log in result.credited) == [
        ("base", "b1", 0.25, False),
        ("base", "b2", 0.25, False),
        ("middle", "m1", 0.5, False),
    ]
    assert all(log.caused_by_id == result.log.pk and log.kind == "implicit" for log in result.credited)
    assert card_of(reader, "middle", "m1").last_review is None  # half a review is not a review

    second = first + timedelta(hours=1)
    before = card_of(reader, "middle", "m1").card
    random.seed(5)
    grade(reader, "top", "t1", 4, second)  # easy passes credit too
    m1 = card_of(reader, "middle", "m1")
    assert m1.implicit_credit == 0.0
    assert m1.last_review == second
    assert m1.due == fsrs_says(before, Rating.Good, second, seed=5).due
    applied = ReviewLog.objects.get(derivation_key="m1", applied=True)
    assert (applied.kind, applied.rating, applied.weight, applied.reviewed_at) == ("implicit", 3, 0.5, second)
    assert card_of(reader, "base", "b1").implicit_credit == 0.5


@pytest.mark.parametrize("rating", [1, 2])
def test_again_and_hard_pass_no_credit_down(reader, studied, rating):
    result = grade(reader, "top", "t1", rating, T0)
    assert result.credited == []
    assert set(ReviewCard.objects.values_list("implicit_credit", flat=True)) == {0.0}


def test_credit_skips_other_learners_and_derivations_not_worked_through(reader, stranger, graph):
    root, base, middle, top = graph
    work_through(reader, top, "t1", now=MARKED)
    work_through(stranger, middle, "m1", now=MARKED)  # charlie's card, not bob's
    work_through(reader, base, "b1", now=MARKED)
    DerivationProgress.objects.filter(owner=reader, derivation_key="b1").update(state="working")
    grade(reader, "top", "t1", 3, T0)
    assert card_of(stranger, "middle", "m1").implicit_credit == 0.0
    assert card_of(reader, "base", "b1").implicit_credit == 0.0
    assert not ReviewLog.objects.filter(kind="implicit").exists()


def test_a_self_grade_clears_pending_credit(reader, studied):
    grade(reader, "top", "t1", 3, T0)
    assert card_of(reader, "middle", "m1").implicit_credit == 0.5
    grade(reader, "middle", "m1", 3, T0 + timedelta(minutes=5))
    assert card_of(reader, "middle", "m1").implicit_credit == 0.0


# -- stale and removed derivations ----------------------------------------------------------------


def test_a_stale_mark_makes_the_card_due_at_once_until_the_live_text_is_graded(reader, publish, graph):
    _, _, _, top = graph
    work_through(reader, top, "t1", now=MARKED)
    grade(reader, "top", "t1", 4, T0)
    later = T0 + timedelta(hours=1)
    assert card_of(reader, "top", "t1").due > later and due_queue(reader, later) == []

    publish_note(publish, "top", "t1", prerequisites=["middle"], steps=("Write $a = b$.", "Then $b = d$."))
    work_through(reader, Note.objects.get(slug="middle"), "m1", now=later - FIRST_REVIEW_AFTER)
    queue = due_queue(reader, later)
    assert [(i.key, i.stale, i.reason) for i in queue] == [
        ("t1", True, "changed since your mark"),  # stale first, though scheduled later
        ("m1", False, "scheduled"),
    ]

    grade(reader, "top", "t1", 3, later)
    assert [i.key for i in due_queue(reader, later)] == ["m1"]
    # the mark itself stays stale until the learner re-confirms it on the note
    live = Derivation.objects.get(revision=Note.objects.get(slug="top").live_revision, key="t1")
    assert DerivationProgress.objects.get(owner=reader, derivation_key="t1").fingerprint != live.fingerprint


def test_derivations_removed_from_the_live_revision_drop_out(reader, publish, graph):
    _, base, _, _ = graph
    work_through(reader, base, "b1", now=MARKED)
    work_through(reader, base, "b2", now=MARKED)
    assert due_count(reader, T0) == 2
    publish_note(publish, "base", "b2", prerequisites=["root"])
    assert [i.key for i in due_queue(reader, T0)] == ["b2"]
    assert due_count(reader, T0) == 1
    assert ReviewCard.objects.filter(derivation_key="b1").exists()  # kept, just not due


def test_an_unmarked_derivation_leaves_the_queue(reader, graph):
    _, base, _, _ = graph
    work_through(reader, base, "b1", now=MARKED)
    DerivationProgress.objects.filter(owner=reader).delete()
    assert due_queue(reader, T0) == [] and due_count(reader, T0) == 0


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 5, "x", "", "3.0", True, None, "٣"])
def test_forged_ratings_are_refused(value):
    with pytest.raises(ReviewError, match="not a grade"):
        rating_parse(value)


@pytest.mark.parametrize("value", ["0", "5", "x", "", "-1"])
def test_forged_grade_posts_are_refused_with_a_clear_message(client, reader, studied, value):
    client.force_login(reader)
    response = client.post(reverse("study:grade", args=["top", "t1"]), {"rating": value, "last_review": ""})
    assert response.status_code == 400
    assert "is not a grade" in response.content.decode()
    assert not ReviewLog.objects.exists()


def test_a_damaged_stamp_is_refused(client, reader, studied):
    client.force_login(reader)
    response = client.post(reverse("study:grade", args=["top", "t1"]), {"rating": "3", "last_review": "yesterday"})
    assert response.status_code == 400 and "damaged" in response.content.decode()
    assert not ReviewLog.objects.exists()


def test_grading_without_a_worked_through_mark_explains_and_records_nothing(client, reader, graph):
    client.force_login(reader)
    page = client.get(reverse("study:derivation", args=["top", "t1"])).content.decode()
    assert "Mark it worked through on its note" in page and 'name="rating"' not in page
    response = client.post(reverse("study:grade", args=["top", "t1"]), {"rating": "3", "last_review": ""})
    assert response.status_code == 400
    assert "mark it worked through on its note first" in response.content.decode()
    assert not ReviewCard.objects.exists() and not ReviewLog.objects.exists()


def test_grading_creates_the_missing_card_of_a_worked_through_mark(reader, graph):
    _, _, _, top = graph
    work_through(reader, top, "t1", now=MARKED)
    ReviewCard.objects.all().delete()
    grade(reader, "top", "t1", 3, T0)
    assert card_of(reader, "top", "t1").last_review == T0


def test_draft_missing_and_other_notes_keys_are_404(client, reader, editor, studied):
    draft = Note.objects.create(slug="draft")
    revision_create(
        note=draft, source=note_source("Draft", body=derivation("d1", "D")), author=editor, index=LiveNoteIndex()
    )
    client.force_login(reader)
    for slug, key in [("draft", "d1"), ("nowhere", "t1"), ("top", "b1"), ("top", "nope")]:
        assert client.get(reverse("study:derivation", args=[slug, key])).status_code == 404
        post = client.post(reverse("study:grade", args=[slug, key]), {"rating": "3", "last_review": ""})
        assert post.status_code == 404
    assert not ReviewLog.objects.exists()


def test_get_on_the_grade_url_is_not_allowed(client, reader, studied):
    client.force_login(reader)
    assert client.get(reverse("study:grade", args=["top", "t1"])).status_code == 405


# -- repeated grades ------------------------------------------------------------------------------


def test_a_double_submitted_grade_counts_once(client, reader, studied):
    client.force_login(reader)
    page = client.get(reverse("study:derivation", args=["top", "t1"])).content.decode()
    stamp = re.search(r'name="last_review" value="([^"]*)"', page).group(1)
    url = reverse("study:grade", args=["top", "t1"])
    first = client.post(url, {"rating": "3", "last_review": stamp})
    assert first.status_code == 302
    second = client.post(url, {"rating": "3", "last_review": stamp})
    assert second.status_code == 409
    assert "This grade was not counted" in second.content.decode()
    assert ReviewLog.objects.filter(kind="explicit").count() == 1
    assert ReviewLog.objects.filter(kind="implicit").count() == 3  # credit passed down once

    # the page now carries the new stamp, and a grade made from it counts
    page = client.get(reverse("study:derivation", args=["top", "t1"])).content.decode()
    stamp = re.search(r'name="last_review" value="([^"]*)"', page).group(1)
    assert stamp == card_of(reader, "top", "t1").last_review.isoformat()
    assert client.post(url, {"rating": "2", "last_review": stamp}).status_code == 302
    assert ReviewLog.objects.filter(kind="explicit").count() == 2


def test_a_stale_stamp_is_refused_by_the_service(reader, studied):
    top = Note.objects.get(slug="top")
    grade(reader, "top", "t1", 3, T0)
    with pytest.raises(StaleGradeError):
        review_grade(owner=reader, note=top, derivation_key="t1", rating=3, expected_last_review=None, now=T0)
    assert ReviewLog.objects.filter(kind="explicit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_grades_from_one_form_count_once(reader, graph):
    top = Note.objects.get(slug="top")
    work_through(reader, top, "t1", now=MARKED)

    def submit():
        try:
            review_grade(owner=reader, note=top, derivation_key="t1", rating=3, expected_last_review=None, now=T0)
        except StaleGradeError:
            return "refused"
        return "counted"

    outcomes = at_once(submit)
    assert sorted(outcomes, key=str) == ["counted", "refused", "refused", "refused"]
    assert ReviewLog.objects.filter(kind="explicit").count() == 1


# -- pages ----------------------------------------------------------------------------------------


def test_study_page_shows_statement_and_steps_for_the_script_and_a_grade_form(client, reader, studied):
    client.force_login(reader)
    page = client.get(reverse("study:derivation", args=["top", "t1"])).content.decode()
    assert "Derivation t1" in page and "We show it." in page
    assert page.count('class="derivation-step study-step"') == 2
    assert page.count('<details class="study-fold">') == 3  # each step and the result, closed
    assert 'data-count role="status"' in page and "css/study.css" in page
    assert "js/study.js" in page and "js/study-previews.js" in page
    assert re.findall(r'name="rating" value="(\d)"', page) == ["1", "2", "3", "4"]
    assert 'name="last_review" value=""' in page
    assert "<textarea" in page and 'id="study-attempt" data-scratch' in page
    assert not re.search(r"<textarea[^>]*\bname=", page)  # the attempt is never sent


def test_grading_goes_to_the_next_due_derivation_then_to_the_queue(client, reader, studied):
    client.force_login(reader)
    order = [(i.slug, i.key) for i in due_queue(reader, datetime.now(UTC))]
    assert len(order) == 5
    for n, (slug, key) in enumerate(order):
        response = client.post(reverse("study:grade", args=[slug, key]), {"rating": "1", "last_review": ""})
        following = order[n + 1] if n + 1 < len(order) else None
        expected = reverse("study:derivation", args=following) if following else reverse("study:queue")
        assert response.status_code == 302 and response["Location"] == expected
    page = client.get(reverse("study:queue")).content.decode()
    assert "Graded again. Next review of this derivation in" in page
    assert "Nothing is due." in page and "Next:" in page


def test_queue_page_lists_due_derivations_with_why(client, reader, publish, studied):
    publish_note(publish, "top", "t1", prerequisites=["middle"], steps=("Changed.", "Steps."))
    client.force_login(reader)
    page = client.get(reverse("study:queue")).content.decode()
    assert "5 derivations to re-derive" in page
    assert page.count("changed since your mark") == 1 and page.count("scheduled, due") == 4
    assert page.index("Derivation t1") < page.index("Derivation b1")
    assert reverse("study:derivation", args=["top", "t1"]) in page


def test_empty_queue(client, reader):
    client.force_login(reader)
    page = client.get(reverse("study:queue")).content.decode()
    assert "Nothing is due." in page and "join your review schedule" in page


def test_each_learner_sees_only_their_own_schedule(client, reader, stranger, studied):
    client.force_login(stranger)
    assert "Nothing is due." in client.get(reverse("study:queue")).content.decode()
    assert due_count(stranger, T0) == 0 and len(due_queue(reader, T0)) == 5
    grade(reader, "top", "t1", 3, T0)
    page = client.get(reverse("study:derivation", args=["top", "t1"])).content.decode()
    assert 'name="rating"' not in page and T0.isoformat() not in page
    response = client.post(reverse("study:grade", args=["top", "t1"]), {"rating": "3", "last_review": ""})
    assert response.status_code == 400
    assert ReviewLog.objects.filter(owner=stranger).count() == 0
    assert card_of(reader, "top", "t1").last_review == T0
    assert recent_reviews(stranger, 10) == [] and export_reviews(stranger) == {"review_cards": [], "review_log": []}


@pytest.mark.parametrize("name, args", [("study:queue", []), ("study:derivation", ["top", "t1"])])
def test_anonymous_readers_are_sent_to_log_in(client, graph, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_anonymous_grades_are_sent_to_log_in_and_count_nothing(client, graph):
    response = client.post(reverse("study:grade", args=["top", "t1"]), {"rating": "3", "last_review": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not ReviewLog.objects.exists()


def test_queue_page_query_count_is_constant_as_cards_grow(client, reader, publish, areas):
    notes = [publish_note(publish, f"n{i}", f"d{i}a", f"d{i}b") for i in range(4)]
    client.force_login(reader)
    url = reverse("study:queue")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    work_through(reader, notes[0], "d0a", now=MARKED)
    few = queries()
    for note in notes[1:]:
        for key in (f"{note.slug.replace('n', 'd')}a", f"{note.slug.replace('n', 'd')}b"):
            work_through(reader, note, key, now=MARKED)
    assert due_count(reader, datetime.now(UTC)) == 7
    assert queries() == few


def test_recent_reviews_and_export_carry_the_history(reader, studied):
    grade(reader, "top", "t1", 3, T0)
    grade(reader, "top", "t1", 3, T0 + timedelta(minutes=20))  # m1 reaches a whole credit
    activity = recent_reviews(reader, 10)
    # newest first; the implicit review was written after the grade that caused it
    assert [(a.what, a.key, a.title) for a in activity] == [
        ("Reviewed by implicit credit", "m1", "Derivation m1"),
        ("Re-derived, graded good", "t1", "Derivation t1"),
        ("Re-derived, graded good", "t1", "Derivation t1"),
    ]
    data = export_reviews(reader)
    assert len(data["review_cards"]) == 5
    assert [(r["kind"], r["derivation"], r["weight"]) for r in data["review_log"] if r["applied"]] == [
        ("explicit", "t1", 1.0),
        ("explicit", "t1", 1.0),
        ("implicit", "m1", 0.5),
    ]


def test_the_guide_states_the_credit_weights_the_code_uses(client):
    page = client.get(reverse("notes:guide")).content.decode()
    stated = re.findall(r'data-credit-weight="(\d)">([\d.]+)<', page)
    assert [(int(depth), float(w)) for depth, w in stated] == list(enumerate(CREDIT_WEIGHTS, 1))


def test_a_card_reads_its_own_notes_live_derivation_when_another_note_shares_the_key(reader, publish):
    # Two notes with a derivation of the same id and different content: each card is judged
    # against its own note's live text, so a mark on the second note is not stale because
    # of the first.
    publish_note(publish, "first", "same", steps=("Write $a = b$.", "Then $b = c$."))
    second = publish_note(publish, "second", "same", steps=("Write $x = y$.", "Then $y = z$."))
    work_through(reader, second, "same", now=MARKED)
    [item] = due_queue(reader, T0)
    assert (item.slug, item.key, item.stale) == ("second", "same", False)
