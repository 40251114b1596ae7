"""A per-process memo of the entries used last, for values whose key names everything they
were made from: a change makes a new key, so an entry is never stale, and old ones age out."""

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Recent(Generic[Value]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[object, Value] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threaded workers serve requests side by side

    def get(self, key: object) -> Value | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: object, entry: Value) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
