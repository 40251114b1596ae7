"""Outages answered honestly: with the cache unreachable, every page still answers 200."""

import pytest
from django.urls import reverse

from tests.conftest import note_source

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: each cache call fails at once, as with Redis stopped.
UNREACHABLE = {
    "default": {
        "BACKEND": "config.cache.ForgivingRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = UNREACHABLE


def test_with_the_cache_down_every_page_still_answers(client, reader, publish, cache_down):
    publish("base", note_source("Base", body="$$\na = b \\label{eq:ab}\n$$"))
    publish("top", note_source("Top", body="By [[base#eq:ab]].", prerequisites=["base"]))
    for url in ("/", "/about/", "/graph/", "/search/?q=base", "/notes/top/", "/notes/top/graph/"):
        assert client.get(url).status_code == 200, url
    client.force_login(reader)
    assert client.get("/notes/top/").status_code == 200
    assert client.get(reverse("accounts:home")).status_code == 200


def test_with_the_cache_down_logins_and_resets_still_work(client, reader, cache_down):
    response = client.post(reverse("accounts:login"), {"username": "bob", "password": "bob-password-1"})
    assert response.status_code == 302
    client.logout()
    assert client.post(reverse("accounts:password_reset"), {"email": "bob@example.com"}).status_code == 302


@pytest.fixture
def database_down():
    """The default connection pointed where no database answers (a closed port, or a path
    SQLite cannot open), for real: every query fails as with the server stopped."""
    from django.db import connection

    saved = dict(connection.settings_dict)

    def stop():
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent/database/here.sqlite3"
        else:
            connection.settings_dict.update(HOST="127.0.0.1", PORT="1")

    yield stop
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_pages_answer_503_or_from_the_cache(client, publish, database_down):
    publish("cached", note_source("Cached", body="Read before the outage."))
    publish("uncached", note_source("Uncached", body="Never read."))
    assert client.get("/notes/cached/").status_code == 200  # an anonymous reader caches it
    database_down()
    served = client.get("/notes/cached/")
    assert served.status_code == 200 and "Read before the outage." in served.content.decode()
    refused = client.get("/notes/uncached/")
    assert refused.status_code == 503 and refused["Retry-After"] == "10"
    assert "Back in a moment" in refused.content.decode()
    assert client.get("/about/").status_code == 200  # needs no database


# -- rate limits ----------------------------------------------------------------------------------


def test_annotation_writes_are_limited_per_reader(client, reader, stranger, publish, settings):
    from accounts.annotations import views

    publish("n", note_source("Note N", body="The logits are here."))
    client.force_login(reader)
    data = {"note": "n", "revision": 1, "kind": "text", "quote": "The logits", "body": "Hm."}
    url = reverse("accounts:annotation_new")
    for _ in range(views.WRITES_PER_MINUTE):
        assert client.post(url, data, HTTP_ACCEPT="application/json").status_code == 201
    refused = client.post(url, data, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "wait a minute" in refused.json()["errors"][0]
    client.force_login(stranger)  # another reader is not held back
    assert client.post(url, data, HTTP_ACCEPT="application/json").status_code == 201


def test_previews_are_limited_per_editor(client, editor):
    from notes.editorial import views

    client.force_login(editor)
    url = reverse("editor:preview")
    for _ in range(views.PREVIEWS_PER_MINUTE):
        assert client.post(url, {"content": "Text $x$."}).status_code == 200
    assert client.post(url, {"content": "Text $x$."}).status_code == 429


# -- hostile readers ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_spread_bombs_get_six_400s_while_a_reader_is_served(publish, django_user_model):
    import threading

    from django.db import connection
    from django.test import Client

    from tests.conftest import BOMB_MACROS

    publish("n", note_source("Note N", body="The logits are here, $x^2$."))
    attackers = [django_user_model.objects.create_user(f"mallory{i}", password="x-long-pass-1") for i in range(6)]
    body = BOMB_MACROS + " " + " ".join([r"$\zd$"] * 40)
    barrier = threading.Barrier(7)
    outcomes: dict[str, int] = {}

    def attack(user):
        client = Client()
        client.force_login(user)
        barrier.wait(timeout=10)
        data = {"note": "n", "revision": 1, "kind": "text", "quote": "The logits", "body": body}
        response = client.post(reverse("accounts:annotation_new"), data, HTTP_ACCEPT="application/json")
        outcomes[user.username] = response.status_code
        connection.close()

    def read():
        barrier.wait(timeout=10)
        outcomes["reader"] = Client().get("/notes/n/").status_code
        connection.close()

    threads = [threading.Thread(target=attack, args=(u,)) for u in attackers] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {**{u.username: 400 for u in attackers}, "reader": 200}
