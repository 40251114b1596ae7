"""One reader's annotations across notes: the list, and export and import of all of them.

JSON export and import follow the W3C Web Annotation Data Model
(https://www.w3.org/TR/annotation-model/), so the file is readable by other annotation tools:

- the document is an `AnnotationCollection` whose one page is embedded as `first` (an
  `AnnotationPage` with `items`), as the model pages collections;
- each item is an `Annotation`: `id` is `urn:uuid:<our uuid>`; `motivation` is `commenting`, or
  `highlighting` with no `body` when the reader wrote nothing (the model's bodiless
  annotation); the body is a `TextualBody` in `text/markdown`;
- `target.source` is the note's URL; `target.selector` lists alternatives that select the same
  passage: `TextQuoteSelector`, `TextPositionSelector` (in the revision's plain text) and, for
  equations, derivations and steps, a `FragmentSelector` whose value is the block id;
  `target.state` is a `TimeState` whose `cached` copy is the revision's page;
- our own fields are an extension in the `dld:` namespace declared in `@context` (the model's
  way to extend): `dld:kind`, `dld:revision` (number of the revision the anchor refers to),
  `dld:madeOn` (number of the revision it was made on), `dld:state` (anchored or orphaned).

Import validates the whole document before writing anything, then writes in one transaction.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import Resolver404, resolve, reverse

from accounts.annotations.quotes import CONTEXT, collapse, context_of, find_quote
from accounts.annotations.services import MAX_QUOTE_CHARS, AnnotationError, block_anchor
from accounts.models import Annotation
from notes.models import Note, PublishRecord, Revision
from notes.rendering.untrusted import render_untrusted

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
EXTENSION_PREFIX = "dld"
# A tag URI (RFC 4151) names the extension without depending on where the site is hosted.
EXTENSION_NS = "tag:deep-learning-derived,2026:annotation#"
RFC3986 = "http://tools.ietf.org/rfc/rfc3986"

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ITEMS = 5_000
MAX_MESSAGES = 50  # a file with thousands of bad items gets a readable answer, not a wall
MAX_SEARCH_CHARS = 200
MAX_BLOCK_ID = Annotation._meta.get_field("block_id").max_length


def annotations_across_notes(owner, *, query: str = "", state: str = "") -> QuerySet:
    """The owner's annotations, grouped by note (title order), each note's in reading order
    with its orphans last; `note_title` annotated. One query, whatever the number of notes."""
    rows = (
        Annotation.objects.owned_by(owner)
        .select_related("note__live_revision", "revision", "made_on")
        .only(
            *("id", "kind", "block_id", "quote", "prefix", "suffix", "start", "end", "body", "body_html"),
            *("state", "created_at", "updated_at", "note", "revision", "made_on"),
            *("note__slug", "note__live_revision", "note__live_revision__title"),
            *("revision__number", "revision__title", "revision__created_at", "made_on__number"),
        )
        # A retired note has no live revision; its annotations keep their revision's title.
        .annotate(note_title=Coalesce("note__live_revision__title", "revision__title"))
        .order_by("note_title", "note_id", "state", "start", "created_at")
    )
    if state:
        rows = rows.filter(state=state)
    if query:
        rows = rows.filter(Q(body__icontains=query) | Q(quote__icontains=query))
    return rows


# Export ------------------------------------------------------------------------------------


def annotations_export(owner, *, base_url: str = "") -> dict:
    """Every annotation of the owner as a Web Annotation collection. URLs are `base_url` plus
    the site path (site-relative when `base_url` is empty)."""
    items = [_annotation_json(a, owner, base_url) for a in annotations_across_notes(owner)]
    return {
        "@context": [ANNO_CONTEXT, {EXTENSION_PREFIX: EXTENSION_NS}],
        "id": base_url + reverse("accounts:annotations_export_json"),
        "type": "AnnotationCollection",
        "label": f"Annotations of {owner.get_username()}",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }


def _annotation_json(a: Annotation, owner, base_url: str) -> dict:
    selectors = [{"type": "TextQuoteSelector", "exact": a.quote, "prefix": a.prefix, "suffix": a.suffix}]
    # An empty span is a block whose text is not in the plain text, or an orphan: no position.
    if a.end > a.start:
        selectors.append({"type": "TextPositionSelector", "start": a.start, "end": a.end})
    if a.kind != Annotation.Kind.TEXT:
        selectors.append({"type": "FragmentSelector", "value": a.block_id, "conformsTo": RFC3986})
    item = {
        "id": a.pk.urn,
        "type": "Annotation",
        "created": a.created_at.isoformat(),
        "modified": a.updated_at.isoformat(),
        "creator": {"type": "Person", "nickname": owner.get_username()},
        "motivation": "commenting" if a.body else "highlighting",
    }
    if a.body:
        item["body"] = {"type": "TextualBody", "value": a.body, "format": "text/markdown"}
    item["target"] = {
        "source": base_url + reverse("notes:note", args=[a.note.slug]),
        "selector": selectors,
        "state": {
            "type": "TimeState",
            "cached": base_url + reverse("notes:revision", args=[a.note.slug, a.revision.number]),
            "sourceDate": a.revision.created_at.isoformat(),
        },
    }
    item[f"{EXTENSION_PREFIX}:kind"] = a.kind
    item[f"{EXTENSION_PREFIX}:revision"] = a.revision.number
    item[f"{EXTENSION_PREFIX}:madeOn"] = a.made_on.number
    item[f"{EXTENSION_PREFIX}:state"] = a.state
    return item


# Characters that open a block construct at the start of a line (headings, quotes, lists,
# thematic breaks, fences, tables, HTML, link definitions, our ::: containers).
_BLOCK_START = re.compile(r"^([#>+*=_~`|<\[:-]|\d+[.)])")


def _escape_line(line: str) -> str:
    """One line of quoted text that Markdown shows as text, not as a block construct."""
    line = line.lstrip()  # four spaces of indentation would start a code block
    match = _BLOCK_START.match(line)
    if not match:
        return line
    if match.group(1)[0].isdigit():  # "1." starts a list: escape the punctuation
        end = match.end(1) - 1
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _blockquote(text: str) -> str:
    return "\n".join(f"> {_escape_line(line)}".rstrip() for line in text.strip().splitlines())


def annotations_markdown(owner, *, base_url: str = "") -> str:
    """Every annotation of the owner as Markdown: a section per note (by title) with its
    address, each annotation as its quote in a blockquote, the reader's body, then its kind,
    revision and state."""
    lines = [f"# Annotations of {owner.get_username()}", ""]
    current = None
    for a in annotations_across_notes(owner):
        if a.note_id != current:
            current = a.note_id
            # A closing run of # would be taken for the heading's optional closing sequence.
            title = re.sub(r"(#+)$", r"\\\1", a.note_title)
            url = base_url + reverse("notes:note", args=[a.note.slug])
            lines += [f"## {title}", "", f"[{url}]({url})", ""]
        lines += [_blockquote(a.quote), ""]
        if a.body:
            lines += [a.body, ""]
        meta = [a.get_kind_display() + (f" `{a.block_id}`" if a.block_id else ""), f"revision {a.revision.number}"]
        if a.made_on.number != a.revision.number:
            meta.append(f"made on revision {a.made_on.number}")
        if a.state == Annotation.State.ORPHANED:
            meta.append("orphaned: the passage is not in the current text of the note")
        lines += ["*" + " · ".join(meta) + "*", ""]
    if current is None:
        lines += ["No annotations yet.", ""]
    return "\n".join(lines)


# Import ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    skipped_same_id: int = 0  # already yours: the same annotation imported before
    skipped_duplicate: int = 0  # you already have one on the same note with the same quote and body
    new_ids: int = 0  # the id belonged to another reader: imported under a new id
    orphaned: int = 0
    details: list[str] = field(default_factory=list)  # one line per item worth a look

    @property
    def skipped(self) -> int:
        return self.skipped_same_id + self.skipped_duplicate


@dataclass
class _Item:
    number: int  # 1-based position in the file, for messages
    id: uuid.UUID | None
    slug: str
    kind: str
    block_id: str
    exact: str
    prefix: str
    suffix: str
    start: int | None
    revision_number: int | None
    made_on_number: int | None
    body: str
    body_html: str

    @property
    def duplicate_key(self) -> tuple[str, str]:
        return collapse(self.exact).strip(), self.body


def annotations_load(raw: bytes) -> dict:
    """The parsed JSON of an uploaded file, or AnnotationError (too large, not JSON)."""
    if len(raw) > IMPORT_MAX_BYTES:
        raise AnnotationError(f"the file is {len(raw) / 2**20:.1f} MB; the limit is {IMPORT_MAX_BYTES // 2**20} MB")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly nested arrays
        raise AnnotationError(f"the file is not valid JSON ({error})") from None


def annotations_import(owner, data) -> ImportReport:
    """Import a collection written by `annotations_export` (from this or another account).

    All or nothing: the document is checked whole (structure, limits, every body rendered by
    the untrusted renderer, every note published) and AnnotationError names the problems by
    item; only a clean document is written, in one transaction. Anchoring follows creation:
    the quote (or block id) is looked for in the exported revision if the note published one
    with that number, else in the live revision; an item whose passage is not there, or whose
    revision is no longer live, is imported as an orphan on that revision, never dropped.
    Duplicates are skipped: an id the owner already has, or the same (note, quote, body). An
    id belonging to another reader is never overwritten: the item gets a new id.
    """
    items = _parse_document(data)
    report = ImportReport()
    with transaction.atomic():
        # Two imports of the same file at once (a double submit) would both find its ids free
        # and the second would fail on the primary key; locking the owner's row serializes one
        # owner's imports so the second sees the first's rows and skips them as duplicates.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        notes, revisions = _notes_and_revisions(items)
        missing = [
            f"item {item.number}: no published note “{item.slug}”"
            for item in items
            if item.slug not in notes or notes[item.slug].live_revision_id is None
        ]
        if missing:
            raise AnnotationError(*_capped(missing))
        rows = _new_rows(owner, items, notes, revisions, report)
        Annotation.objects.bulk_create(rows, batch_size=500)
    report.created = len(rows)
    return report


def _capped(messages: list[str]) -> list[str]:
    if len(messages) <= MAX_MESSAGES:
        return messages
    return [*messages[:MAX_MESSAGES], f"and {len(messages) - MAX_MESSAGES:,} more problems"]


def _parse_document(data) -> list[_Item]:
    if not isinstance(data, dict) or data.get("type") != "AnnotationCollection":
        raise AnnotationError("the file is not an annotation collection (export your annotations as JSON here)")
    context = data.get("@context")
    if context != ANNO_CONTEXT and not (isinstance(context, list) and ANNO_CONTEXT in context):
        raise AnnotationError(f"the file does not use the Web Annotation context ({ANNO_CONTEXT})")
    page = data.get("first")
    raw_items = page.get("items") if isinstance(page, dict) else None
    if not isinstance(raw_items, list):
        raise AnnotationError("the collection has no page of items (“first”: {“items”: [...]})")
    if len(raw_items) > IMPORT_MAX_ITEMS:
        raise AnnotationError(f"the file holds {len(raw_items):,} annotations; the limit is {IMPORT_MAX_ITEMS:,}")
    items, errors = [], []
    for number, raw in enumerate(raw_items, start=1):
        try:
            items.append(_parse_item(number, raw))
        except AnnotationError as error:
            errors += [f"item {number}: {message}" for message in error.messages]
    if errors:
        raise AnnotationError(*_capped(errors))
    return items


def _text(value, name: str, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise AnnotationError(f"{name} must be text")
    if limit is not None and len(value) > limit:
        raise AnnotationError(f"{name} is {len(value):,} characters; the limit is {limit:,}")
    return value


def _number(value, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AnnotationError(f"{name} must be a whole number")
    return value


def _parse_item(number: int, raw) -> _Item:
    if not isinstance(raw, dict):
        raise AnnotationError("not an annotation object")
    kinds = raw.get("type")
    if kinds != "Annotation" and not (isinstance(kinds, list) and "Annotation" in kinds):
        raise AnnotationError("its type is not Annotation")
    target = raw.get("target")
    if not isinstance(target, dict):
        raise AnnotationError("no target (the note and passage it annotates)")
    selectors = target.get("selector", [])
    selectors = [selectors] if isinstance(selectors, dict) else selectors
    if not isinstance(selectors, list) or not all(isinstance(s, dict) for s in selectors):
        raise AnnotationError("target.selector must be a selector or a list of them")
    by_type = {s.get("type"): s for s in selectors}
    quote_selector = by_type.get("TextQuoteSelector")
    if quote_selector is None:
        raise AnnotationError("no TextQuoteSelector (the quoted passage)")
    exact = _text(quote_selector.get("exact"), "the quote", MAX_QUOTE_CHARS)
    if not exact.strip():
        raise AnnotationError("the quote is empty")
    position = by_type.get("TextPositionSelector") or {}
    kind = _text(raw.get(f"{EXTENSION_PREFIX}:kind", Annotation.Kind.TEXT), "the kind")
    if kind not in Annotation.Kind.values:
        raise AnnotationError(f"unknown kind {kind!r}; use one of: {', '.join(Annotation.Kind.values)}")
    block_id = ""
    if kind != Annotation.Kind.TEXT:
        fragment = by_type.get("FragmentSelector")
        if fragment is None:
            raise AnnotationError(f"a {kind} annotation needs a FragmentSelector with its block id")
        block_id = _text(fragment.get("value"), "the block id", MAX_BLOCK_ID)
    return _Item(
        number=number,
        id=_urn_uuid(raw.get("id")),
        slug=_note_slug(_text(target.get("source"), "target.source", 2_000)),
        kind=kind,
        block_id=block_id,
        exact=exact,
        prefix=_text(quote_selector.get("prefix", ""), "the prefix", 1_000)[-CONTEXT:],
        suffix=_text(quote_selector.get("suffix", ""), "the suffix", 1_000)[:CONTEXT],
        start=_number(position.get("start"), "the start position"),
        revision_number=_number(raw.get(f"{EXTENSION_PREFIX}:revision"), "the revision"),
        made_on_number=_number(raw.get(f"{EXTENSION_PREFIX}:madeOn"), "the made-on revision"),
        **_body(raw.get("body")),
    )


def _urn_uuid(value) -> uuid.UUID | None:
    """Our id back from `urn:uuid:...`; other tools' ids (URLs) mean a new annotation."""
    if not isinstance(value, str) or not value.lower().startswith("urn:uuid:"):
        return None
    try:
        return uuid.UUID(value[len("urn:uuid:") :])
    except ValueError:
        raise AnnotationError(f"the id {value[:60]!r} is not a valid urn:uuid") from None


