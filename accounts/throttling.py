"""Limits on guessing: the login lockout page (django-axes counts the failures) and the
password-reset limits per address and per client address (counted by notes.ratelimit in the
shared cache, so every worker sees them).
"""

import hashlib
from math import ceil

from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from accounts.password_reset import QueuedPasswordResetForm
from notes.ratelimit import over_limit

HOUR = 3600


def _too_many(request, minutes: int, reason: str):
    response = render(request, "registration/too_many.html", {"minutes": minutes, "reason": reason}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def login_locked_out(request, original_response=None, credentials=None):
    """What a locked-out login attempt gets: 429, how long to wait, and Retry-After."""
    cool_off = get_cool_off(request)
    minutes = ceil(cool_off.total_seconds() / 60)
    reason = (
        f"There were {settings.AXES_FAILURE_LIMIT} wrong passwords for this account or from your "
        "connection. To protect the account, logging in is paused."
    )
    return _too_many(request, minutes, reason)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, sending at most PASSWORD_RESETS_PER_ADDRESS emails to one address
    and taking PASSWORD_RESETS_PER_IP requests from one client an hour. Counted per address
    typed, whether an account has it or not, so the limit reveals nothing. The mail itself is
    sent by a worker (accounts.password_reset)."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        by_address = hashlib.sha256(address.encode()).hexdigest()
        client = get_client_ip_address(self.request) or "unknown"
        if over_limit("password-reset-ip", client, limit=settings.PASSWORD_RESETS_PER_IP, window_seconds=HOUR):
            reason = "There were too many password-reset requests from your connection."
            return _too_many(self.request, 60, reason)
        if over_limit("password-reset", by_address, limit=settings.PASSWORD_RESETS_PER_ADDRESS, window_seconds=HOUR):
            reason = (
                f"Reset links were sent to this address {settings.PASSWORD_RESETS_PER_ADDRESS} times in the past hour."
            )
            return _too_many(self.request, 60, reason)
        return super().form_valid(form)
