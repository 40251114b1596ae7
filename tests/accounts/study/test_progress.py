"""Per-derivation progress: marks, staleness across revisions, re-confirming, privacy."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import DerivationProgress
from accounts.study.services import ProgressError, progress_mark
from notes.graph.selectors import live_graph
from notes.models import Note
from notes.services import revision_create
from tests.accounts.helpers import at_once
from tests.conftest import note_source

pytestmark = pytest.mark.django_db

BODY = r"""
::: derivation {#one} First derivation
1. Start from $a = b$.
2. Then $b = c$.

So $a = c$.
:::

::: derivation {#two} Second derivation
1. Take $x$.

Done with $x$.
:::
"""


@pytest.fixture
def note(publish):
    publish("n", note_source("Note N", body=BODY))
    return Note.objects.get(slug="n")


def mark(client, key, state, slug="n", **headers):
    return client.post(reverse("accounts:progress", args=[slug, key]), {"state": state}, **headers)


def state_of(user, key, slug="n"):
    row = DerivationProgress.objects.filter(owner=user, note__slug=slug, derivation_key=key).first()
    return row.state if row else "none"


def republish(publish, body):
    return publish("n", note_source("Note N", body=body))


def marks_on_page(client, slug="n"):
    html = client.get(reverse("notes:note", args=[slug])).content.decode()
    return html


def test_a_form_post_marks_and_returns_to_the_derivation(client, reader, note):
    client.force_login(reader)
    response = mark(client, "one", "working")
    assert response.status_code == 302 and response["Location"] == "/notes/n/#one"
    assert state_of(reader, "one") == "working"
    mark(client, "one", "worked_through")
    assert state_of(reader, "one") == "worked_through"
    mark(client, "one", "none")
    assert state_of(reader, "one") == "none"


def test_the_page_script_gets_json(client, reader, note):
    client.force_login(reader)
    response = mark(client, "two", "worked_through", HTTP_ACCEPT="application/json")
    assert response.json() == {"key": "two", "state": "worked_through", "label": "Worked through", "stale": False}


def test_the_note_page_shows_each_control_after_its_heading_with_the_state_pressed(client, reader, note):
    client.force_login(reader)
    mark(client, "one", "worked_through")
    html = marks_on_page(client)
    one = html[html.index('data-derivation="one"') :]
    head_end = one.index("</header>")
    form = one[head_end : one.index("</form>")]
    assert '<form class="progress-form"' in form and 'action="/accounts/progress/n/one/"' in form
    assert 'value="worked_through" aria-pressed="true"' in form
    assert 'value="working" aria-pressed="false"' in form
    assert "<strong>1 of 2</strong> derivations worked through" in html


def test_anonymous_readers_get_no_controls_and_are_sent_to_log_in(client, note):
    assert "progress-form" not in marks_on_page(client)
    response = mark(client, "one", "working")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not DerivationProgress.objects.exists()


@pytest.mark.parametrize("state", ["done", "", "WORKED_THROUGH", "<script>"])
def test_forged_states_are_refused_with_a_clear_message(client, reader, note, state):
    client.force_login(reader)
    response = mark(client, "one", state)
    assert response.status_code == 400
    assert "unknown progress state" in response.content.decode()
    json_response = mark(client, "one", state, HTTP_ACCEPT="application/json")
    assert "use one of: none, working, worked_through" in json_response.json()["error"]
    assert not DerivationProgress.objects.exists()


def test_marks_on_missing_draft_or_removed_derivations_are_404(client, reader, editor, note, publish):
    client.force_login(reader)
    assert mark(client, "nope", "working").status_code == 404
    assert mark(client, "one", "working", slug="missing").status_code == 404
    draft = Note.objects.create(slug="draft")
    revision_create(note=draft, source=note_source("Draft", body=BODY), author=editor)
    assert mark(client, "one", "working", slug="draft").status_code == 404
    # a derivation only in a newer, unpublished revision
    revision_create(note=note, source=note_source("Note N", body=BODY.replace("{#two}", "{#three}")), author=editor)
    assert mark(client, "three", "working").status_code == 404
    assert mark(client, "two", "working").status_code == 302  # still live


def test_get_is_not_allowed(client, reader, note):
    client.force_login(reader)
    assert client.get(reverse("accounts:progress", args=["n", "one"])).status_code == 405


def test_repeated_marks_are_idempotent(client, reader, note):
    client.force_login(reader)
    for _ in range(3):
        mark(client, "one", "worked_through")
    assert DerivationProgress.objects.filter(owner=reader).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_marks_leave_one_row(reader, publish, areas):
    publish("n", note_source("Note N", body=BODY))
    outcomes = at_once(lambda: progress_mark(owner=reader, slug="n", key="one", state="worked_through"))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert DerivationProgress.objects.filter(owner=reader, derivation_key="one").count() == 1


def test_one_learner_never_touches_anothers_marks(client, reader, stranger, note):
    progress_mark(owner=reader, slug="n", key="one", state="worked_through")
    client.force_login(stranger)
    html = marks_on_page(client)
    assert "<strong>0 of 2</strong>" in html
    assert client.get(reverse("accounts:progress_changes", args=["n", "one"])).status_code == 404
    mark(client, "one", "none")
    assert state_of(reader, "one") == "worked_through"


# -- staleness across revisions -------------------------------------------------------------


def test_changed_derivation_makes_the_mark_stale_and_reconfirm_clears_it(client, reader, note, publish):
    progress_mark(owner=reader, slug="n", key="one", state="worked_through")
    progress_mark(owner=reader, slug="n", key="two", state="worked_through")
    republish(publish, BODY.replace("Then $b = c$.", "Then $b = c$, by transitivity."))
    client.force_login(reader)
    html = marks_on_page(client)
    one = html[html.index('data-derivation="one"') : html.index('data-derivation="two"')]
    assert "Changed since you worked through it (revision 1)" in one
    assert "Changed since" not in html[html.index('data-derivation="two"') :]
    assert "<strong>1 of 2</strong>" in html and "1 changed since" in html

    changes = client.get(reverse("accounts:progress_changes", args=["n", "one"]))
    page = changes.content.decode()
    assert changes.status_code == 200
    assert "Its content has changed since." in page
    rows = changes.context["steps"]
    assert [changed for _, _, changed in rows] == [False, True]
    assert "by transitivity" in rows[1][1]["html"] and "by transitivity" not in rows[1][0]["html"]

    mark(client, "one", "reconfirm")
    assert "Changed since" not in marks_on_page(client)
    row = DerivationProgress.objects.get(owner=reader, derivation_key="one")
    assert row.revision.number == 2


def test_one_rule_of_staleness_in_python_in_the_orm_and_in_sql(reader, note):
    """`is_stale_against`, `stale_against` and `STALE_SQL` (the raw-SQL standings of plans and
    the dashboard) agree on every state, against the marked fingerprint and against another."""
    marks = [
        DerivationProgress.objects.create(
            owner=reader,
            note=note,
            derivation_key=f"key-{state}",
            state=state,
            revision=note.live_revision,
            fingerprint="marked",
        )
        for state in DerivationProgress.State
    ]
    rule = DerivationProgress.STALE_SQL.format(mark="p", live_fingerprint="%s")
    for live in ("marked", "changed"):
        python = {m.pk for m in marks if m.is_stale_against(live)}
        orm = set(DerivationProgress.objects.stale_against(live).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT p.id FROM accounts_derivationprogress p WHERE {rule}", [live])
            sql = {pk for (pk,) in cursor.fetchall()}
        assert python == orm == sql, live
        worked = {m.pk for m in marks if m.state == DerivationProgress.State.WORKED_THROUGH}
        assert python == (worked if live == "changed" else set())  # "working on it" is never stale


def test_unchanged_and_retitled_derivations_stay_valid(client, reader, note, publish):
    progress_mark(owner=reader, slug="n", key="one", state="worked_through")
    republish(publish, BODY.replace("First derivation", "The first derivation, renamed") + "\nMore prose.\n")
    client.force_login(reader)
    html = marks_on_page(client)
    assert "Changed since" not in html and "<strong>1 of 2</strong>" in html


def test_removed_derivations_keep_their_mark_but_leave_the_counts(client, reader, note, publish):
    progress_mark(owner=reader, slug="n", key="two", state="worked_through")
    republish(publish, BODY.split("::: derivation {#two}")[0])
    client.force_login(reader)
    assert "<strong>0 of 1</strong> derivation worked through" in marks_on_page(client)
    assert DerivationProgress.objects.filter(owner=reader, derivation_key="two").exists()
    assert mark(client, "two", "working").status_code == 404


def test_reconfirm_needs_a_worked_through_mark(reader, note):
    with pytest.raises(ProgressError, match="only a worked-through mark can be re-confirmed"):
        progress_mark(owner=reader, slug="n", key="one", state="reconfirm")


def test_note_page_query_count_is_constant_as_marks_grow(client, reader, publish, areas, django_assert_num_queries):
    big = "\n".join(BODY.replace("{#one}", f"{{#one-{i}}}").replace("{#two}", f"{{#two-{i}}}") for i in range(4))
    publish("few", note_source("Few", body=BODY))
    publish("many", note_source("Many", body=big))
    live_graph()  # drawn once per publish, not per page: warm it so each page pays the same
    client.force_login(reader)
    # nothing cached: session, user, version with stamp; the page (note, topics, derivations, links
    # in, graph version); the reader's parts (permissions twice, marks, annotations)
    with django_assert_num_queries(12) as first:
        client.get(reverse("notes:note", args=["few"]))
    for i in range(4):
        for key in (f"one-{i}", f"two-{i}"):
            progress_mark(owner=reader, slug="many", key=key, state="worked_through")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("notes:note", args=["many"]))
    for slug in ("few", "many"):
        with django_assert_num_queries(3):  # all from the cache: session, user, version with stamp
            client.get(reverse("notes:note", args=[slug]))
