"""No guessing at passwords: logins lock after repeated failures, resets are rate-limited."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username, password, ip="203.0.113.7"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, reader):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "bob", "wrong").status_code == 200  # the form again, with its error
    locked = login(client, "bob", "wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "Please wait 15 minutes" in page and "5 wrong passwords" in page
    right = login(client, "bob", "bob-password-1")
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_lock_follows_the_username_from_another_address(client, reader):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "bob", "wrong", ip=f"198.51.100.{i}")
    assert login(client, "bob", "bob-password-1", ip="192.0.2.1").status_code == 429


def test_one_address_guessing_many_usernames_is_locked(client, reader, stranger):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"someone-{i}", "guess")
    assert login(client, "charlie", "charlie-password-1").status_code == 429  # right, but locked out
    # another reader elsewhere is not affected
    assert login(client, "bob", "bob-password-1", ip="192.0.2.99").status_code == 302


def test_a_right_password_before_the_limit_clears_the_count(client, reader):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "bob", "wrong")
    assert login(client, "bob", "bob-password-1").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "bob", "wrong").status_code == 200
    assert login(client, "bob", "bob-password-1").status_code == 302


def reset(client, email, ip="203.0.113.7"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_password_resets_are_limited_per_address(client, reader):
    for _ in range(settings.PASSWORD_RESETS_PER_ADDRESS):
        assert reset(client, "bob@example.com").status_code == 302
    refused = reset(client, "BOB@example.com ", ip="198.51.100.1")  # same address, other client
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "sent to this address 3 times in the past hour" in refused.content.decode()
    assert len(mail.outbox) == settings.PASSWORD_RESETS_PER_ADDRESS


def test_password_resets_are_limited_per_client(client, reader):
    for i in range(settings.PASSWORD_RESETS_PER_IP):
        assert reset(client, f"nobody-{i}@example.com").status_code == 302
    refused = reset(client, "bob@example.com")
    assert refused.status_code == 429 and "too many password-reset requests" in refused.content.decode()
    assert mail.outbox == []  # none of those addresses has an account, and bob's was refused
