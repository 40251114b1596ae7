"""Filling the formula cache for many notes at once (rerender, import): every formula they
lack typeset on every engine, so that rendering them afterwards finds all their formulas."""

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait

from django.conf import settings

from . import katex
from .formula_cache import (
    NOTE_OPTIONS,
    Formula,
    Typeset,
    _group,
    _misguessed,
    _submit,
    _timed,
    current_store,
    formula_keys,
)

PREFILL_RUN = 64  # formulas per task when filling the cache for many notes at once


def prefill(notes: list[list[Formula]], *, options: dict = NOTE_OPTIONS, progress=None) -> int:
    """Typeset every formula the cache lacks of many notes at once, on every engine, so that
    rendering them afterwards finds all their formulas. Returns how many were typeset.

    `progress(total)` may give a bar (tqdm-like: update(n), close()). Failures are left for
    the notes' own renders, which say which formula failed and why.
    """
    start = time.perf_counter()
    keyed = [formula_keys(formulas, options) for formulas in notes]
    claimed = current_store().present(list({key for keys in keyed for key in keys}))
    _timed("cache", start)
    if claimed is None:  # nowhere to keep them: the renders will typeset them
        return 0
    pool = katex.engine_pool()
    seconds = settings.KATEX_TIMEOUT_SECONDS
    pending: dict[Future, tuple[int, list[int]]] = {}
    waiting: dict[int, int] = {}  # note -> its tasks not yet back
    for n, (formulas, keys) in enumerate(zip(notes, keyed, strict=True)):
        missing = []
        for i, key in enumerate(keys):
            if key not in claimed:
                claimed.add(key)
                missing.append(i)
        defining = [i for i, f in enumerate(formulas) if f.defines]
        for k in range(0, len(missing), PREFILL_RUN):
            run = missing[k : k + PREFILL_RUN]
            pending[_submit(pool, [_group(formulas, run, defining)], seconds, options)] = (n, run)
            waiting[n] = waiting.get(n, 0) + 1
    total = sum(len(run) for _, run in pending.values())
    bar = progress(total) if progress and total else None  # nothing to show when all are there
    made: dict[int, dict[int, Typeset]] = {}
    for future in _as_completed(pending):
        n, run = pending[future]
        if future.exception() is None:
            made.setdefault(n, {}).update(zip(run, future.result(), strict=True))
        waiting[n] -= 1
        if not waiting[n]:
            _keep(notes[n], keyed[n], made.pop(n, {}))
        if bar is not None:
            bar.update(len(run))
    if bar is not None:
        bar.close()
    return total


def _as_completed(futures):
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from finished


def _keep(formulas: list[Formula], keys: list[str], made: dict[int, Typeset]) -> None:
    by_key = {keys[i]: out for i, out in made.items()}
    if by_key and not _misguessed(formulas, keys, by_key):
        start = time.perf_counter()
        current_store().put_many({key: out for key, out in by_key.items() if out.cacheable})
        _timed("cache", start)
