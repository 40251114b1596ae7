"""Learning plans and the fringe, on hand-built graphs and through the database."""

import random

import pytest
from django.urls import reverse

from accounts.models import DerivationProgress
from accounts.study.plans import MINUTES_PER_DERIVATION, READING_WPM, NoteStanding, fringe, learning_plan
from notes.graph.order import reading_order
from notes.models import Note
from notes.services import revision_create
from tests.accounts.helpers import work_through
from tests.conftest import note_source

# a -> b means "a needs b"
DIAMOND = {"top": {"left", "right"}, "left": {"base"}, "right": {"base"}, "base": set(), "other": {"base"}}


def test_reading_order_respects_every_edge_on_random_dags():
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(2, 40)
        nodes = [f"n{i}" for i in range(n)]
        edges = {node: {nodes[j] for j in range(i) if rng.random() < 0.15} for i, node in enumerate(nodes)}
        rank = {node: rng.random() for node in nodes}
        order = reading_order(nodes, edges, rank.__getitem__)
        position = {node: i for i, node in enumerate(order)}
        assert sorted(order) == sorted(nodes)
        for node, prereqs in edges.items():
            for prereq in prereqs:
                assert position[prereq] < position[node], (prereq, node)


def test_reading_order_breaks_ties_by_rank():
    rank = {"top": 0, "left": 2, "right": 1, "base": 3}
    assert reading_order(["top", "left", "right", "base"], DIAMOND, rank.__getitem__) == [
        "base",
        "right",
        "left",
        "top",
    ]


def standing(slug, total, done=0, stale=0):
    return NoteStanding(slug, slug.title(), 100, total=total, done=done, stale=stale)


def test_fringe_is_what_can_be_studied_next():
    standings = {
        "base": standing("base", 2, done=2),
        "left": standing("left", 1),
        "right": standing("right", 1, done=1),
        "top": standing("top", 1),
        "other": standing("other", 3, done=1),
    }
    assert [s.slug for s in fringe(standings, DIAMOND)] == ["left", "other"]  # top waits for left
    standings["left"].done = 1
    assert [s.slug for s in fringe(standings, DIAMOND)] == ["other", "top"]


def test_a_stale_mark_holds_back_the_fringe_and_notes_without_derivations_do_not():
    standings = {"base": standing("base", 2, done=1, stale=1), "left": standing("left", 1)}
    assert [s.slug for s in fringe(standings, {"left": {"base"}})] == ["base"]
    standings["base"] = standing("base", 0)  # nothing to mark
    assert [s.slug for s in fringe(standings, {"left": {"base"}})] == ["left"]


def test_minutes_left_follows_the_stated_rule():
    s = NoteStanding("x", "X", words=1200, total=4, done=1, working=1)
    assert s.minutes_left == pytest.approx(1200 / READING_WPM + MINUTES_PER_DERIVATION * (2 + 0.5))
    s.done, s.working = 4, 0
    assert s.minutes_left == 0


# -- through the database ---------------------------------------------------------------------

DERIVATIONS = r"""
::: derivation {#%(slug)s-d1} First
1. Step $a$.

Result.
:::

::: derivation {#%(slug)s-d2} Second
1. Step $b$.

Result.
:::
"""


@pytest.fixture
def site(publish):
    # base <- left, right <- top ; base <- other ; lonely
    for slug, prereqs in [("base", []), ("left", ["base"]), ("right", ["base"]), ("top", ["left", "right"])]:
        publish(slug, note_source(slug.title(), body=DERIVATIONS % {"slug": slug}, prerequisites=prereqs))
    publish("other", note_source("Other", body=DERIVATIONS % {"slug": "other"}, prerequisites=["base"]))
    publish("lonely", note_source("Lonely", body=DERIVATIONS % {"slug": "lonely"}))


@pytest.mark.django_db
def test_plan_lists_the_closure_in_reading_order_and_prunes_done_notes(reader, site):
    plan = learning_plan(reader, "top")
    assert [s.slug for s in plan.steps] == ["base", "left", "right", "top"]
    work_through(reader, "base")
    work_through(reader, "right")
    plan = learning_plan(reader, "top")
    assert [s.slug for s in plan.steps] == ["left", "top"]
    assert [s.slug for s in plan.done] == ["base", "right"]
    assert plan.minutes_left == round(sum(s.minutes_left for s in plan.steps))


@pytest.mark.django_db
def test_plan_ignores_drafts_and_unpublished_edges(reader, editor, site):
    note = Note.objects.get(slug="top")
    revision_create(
        note=note,
        source=note_source("Top", body=DERIVATIONS % {"slug": "top"}, prerequisites=["left", "right", "lonely"]),
        author=editor,
    )
    assert "lonely" not in [s.slug for s in learning_plan(reader, "top").steps]


@pytest.mark.django_db
def test_plan_page(client, reader, site, django_assert_max_num_queries):
    client.force_login(reader)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:plan"), {"target": "top"})
    html = response.content.decode()
    steps = html[html.index('<ol class="plan-steps">') :]
    assert steps.index("/notes/base/") < steps.index("/notes/left/") < steps.index("/notes/top/")
    assert f"words ÷ {READING_WPM} minutes" in html
    assert client.get(reverse("accounts:plan"), {"target": "missing"}).status_code == 404
    assert client.get(reverse("accounts:plan"), {"target": "<script>"}).status_code == 404
    assert client.get(reverse("accounts:plan")).status_code == 200


@pytest.mark.django_db
def test_plan_and_dashboard_need_a_login(client, site):
    for name in ("accounts:plan", "accounts:home", "accounts:export_json", "accounts:export_csv", "accounts:delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name


@pytest.mark.django_db
def test_marks_on_removed_derivations_leave_the_plan(reader, site, publish):
    work_through(reader, "base")
    publish("base", note_source("Base", body=(DERIVATIONS % {"slug": "base"}).split("::: derivation {#base-d2}")[0]))
    plan = learning_plan(reader, "left")
    assert [s.slug for s in plan.done] == ["base"]
    assert plan.done[0].total == 1
    assert DerivationProgress.objects.filter(owner=reader, derivation_key="base-d2").exists()


@pytest.mark.django_db
def test_a_derivation_as_target_needs_all_prerequisites_but_only_that_derivation(client, reader, site):
    work_through(reader, "top", "top-d1")
    plan = learning_plan(reader, "top", "top-d1")
    assert [s.slug for s in plan.steps] == ["base", "left", "right"]  # top-d1 is done
    assert [s.slug for s in plan.done] == ["top"] and plan.done[0].total == 1
    plan = learning_plan(reader, "top", "top-d2")
    assert [s.slug for s in plan.steps][-1] == "top" and plan.steps[-1].total == 1
    client.force_login(reader)
    assert client.get(reverse("accounts:plan"), {"target": "top", "derivation": "nope"}).status_code == 404
    page = client.get(reverse("accounts:plan"), {"target": "top", "derivation": "top-d2"}).content.decode()
    assert "derivation <code>top-d2</code>" in page
