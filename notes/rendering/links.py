"""What the renderer needs to know about other notes to resolve `[[slug#anchor]]`.

The renderer never touches the database itself: it asks a `NoteIndex`. The file checker
builds one from the files it was given; the importer and the editor chain the batch being
written in front of the live notes in the database (`notes.selectors.live_note_index`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class NoteInfo:
    slug: str
    title: str
    summary: str = ""
    anchors: Mapping[str, str] = field(default_factory=dict)  # anchor id -> link text
    equations: Mapping[str, int] = field(default_factory=dict)  # label -> number
    short_title: str = ""  # front matter's short_title, for references from other notes

    @property
    def name(self) -> str:
        """What a reference from another note calls this one."""
        return self.short_title or self.title


def equation_reference(number: int, note: str | None = None, *, in_parentheses: bool = False) -> str:
    """How a reference to an equation reads, decided here for every note: "(3)" in its own
    note, "Gaussian KL (3)" from another, so that the two can never be confused. Written
    inside the author's own parentheses, an own reference drops its pair: "(3)", not "((3))".
    """
    if note:
        return f"{note} ({number})"
    return str(number) if in_parentheses else f"({number})"


class NoteIndex(Protocol):
    """What the renderer asks about other notes. An index may also have `prefetch(slugs)`,
    which the renderer calls first with every slug the note links to (the database's index
    then reads just those notes, in one go)."""

    def lookup(self, slug: str) -> NoteInfo | None: ...


class MappingIndex:
    def __init__(self, infos: Iterable[NoteInfo] = ()):
        self._infos = {info.slug: info for info in infos}

    def add(self, info: NoteInfo) -> None:
        self._infos[info.slug] = info

    def lookup(self, slug: str) -> NoteInfo | None:
        return self._infos.get(slug)


class ChainIndex:
    """Looks a slug up in each index in turn; the first that knows it wins."""

    def __init__(self, *indexes: NoteIndex):
        self._indexes = indexes

    def lookup(self, slug: str) -> NoteInfo | None:
        for index in self._indexes:
            info = index.lookup(slug)
            if info is not None:
                return info
        return None

    def prefetch(self, slugs: set[str]) -> None:
        for index in self._indexes:
            if prefetch := getattr(index, "prefetch", None):
                prefetch(slugs)
