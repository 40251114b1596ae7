"""The formula cache: every distinct formula typeset and sanitized once, kept under a key made of
everything that can change what it becomes, and the formulas it lacks typeset on every core.

The key (`formula_keys`) hashes: the key format; RENDERER_VERSION; KaTeX's version and the
digests of katex.min.js, katex_host.js, katex_clean.js, site_macros.tex, the sanitizer's allow-lists
(sanitize.py) and fragments.py (the blank test); the KaTeX options the caller renders with
(NOTE_OPTIONS, ANNOTATION_OPTIONS: equal today, so notes and annotations share entries, and
never if they come to differ); display or inline; the formula as KaTeX gets it (labels
already turned into tags); and the note's own macros in scope at that formula. Those are
named by the formulas before it that define macros, in order (`scope`, a hash chain of their
display flag and text): what a formula becomes depends on the note only through them, and
replaying them in a fresh scope rebuilds exactly the macros KaTeX had. (Editing a formula
that defines macros therefore gives every formula after it a new key.)

Which formulas define macros is guessed before anything runs, by the note's NestingGauge
(`Formula.defines`), so that every key is known at once and looked up in one query. The
guess is checked against the truth: the engine reports whether each formula it typesets
changed the macros (katex_host.js `changed`), and the cache keeps that with the entry.
If a formula defined macros the gauge did not see, the keys after it could name the wrong
scope; that note is then typeset the old way, in one scope, and nothing of it is kept.

Misses are split into runs of consecutive formulas, one task each on the engine pool
(notes.rendering.katex.engine_pool); each run is preceded by the defining formulas before it,
only parsed for their macros. Each formula's HTML is proven clean by the engine that typeset
it (katex_clean.js: well-nested, only allowed elements and attributes, no URLs), in V8 without
the GIL, so the engines work side by side; one it cannot prove is sanitized (nh3) in the
engine's thread as the task returns.

Failures: KaTeX's own errors are facts about a formula and are cached like its HTML. A task
the engine could not finish (time, heap: KatexFailure) is retried one formula at a time on
fresh engines, so the formula that caused it fails alone, with the engine's message, and the
others are typeset; such failures, output-size stops and anything else that is not KaTeX's
verdict on the formula are never cached. A note's math takes at most twice the time limit:
the first try and one retry; work not started by then is not started, and one error says
how many formulas it left.

Where entries live is the store's business (`use_store`): the database's table in Django
(notes.formula_store, plugged in by notes.apps), nothing outside it (NoStore).
"""

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings

from . import katex
from .fragments import formula_is_blank
from .pool import EnginePool, Expired
from .sanitize import sanitize
from .version import RENDERER_VERSION

log = logging.getLogger(__name__)

KEY_FORMAT = "formula-cache-1"
HERE = Path(__file__).resolve().parent
# KaTeX options given with every call (katex_host.js keeps the rest); part of the key.
NOTE_OPTIONS = {"maxExpand": 1000, "maxSize": 20}
ANNOTATION_OPTIONS = {"maxExpand": 1000, "maxSize": 20}
# Misses are split for the pool only when there are enough of them: a call costs about 0.3
# ms on its own, and each run replays the note's macro definitions before it.
MIN_RUN = 8
RUNS_PER_ENGINE = 2
BUSY = "math was not typeset in time: the engines were busy; try again"
OUT_OF_TIME = (
    "math rendering took longer than {seconds:g} s for this text, and {count} formula(s) from here on were not "
    "typeset (earlier formulas took the time, or the engines were busy)"
)


@dataclass(frozen=True)
class Formula:
    tex: str  # as KaTeX gets it
    display: bool
    defines: bool = False  # the gauge's guess: it leaves macros to the formulas after it


@dataclass
class Typeset:
    """One formula typeset, or why not. Shared by every note that has it: never changed."""

    html: str = ""  # sanitized
    blank: bool = False  # draws nothing (only definitions): no search snippet shows it
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # commands `trust` refused
    error: str | None = None
    position: int | None = None  # where in the formula KaTeX stopped
    defines: bool = False  # it changed the macros of the formulas after it
    failure: bool = False  # the engine failed (time, memory): the error says which
    cacheable: bool = True


class FormulaStore(Protocol):
    def get_many(self, keys: list[str]) -> dict[str, Typeset]: ...

    def present(self, keys: list[str]) -> set[str] | None:
        """The keys the store has; None when it cannot keep anything (no prefill then)."""

    def put_many(self, entries: dict[str, Typeset]) -> None: ...