def _note_slug(source: str) -> str:
    """The slug of a note URL, absolute (from any host: exports move between sites) or not."""
    try:
        match = resolve(urlsplit(source).path)
    except (Resolver404, ValueError):
        match = None
    if match is None or match.view_name != "notes:note":
        raise AnnotationError(f"target.source {source[:80]!r} is not the address of a note")
    return match.kwargs["slug"]


def _body(value) -> dict:
    if value is None:
        return {"body": "", "body_html": ""}
    if not isinstance(value, dict) or value.get("type", "TextualBody") != "TextualBody":
        raise AnnotationError("the body must be one TextualBody")
    if value.get("format", "text/markdown") not in {"text/markdown", "text/plain"}:
        raise AnnotationError("the body must be text/markdown")
    body = _text(value.get("value", ""), "the body").strip()
    if not body:
        return {"body": "", "body_html": ""}
    rendered = render_untrusted(body)
    if not rendered.ok:
        raise AnnotationError(*(f"body: {message}" for message in rendered.errors))
    return {"body": body, "body_html": rendered.html}


def _notes_and_revisions(items: list[_Item]) -> tuple[dict[str, Note], dict[tuple[int, int], Revision]]:
    """The notes named by the items, and their published revisions by (note id, number).

    Only revisions that have been live count: anchoring against a draft would tell the
    importer whether a passage is in text that readers cannot see.
    """
    notes = {
        note.slug: note
        for note in Note.objects.filter(slug__in={item.slug for item in items}).only("id", "slug", "live_revision_id")
    }
    published = PublishRecord.objects.filter(note__in=list(notes.values())).values("to_revision_id")
    live = [note.live_revision_id for note in notes.values() if note.live_revision_id]
    revisions = Revision.objects.filter(Q(pk__in=published) | Q(pk__in=live)).only(
        "id", "note_id", "number", "created_at", "plain_text"
    )
    return notes, {(r.note_id, r.number): r for r in revisions}


