"""Django's database sessions, read by a statement the ORM compiles once per process.

Every request of a signed-in reader reads its session first. Building the ORM query for it
costs about 200 µs, five times running it, on the path of the most read page (a note page
is served from the cache in well under a millisecond otherwise); the statement is the one
Django's own store runs (the key, not expired), compiled once (config.statements), and the
data it holds decoded once per process (below). Everything else, writes included, is
Django's `django.contrib.sessions.backends.db` store, on the same table: a deploy that
switches to this store signs nobody out.
"""

from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from config.statements import Statement, compiled

# Placeholders for the key and the time, found among the compiled statement's parameters.
_KEY = "session-key-placeholder-7100001"
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


# Sessions decoded, by their stored text and the keys that signed it: checking the signature
# and inflating cost about a quarter of reading the row, and a reader's session text stays the
# same from view to view. Only flat data is kept (strings, numbers), and each load gets a copy
# of its own, so no caller can change what the next one gets.
_DECODED: dict[tuple, dict] = {}
_DECODED_MAX = 4096  # sessions; the whole is dropped when full
_FLAT = (str, int, float, bool, type(None))


class SessionStore(db.SessionStore):
    def load(self):
        data = self._session_data()
        return self.decode(data) if data is not None else {}

    def decode(self, session_data):
        known = (session_data, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
        found = _DECODED.get(known)
        if found is not None:
            return dict(found)
        decoded = super().decode(session_data)  # {} if the signature does not hold
        if decoded and all(type(value) in _FLAT for value in decoded.values()):
            if len(_DECODED) >= _DECODED_MAX:
                _DECODED.clear()
            _DECODED[known] = dict(decoded)
        return decoded

    def _session_data(self) -> str | None:
        """The stored data of the live session the key names, or None (Django's
        `_get_session_from_db`, with its statement compiled once)."""
        if self.session_key is None:  # no cookie, or an empty or malformed one: no query
            return None
        using = router.db_for_read(self.model)
        connection = connections[using]
        statement = _statement(self.model, using)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params(key=self.session_key, now=now))
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: the key names no live session
            return None
        return row[0]


@lru_cache(maxsize=4)
def _statement(model, using: str) -> Statement:
    query = model.objects.using(using).filter(session_key=_KEY, expire_date__gt=_NOW).values_list("session_data")
    return compiled(query, key=_KEY, now=connections[using].ops.adapt_datetimefield_value(_NOW))
