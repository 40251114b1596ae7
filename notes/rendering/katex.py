"""KaTeX hosted in an embedded V8 (mini-racer): one context per process, one call per batch.

The context is created lazily and remembered with the process id: a V8 context made before
a fork hangs in the child (gunicorn's pre-fork workers, pytest-xdist), so a forked child
builds its own on first use.
"""

import asyncio
import atexit
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

HERE = Path(__file__).resolve().parent
KATEX_JS = HERE / "vendor" / "katex.min.js"
HOST_JS = HERE / "katex_host.js"
SITE_MACROS = HERE / "site_macros.tex"

# V8 heap ceiling for one context; a formula that needs more is refused, not the process.
MAX_MEMORY_BYTES = 512 * 1024 * 1024


# Every length KaTeX writes is clamped to this many em either way (in katex_host.js, where
# the HTML is made: a regular expression over a megabyte of it costs V8 a fraction of what it
# costs Python). KaTeX caps user-given sizes at maxSize only when they are positive, so a
# \kern, \raisebox, \rule or \\[...] of -99,999 em would make a page millions of pixels
# tall; 500 em is far beyond any real formula (a 100-row matrix is about 150 em tall).
MAX_OUTPUT_EM = 500

# Characters of HTML one batch may produce; the formulas after that point get an error. The
# longest starter note's math is under a million; the limit guards the process itself
# (katex_host.js says why).
MAX_OUTPUT_CHARS = 40_000_000


class KatexFailure(Exception):
    """The engine could not finish the batch (time, memory, or V8 itself); the message says
    which, in words for the author. The engine is replaced before this is raised."""


class KatexTimeout(KatexFailure):
    """The batch did not finish within KATEX_TIMEOUT_SECONDS."""


class KatexEngine:
    def __init__(self) -> None:
        self._ctx = MiniRacer()
        self._ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
        self._ctx.eval(HOST_JS.read_text(encoding="utf-8"))
        self._ctx.call("loadSiteMacros", SITE_MACROS.read_text(encoding="utf-8"))
        self._ctx.eval(f"maxOutputEm = {MAX_OUTPUT_EM}; maxOutputChars = {MAX_OUTPUT_CHARS};")
        self.version: str = self._ctx.eval("katex.version")

    def render_batch(self, items: list[tuple[str, bool]], timeout_seconds: float) -> list[dict]:
        """Render (tex, display) pairs in order, sharing one macros scope.

        Returns one dict per item: {"html", "warnings"} or {"error", "position", "warnings"}.
        """
        if not items:
            return []
        try:
            raw = self._ctx.call("renderBatch", items, timeout_sec=timeout_seconds, max_memory=MAX_MEMORY_BYTES)
        except JSTimeoutException as exc:
            raise KatexTimeout(f"math rendering took longer than {timeout_seconds:g} s") from exc
        except JSOOMException as exc:
            raise KatexFailure(
                f"math rendering needed more than {MAX_MEMORY_BYTES // 2**20} MB; look for macros that "
                "multiply what they are given or very many large formulas"
            ) from exc
        except JSEvalException as exc:  # anything else V8 can end a call with: never a 500
            raise KatexFailure(f"math rendering failed in the engine ({type(exc).__name__})") from exc
        return json.loads(raw)

    def close(self) -> None:
        self._ctx.close()


_lock = threading.Lock()
_engine: KatexEngine | None = None
_engine_pid: int | None = None
# Contexts replaced after a failure, with when. V8 reports a cancelled call back to the
# context a moment later; closing at once would make that report land on a closed event loop,
# so a retired context is closed on the first use of the engine a second or more later (or at
# exit). Not later than that: a context that hit its heap ceiling holds hundreds of megabytes.
_retired: list[tuple[KatexEngine, float]] = []
RETIRED_SECONDS = 1.0


def get_engine() -> KatexEngine:
    global _engine, _engine_pid
    with _lock:
        while _retired and time.monotonic() - _retired[0][1] >= RETIRED_SECONDS:
            _retired.pop(0)[0].close()
        if _engine is None or _engine_pid != os.getpid():
            _engine = KatexEngine()
            _engine_pid = os.getpid()
        return _engine


def retire_engine() -> None:
    """Replace this process's context on next use (after a timeout it may be mid-call)."""
    global _engine
    with _lock:
        if _engine is not None and _engine_pid == os.getpid():
            _retired.append((_engine, time.monotonic()))
        _engine = None


@atexit.register
def _close_at_exit() -> None:
    # Closing contexts before interpreter shutdown avoids a race in mini-racer's teardown
    # that, left to the garbage collector, hangs the process on exit now and then.
    retire_engine()
    while _retired:
        _retired.pop()[0].close()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def render_batch(items: list[tuple[str, bool]], *, timeout_seconds: float | None = None) -> list[dict]:
    """Typeset a batch in this process's engine within `timeout_seconds` (default
    KATEX_TIMEOUT_SECONDS), or raise KatexFailure saying why not."""
    timeout_seconds = settings.KATEX_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    if _in_event_loop():
        # mini-racer's blocking call with a timeout refuses to run inside a running event
        # loop (an ASGI handler, a Playwright-driven test); run it on a plain thread instead.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(render_batch, items, timeout_seconds=timeout_seconds).result()
    engine = get_engine()
    with _lock:  # one V8 isolate is not safe to drive from two threads at once
        try:
            return engine.render_batch(items, timeout_seconds)
        except KatexFailure as exc:
            failure = exc
    # An engine that hit a limit may be mid-call or near its heap ceiling: the next batch gets
    # a fresh one.
    retire_engine()
    raise failure


def katex_version() -> str:
    return get_engine().version
