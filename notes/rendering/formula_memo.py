"""The formula cache's entries this process read or wrote lately, kept in memory in front of the
table (notes.formula_store), so that a render whose formulas are all known (a warm render, an
editor's preview after a one-formula edit) reads none of them from the database again.

Nothing here can go stale: an entry is stored under a key of everything that changes it
(formula_cache.formula_keys) and entries under one key are the same whoever made them, so an
entry is served as long as there is room, least recently used out first, within a budget of
bytes (FORMULA_MEMO_BYTES: the HTML, the error and the warnings, counted in characters, and a
fixed overhead per entry). Where the table's rows matter and not only their content, the
store bypasses or empties the memo: `rerender --prune` must see every key it reads (to mark it
used), and a pruned or emptied table is followed by an emptied memo (formula_store).
"""

import threading
from collections import OrderedDict

from .formula_cache import Typeset

ENTRY_OVERHEAD = 400  # bytes of a Typeset, its key and the dictionary's slot, about


def entry_size(key: str, out: Typeset) -> int:
    text = len(out.html) + len(out.error or "") + sum(len(w) for w in out.warnings) + sum(map(len, out.refused))
    return ENTRY_OVERHEAD + len(key) + text


class FormulaMemo:
    """Typeset entries by key, least recently used out first past `budget` bytes; thread-safe
    (the web server's threads share one)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[str, tuple[Typeset, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: list[str]) -> dict[str, Typeset]:
        found = {}
        with self._lock:
            entries = self._entries
            for key in keys:
                held = entries.get(key)
                if held is not None:
                    entries.move_to_end(key)
                    found[key] = held[0]
        return found

    def put_many(self, entries: dict[str, Typeset]) -> None:
        with self._lock:
            for key, out in entries.items():
                size = entry_size(key, out)
                if size > self.budget:
                    continue
                previous = self._entries.pop(key, None)
                if previous is not None:
                    self.size -= previous[1]
                self._entries[key] = (out, size)
                self.size += size
            while self.size > self.budget:
                _, (_, size) = self._entries.popitem(last=False)
                self.size -= size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0
