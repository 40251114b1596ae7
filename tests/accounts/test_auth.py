"""Accounts basics: sign up, log in and out, change and reset a password."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signup_creates_an_account_and_logs_in(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "dana",
            "email": "dana@example.com",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(username="dana").exists()
    assert client.get(reverse("notes:home")).context["user"].username == "dana"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {
                "username": "e",
                "email": "e@example.com",
                "password1": "a-long-passphrase-9",
                "password2": "other-passphrase-9",
            },
            "didn’t match",
        ),
        (
            {
                "username": "e",
                "email": "not-an-email",
                "password1": "a-long-passphrase-9",
                "password2": "a-long-passphrase-9",
            },
            "valid email",
        ),
        ({"username": "e", "email": "e@example.com", "password1": "123", "password2": "123"}, "too short"),
        (
            {
                "username": "bob",
                "email": "new@example.com",
                "password1": "a-long-passphrase-9",
                "password2": "a-long-passphrase-9",
            },
            "already exists",
        ),
        (
            {
                "username": "f",
                "email": "BOB@example.com",
                "password1": "a-long-passphrase-9",
                "password2": "a-long-passphrase-9",
            },
            "email already exists",
        ),
    ],
)
def test_signup_errors_are_explained(client, reader, data, message):
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1


def test_login_logout(client, reader):
    response = client.post(reverse("accounts:login"), {"username": "bob", "password": "bob-password-1"})
    assert response.status_code == 302
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not client.get(reverse("notes:home")).context["user"].is_authenticated


def test_wrong_password_is_refused_with_a_message(client, reader):
    response = client.post(reverse("accounts:login"), {"username": "bob", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_password_change(client, reader):
    client.force_login(reader)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "bob-password-1",
            "new_password1": "brand-new-phrase-7",
            "new_password2": "brand-new-phrase-7",
        },
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password("brand-new-phrase-7")


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_password_reset_by_email(client, reader):
    client.post(reverse("accounts:password_reset"), {"email": "bob@example.com"})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "reset-phrase-42x", "new_password2": "reset-phrase-42x"})
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password("reset-phrase-42x")


def test_editors_group_holds_the_authoring_permissions(editor):
    group = Group.objects.get(name="editors")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"submit_note", "publish_note", "change_note", "add_note"} <= codenames
    assert editor.has_perm("notes.publish_note")
