"""The reader's progress on the home and topic pages, where to continue, and the dashboard's
recent activity with titles; each page in a number of queries that does not grow."""

import pytest
from django.urls import reverse

from accounts.study.services import progress_mark
from tests.accounts.study.test_dashboard import BODY  # two derivations per note
from tests.conftest import note_source

pytestmark = pytest.mark.django_db


def publish_notes(publish, *slugs):
    for slug in slugs:
        publish(slug, note_source(f"Note {slug.upper()}", body=BODY % {"slug": slug}))


def mark(reader, slug, suffix, state):
    progress_mark(owner=reader, slug=slug, key=f"{slug}-{suffix}", state=state)


def test_home_and_topic_show_each_notes_progress_and_where_to_continue(client, reader, publish):
    publish_notes(publish, "p", "q")
    mark(reader, "p", "a", "worked_through")
    mark(reader, "q", "b", "working")
    mark(reader, "p", "b", "worked_through")  # the latest mark, but a "working" one wins
    client.force_login(reader)
    for url in (reverse("notes:home"), reverse("notes:topic", args=["foundations"])):
        response = client.get(url)
        html = response.content.decode()
        assert "2 of 2 derivations worked through" in html
        assert "0 of 2 derivations worked through, 1 in progress" in html
        here = response.context["continue_at"]
        assert (here.slug, here.key, here.title, here.note_title) == ("q", "q-b", "Second of q", "Note Q")
        assert f'href="{reverse("notes:note", args=["q"])}#q-b"' in html
        assert "Continue where you left off" in html


def test_without_a_working_mark_continue_goes_to_the_last_marked(client, reader, publish):
    publish_notes(publish, "p", "q")
    mark(reader, "q", "a", "worked_through")
    mark(reader, "p", "b", "worked_through")
    client.force_login(reader)
    here = client.get(reverse("notes:home")).context["continue_at"]
    assert (here.slug, here.key) == ("p", "p-b")


def test_a_topic_continues_only_from_its_own_notes(client, reader, publish):
    publish("p", note_source("Note P", body=BODY % {"slug": "p"}))
    publish("o", note_source("Note O", body=BODY % {"slug": "o"}, topics=["optimization"]))
    mark(reader, "p", "a", "working")
    mark(reader, "o", "a", "working")
    client.force_login(reader)
    assert client.get(reverse("notes:home")).context["continue_at"].slug == "o"
    assert client.get(reverse("notes:topic", args=["foundations"])).context["continue_at"].slug == "p"


def test_anonymous_and_new_readers_see_no_progress_and_no_continue_link(client, reader, publish):
    publish_notes(publish, "p")
    for login in (False, True):
        if login:
            client.force_login(reader)
        for url in (reverse("notes:home"), reverse("notes:topic", args=["foundations"])):
            response = client.get(url)
            html = response.content.decode()
            assert "Continue where you left off" not in html
            assert ("0 of 2 derivations worked through" in html) is login
            assert response.context.get("continue_at") is None


@pytest.mark.parametrize("login", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("url", ["home", "topic"])
def test_note_lists_take_the_same_queries_however_many_notes_and_marks(
    client, reader, publish, django_assert_max_num_queries, login, url
):
    path = reverse("notes:home") if url == "home" else reverse("notes:topic", args=["foundations"])
    if login:
        client.force_login(reader)
    publish_notes(publish, "p")
    mark(reader, "p", "a", "working")
    # anonymous: home = areas, their children, notes, the notes' topics, prerequisite edges;
    # topic = the topic, its children, notes, edges. Signed in: + session, user, the header's
    # permission check (2), every note's standing (1) and the continue point (1).
    limit = {"home": 5, "topic": 4}[url] + (6 if login else 0)
    with django_assert_max_num_queries(limit):
        client.get(path)
    publish_notes(publish, "q", "r", "s")
    for slug in "qrs":
        mark(reader, slug, "a", "worked_through")
        mark(reader, slug, "b", "working")
    with django_assert_max_num_queries(limit):
        html = client.get(path).content.decode()
    assert ("1 in progress" in html) is login


def test_dashboard_activity_names_notes_and_derivations_by_title(client, reader, publish):
    publish_notes(publish, "p")
    mark(reader, "p", "a", "worked_through")
    client.force_login(reader)
    html = client.get(reverse("accounts:home")).content.decode()
    note_url = reverse("notes:note", args=["p"])
    assert f'<a href="{note_url}#p-a">First of p</a>' in html
    assert f'<a href="{note_url}">Note P</a>' in html
    assert "p · p-a" not in html  # no slugs where titles belong
