"""Notes as files: check a set of files, import them, export live notes back to files.

A batch of files may link to each other and declare each other as prerequisites, so every
file is first outlined (title, anchors, equation numbers; no KaTeX) and then rendered against
an index of the whole batch, in front of the live notes when the database is in play.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from notes.background import queue_citing_rerender
from notes.editorial.services import note_publish
from notes.graph.order import cycle_message, find_cycle
from notes.importing import Conversion, convert_batch
from notes.importing.macros import MacrosFileError, read_macros
from notes.models import Note, Topic
from notes.rendering import Problem, RenderResult, outline, render
from notes.rendering.frontmatter import SLUG, SLUG_RULE
from notes.rendering.links import ChainIndex, MappingIndex, NoteIndex
from notes.services import formulas_prefill, revision_create

TOPICS_FILE = "topics.yaml"


@dataclass
class NoteFile:
    path: Path
    source: str
    slug: str
    result: RenderResult | None = None
    problems: list[Problem] = field(default_factory=list)  # found across files (cycles...)

    @property
    def errors(self) -> list[Problem]:
        return (self.result.errors if self.result else []) + self.problems


def collect_paths(paths: list[str], suffixes: tuple[str, ...] = (".md",)) -> list[Path]:
    """Files given, and in folders every file with one of `suffixes` (only .md for native notes;
    an import from another dialect also reads .markdown, .mdx and .qmd)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such file or directory")
    return files


def read_note_files(paths: list[Path]) -> list[NoteFile]:
    notes = []
    for path in paths:
        raw = path.read_bytes()
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            note = NoteFile(path, "", path.stem)
            note.problems.append(Problem(1, 1, f"file is not UTF-8 ({exc.reason} at byte {exc.start})"))
            notes.append(note)
            continue
        note = NoteFile(path, source, path.stem)
        if not SLUG.fullmatch(path.stem):
            note.problems.append(Problem(1, 1, f"file name {path.name!r} must be a slug: {SLUG_RULE}"))
        notes.append(note)
    return notes


def read_converted_files(
    paths: list[Path],
    *,
    dialect: str,
    topic: str | None,
    known_topics: set[str] | None,
    macros: list | None = None,
    links: dict[str, str] | None = None,
) -> tuple[list[NoteFile], list[Conversion]]:
    """Files in another dialect, converted (notes.importing): each NoteFile holds the platform
    Markdown under the slug its file name gives; the conversions carry the reports. `macros`
    and `links` (wikilink names of the site's notes) go to notes.importing.convert_batch."""
    texts, unreadable = [], []
    for path in paths:
        try:
            texts.append((str(path), path.read_bytes().decode("utf-8")))
        except UnicodeDecodeError as exc:
            note = NoteFile(path, "", path.stem)
            note.problems.append(Problem(1, 1, f"file is not UTF-8 ({exc.reason} at byte {exc.start})"))
            unreadable.append(note)
    conversions = convert_batch(
        texts, dialect=dialect, topic=topic, known_topics=known_topics, macros=macros, links=links
    )
    notes = [NoteFile(Path(c.name), c.text, c.slug) for c in conversions]
    for note, conversion in zip(notes, conversions, strict=True):
        if conversion.error:
            note.problems.append(Problem(1, 1, conversion.error))
    return notes + unreadable, conversions


