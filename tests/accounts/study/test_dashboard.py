"""The learner's dashboard, data export and account deletion."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from accounts.models import DerivationProgress, ReviewCard, ReviewLog
from accounts.study.services import FIRST_REVIEW_AFTER, progress_mark, review_grade
from tests.accounts.helpers import work_through
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
::: derivation {#%(slug)s-a} First of %(slug)s
1. Step $a$.

Result.
:::

::: derivation {#%(slug)s-b} Second of %(slug)s
1. Step $b$.

Result.
:::
"""


@pytest.fixture
def site(publish):
    publish("base", note_source("Base", body=BODY % {"slug": "base"}))
    publish("next", note_source("Next", body=BODY % {"slug": "next"}, prerequisites=["base"], topics=["optimization"]))


def test_dashboard_shows_progress_per_area_the_fringe_and_reviews_due(client, reader, site):
    client.force_login(reader)
    context = client.get(reverse("accounts:home")).context
    assert [s.slug for s in context["fringe"]] == ["base"]
    assert context["due"] == 0
    work_through(reader, "base", now=timezone.now() - FIRST_REVIEW_AFTER)
    response = client.get(reverse("accounts:home"))
    context, html = response.context, response.content.decode()
    assert (context["totals"].done, context["totals"].total) == (2, 4)
    bars = {b.slug: (b.done, b.total) for b in context["bars"]}
    assert bars["foundations"] == (2, 2) and bars["optimization"] == (0, 2)
    assert [s.slug for s in context["fringe"]] == ["next"]
    assert context["due"] == 2  # first due a day after the mark
    assert '<svg class="progress-chart" role="img"' in html and "Foundations: 2 of 2" in html
    assert "Worked through" in html  # recent activity


def test_stale_marks_show_in_the_chart_and_hold_back_the_fringe(client, reader, site, publish):
    work_through(reader, "base")
    publish("base", note_source("Base", body=(BODY % {"slug": "base"}).replace("Step $a$.", "Step $a'$.")))
    client.force_login(reader)
    context = client.get(reverse("accounts:home")).context
    assert (context["totals"].done, context["totals"].stale) == (1, 1)
    assert [s.slug for s in context["fringe"]] == ["base"]
    assert 'class="chart-stale"' in client.get(reverse("accounts:home")).content.decode()


def test_dashboard_query_count_is_constant(client, reader, site, publish, django_assert_num_queries):
    client.force_login(reader)
    # session, user, standings (one aggregate), edges, topics, topic placement, reviews due,
    # recent marks, recent reviews, and the user's two permission sets (the site menu)
    with django_assert_num_queries(11) as first:
        client.get(reverse("accounts:home"))
    for i in range(4):
        publish(f"more-{i}", note_source(f"More {i}", body=BODY % {"slug": f"more-{i}"}, prerequisites=["next"]))
        work_through(reader, f"more-{i}")
    work_through(reader, "base")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("accounts:home"))


def test_export_holds_everything_the_learner_owns_and_nothing_else(client, reader, stranger, site):
    work_through(reader, "base")
    progress_mark(owner=reader, slug="next", key="next-a", state="working")
    card = ReviewCard.objects.get(owner=reader, derivation_key="base-a")
    review_grade(owner=reader, note=card.note, derivation_key="base-a", rating="3", expected_last_review=None)
    work_through(stranger, "next")
    client.force_login(reader)
    response = client.get(reverse("accounts:export_json"))
    assert response["Content-Disposition"] == 'attachment; filename="bob-data.json"'
    data = json.loads(response.content)
    assert data["account"]["username"] == "bob"
    assert sorted((p["note"], p["derivation"], p["state"]) for p in data["progress"]) == [
        ("base", "base-a", "worked_through"),
        ("base", "base-b", "worked_through"),
        ("next", "next-a", "working"),
    ]
    assert {c["derivation"] for c in data["review_cards"]} == {"base-a", "base-b"}
    assert [entry["rating"] for entry in data["review_log"] if entry["kind"] == "explicit"] == ["good"]
    assert "charlie" not in response.content.decode()
    assert data["annotations"]["type"] == "AnnotationCollection"

    rows = list(csv.reader(io.StringIO(client.get(reverse("accounts:export_csv")).content.decode())))
    assert rows[0] == ["note", "derivation", "state", "revision", "fingerprint", "updated_at"]
    assert sorted(r[1] for r in rows[1:]) == ["base-a", "base-b", "next-a"]


def test_deleting_the_account_needs_the_password_and_removes_everything(client, reader, stranger, site):
    work_through(reader, "base")
    work_through(stranger, "base")
    client.force_login(reader)
    page = client.get(reverse("accounts:delete")).content.decode()
    assert "cannot be undone" in page
    wrong = client.post(reverse("accounts:delete"), {"password": "nope", "confirm": "on"})
    assert "That is not your password." in wrong.content.decode()
    unconfirmed = client.post(reverse("accounts:delete"), {"password": "bob-password-1"})
    assert unconfirmed.status_code == 200 and User.objects.filter(username="bob").exists()
    done = client.post(reverse("accounts:delete"), {"password": "bob-password-1", "confirm": "on"}, follow=True)
    assert "have been deleted" in done.content.decode()
    assert not User.objects.filter(username="bob").exists()
    assert not DerivationProgress.objects.filter(owner_id=reader.pk).exists()
    assert not ReviewCard.objects.filter(owner_id=reader.pk).exists()
    assert not ReviewLog.objects.filter(owner_id=reader.pk).exists()
    assert DerivationProgress.objects.filter(owner=stranger).count() == 2  # nobody else's
    assert done.context["user"].is_anonymous
