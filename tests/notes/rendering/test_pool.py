"""The engine pool (notes.rendering.pool) with engines of its own kind: what it does with work
and failures does not depend on what the engines are."""

import threading
import time

import pytest

from notes.rendering.pool import EnginePool


class Broke(Exception):
    pass


class Engine:
    made = 0
    lock = threading.Lock()

    def __init__(self):
        with Engine.lock:
            Engine.made += 1
            self.number = Engine.made

    def close(self):
        pass


def fail(engine):
    raise Broke(engine.number)


def test_an_engine_that_failed_is_replaced_before_its_worker_takes_more_work():
    Engine.made = 0
    pool = EnginePool(Engine, 1, failure_types=(Broke,), name="test")
    try:
        with pytest.raises(Broke):
            pool.submit(fail).result(timeout=10)
        deadline = time.monotonic() + 10
        while Engine.made < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The second engine is made with no work queued: the next piece of work finds it ready.
        assert Engine.made == 2
        assert pool.submit(lambda engine: engine.number).result(timeout=10) == 2
        assert Engine.made == 2
    finally:
        pool.shutdown()
