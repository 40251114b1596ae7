"""Helpers the accounts and browser tests share."""

import threading

from django.db import connection

from accounts.models import ReviewCard
from accounts.study.services import progress_mark
from notes.models import Derivation, Note


def work_through(owner, note, *keys, now=None) -> list[ReviewCard]:
    """Mark derivations of a live note worked through, as a learner does: through the progress
    service, which records the live fingerprint and puts each derivation in the review schedule.

    `note` is a Note or its slug; without keys, every derivation of its live revision, in
    order. The marks are made at `now` (default: the current time), so a new review card is
    first due a day after it (services.FIRST_REVIEW_AFTER); an existing card keeps its
    schedule. Returns the cards, in the order of the keys.
    """
    note = Note.objects.get(slug=note if isinstance(note, str) else note.slug)
    keys = keys or Derivation.objects.filter(revision=note.live_revision).values_list("key", flat=True)
    cards = []
    for key in keys:
        progress_mark(owner=owner, slug=note.slug, key=key, state="worked_through", now=now)
        cards.append(ReviewCard.objects.get(owner=owner, note=note, derivation_key=key))
    return cards


def at_once(call, times: int = 4) -> list:
    """Run `call` in `times` threads released together, as concurrent requests would; each
    thread closes its own database connection. What each call returned or raised, in the
    order they finished."""
    outcomes = []
    barrier = threading.Barrier(times)

    def worker():
        try:
            barrier.wait()
            outcomes.append(call())
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
