"""Per-user (or per-client) rate limits, counted in the shared cache.

Used for what one person can repeat cheaply but the site pays for: editor previews (a render
each), annotation writes (a render and a row each), password-reset emails. With the cache down
the counts are lost and nothing is limited: the site answers rather than refuses.
"""

from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse

from notes.http import wants_json


def over_limit(scope: str, who: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more event of `who` in `scope`; True once more than `limit` fell in the window
    that `who`'s first counted event opened (incrementing keeps the key's expiry)."""
    key = f"rate:{scope}:{who}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # gone between add and incr (expired, or the cache is down)
        return False
    return count > limit


def rate_limited(scope: str, *, per_minute: int):
    """A view decorator: a signed-in user's POSTs beyond `per_minute` get 429 and Retry-After,
    as JSON when the client asked for JSON."""

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            counted = request.method == "POST" and request.user.is_authenticated
            if counted and over_limit(scope, str(request.user.pk), limit=per_minute, window_seconds=60):
                return _too_often(request, per_minute)
            return view(request, *args, **kwargs)

        return limited

    return decorate


def _too_often(request, per_minute: int) -> HttpResponse:
    message = f"You have done this {per_minute} times in a minute; wait a minute and try again."
    if wants_json(request):
        response = JsonResponse({"errors": [message]}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "60"
    return response
