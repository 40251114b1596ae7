"""The document formats of one reader's annotations: JSON and Markdown export, reading an import.

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

Import: `annotations_load` and `annotations_parse` check the whole document (limits, structure,
every body rendered by the untrusted renderer) before anything is written; the write is
`accounts.annotations.services.annotations_import`, in one transaction.
"""

import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse

from accounts.annotations.errors import AnnotationError, capped
from accounts.annotations.quotes import CONTEXT, MAX_QUOTE_CHARS, collapse
from accounts.annotations.selectors import annotations_across_notes
from accounts.models import Annotation
from notes.rendering.untrusted import render_untrusted

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
EXTENSION_PREFIX = "dld"
# A tag URI (RFC 4151) names the extension without depending on where the site is hosted.
EXTENSION_NS = "tag:deep-learning-derived,2026:annotation#"
RFC3986 = "http://tools.ietf.org/rfc/rfc3986"

IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ITEMS = 5_000
MAX_BLOCK_ID = Annotation._meta.get_field("block_id").max_length


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
class ImportItem:
    """One annotation of an import document, checked and its body rendered, not yet written."""

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


def annotations_parse(data) -> list[ImportItem]:
    """The annotations of an import document (as `annotations_export` writes it), each checked:
    structure, limits, every body rendered by the untrusted renderer. AnnotationError names the
    problems by item. Nothing is read from the database or written."""
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
        raise AnnotationError(*capped(errors))
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


def _parse_item(number: int, raw) -> ImportItem:
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
    return ImportItem(
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
