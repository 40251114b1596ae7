"""The CSRF token of a response, as Django's `get_token` gives it, masked with one read of the
system's random source rather than one per character.

Django masks the secret afresh for every response (a random mask, and the secret shifted by
it character by character), so that no two pages carry the same token: against BREACH, a
secret compressed with text an attacker chooses. Its mask takes 32 draws of
`secrets.choice`, each a call into the kernel for random bytes: about a tenth of the work of
a signed-in reader's cached note page. Here the mask is drawn from one read of the same
source: each byte below 248 (four times the 62 allowed characters) picks a character, so
every character is equally likely, as with Django's; the rest are skipped. The token is
Django's in every other respect, and its middleware checks it as its own.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: i for i, char in enumerate(_CHARS)}
_EVEN = 256 - 256 % len(_CHARS)  # bytes below this fall on each character equally often


def csrf_token(request) -> str:
    """`get_token(request)`: the request's secret masked afresh, and the CSRF cookie sent
    again with the response (its expiry renewed), or a new secret and its cookie."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:  # no secret yet: Django makes one
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token does
    mask = _random_indices(CSRF_SECRET_LENGTH)
    cipher = (_CHARS[(_INDEX[char] + shift) % len(_CHARS)] for char, shift in zip(secret, mask, strict=True))
    return "".join(_CHARS[i] for i in mask) + "".join(cipher)


def _random_indices(count: int) -> list[int]:
    """`count` indices of _CHARS, each drawn uniformly and independently."""
    indices: list[int] = []
    while len(indices) < count:
        indices += [byte % len(_CHARS) for byte in secrets.token_bytes(count + 8) if byte < _EVEN]
    return indices[:count]
