"""config.statements: ORM statements compiled once, run with named parameters, answering as
the ORM does; placeholders found exactly or not at all."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Value
from django.db.models.expressions import RawSQL

from config.statements import compiled

pytestmark = pytest.mark.django_db

PK = -7_300_001  # stands for a user's id


def run(statement, **values) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(**values))
        return cursor.fetchall()


def test_a_statement_answers_as_its_queryset_for_each_value(reader, stranger):
    def query(pk):
        return User.objects.filter(pk=pk, is_active=True).values_list("username", "email")

    statement = compiled(query(PK), pk=PK)
    assert "%(pk)s" in statement.sql and "%s" not in statement.sql.replace("%%", "")
    for user in (reader, stranger):
        assert run(statement, pk=user.pk) == list(query(user.pk))
    assert run(statement, pk=max(reader.pk, stranger.pk) + 1) == []


def test_a_parameter_equal_in_value_but_not_in_type_is_no_placeholder(reader):
    # True == 1 in Python: matched by value alone, the flag would be bound to the user's id.
    query = User.objects.filter(pk=1).annotate(flag=RawSQL("%s", (True,))).values_list("username", "flag")
    statement = compiled(query, pk=1)
    assert [value for value in statement.fixed.values() if value is True] == [True]
    assert run(statement, pk=reader.pk + 1000) == []
    assert [(name, bool(flag)) for name, flag in run(statement, pk=reader.pk)] == [("bob", True)]


def test_a_placeholder_used_twice_is_one_parameter_and_literal_percent_signs_stay(reader):
    query = (
        User.objects.filter(pk=PK)
        .annotate(same=RawSQL("%s + 0", (PK,)), percent=RawSQL("'100%%'", ()), mark=Value("%s"))
        .values_list("same", "percent", "mark")
    )
    statement = compiled(query, pk=PK)
    assert statement.sql.count("%(pk)s") == 2
    assert run(statement, pk=reader.pk) == [(reader.pk, "100%", "%s")]


def test_a_placeholder_the_statement_does_not_hold_is_refused():
    with pytest.raises(ValueError, match="placeholders not among"):
        compiled(User.objects.filter(pk=PK), pk=PK, other=-1)
    with pytest.raises(ValueError, match="like p0"):
        compiled(User.objects.filter(pk=PK), p0=PK)
