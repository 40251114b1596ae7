"""The schedule's rule (services.SCHEDULE_RULE): a derivation just worked through is first due a
day later, never at once, and no grade, explicit or by implicit credit, schedules the next
re-derivation sooner than a day. Real database, real FSRS."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from fsrs import Card, Rating, Scheduler

from accounts.models import ReviewCard, ReviewLog
from accounts.study.selectors import due_count, due_queue
from accounts.study.services import (
    FIRST_REVIEW_AFTER,
    SCHEDULE_RULE,
    progress_mark,
    review_card_ensure,
    review_grade,
)
from notes.models import Note
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

BODY = r"""
::: derivation {#%(slug)s-d} Derivation of %(slug)s
We show it.

1. Write $a = b$.
2. Then $b = c$.

So $a = c$.
:::
"""


@pytest.fixture
def chain(publish):
    """root <- base <- top, one derivation each."""
    publish("root", note_source("Root", body=BODY % {"slug": "root"}))
    publish("base", note_source("Base", body=BODY % {"slug": "base"}, prerequisites=["root"]))
    publish("top", note_source("Top", body=BODY % {"slug": "top"}, prerequisites=["base"]))


def mark(owner, slug, state, now):
    return progress_mark(owner=owner, slug=slug, key=f"{slug}-d", state=state, now=now)


def card(owner, slug):
    return ReviewCard.objects.get(owner=owner, note__slug=slug, derivation_key=f"{slug}-d")


def grade(owner, slug, rating, now):
    return review_grade(
        owner=owner,
        note=Note.objects.get(slug=slug),
        derivation_key=f"{slug}-d",
        rating=rating,
        expected_last_review=card(owner, slug).last_review,
        now=now,
    )


def test_the_rule_is_a_day():
    assert FIRST_REVIEW_AFTER == DAY
    assert "a day later, never at once" in SCHEDULE_RULE and "at least a day away" in SCHEDULE_RULE


def test_a_derivation_just_worked_through_is_first_due_a_day_later(reader, chain):
    mark(reader, "top", "worked_through", T0)
    row = card(reader, "top")
    assert row.due == T0 + DAY and row.last_review is None
    assert Card.from_dict(row.card).due == T0 + DAY  # the FSRS card agrees with the row
    assert due_queue(reader, T0) == [] and due_count(reader, T0 + DAY - timedelta(seconds=1)) == 0
    assert [i.key for i in due_queue(reader, T0 + DAY)] == ["top-d"]

    mark(reader, "top", "worked_through", T0 + timedelta(hours=5))  # already worked through: no change
    again = review_card_ensure(owner=reader, note=row.note, derivation_key="top-d", now=T0 + 3 * DAY)
    assert again.pk == row.pk and card(reader, "top").due == T0 + DAY
    assert ReviewCard.objects.count() == 1


def test_working_on_it_first_then_worked_through_counts_from_the_second_mark(reader, chain):
    mark(reader, "top", "working", T0)
    assert not ReviewCard.objects.exists()
    mark(reader, "top", "worked_through", T0 + timedelta(hours=3))
    assert card(reader, "top").due == T0 + timedelta(hours=3) + DAY


@pytest.mark.parametrize("rating", [Rating.Again, Rating.Hard, Rating.Good, Rating.Easy])
def test_the_first_grade_schedules_at_least_a_day_ahead(reader, chain, rating):
    mark(reader, "top", "worked_through", T0)
    first = T0 + DAY
    random.seed(7)  # FSRS's fuzz of longer intervals draws from `random`
    result = grade(reader, "top", int(rating), first)
    assert result.card.due - first >= DAY
    # the grade still follows FSRS, only without its learning steps of 1 and 10 minutes
    without_steps = Scheduler(learning_steps=(), relearning_steps=())
    random.seed(7)
    expected, _ = without_steps.review_card(Card(due=first), rating, review_datetime=first)
    assert result.card.due == expected.due
    with_steps, _ = Scheduler().review_card(Card(due=first), rating, review_datetime=first)
    if rating != Rating.Easy:
        assert with_steps.due - first < DAY  # what the library's defaults would have done


def test_no_grade_ever_schedules_sooner_than_a_day(reader, chain):
    for slug in ("root", "base", "top"):
        mark(reader, slug, "worked_through", T0)
    rng = random.Random(14)
    now = T0
    for _ in range(40):
        slug = rng.choice(["base", "top", "top"])
        # early, on time and late reviews, with every grade (good and easy pass credit down)
        now = max(now, card(reader, slug).due + timedelta(hours=rng.choice([-20, 0, 3, 30, 200])))
        result = grade(reader, slug, rng.choice([1, 2, 3, 4]), now)
        assert result.card.due - now >= DAY
        for share in result.credited:
            if share.applied:  # a whole credit: an FSRS review as good, at `now`
                assert card(reader, share.note.slug).due - now >= DAY
    assert ReviewLog.objects.filter(note__slug="root", kind="implicit", applied=True).exists()
    assert set(ReviewLog.objects.filter(kind="explicit").values_list("rating", flat=True)) == {1, 2, 3, 4}


def test_marking_again_after_removing_the_mark_is_a_fresh_start_but_keeps_a_later_date(reader, chain):
    mark(reader, "top", "worked_through", T0)
    mark(reader, "top", "none", T0 + timedelta(hours=1))
    later = T0 + timedelta(days=10)  # the old card is overdue by now
    mark(reader, "top", "worked_through", later)
    assert card(reader, "top").due == later + DAY
    assert due_queue(reader, later) == []

    grade(reader, "top", 4, later + DAY)  # easy: many days away
    far = card(reader, "top").due
    assert far - (later + DAY) > 3 * DAY
    mark(reader, "top", "working", later + 2 * DAY)
    mark(reader, "top", "worked_through", later + 2 * DAY)
    assert card(reader, "top").due == far  # the schedule's later date stands


def test_reconfirming_a_changed_derivation_puts_it_a_day_away(reader, chain, publish):
    mark(reader, "top", "worked_through", T0)
    changed = (BODY % {"slug": "top"}).replace("$b = c$", "$b = c'$")
    publish("top", note_source("Top", body=changed, prerequisites=["base"]))
    later = T0 + timedelta(days=5)
    assert [(i.key, i.stale) for i in due_queue(reader, later)] == [("top-d", True)]  # due at once

    mark(reader, "top", "reconfirm", later)
    assert due_queue(reader, later) == []
    assert card(reader, "top").due == later + DAY
    assert [(i.key, i.stale) for i in due_queue(reader, later + DAY)] == [("top-d", False)]


@pytest.mark.parametrize("worked", [False, True])
def test_the_queue_page_states_the_rule(client, reader, chain, worked):
    if worked:
        mark(reader, "top", "worked_through", datetime.now(UTC) - DAY)
    client.force_login(reader)
    page = client.get(reverse("study:queue")).content.decode()
    assert ("1 derivation to re-derive" in page) is worked
    assert SCHEDULE_RULE in page


def test_the_guide_states_the_rule(client):
    page = client.get(reverse("notes:guide")).content.decode()
    assert "first due a day after the mark, never at once" in page and "at least a day away" in page
