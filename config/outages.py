"""A request the database cannot answer gets an honest 503 with Retry-After, not a 500.

This is the site's 500 handler (config.urls.handler500) rather than a middleware: a database
error can surface anywhere in a request (a middleware loading the session, the view, a
template rendered after the view returned), and only the error handler sees all of them.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from notes.http import wants_json

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 10


def server_error(request):
    exception = sys.exc_info()[1]
    # OperationalError: cannot connect, connection lost, statement cancelled, no answer in
    # time; InterfaceError: a connection that was already closed. Other database errors are
    # bugs, and stay 500s.
    if not isinstance(exception, OperationalError | InterfaceError):
        return defaults.server_error(request)
    log.warning("database unavailable for %s: %s", request.path, exception)
    if wants_json(request):
        message = f"The notes' database is not answering; nothing was saved. Try again in {RETRY_AFTER_SECONDS} s."
        response = JsonResponse({"errors": [message]}, status=503)
    else:
        # Rendered without the request: the page must not reach for the session or the user,
        # which live in the database.
        response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
