"""The formula cache's table: typeset formulas by key, where every process and machine finds them.

notes.rendering.formula_cache decides what a key is and what goes in it; this is where the
entries live. A note's render reads it once (`key__in`) and writes what it typeset in one
bulk insert that ignores keys another process wrote meanwhile (entries under one key are
the same, whoever wrote them). Entries are never changed, only added and pruned.

Size: a key is never reused for other content, so nothing is ever stale, only unused (keys
of old KaTeX versions, edited formulas). `manage.py rerender --prune` re-renders every
revision and deletes the entries no render used (`touching` marks those it used), annotations'
formulas included: annotations keep their HTML, so a pruned formula costs only its next
typesetting.

In front of the table, each process keeps the entries it read or wrote lately in memory
(notes.rendering.formula_memo): a render whose formulas are all known reads nothing. The memo is
bypassed while `touching` (every key read must reach the table to be marked used) and emptied
with the table (`formulas_prune`, `formulas_forget`); another process's memo may still hold an
entry pruned here, which is harmless: an entry is the same whenever it is served.

An unreachable table (no database in a test, a migration not yet run, a database error)
degrades to no cache: the formulas are typeset and nothing is kept, as the shared cache
degrades (config.cache).
"""

import json
import logging
import threading
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from notes.rendering.formula_cache import Typeset
from notes.rendering.formula_memo import FormulaMemo

log = logging.getLogger(__name__)

BATCH = 500  # keys per query: under every database's limit on parameters

# This process's entries in memory, in front of the table (made with the first store).
_memo: FormulaMemo | None = None


class RenderedFormula(models.Model):
    """One formula typeset and sanitized (or KaTeX's error for it), by formula_cache key."""

    key = models.CharField(max_length=64, primary_key=True)
    html = models.TextField(blank=True)  # sanitized; empty for an error
    blank = models.BooleanField(default=False)  # draws nothing (only macro definitions)
    is_error = models.BooleanField(default=False)  # KaTeX refused it: `error` says why
    error = models.TextField(blank=True)
    position = models.IntegerField(null=True, blank=True)  # where in the formula KaTeX stopped
    # JSON lists, empty text for none (the usual case: read back without decoding anything)
    warnings = models.TextField(blank=True)
    refused = models.TextField(blank=True)  # commands `trust` refused
    defines = models.BooleanField(default=False)  # changed the macros of the formulas after it
    used_at = models.DateTimeField(db_index=True)  # written, or last used by `rerender --prune`

    class Meta:
        app_label = "notes"

    def __str__(self) -> str:
        return self.key


FIELDS = ("key", "html", "blank", "is_error", "error", "position", "warnings", "refused", "defines")
ROWS_PER_INSERT = 90  # parameters in one statement: under SQLite's oldest limit, 999


def _names(*names: str) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _insert_statement(rows: int) -> str:
    row = f"({', '.join(['%s'] * (len(FIELDS) + 1))})"
    return (
        f"INSERT INTO {_names(RenderedFormula._meta.db_table)} ({_names(*FIELDS, 'used_at')}) "
        f"VALUES {', '.join([row] * rows)} ON CONFLICT ({_names('key')}) DO NOTHING"
    )