class NoStore:
    """Keeps nothing: every formula is typeset (rendering outside Django, or no database)."""

    def get_many(self, keys: list[str]) -> dict[str, Typeset]:
        return {}

    def present(self, keys: list[str]) -> set[str] | None:
        return None

    def put_many(self, entries: dict[str, Typeset]) -> None:
        pass


class MemoryStore:
    """Keeps entries in this process for as long as it lives (a command that must not write
    the database, such as check_notes)."""

    def __init__(self) -> None:
        self.entries: dict[str, Typeset] = {}

    def get_many(self, keys: list[str]) -> dict[str, Typeset]:
        return {key: self.entries[key] for key in keys if key in self.entries}

    def present(self, keys: list[str]) -> set[str]:
        return {key for key in keys if key in self.entries}

    def put_many(self, entries: dict[str, Typeset]) -> None:
        self.entries.update(entries)


_store: FormulaStore = NoStore()


def use_store(store: FormulaStore) -> FormulaStore:
    """Make `store` the process's formula store (notes.apps: the database); returns the old one."""
    global _store
    previous, _store = _store, store
    return previous


@contextmanager
def store_in_use(store: FormulaStore):
    """`store` is the process's formula store within the block (a command that must not write
    the database keeps formulas in a MemoryStore)."""
    previous = use_store(store)
    try:
        yield store
    finally:
        use_store(previous)


def current_store() -> FormulaStore:
    return _store


# -- what a bench measures ------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds spent per stage, summed over threads (set `formula_cache.timings` to collect)."""

    katex: float = 0.0  # inside engine calls (KaTeX and the clean proof), every engine's summed
    sanitize: float = 0.0  # nh3 (for formulas not proven clean) and the blank test, in the engines' threads
    cache: float = 0.0  # keys, the store's reads and writes
    wait: float = 0.0  # the caller waiting for the engines (wall time)
    typeset: int = 0  # formulas the engines typeset
    unproven: int = 0  # of them, formulas the engine could not prove clean (sanitized by nh3)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, stage: str, seconds: float) -> None:
        with self.lock:
            setattr(self, stage, getattr(self, stage) + seconds)


timings: Timings | None = None


def _timed(stage: str, start: float) -> None:
    if timings is not None:
        timings.add(stage, time.perf_counter() - start)


# -- keys -----------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=8)
def _base(options: str) -> str:
    files = (
        katex.KATEX_JS,
        katex.HOST_JS,
        katex.CLEAN_JS,
        katex.SITE_MACROS,
        HERE / "sanitize.py",
        HERE / "fragments.py",
    )
    parts = [KEY_FORMAT, str(RENDERER_VERSION), katex.katex_version(), f"em={katex.MAX_OUTPUT_EM}", options]
    parts += [_digest(path.read_text(encoding="utf-8")) for path in files]
    return _digest("\0".join(parts))


def formula_keys(formulas: list[Formula], options: dict = NOTE_OPTIONS) -> list[str]:
    """Each formula's key, in order (see the module's docstring for what goes in)."""
    base = _base(json.dumps(options, sort_keys=True))
    scope = ""
    keys = []
    for formula in formulas:
        mode = "D" if formula.display else "I"
        keys.append(_digest(f"{base}\0{scope}\0{mode}\0{formula.tex}"))
        if formula.defines:
            scope = _digest(f"{scope}\0{mode}\0{formula.tex}")
    return keys


# -- typesetting through the cache ----------------------------------------------------------


def typeset(
    formulas: list[Formula], *, timeout_seconds: float | None = None, options: dict = NOTE_OPTIONS
) -> list[Typeset]:
    """Typeset a note's formulas (in order, sharing the note's macros) through the cache.

    One read of the store for the whole list, one write of what was typeset; each distinct
    formula typeset once. Never raises for the formulas' sake: an engine failure comes back
    as that formula's Typeset with `failure` set.
    """
    return typeset_start(formulas, timeout_seconds=timeout_seconds, options=options)()


