"""ORM statements compiled once per process and run with named parameters.

A few reads run on every view of the most read page (the session, the user, the note's
version and the reader's stamp). Building an ORM query costs several times running it, so
each is compiled once with a placeholder standing for every value that changes per call, and
run with the values put in their place.

The statement is kept in pyformat (`%(name)s`) with a dict of parameters, not positional
`%s`: Django's SQLite cursor turns positional SQL into its own style with a regular expression
over the whole text on every execute (tens of microseconds for a statement of a few
kilobytes), named SQL with one %-format; PostgreSQL takes either as it is. Placeholders are
found among the compiled parameters by type and value, and each must be found: a placeholder
the compiler dropped or changed, or a fixed parameter equal to one, fails at compile time
rather than binding a wrong value.
"""

import re
from typing import NamedTuple

from django.db.models import QuerySet

# `%%` is a literal percent sign in Django's compiled SQL; `%s`, a parameter.
_MARKERS = re.compile(r"%%|%s")
_FIXED = re.compile(r"p\d+")  # the names given to the fixed parameters


class Statement(NamedTuple):
    sql: str  # pyformat, each parameter by name
    fixed: dict  # the parameters that are the same on every call, by name
    select: list  # the compiler's select columns (expression, SQL, alias)

    def params(self, **values) -> dict:
        """The parameters of one call: the fixed ones, and each placeholder's value."""
        return {**self.fixed, **values}


def compiled(queryset: QuerySet, **placeholders) -> Statement:
    """`queryset`'s statement on its database, each parameter equal (same type and value) to
    a placeholder named for it (`user=-1` is run as `params(user=...)`)."""
    if any(_FIXED.fullmatch(name) for name in placeholders):
        raise ValueError(f"placeholder names like p0 are the fixed parameters': {sorted(placeholders)}")
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    if _MARKERS.findall(sql).count("%s") != len(params):
        raise ValueError("the statement's %s markers and parameters do not match")
    names, fixed, found = [], {}, set()
    for i, param in enumerate(params):
        name = _placeholder(param, placeholders)
        if name is None:
            name = f"p{i}"
            fixed[name] = param
        found.add(name)
        names.append(name)
    missing = set(placeholders) - found
    if missing:
        raise ValueError(f"placeholders not among the statement's parameters: {sorted(missing)}")
    named = iter(names)
    sql = _MARKERS.sub(lambda m: "%%" if m.group() == "%%" else f"%({next(named)})s", sql)
    return Statement(sql, fixed, compiler.select)


def _placeholder(param, placeholders: dict) -> str | None:
    for name, value in placeholders.items():
        if type(param) is type(value) and param == value:
            return name
    return None
