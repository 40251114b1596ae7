"""config.csrf: Django's CSRF token, masked from one read of the random source, uniformly."""

from collections import Counter

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_TOKEN_LENGTH,
    CsrfViewMiddleware,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from config import csrf
from config.csrf import csrf_token


def request_with_secret(secret: str | None):
    request = RequestFactory().get("/")
    if secret is not None:
        request.COOKIES["csrftoken"] = secret
    CsrfViewMiddleware(lambda r: None).process_request(request)  # as the middleware leaves it
    return request


def test_the_token_is_djangos_secret_masked_afresh_and_the_cookie_renewed():
    secret = "aZ09" * 8
    request = request_with_secret(secret)
    tokens = {csrf_token(request) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == CSRF_TOKEN_LENGTH and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # sent again, as get_token does


@pytest.mark.parametrize("cookie", [None, "", "not a secret"])
def test_without_a_valid_secret_django_makes_one(cookie):
    request = request_with_secret(cookie)
    token = csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"] != cookie
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_each_character_of_the_mask_is_equally_likely():
    # Taking each byte modulo 62 without skipping those from 248 up would make the first 8
    # characters a quarter more likely than the rest: a chi-square of about 400 here.
    counts = Counter(i for _ in range(2000) for i in csrf._random_indices(31))
    assert set(counts) == set(range(len(CSRF_ALLOWED_CHARS)))
    expected = 2000 * 31 / len(CSRF_ALLOWED_CHARS)
    chi_square = sum((counts[i] - expected) ** 2 / expected for i in range(len(CSRF_ALLOWED_CHARS)))
    assert chi_square < 130  # 61 degrees of freedom: exceeded by chance about once in a million runs
