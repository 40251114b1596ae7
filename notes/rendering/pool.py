"""A small pool of engines, each made and driven by one thread of its own.

An engine here is anything with `close()` that is not safe to drive from two threads at once
(a V8 context: notes.rendering.katex). Work is a function of the engine, queued; whichever
worker is free takes it, so an engine held up by one slow call does not hold up the rest.
mini-racer releases the GIL while V8 runs, so the engines of a pool work on as many cores.

Engines are made lazily, in their worker, on its first piece of work; a pool belongs to the
process that made it (`EnginePool.pid`): threads do not survive a fork, and a V8 context made
before a fork hangs in the child, so a forked child makes a pool of its own.

A call that raises one of `failure_types` (a timeout, V8's heap ceiling) may leave its engine
mid-call or near its heap ceiling, so that engine is retired and the worker makes a new one at
once, before it takes more work (`_replacement`). A retired engine is closed a second or more
later (RETIRED_SECONDS), on some worker's next piece of work or at exit: V8 reports a cancelled
call back to the context a moment later, and that report must not land on a closed event loop;
not later than that, since a context that hit its heap ceiling holds hundreds of megabytes.
"""

import atexit
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future

RETIRED_SECONDS = 1.0

# Engines waiting to be closed: (engine, when retired, the process that made it). One a forked
# child inherited is never closed there (its V8 lives in the parent), only forgotten.
_retired: list[tuple[object, float, int]] = []
_inherited: list[object] = []
_retired_lock = threading.Lock()


def _retire(engine) -> None:
    with _retired_lock:
        _retired.append((engine, time.monotonic(), os.getpid()))


def _close_retired(*, all_of_them: bool = False) -> None:
    closing = []
    with _retired_lock:
        while _retired and (all_of_them or time.monotonic() - _retired[0][1] >= RETIRED_SECONDS):
            engine, _, pid = _retired.pop(0)
            (closing if pid == os.getpid() else _inherited).append(engine)
    for engine in closing:
        engine.close()


class Expired(Exception):
    """The work waited in the queue past its deadline and was not started."""


class EnginePool:
    def __init__(self, make_engine: Callable, size: int, *, failure_types: tuple = (), name: str = "engine"):
        self.make_engine = make_engine
        self.size = max(1, size)
        self.failure_types = failure_types
        self.name = name
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._generation = 0  # retire_all() moves it on; an engine from before is replaced
        _pools.add(self)

    def submit(self, call: Callable, *, deadline: float | None = None) -> Future:
        """Queue `call(engine)`; its result (or exception) comes back in the future. Past
        `deadline` (time.monotonic()) work not yet started fails with Expired instead."""
        future: Future = Future()
        self._start()
        self._queue.put((call, future, deadline))
        return future

    def retire_all(self) -> None:
        """Every engine is replaced before its next piece of work (new limits take effect)."""
        self._generation += 1

    def shutdown(self, timeout: float = 2.0) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout)

    def _start(self) -> None:
        if len(self._threads) >= self.size:
            return
        with self._lock:
            while len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads) + 1}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        engine, generation = None, -1
        while (item := self._queue.get()) is not None:
            call, future, deadline = item
            if not future.set_running_or_notify_cancel():
                continue
            if deadline is not None and time.monotonic() >= deadline:
                future.set_exception(Expired())
                continue
            _close_retired()
            try:
                if engine is None or generation != self._generation:
                    if engine is not None:
                        _retire(engine)
                    engine, generation = None, self._generation
                    engine = self.make_engine()
                result = call(engine)
            except self.failure_types as exc:
                _retire(engine)
                future.set_exception(exc)
                engine, generation = self._replacement()
            except BaseException as exc:  # given back to the caller, who decides
                future.set_exception(exc)
            else:
                future.set_result(result)
        if engine is not None:
            _retire(engine)

    def _replacement(self) -> tuple[object | None, int]:
        """A new engine for a worker whose engine just failed, made before the worker takes
        more work: what is queued meanwhile (the failed work's retries) goes to the engines
        that are ready instead of waiting here, past its deadline, while a fresh engine starts
        (a V8 context loads KaTeX for a few hundred milliseconds). (None, -1) if it cannot be
        made now: the next piece of work tries again, and gets the error if it still fails."""
        generation = self._generation
        try:
            return self.make_engine(), generation
        except Exception:  # noqa: BLE001 - reported to the next piece of work, as above
            return None, -1


_pools: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    # Closing contexts before interpreter shutdown avoids a race in mini-racer's teardown
    # that, left to the garbage collector, hangs the process on exit now and then.
    for pool in list(_pools):
        if pool.pid == os.getpid():
            pool.shutdown()
    _close_retired(all_of_them=True)
