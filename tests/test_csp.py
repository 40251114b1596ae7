"""The CSP header built once per process: the same as django-csp's, and django-csp's own
whenever a response or request asks for something else."""

import pytest
from csp.constants import HEADER, NONCE, SELF
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config.csp import CachedPolicyCSPMiddleware


def respond(response=None, path="/"):
    request = RequestFactory().get(path)
    middleware = CachedPolicyCSPMiddleware(lambda request: response or HttpResponse("ok"))
    return request, middleware(request)


def test_the_default_header_is_django_csps():
    _, response = respond()
    assert response[HEADER] == build_policy()
    assert (
        "script-src 'self'" in response[HEADER]
        and "unsafe-inline" not in response[HEADER].split("script-src")[1].split(";")[0]
    )


def test_a_settings_change_changes_the_header():
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        _, response = respond()
        assert response[HEADER] == "default-src 'none'"
    _, response = respond()
    assert response[HEADER] == build_policy()


def test_a_response_with_its_own_policy_gets_it():
    own = HttpResponse("ok")
    own._csp_update = {"img-src": ["https://images.example"]}
    _, response = respond(own)
    assert "https://images.example" in response[HEADER]


@override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": [SELF, NONCE]}})
def test_a_request_that_used_a_nonce_gets_it_in_the_header():
    request = RequestFactory().get("/")

    def view(request):
        return HttpResponse(str(request.csp_nonce))

    response = CachedPolicyCSPMiddleware(view)(request)
    assert f"'nonce-{response.content.decode()}'" in response[HEADER]


def test_a_header_already_set_is_kept():
    set_before = HttpResponse("ok")
    set_before[HEADER] = "default-src 'self'"
    _, response = respond(set_before)
    assert response[HEADER] == "default-src 'self'"


@override_settings(
    CONTENT_SECURITY_POLICY={"EXCLUDE_URL_PREFIXES": ["/skip"], "DIRECTIVES": {"default-src": ["'self'"]}}
)
def test_excluded_paths_get_no_header():
    _, response = respond(path="/skip/this")
    assert HEADER not in response
    _, response = respond(path="/other")
    assert response[HEADER] == "default-src 'self'"


def test_a_nonce_asked_for_after_the_header_is_an_error_every_time():
    from csp.exceptions import CSPNonceError

    for _ in range(2):
        request, _response = respond()
        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)
