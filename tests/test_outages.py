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
    thaw_breaker()


def thaw_breaker():
    """The next test may connect at once: this process saw the database fail a moment ago."""
    from django.db import connection

    if connection.vendor == "postgresql":
        from config.postgresql.base import breaker

        breaker.reset()


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_pages_answer_503_or_from_the_cache(publish, reader, database_down):
    from django.test import Client

    publish("cached", note_source("Cached", body="Read before the outage."))
    publish("uncached", note_source("Uncached", body="Never read."))
    # As a real server does: an exception is answered by the error handler, not re-raised.
    client, logged_in = Client(raise_request_exception=False), Client(raise_request_exception=False)
    logged_in.force_login(reader)
    assert client.get("/notes/cached/").status_code == 200  # an anonymous reader caches it
    database_down()
    # The session is read by a middleware, before any view: still a 503, not a 500.
    assert logged_in.get("/notes/cached/").status_code == 503
    # A page script's write gets JSON it can show, not a page.
    data = {"note": "cached", "revision": 1, "kind": "text", "quote": "Read", "body": "Hm."}
    write = logged_in.post(reverse("accounts:annotation_new"), data, HTTP_ACCEPT="application/json")
    assert write.status_code == 503 and "nothing was saved" in write.json()["errors"][0]
    served = client.get("/notes/cached/")
    assert served.status_code == 200 and "Read before the outage." in served.content.decode()
    refused = client.get("/notes/uncached/")
    assert refused.status_code == 503 and refused["Retry-After"] == "10"
    assert "Back in a moment" in refused.content.decode()
    assert client.get("/about/").status_code == 200  # needs no database


@pytest.fixture
def database_frozen():
    """A context in which every PostgreSQL backend of the test database but the test's own is
    frozen (SIGSTOP, as a server under swap or a stalled disk would be) as soon as it appears:
    sockets stay open, the kernel acknowledges, nothing answers. All are thawed on leaving."""
    import os
    import signal
    import threading
    from contextlib import contextmanager

    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a frozen server is a PostgreSQL fault (SQLite is in-process)")
    if os.geteuid() != 0:
        pytest.skip("stopping the server's backend processes needs root")

    @contextmanager
    def frozen():
        stopped: set[int] = set()
        done = threading.Event()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own = cursor.fetchone()[0]
        params = connection.get_connection_params()
        watcher = psycopg.connect(
            **{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")}, autocommit=True
        )

        def freeze_new_backends():
            while not done.wait(0.01):
                rows = watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid NOT IN (pg_backend_pid(), %s)",
                    [own],
                ).fetchall()
                for (pid,) in rows:
                    if pid not in stopped:
                        os.kill(pid, signal.SIGSTOP)
                        stopped.add(pid)

        freezer = threading.Thread(target=freeze_new_backends)
        freezer.start()
        try:
            yield
        finally:
            done.set()
            freezer.join()
            watcher.close()
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)

    return frozen


@pytest.mark.django_db(transaction=True)
def test_a_frozen_database_gets_503s_within_three_seconds_and_recovery_follows(live_server, publish, database_frozen):
    import time
    import urllib.error
    import urllib.request

    from config.postgresql.base import BREAKER_SECONDS

    def get(url: str) -> tuple[int, float]:
        started = time.monotonic()
        try:
            status = urllib.request.urlopen(url, timeout=10).status
        except urllib.error.HTTPError as error:
            assert error.headers["Retry-After"] == "10"
            status = error.code
        return status, time.monotonic() - started

    publish("n", note_source("Note N", body="Text."))
    url = f"{live_server.url}/notes/n/"
    with database_frozen():
        first, waited = get(url)
        assert first == 503 and waited < 3, (first, waited)
        # The process now knows the server is silent: the next request does not wait again.
        second, waited = get(url)
        assert second == 503 and waited < 0.5, (second, waited)
    thawed = time.monotonic()
    while (status := get(url)[0]) != 200 and time.monotonic() - thawed < 10:
        time.sleep(0.05)
    assert status == 200 and time.monotonic() - thawed < BREAKER_SECONDS + 1


@pytest.mark.django_db
def test_a_slow_statement_is_cancelled_by_the_server():
    from django.db import OperationalError, connection

    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    with pytest.raises(OperationalError, match="statement timeout"), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(10)")


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