def typeset_start(
    formulas: list[Formula],
    *,
    timeout_seconds: float | None = None,
    options: dict = NOTE_OPTIONS,
    ahead: "Ahead | None" = None,
) -> "Callable[[], list[Typeset]]":
    """typeset() in two halves, so that the caller can do other work while the engines
    typeset: the store is read and the misses are queued on the pool now; the function
    returned waits for them, writes them to the store and gives every formula's Typeset.
    Call it once, in this thread (the store's database connection is the thread's).

    `ahead`: what typeset_ahead started for the formulas the caller expected; those of its
    formulas that are among these are not read or queued again, and only those are kept."""
    if not formulas:
        return list
    seconds = settings.KATEX_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    start = time.perf_counter()
    keys = formula_keys(formulas, options)
    first = _first_of_each(keys)
    ahead = ahead or Ahead()
    found = {key: ahead.found[key] for key in first if key in ahead.found}
    coming = {key for key in first if key in ahead.pending}
    unknown = [key for key in first if key not in found and key not in coming]
    if unknown:
        found |= _store.get_many(unknown)
    _timed("cache", start)
    if _misguessed(formulas, keys, found):
        outputs = _uncached(formulas, seconds, options)
        return lambda: outputs
    missing = [i for key, i in first.items() if key not in found and key not in coming]
    collect = _typeset_missing(formulas, missing, seconds, options)

    def finish() -> list[Typeset]:
        made = {keys[i]: out for i, out in collect().items()}
        if coming:
            made |= {key: out for key, out in ahead.made().items() if key in coming}
        if _misguessed(formulas, keys, made):
            return _uncached(formulas, seconds, options)
        start = time.perf_counter()
        _store.put_many({key: out for key, out in made.items() if out.cacheable})
        _timed("cache", start)
        return [found.get(key) or made[key] for key in keys]

    return finish


@dataclass
class Ahead:
    """Formulas a render expects, read from the store and queued before it knows them all."""

    found: dict[str, Typeset] = field(default_factory=dict)  # in the store
    pending: set[str] = field(default_factory=set)  # queued on the pool
    collect: "Callable[[], dict[str, Typeset]]" = dict  # waits for them: {key: Typeset}
    _made: dict[str, Typeset] | None = None

    def made(self) -> dict[str, Typeset]:
        """What the pool made of the pending formulas, by key (waits for them the first time)."""
        if self._made is None:
            self._made = self.collect()
        return self._made


def typeset_ahead(formulas: list[Formula], *, options: dict = NOTE_OPTIONS) -> Ahead:
    """Read and queue `formulas` now, kept nowhere until typeset_start(..., ahead=) finds them
    among the formulas it is given: a render starts its engines on the formulas it expects
    before its parse ends. A formula expected wrongly costs engine time, and nothing else."""
    start = time.perf_counter()
    keys = formula_keys(formulas, options)
    first = _first_of_each(keys)
    found = _store.get_many(list(first))
    _timed("cache", start)
    missing = [i for key, i in first.items() if key not in found]
    collect = _typeset_missing(formulas, missing, settings.KATEX_TIMEOUT_SECONDS, options)
    return Ahead(found, {keys[i] for i in missing}, lambda: {keys[i]: out for i, out in collect().items()})


def _first_of_each(keys: list[str]) -> dict[str, int]:
    """Each distinct key, with the index of its first formula: typeset once, whatever repeats."""
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return first


def _misguessed(formulas: list[Formula], keys: list[str], outputs: dict[str, Typeset]) -> bool:
    for formula, key in zip(formulas, keys, strict=True):
        out = outputs.get(key)
        if out is not None and out.defines and not formula.defines:
            log.warning("a formula defines macros the nesting gauge did not see: %.200r", formula.tex)
            return True
    return False


def _uncached(formulas: list[Formula], seconds: float, options: dict) -> list[Typeset]:
    """The whole note in one scope, in one call, as before the cache; nothing kept."""
    group = [(f.tex, f.display, True) for f in formulas]
    try:
        outputs = _submit(katex.engine_pool(), [group], seconds, options).result()
    except katex.KatexFailure as exc:
        return [_failed(str(exc))] + [_failed(None) for _ in formulas[1:]]
    except Expired:
        return [_failed(BUSY)] + [_failed(None) for _ in formulas[1:]]
    for out in outputs:
        out.cacheable = False
    return outputs


def _failed(message: str | None) -> Typeset:
    return Typeset(error=message, failure=True, cacheable=False)


def _entry(out: dict) -> Typeset:
    """An engine's output for one formula, sanitized (in the engine's thread)."""
    common = {
        "warnings": out.get("warnings") or [],
        "defines": bool(out.get("defines")),
        "cacheable": not out.get("transient"),
    }
    if "html" not in out:
        return Typeset(error=out.get("error") or "", position=out.get("position"), **common)
    if out.get("untrusted"):  # shown to nobody: the formula is an error
        return Typeset(refused=list(out["untrusted"]), **common)
    # Proven clean in the engine (katex_clean.js) unless it says otherwise; then nh3.
    html = out["html"] if out.get("clean") else sanitize(out["html"])
    return Typeset(html=html, blank=formula_is_blank(html), **common)