def read_macros_file(raw: str) -> tuple[list, list[str]]:
    """A site's macros file (`--macros`; notes.importing.macros): (definitions, what could not
    be read). ValueError, saying what to fix, when nothing can be read."""
    path = Path(raw)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ValueError(f"{raw}: cannot read the macros file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{raw}: macros file is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        return read_macros(text)
    except MacrosFileError as exc:
        raise ValueError(f"{raw}: {exc}") from exc


def read_topics(paths: list[str]) -> list[dict] | None:
    """The topics.yaml beside the given files (first found), or None."""
    for raw in paths:
        path = Path(raw)
        folder = path if path.is_dir() else path.parent
        candidate = folder / TOPICS_FILE
        if candidate.exists():
            data = yaml.safe_load(candidate.read_text(encoding="utf-8")) or []
            if not isinstance(data, list) or not all(isinstance(t, dict) and "slug" in t for t in data):
                raise ValueError(f"{candidate}: expected a list of topics with slug and title")
            return data
    return None


def check_files(
    notes: list[NoteFile],
    *,
    base: NoteIndex | None = None,
    topics: set[str] | None = None,
    live_edges: dict[str, set[str]] | None = None,
    progress=None,
) -> None:
    """Render every file against the batch (and `base`), then check what spans files.

    The files' formulas are typeset first, all at once on every engine (formulas_prefill,
    with `progress` if given), so each file's render finds them in the formula cache."""
    slugs: dict[str, NoteFile] = {}
    batch = MappingIndex()
    for note in notes:
        if note.source and len(note.source.encode("utf-8")) <= settings.NOTE_MAX_BYTES:
            info = outline(note.source, slug=note.slug)
            note.slug = info.slug or note.slug
            if not note.problems and note.slug not in slugs:
                batch.add(info)
        if note.slug in slugs:
            note.problems.append(Problem(1, 1, f"slug {note.slug!r} is also used by {slugs[note.slug].path}"))
        slugs.setdefault(note.slug, note)
    index = ChainIndex(batch, base) if base is not None else batch
    renderable = [note for note in notes if note.source and not note.problems]
    formulas_prefill([note.source for note in renderable], progress=progress)
    for note in renderable:
        note.result = render(note.source, slug=note.slug, index=index)

    known_notes = set(slugs)
    graph = dict(live_edges or {})
    for note in notes:
        if note.result is None:
            continue
        graph[note.slug] = set(note.result.prerequisites)
        for slug in note.result.prerequisites:
            if slug not in known_notes and (base is None or base.lookup(slug) is None):
                note.problems.append(
                    Problem(_fm_line(note.source, "prerequisites"), 1, f"unknown prerequisite {slug!r}")
                )
        if topics is not None:
            for slug in note.result.topics:
                if slug not in topics:
                    note.problems.append(
                        Problem(
                            _fm_line(note.source, "topics"),
                            1,
                            f"unknown topic {slug!r}; known: {', '.join(sorted(topics))}",
                        )
                    )
    cycle = find_cycle(graph)
    if cycle:
        for slug in set(cycle):
            if slug in slugs:
                note = slugs[slug]
                note.problems.append(Problem(_fm_line(note.source, "prerequisites"), 1, cycle_message(cycle)))


def _fm_line(source: str, key: str) -> int:
    for number, line in enumerate(source.splitlines()[:50], start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def topics_upsert(topics: list[dict]) -> None:
    """Topics are configuration, not history: the file is the truth."""
    by_slug = {}
    for position, data in enumerate(topics):
        topic, _ = Topic.objects.update_or_create(
            slug=data["slug"],
            defaults={
                "title": data.get("title", data["slug"]),
                "description": data.get("description", ""),
                "order": data.get("order", position),
            },
        )
        by_slug[topic.slug] = (topic, data.get("parent"))
    for topic, parent in by_slug.values():
        parent_topic = by_slug[parent][0] if parent in by_slug else None
        if topic.parent_id != (parent_topic.pk if parent_topic else None):
            topic.parent = parent_topic
            topic.save(update_fields=["parent"])


@dataclass
class ImportOutcome:
    created: list[str] = field(default_factory=list)  # new revision written and live
    unchanged: list[str] = field(default_factory=list)
    rejected: list[NoteFile] = field(default_factory=list)


def import_files(
    notes: list[NoteFile],
    *,
    author=None,
    message: str = "Imported from file",
    progress=None,
    typeset_progress=None,
) -> ImportOutcome:
    """Write a revision for every changed, clean file and put it live.

    A file with any error writes nothing. Files are re-checked without the rejected ones
    until the set is stable, so a clean file that links to a rejected new note is rejected
    too rather than published with a dangling link. `progress` wraps the writes (a bar),
    `typeset_progress` the first typesetting of the files' formulas (see check_files).
    """
    from notes.selectors import LiveNoteIndex, live_edges

    outcome = ImportOutcome()
    topics = set(Topic.objects.values_list("slug", flat=True))
    remaining = list(notes)
    while True:
        check_files(remaining, base=LiveNoteIndex(), topics=topics, live_edges=live_edges(), progress=typeset_progress)
        typeset_progress = None  # a second check finds every formula in the cache
        bad = [n for n in remaining if n.errors]
        if not bad:
            break
        outcome.rejected.extend(bad)
        remaining = [n for n in remaining if not n.errors]
        for note in remaining:
            note.result, note.problems = None, []

    pending = {n.slug: set(n.result.prerequisites) for n in remaining}
    with transaction.atomic():
        existing = {n.slug: n for n in Note.objects.filter(slug__in=pending).select_related("latest_revision")}
        for slug in pending:
            if slug not in existing:
                existing[slug] = Note.objects.create(slug=slug)
        for note_file in progress(remaining) if progress else remaining:
            note = existing[note_file.slug]
            revision = revision_create(
                note=note, source=note_file.source, author=author, message=message, result=note_file.result
            )
            if revision is None:
                note.refresh_from_db()
                if note.live_revision_id == note.latest_revision_id:
                    outcome.unchanged.append(note_file.slug)
                    continue
                revision = note.latest_revision
            note_publish(revision=revision, user=None, pending=pending, refresh_citing=False)
            outcome.created.append(note_file.slug)
    if outcome.created:  # after the commit: no render runs under the notes' row locks
        queue_citing_rerender([existing[slug] for slug in outcome.created])
    return outcome


def export_live(folder: Path) -> list[Path]:
    """Write every live revision's source as <slug>.md, plus topics.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for note in Note.objects.with_live().only("slug", "live_revision__source"):
        path = folder / f"{note.slug}.md"
        path.write_text(note.live_revision.source, encoding="utf-8")
        written.append(path)
    topics = [
        {
            k: v
            for k, v in {
                "slug": t.slug,
                "title": t.title,
                "order": t.order,
                "description": t.description,
                "parent": t.parent.slug if t.parent else None,
            }.items()
            if v not in (None, "")
        }
        for t in Topic.objects.select_related("parent")
    ]
    (folder / TOPICS_FILE).write_text(yaml.safe_dump(topics, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return written
