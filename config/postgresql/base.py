"""Django's PostgreSQL backend, with every answer from the server bounded in time, and a
process that found the server silent not asking again for a moment.

A stopped server is caught by libpq's connect_timeout, and a slow statement by the server's
own statement_timeout. A frozen server (a backend stopped by the kernel, a machine under
swap, a network that drops packets without resetting) is caught by neither: the kernel keeps
acknowledging, the server never answers, and the request waits forever. psycopg lets each
wait on the socket carry a timeout; this backend gives every wait one (OPTIONS
"answer_within", seconds; a health check far less), closes a connection whose server went
silent, and raises OperationalError, which config.outages turns into a 503.

Once a connection has failed that way, or could not be made, the process's other threads
would each wait out the same bound. Instead, for BREAKER_SECONDS no new connection is tried:
they fail at once (a 503, or an anonymous reader's cached page), and the first request
after the pause finds out whether the server is back.
"""

import threading
import time

import psycopg
from django.db.backends.postgresql import base

# A healthy server answers "SELECT 1" in well under a millisecond, even under load.
HEALTH_CHECK_SECONDS = 0.5
BREAKER_SECONDS = 1.0


class Breaker:
    """When this process last found the server unreachable or silent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + BREAKER_SECONDS

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0

    def check(self) -> None:
        remaining = self._open_until - time.monotonic()
        if remaining > 0:
            raise psycopg.OperationalError(
                f"the database did not answer a moment ago; trying again in {remaining:.1f} s"
            )


breaker = Breaker()


class BoundedConnection(psycopg.Connection):
    answer_within: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if timeout is None:
            timeout = self.answer_within
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except psycopg.errors._WaitTimeout as exc:  # psycopg's own (pinned) signal for exactly this
            # The socket may still receive the late answer: nothing after it can be trusted.
            self.pgconn.finish()
            breaker.trip()
            raise psycopg.OperationalError(
                f"the database did not answer within {timeout:g} s; the connection was closed"
            ) from exc


class _Psycopg:
    """The psycopg module as Django's backend sees it, connecting with BoundedConnection."""

    def __getattr__(self, name):
        return getattr(psycopg, name)

    @staticmethod
    def connect(*args, answer_within=None, **kwargs):
        breaker.check()
        try:
            connection = BoundedConnection.connect(*args, **kwargs)
        except psycopg.OperationalError:
            breaker.trip()
            raise
        connection.answer_within = answer_within
        return connection


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()

    def is_usable(self):
        if self.connection is None:
            return False
        bound = self.connection.answer_within
        self.connection.answer_within = HEALTH_CHECK_SECONDS
        try:
            return super().is_usable()
        finally:
            self.connection.answer_within = bound