def _new_rows(owner, items, notes, revisions, report: ImportReport) -> list[Annotation]:
    taken = dict(
        # Whose ids these are is read only to keep another reader's row from being overwritten;
        # nothing of theirs leaves this function.
        Annotation.objects.filter(pk__in=[item.id for item in items if item.id]).values_list("pk", "owner_id")
    )
    have = {
        (note_id, collapse(quote).strip(), body)
        for note_id, quote, body in Annotation.objects.owned_by(owner)
        .filter(note__in=list(notes.values()))
        .values_list("note_id", "quote", "body")
    }
    live_ids = {note.live_revision_id for note in notes.values()}
    live = {r.note_id: r for r in revisions.values() if r.pk in live_ids}
    rows = []
    for item in items:
        note = notes[item.slug]
        if item.id and taken.get(item.id) == owner.pk:
            report.skipped_same_id += 1
            continue
        if (note.pk, *item.duplicate_key) in have:
            report.skipped_duplicate += 1
            continue
        annotation_id = item.id
        if item.id in taken:
            annotation_id = uuid.uuid4()
            report.new_ids += 1
            report.details.append(f"item {item.number}: its id belongs to another account; imported under a new id")
        row = _anchored(item, note, live[note.pk], revisions, report)
        row.id, row.owner = annotation_id or uuid.uuid4(), owner
        taken[row.id] = owner.pk  # the same id twice in one file: the second is a duplicate
        have.add((note.pk, *item.duplicate_key))
        rows.append(row)
    return rows


