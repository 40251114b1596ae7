"""django-csp's middleware with the default policy's header built once per process.

django-csp builds the header from the settings on every response (a tenth of the work of a
cached note page). The policy only changes with the settings, a view's csp_update/csp_replace
or csp_exempt decorators, or a nonce; a response with none of these gets the header made once,
and anything else goes through django-csp as it would.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What django-csp's decorators leave on a response; any of them means a policy of its own.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@cache
def _defaults() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The default headers, and the path prefixes either policy excludes."""
    headers = ((HEADER, build_policy()), (HEADER_REPORT_ONLY, build_policy(report_only=True)))
    prefixes = []
    for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        prefixes += (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return tuple((name, value) for name, value in headers if value), tuple(prefixes)


@receiver(setting_changed)
def _forget(setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _defaults.cache_clear()


_NONCE_AFTER_HEADER = CheckableLazyObject(CSPMiddleware._csp_nonce_post_response)


class CachedPolicyCSPMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        headers, excluded_prefixes = _defaults()
        own_policy = any(hasattr(response, name) for name in _PER_RESPONSE)
        excluded = bool(excluded_prefixes) and request.path_info.startswith(excluded_prefixes)
        nonce_used = getattr(request, "_csp_nonce", None) is not None
        debug_page = settings.DEBUG and response.status_code in (500, 404)
        if own_policy or excluded or nonce_used or debug_page:
            return super().process_response(request, response)
        for name, value in headers:
            if name not in response:
                response[name] = value
        # As django-csp does: a nonce asked for after the header is written is an error (one
        # object for every request: it holds nothing, and raises each time it is read).
        request.csp_nonce = _NONCE_AFTER_HEADER
        return response
