"""KaTeX hosted in an embedded V8 (mini-racer): one engine is one context.

The engines of a process live in a pool (notes.rendering.pool), each in a thread of its own;
this module is one engine, its limits, and the failures it reports. `render_batch` is kept
for callers that want one batch in one scope (the benchmarks): it goes through the pool.
"""

import json
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from .pool import EnginePool
from .sanitize import PROOF_ALLOW_LIST

HERE = Path(__file__).resolve().parent
KATEX_JS = HERE / "vendor" / "katex.min.js"
HOST_JS = HERE / "katex_host.js"
CLEAN_JS = HERE / "katex_clean.js"
SITE_MACROS = HERE / "site_macros.tex"

# V8 heap ceiling for one context; a formula that needs more is refused, not the process.
MAX_MEMORY_BYTES = 512 * 1024 * 1024


# Every length KaTeX writes is clamped to this many em either way (in katex_host.js, where
# the HTML is made: a regular expression over a megabyte of it costs V8 a fraction of what it
# costs Python). KaTeX caps user-given sizes at maxSize only when they are positive, so a
# \kern, \raisebox, \rule or \\[...] of -99,999 em would make a page millions of pixels
# tall; 500 em is far beyond any real formula (a 100-row matrix is about 150 em tall).
MAX_OUTPUT_EM = 500

# Characters of HTML one call may produce; the formulas after that point get an error. The
# longest starter note's math is under a million; the limit guards the process itself
# (katex_host.js says why).
MAX_OUTPUT_CHARS = 40_000_000


_creating = threading.Lock()


class KatexFailure(Exception):
    """The engine could not finish the call (time, memory, or V8 itself); the message says
    which, in words for the author. The engine is replaced before this is raised."""


class KatexTimeout(KatexFailure):
    """The call did not finish within its time limit."""


class KatexEngine:
    """One V8 context with KaTeX and katex_host.js loaded. Not safe to drive from two
    threads at once: the pool gives each engine one thread."""

    def __init__(self) -> None:
        # One at a time: V8 sets up process-wide memory when it makes its first isolates, and
        # two pool threads doing so at once have crashed the process (a failed CHECK in
        # partition_address_space.cc, now and then).
        with _creating:
            self._ctx = MiniRacer()
        self._ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
        self._ctx.eval(HOST_JS.read_text(encoding="utf-8"))
        self._ctx.eval(CLEAN_JS.read_text(encoding="utf-8"))
        self._ctx.call("loadAllowList", PROOF_ALLOW_LIST)
        self._ctx.call("loadSiteMacros", SITE_MACROS.read_text(encoding="utf-8"))
        self._ctx.eval(f"maxOutputEm = {MAX_OUTPUT_EM}; maxOutputChars = {MAX_OUTPUT_CHARS};")
        self.version: str = self._ctx.eval("katex.version")

    def _call(self, function: str, arguments: tuple, timeout_seconds: float) -> list[dict]:
        # The host's functions return their results as one string (`unpacked`). MiniRacer.call
        # would wrap it in JSON.stringify and decode that in Python: the escaping and its
        # undoing over the whole HTML of a note's math (about 0.7 MB for 186 formulas) cost a
        # tenth of the call. Evaluated directly, the string comes back as it is.
        source = f"{function}.apply(this, {json.dumps(arguments, separators=(',', ':'))})"
        try:
            raw = self._ctx.eval(source, timeout_sec=timeout_seconds, max_memory=MAX_MEMORY_BYTES)
        except JSTimeoutException as exc:
            raise KatexTimeout(f"math rendering took longer than {timeout_seconds:g} s") from exc
        except JSOOMException as exc:
            raise KatexFailure(
                f"math rendering needed more than {MAX_MEMORY_BYTES // 2**20} MB; look for macros that "
                "multiply what they are given or very many large formulas"
            ) from exc
        except JSEvalException as exc:  # anything else V8 can end a call with: never a 500
            raise KatexFailure(f"math rendering failed in the engine ({type(exc).__name__})") from exc
        if not isinstance(raw, str):
            raise KatexFailure(f"math rendering failed in the engine (it returned {type(raw).__name__})")
        return unpacked(raw)

    def render_batch(self, items: list[tuple[str, bool]], timeout_seconds: float) -> list[dict]:
        """Render (tex, display) pairs in order, sharing one macros scope.

        Returns one dict per item: {"html", "warnings"} or {"error", "position", "warnings"}.
        """
        return self._call("renderBatch", (items,), timeout_seconds) if items else []

    def render_groups(
        self, groups: list[list[tuple[str, bool, bool]]], timeout_seconds: float, options: dict
    ) -> list[dict]:
        """Render groups of (tex, display, render) items, each group in a scope of its own,
        with `options` over the host's KaTeX options (katex_host.js renderGroups): one
        output per item with render true, in order, saying whether it changed the macros."""
        return self._call("renderGroups", (groups, options), timeout_seconds) if groups else []

    def proved_clean(self, html: str) -> bool:
        """Whether katex_clean.js proves `html` clean, as it does for each formula it typesets
        (for the tests and the benchmark that hold the proof against the sanitizer)."""
        return self._ctx.call("provedClean", html) is True

    def close(self) -> None:
        self._ctx.close()


def unpacked(raw: str) -> list[dict]:
    """The results as katex_host.js packed them: JSON, then each HTML after a NUL (their place
    in the JSON says true), or JSON alone."""
    head, nul, htmls = raw.partition("\0")
    results = json.loads(head)
    if nul:
        typeset = [result for result in results if "html" in result]
        for result, html in zip(typeset, htmls.split("\0"), strict=True):
            result["html"] = html
    return results


@lru_cache(maxsize=1)
def katex_version() -> str:
    """The vendored KaTeX's version, as `katex.version` says it in the engine."""
    found = re.search(r'version:"([0-9][^"]*)"', KATEX_JS.read_text(encoding="utf-8"))
    return found.group(1) if found else ""


_pool: EnginePool | None = None
_pool_lock = threading.Lock()
_inherited_pools: list[EnginePool] = []  # a parent's, after a fork: never used nor closed here


def engine_pool() -> EnginePool:
    """This process's pool of KATEX_ENGINES engines (made on first use, and again in a
    forked child)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            if _pool is not None:
                _inherited_pools.append(_pool)
            size = settings.KATEX_ENGINES
            _pool = EnginePool(KatexEngine, size, failure_types=(KatexFailure,), name="katex")
        return _pool


def render_batch(items: list[tuple[str, bool]], *, timeout_seconds: float | None = None) -> list[dict]:
    """Typeset a batch in one scope, in one engine of the pool, within `timeout_seconds`
    (default KATEX_TIMEOUT_SECONDS), or raise KatexFailure saying why not. Nothing cached."""
    timeout_seconds = settings.KATEX_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    return engine_pool().submit(lambda engine: engine.render_batch(items, timeout_seconds)).result()