def _anchored(item: _Item, note: Note, live: Revision, revisions, report: ImportReport) -> Annotation:
    """The item placed in its revision as `annotation_create` would place it, or an orphan."""
    revision = revisions.get((note.pk, item.revision_number), live)
    made_on = revisions.get((note.pk, item.made_on_number), revision)
    text = revision.plain_text
    quote, span = item.exact, None
    if item.kind == Annotation.Kind.TEXT:
        near = item.start / max(1, len(text)) if item.start is not None else None
        span = find_quote(text, item.exact, item.prefix, item.suffix, near)
        if span is not None:
            quote = text[span.start : span.end]
    else:
        try:
            quote, span = block_anchor(revision, item.kind, item.block_id)
        except Http404:
            span = None
    row = Annotation(note=note, made_on=made_on, revision=revision, kind=item.kind, block_id=item.block_id, quote=quote)
    row.body, row.body_html = item.body, item.body_html
    if span is not None and revision.pk == live.pk:
        row.prefix, row.suffix = context_of(text, span)
        row.start, row.end = span.start, span.end
        return row
    # An anchor on a revision that is no longer live would be drawn on the wrong text: orphan
    # it there, where the revision page can still show the passage; the reader can reattach.
    report.orphaned += 1
    row.state, row.anchored_by = Annotation.State.ORPHANED, Annotation.Method.ORPHAN
    if span is None:
        row.start = row.end = 0
        row.prefix, row.suffix = item.prefix, item.suffix
        why = "is not in"
    else:
        row.start, row.end = span.start, span.end
        row.prefix, row.suffix = context_of(text, span)
        why = "is only in"
    report.details.append(
        f"item {item.number}: the passage {why} revision {revision.number} of “{note.slug}”; imported as an orphan"
    )
    return row
