"""config.sessions and config.auth: Django's session store and ModelBackend with their per-request
reads compiled once, answering exactly as Django's own do; sessions made before moved over."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.auth import ModelBackend
from config.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_sessions_are_djangos_read_faster():
    assert settings.SESSION_ENGINE == "config.sessions"
    store = SessionStore()
    store["kept"] = [1, "two"]
    store.save()
    assert (
        SessionStore(store.session_key).load() == DjangoSessionStore(store.session_key).load() == {"kept": [1, "two"]}
    )
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None  # as Django's: a new key on save


def test_a_session_decoded_once_answers_as_django_whatever_changes(settings):
    store = SessionStore()
    store.update({"name": "bob", "count": 1})
    store.save()
    first = SessionStore(store.session_key).load()
    first["name"] = "changed by a caller"
    again = SessionStore(store.session_key)
    assert again.load() == DjangoSessionStore(store.session_key).load() == {"name": "bob", "count": 1}
    again["count"] = 2  # a new text: decoded anew
    again.save()
    assert SessionStore(store.session_key).load() == {"name": "bob", "count": 2}
    nested = SessionStore()
    nested["list"] = [1, 2]
    nested.save()
    loaded = SessionStore(nested.session_key).load()
    loaded["list"].append(3)  # not kept: a caller could change it in place
    assert SessionStore(nested.session_key).load() == {"list": [1, 2]}
    signed_with = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40  # the texts were signed with the old key
    assert SessionStore(store.session_key).load() == DjangoSessionStore(store.session_key).load() == {}
    settings.SECRET_KEY_FALLBACKS = [signed_with]
    assert SessionStore(store.session_key).load() == {"name": "bob", "count": 2}


@pytest.mark.parametrize("key", [None, "", "short", "no-such-session-key-0123456789"])
def test_a_key_that_names_no_session_loads_nothing(key, django_assert_max_num_queries):
    with django_assert_max_num_queries(0 if key in (None, "", "short") else 1):  # no query for what is no key
        assert SessionStore(key).load() == {}


def test_the_user_is_djangos_made_the_same_way(reader):
    reader.last_login = timezone.now()
    reader.save()
    ours, django = ModelBackend().get_user(reader.pk), DjangoModelBackend().get_user(reader.pk)
    assert ours == django
    assert all(getattr(ours, f.attname) == getattr(django, f.attname) for f in User._meta.concrete_fields)
    assert ModelBackend().get_user(str(reader.pk)) == reader  # as sessions store it
    assert ModelBackend().get_user(reader.pk + 1000) is None
    assert ModelBackend().get_user("not a number") is None
    reader.is_active = False
    reader.save()
    assert ModelBackend().get_user(reader.pk) is None  # an inactive user is nobody


def test_signing_in_and_out_goes_through_the_sites_backend(client, reader):
    assert client.post(reverse("accounts:login"), {"username": "bob", "password": "bob-password-1"}).status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "config.auth.ModelBackend"
    assert client.get(reverse("accounts:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:home")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_sessions_made_before_the_sites_backend_stay_signed_in():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("accounts", "0006_reader_page_stamp")])
    try:
        reader = User.objects.create_user("bob", "bob@example.com", "bob-password-1")
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store.update({
            SESSION_KEY: str(reader.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: reader.get_session_auth_hash(),
        })  # fmt: skip
        store.save()
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("accounts", "0007_sessions_site_backend")])
        assert SessionStore(store.session_key).load()[BACKEND_SESSION_KEY] == "config.auth.ModelBackend"
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
        assert client.get(reverse("accounts:home")).status_code == 200
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
