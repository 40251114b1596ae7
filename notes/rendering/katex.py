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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from py_mini_racer import JSTimeoutException, MiniRacer

HERE = Path(__file__).resolve().parent
KATEX_JS = HERE / "vendor" / "katex.min.js"
HOST_JS = HERE / "katex_host.js"
SITE_MACROS = HERE / "site_macros.tex"

# V8 heap ceiling for one context; a formula that needs more is refused, not the process.
MAX_MEMORY_BYTES = 512 * 1024 * 1024


class KatexTimeout(Exception):
    """The batch did not finish within KATEX_TIMEOUT_SECONDS."""


class KatexEngine:
    def __init__(self) -> None:
        self._ctx = MiniRacer()
        self._ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
        self._ctx.eval(HOST_JS.read_text(encoding="utf-8"))
        self._ctx.call("loadSiteMacros", SITE_MACROS.read_text(encoding="utf-8"))
        self.version: str = self._ctx.eval("katex.version")

    def render_batch(self, items: list[tuple[str, bool]]) -> list[dict]:
        """Render (tex, display) pairs in order, sharing one macros scope.

        Returns one dict per item: {"html", "warnings"} or {"error", "position", "warnings"}.
        """
        if not items:
            return []
        try:
            raw = self._ctx.call(
                "renderBatch",
                items,
                timeout_sec=settings.KATEX_TIMEOUT_SECONDS,
                max_memory=MAX_MEMORY_BYTES,
            )
        except JSTimeoutException as exc:
            raise KatexTimeout(str(exc)) from exc
        return json.loads(raw)

    def close(self) -> None:
        self._ctx.close()


_lock = threading.Lock()
_engine: KatexEngine | None = None
_engine_pid: int | None = None
# Contexts replaced after a timeout. V8 reports the cancelled call back to the context a
# moment later; closing at once would make that report land on a closed event loop, so a
# retired context is closed later (when more retire, or at exit).
_retired: list[KatexEngine] = []
MAX_RETIRED = 4


def get_engine() -> KatexEngine:
    global _engine, _engine_pid
    with _lock:
        if _engine is None or _engine_pid != os.getpid():
            _engine = KatexEngine()
            _engine_pid = os.getpid()
        return _engine


def retire_engine() -> None:
    """Replace this process's context on next use (after a timeout it may be mid-call)."""
    global _engine
    with _lock:
        if _engine is not None and _engine_pid == os.getpid():
            _retired.append(_engine)
            while len(_retired) > MAX_RETIRED:
                _retired.pop(0).close()
        _engine = None


@atexit.register
def _close_at_exit() -> None:
    # Closing contexts before interpreter shutdown avoids a race in mini-racer's teardown
    # that, left to the garbage collector, hangs the process on exit now and then.
    retire_engine()
    while _retired:
        _retired.pop().close()


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def render_batch(items: list[tuple[str, bool]]) -> list[dict]:
    if _in_event_loop():
        # mini-racer's blocking call with a timeout refuses to run inside a running event
        # loop (an ASGI handler, a Playwright-driven test); run it on a plain thread instead.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(render_batch, items).result()
    engine = get_engine()
    with _lock:  # one V8 isolate is not safe to drive from two threads at once
        try:
            return engine.render_batch(items)
        except KatexTimeout:
            pass
    retire_engine()
    raise KatexTimeout(f"math rendering took longer than {settings.KATEX_TIMEOUT_SECONDS:g} s")


def katex_version() -> str:
    return get_engine().version
