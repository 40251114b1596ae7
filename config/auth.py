"""Django's ModelBackend, with the user of each signed-in request read by a statement the ORM
compiles once per process.

Every request of a signed-in reader loads their user after their session (config.sessions).
Building the ORM query for it costs about 170 µs, several times running it, and a note page
is otherwise served from the cache in well under a millisecond. The statement is the one
`ModelBackend.get_user` runs (the user by primary key, every column), compiled once
(config.statements); the row becomes the instance as the ORM makes it (each column through
the database's and the field's converters, asked for once per connection, then
`Model.from_db`); the rule after it is Django's (`user_can_authenticate`: an inactive user is
nobody). Logins, permissions and all else are Django's own.
"""

from functools import lru_cache
from weakref import WeakKeyDictionary

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from config.statements import Statement, compiled

_PK = -7_100_003  # the placeholder for the user's id, as the statement is compiled


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None  # a session naming no valid id names no one
        using = router.db_for_read(model)
        connection = connections[using]
        statement = _statement(model, using)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.params(pk=user_id))
            row = cursor.fetchone()
        if row is None:
            return None
        names, converters = _converters(model, statement, connection)
        values = list(row)
        for i, column, convert in converters:
            values[i] = convert(values[i], column, connection)
        user = model.from_db(using, names, values)
        return user if self.user_can_authenticate(user) else None


@lru_cache(maxsize=4)
def _statement(model, using: str) -> Statement:
    return compiled(model._default_manager.db_manager(using).filter(pk=_PK), pk=_PK)


# Each connection's converters of the statement's columns (a connection is one thread's, and
# its converters are bound to it), asked of the backend and the fields once: the converters
# of a model's fields do not change while the process runs.
_CONVERTERS: WeakKeyDictionary = WeakKeyDictionary()


def _converters(model, statement: Statement, connection) -> tuple[list[str], list[tuple]]:
    """The attribute names of the statement's columns, and (position, column, converter) for
    each converter a value goes through, in the order the ORM applies them."""
    known = _CONVERTERS.setdefault(connection, {})
    if model not in known:
        columns = [column for column, _, _ in statement.select]
        converters = [
            (i, column, convert)
            for i, column in enumerate(columns)
            for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        ]
        known[model] = ([column.target.attname for column in columns], converters)
    return known[model]