class DatabaseFormulaStore:
    """formula_cache.FormulaStore on the RenderedFormula table."""

    def __init__(self) -> None:
        global _memo
        self._touching = threading.local()
        if _memo is None:
            _memo = FormulaMemo(settings.FORMULA_MEMO_BYTES)

    def get_many(self, keys: list[str]) -> dict[str, Typeset]:
        if getattr(self._touching, "since", None) is not None:
            return self._read(keys)  # each key to the table, to be marked used
        found = _memo.get_many(keys)
        if len(found) < len(keys):
            read = self._read([key for key in keys if key not in found])
            _memo.put_many(read)
            found.update(read)
        return found

    def _read(self, keys: list[str]) -> dict[str, Typeset]:
        found = {}
        try:
            for batch in _batches(keys):
                for key, html, blank, is_error, error, position, warnings, refused, defines in _select(batch):
                    found[key] = Typeset(
                        html=html,
                        blank=blank,
                        error=error if is_error else None,
                        position=position,
                        warnings=json.loads(warnings) if warnings else [],
                        refused=json.loads(refused) if refused else [],
                        defines=defines,
                    )
                self._touch(batch)
        except Exception as exc:  # the cache is an optimisation: never a failed render
            log.warning("formula cache unavailable (%s: %s); typesetting without it", type(exc).__name__, exc)
            return {}
        return found

    def present(self, keys: list[str]) -> set[str] | None:
        found = set()
        try:
            for batch in _batches(keys):
                found.update(RenderedFormula.objects.filter(key__in=batch).values_list("key", flat=True))
                self._touch(batch)
        except Exception as exc:
            log.warning("formula cache unavailable (%s: %s); typesetting without it", type(exc).__name__, exc)
            return None
        return found

    def put_many(self, entries: dict[str, Typeset]) -> None:
        if not entries:
            return
        # Plain multi-row INSERTs, without a model instance each (bulk_create's cost for a
        # few hundred formulas of a cold render is several milliseconds); keys another
        # process wrote meanwhile are left as they are (the same entries).
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [
            (
                key,
                out.html,
                out.blank,
                out.error is not None,
                out.error or "",
                out.position,
                json.dumps(out.warnings) if out.warnings else "",
                json.dumps(out.refused) if out.refused else "",
                out.defines,
                now,
            )
            for key, out in entries.items()
        ]
        try:
            _insert(rows)
        except Exception as exc:
            log.warning("formula cache not written (%s: %s)", type(exc).__name__, exc)
        else:
            _memo.put_many(entries)

    # -- pruning ------------------------------------------------------------------------

    @contextmanager
    def touching(self):
        """Within it (in this thread), every entry read is marked used now."""
        self._touching.since = timezone.now()
        try:
            yield
        finally:
            self._touching.since = None

    def _touch(self, keys: list[str]) -> None:
        since = getattr(self._touching, "since", None)
        if since is not None:
            RenderedFormula.objects.filter(key__in=keys, used_at__lt=since).update(used_at=timezone.now())


def _select(keys: list[str]) -> list[tuple]:
    """The entries of `keys` (plain SQL: the ORM's handling of a few hundred parameters costs
    a render about a millisecond)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_names(*FIELDS)} FROM {_names(RenderedFormula._meta.db_table)} "
            f"WHERE {_names('key')} IN ({', '.join(['%s'] * len(keys))})",
            keys,
        )
        rows = cursor.fetchall()
    # SQLite gives booleans back as integers
    return [(k, h, bool(b), bool(i), e, p, w, r, bool(d)) for k, h, b, i, e, p, w, r, d in rows]


def _insert(rows: list[tuple]) -> None:
    """Insert the rows in one transaction, or a savepoint inside a caller's (a failed write
    leaves it usable).

    A transaction of its own does not wait for the disk: entries can be made again from the
    notes, so a crash may lose the last ones written but never anything else (PostgreSQL:
    synchronous_commit off for this transaction only; SQLite in WAL mode: synchronous NORMAL
    for this write, which keeps the database consistent). A render pays no flush to disk.
    """
    own = not connection.in_atomic_block
    sqlite = own and connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            sqlite = cursor.fetchone()[0].lower() == "wal"  # only WAL stays consistent so
            cursor.execute("PRAGMA synchronous")
            previous = int(cursor.fetchone()[0])
            if sqlite:
                cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if own and connection.vendor == "postgresql":
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                cursor.execute(_insert_statement(len(chunk)), [value for row in chunk for value in row])
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous = {previous}")


def formulas_prune(*, unused_since: datetime) -> int:
    """Delete the entries not written nor used since `unused_since`; how many went. This
    process's memo is emptied with them."""
    deleted, _ = RenderedFormula.objects.filter(used_at__lt=unused_since).delete()
    formulas_forget()
    return deleted


def formulas_forget() -> None:
    """Empty this process's memo of entries (after the table was emptied or pruned, so that the
    next renders read the table or typeset, as a cold cache does)."""
    if _memo is not None:
        _memo.clear()


def _batches(keys: list[str]):
    for start in range(0, len(keys), BATCH):
        yield keys[start : start + BATCH]
