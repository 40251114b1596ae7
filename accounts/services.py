"""Writes of the account itself (sign-up is Django's form; the reader's data lives in the
annotations and study packages)."""

from django.db import transaction


@transaction.atomic
def account_delete(*, owner) -> None:
    """Remove the account and, by cascade, every row it owns (annotations, marks, review cards,
    logs): nothing of the reader is kept."""
    owner.delete()