def _submit(
    pool: EnginePool, groups: list, seconds: float, options: dict, end: float | None = None
) -> "Future[list[Typeset]]":
    """Queue groups of (tex, display, render) items on the pool; the future gives one Typeset
    per rendered item. Work not started by `end` (time.monotonic()) expires; started, it
    gets the time left until `end`, at most `seconds`."""

    def call(engine) -> list[Typeset]:
        limit = seconds if end is None else min(seconds, end - time.monotonic())
        if limit <= 0:
            raise Expired
        started = time.perf_counter()
        outputs = engine.render_groups(groups, limit, options)
        _timed("katex", started)
        started = time.perf_counter()
        entries = [_entry(out) for out in outputs]
        _timed("sanitize", started)
        if timings is not None:
            timings.add("typeset", len(entries))
            timings.add("unproven", sum(1 for out in outputs if "html" in out and not out.get("clean")))
        return entries

    return pool.submit(call, deadline=end)


def _group(formulas: list[Formula], run: list[int], defining: list[int]) -> list[tuple[str, bool, bool]]:
    """A run of formulas to typeset, after the defining formulas before it (only parsed)."""
    rendered = set(run)
    indices = sorted(rendered.union(i for i in defining if i < run[-1]))
    return [(formulas[i].tex, formulas[i].display, i in rendered) for i in indices]


def _runs(formulas: list[Formula], missing: list[int], parts: int) -> list[list[int]]:
    """Split the missing formulas (in note order) into about `parts` runs of similar cost."""
    if len(missing) < 2 * MIN_RUN or parts < 2:
        return [missing]
    parts = min(parts, math.ceil(len(missing) / MIN_RUN))
    weights = [len(formulas[i].tex) + 40 for i in missing]  # a formula's cost grows with its length
    share = sum(weights) / parts
    runs, run, load = [], [], 0.0
    for i, weight in zip(missing, weights, strict=True):
        run.append(i)
        load += weight
        if load >= share * (len(runs) + 1) and len(runs) < parts - 1:
            runs.append(run)
            run = []
    return runs + [run] if run else runs


def _typeset_missing(
    formulas: list[Formula], missing: list[int], seconds: float, options: dict
) -> "Callable[[], dict[int, Typeset]]":
    """Queue the formulas at `missing` on the pool now; the function returned waits for them:
    {index: Typeset}.

    A run the engine could not finish is split into its formulas, each retried alone (on the
    engines there are) before the note's time, twice the limit, runs out.
    """
    if not missing:
        return dict
    pool = katex.engine_pool()
    defining = [i for i, f in enumerate(formulas) if f.defines]
    end = time.monotonic() + 2 * seconds
    pending: dict[Future, list[int]] = {}
    for run in _runs(formulas, missing, pool.size * RUNS_PER_ENGINE):
        pending[_submit(pool, [_group(formulas, run, defining)], seconds, options, end)] = run
    return lambda: _collect(formulas, pending, defining, seconds, options, end)


def _collect(formulas, pending: dict, defining: list[int], seconds: float, options: dict, end: float) -> dict:
    """Wait for the runs queued (`pending`: future -> the indices of its run), retrying one
    formula at a time a run the engine could not finish: {index: Typeset}."""
    pool = katex.engine_pool()
    started = time.perf_counter()  # the caller waits from here: what `wait` counts
    done: dict[int, Typeset] = {}
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            run = pending.pop(future)
            try:
                outputs = future.result()
            except katex.KatexFailure as exc:
                if len(run) > 1:  # which formula was it? each alone, on the engines there are
                    for i in run:
                        pending[_submit(pool, [_group(formulas, [i], defining)], seconds, options, end)] = [i]
                    continue
                # Its run took the full limit, and it alone what was left: the limit is the news.
                message = (
                    f"math rendering took longer than {seconds:g} s" if isinstance(exc, katex.KatexTimeout) else exc
                )
                outputs = [_failed(str(message))]
            except Expired:
                outputs = [_failed(None) for _ in run]
            done.update(zip(run, outputs, strict=True))
    # Formulas never started: one error, at the first of them, says how many.
    untried = sorted(i for i, out in done.items() if out.failure and out.error is None)
    if untried:
        done[untried[0]] = _failed(OUT_OF_TIME.format(seconds=2 * seconds, count=len(untried)))
    _timed("wait", started)
    return done
