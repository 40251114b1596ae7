"""The editorial workflow: write, submit, review, publish, roll back.

Every function is keyword-only, checks the acting user's permission itself (views are not
the only callers), runs in one transaction and either completes or raises with a message
that says what to fix. Nothing here edits a stored revision.
"""

from dataclasses import dataclass, field

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.annotations.reanchoring import orphan_count
from accounts.models import DerivationProgress
from notes.models import Note, Prerequisite, PublishRecord, Review, ReviewComment, Revision
from notes.rendering import render
from notes.rendering.frontmatter import SLUG
from notes.search.selectors import search_document_update
from notes.selectors import LiveNoteIndex
from notes.services import (
    PublishRefused,
    broken_incoming_links,
    dependents_rerender,
    live_links_into,
    publish_gates,
    revision_create,
    revision_publish,
)

FRONT_MATTER_ORDER = ("title", "summary", "topics", "prerequisites")


class EditorialError(Exception):
    """A request that cannot be carried out; the message says what to fix."""


class EditConflict(Exception):
    """Another revision was written after the one the editor started from."""

    def __init__(self, *, base: Revision | None, latest: Revision):
        super().__init__(f"revision {latest.number} was saved after the one you started from")
        self.base = base
        self.latest = latest


def require(user, permission: str) -> None:
    if not user.has_perm(f"notes.{permission}"):
        raise PermissionDenied(f"you need the '{permission}' permission")


def compose_source(*, title: str, summary: str, topics: list[str], prerequisites: list[str], body: str) -> str:
    """A note's source from the editor's fields: YAML front matter, then the body."""
    data = {"title": title, "summary": summary, "topics": topics, "prerequisites": prerequisites}
    header = yaml.safe_dump(
        {key: data[key] for key in FRONT_MATTER_ORDER if data[key] or key in ("title", "summary", "topics")},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=1000,
    )
    return f"---\n{header}---\n\n{body.strip()}\n"


def split_source(source: str) -> tuple[dict, str]:
    """(front matter, body) of a stored source, for filling the edit form."""
    if source.startswith("---"):
        end = source.find("\n---", 3)
        if end != -1:
            try:
                data = yaml.safe_load(source[3:end]) or {}
            except yaml.YAMLError:
                data = {}
            body = source[end + 4 :].lstrip("\n")
            return (data if isinstance(data, dict) else {}), body
    return {}, source


def _check_body(source: str, body: str) -> None:
    if not body.strip():
        raise EditorialError("the note body is empty: write at least one paragraph")
    size = len(source.encode("utf-8"))
    if size > settings.NOTE_MAX_BYTES:
        raise EditorialError(f"the note is {size:,} bytes; the limit is {settings.NOTE_MAX_BYTES:,} bytes (1 MB)")


def note_create(*, slug: str, source: str, body: str, author, message: str = "") -> Revision:
    """Create a draft note and its first revision (stored even with render errors)."""
    require(author, "add_note")
    if not SLUG.fullmatch(slug or ""):
        raise EditorialError("the slug must be lowercase letters, digits and single hyphens, at most 100")
    _check_body(source, body)
    result = render(source, slug=slug, index=LiveNoteIndex())
    with transaction.atomic():
        try:
            # The unique slug column decides between two editors creating the same slug.
            with transaction.atomic():
                note = Note.objects.create(slug=slug)
        except IntegrityError:
            raise EditorialError(f"the slug '{slug}' is taken; choose another") from None
        return revision_create(note=note, source=source, author=author, message=message or "Created", result=result)


def revision_save(
    *, note: Note, source: str, body: str, base_revision_id: int | None, author, message: str = "", new_slug: str = ""
) -> Revision | None:
    """Save an edit as a new revision, or raise EditConflict.

    The check and the write happen under the note's row lock, so of two editors who
    started from the same revision, the second to commit is refused rather than silently
    overwriting the first. Returns None when nothing changed.
    """
    require(author, "change_note")
    _check_body(source, body)
    # Render before taking the row lock: KaTeX can take seconds and must not hold up others.
    result = render(source, slug=new_slug or note.slug, index=LiveNoteIndex())
    with transaction.atomic():
        # Lock the note row alone; the revisions are read after the lock is held, so a
        # revision committed by whoever held it before us is seen (in PostgreSQL a joined row
        # would come from the snapshot taken before the wait).
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.latest_revision_id != base_revision_id:
            base = Revision.objects.filter(pk=base_revision_id, note=locked).first()
            raise EditConflict(base=base, latest=Revision.objects.get(pk=locked.latest_revision_id))
        if new_slug and new_slug != locked.slug:
            if locked.live_revision_id:
                raise EditorialError("the slug is permanent once a note is live; links and readers' data use it")
            if not SLUG.fullmatch(new_slug):
                raise EditorialError("the slug must be lowercase letters, digits and single hyphens, at most 100")
            if Note.objects.filter(slug=new_slug).exists():
                raise EditorialError(f"the slug '{new_slug}' is taken; choose another")
            locked.slug = new_slug
            locked.save(update_fields=["slug"])
        return revision_create(note=locked, source=source, author=author, message=message, result=result)


def review_submit(*, note: Note, user) -> Review:
    """Ask for the latest revision to be published."""
    require(user, "submit_note")
    revision = note.latest_revision
    if revision is None:
        raise EditorialError("there is nothing to submit yet")
    if revision.errors:
        raise EditorialError(
            f"revision {revision.number} has {len(revision.errors)} error(s); fix them before submitting"
        )
    if note.live_revision_id == revision.pk:
        raise EditorialError(f"revision {revision.number} is already live")
    try:
        with transaction.atomic():
            Review.objects.filter(note=note, state=Review.State.CHANGES_REQUESTED).update(state=Review.State.WITHDRAWN)
            return Review.objects.create(note=note, revision=revision, submitted_by=user)
    except IntegrityError:
        raise EditorialError("this note is already in review") from None


def review_comment(*, revision: Revision, user, body: str) -> ReviewComment:
    if not (user.has_perm("notes.publish_note") or user.has_perm("notes.submit_note")):
        raise PermissionDenied("only editors and reviewers comment on revisions")
    body = body.strip()
    if not body:
        raise EditorialError("the comment is empty")
    if len(body) > 5000:
        raise EditorialError(f"the comment is {len(body)} characters; the limit is 5000")
    return ReviewComment.objects.create(revision=revision, author=user, body=body)


@transaction.atomic
def review_request_changes(*, note: Note, user, comment: str) -> Review:
    require(user, "publish_note")
    review = Review.objects.open().select_for_update().filter(note=note).first()
    if review is None:
        raise EditorialError("this note is not in review")
    review_comment(revision=review.revision, user=user, body=comment)
    review.state = Review.State.CHANGES_REQUESTED
    review.decided_by, review.decided_at = user, timezone.now()
    review.save(update_fields=["state", "decided_by", "decided_at"])
    return review


def note_publish(*, revision: Revision, user, action: str = PublishRecord.Action.PUBLISH) -> Revision:
    """Publish through the gates, then refresh the notes that cite this one.

    The publish is one short transaction under the note's row lock; the citing notes are
    re-rendered after it has committed, so no render holds that lock.
    """
    require(user, "publish_note")
    published = revision_publish(revision=revision, user=user, action=action)
    dependents_rerender(changed={revision.note.slug}, index=LiveNoteIndex())
    return published


def note_rollback(*, note: Note, to_revision: Revision, user) -> Revision:
    """Write a new revision with an old revision's content and publish it through the gates.

    If a gate refuses, nothing is written: the new revision and the publish are one
    transaction. The content is rendered before that transaction takes the note's lock.
    """
    require(user, "publish_note")
    if to_revision.note_id != note.pk:
        raise EditorialError("that revision belongs to another note")
    result = render(to_revision.source, slug=note.slug, index=LiveNoteIndex())
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        revision = revision_create(
            note=locked,
            source=to_revision.source,
            author=user,
            message=f"Rollback to revision {to_revision.number}",
            result=result,
        )
        if revision is None:  # the latest revision already has this content
            revision = Revision.objects.get(pk=locked.latest_revision_id)
        published = revision_publish(revision=revision, user=user, action=PublishRecord.Action.ROLLBACK)
    dependents_rerender(changed={note.slug}, index=LiveNoteIndex())
    return published


def retire_blockers(note: Note) -> list[str]:
    """Why a live note cannot be taken offline: other live notes that link to it or need it."""
    reasons = []
    linking: dict[str, int] = {}
    for link in live_links_into(note):
        linking[link.revision.note.slug] = linking.get(link.revision.note.slug, 0) + 1
    for slug, count in sorted(linking.items()):
        reasons.append(f"'{slug}' links here ({count} link{'s' if count > 1 else ''}); remove or retarget them first")
    needing = Prerequisite.objects.filter(prerequisite=note, revision__note__live_revision=F("revision")).exclude(
        revision__note=note
    )
    for slug in sorted(needing.values_list("revision__note__slug", flat=True)):
        reasons.append(f"'{slug}' lists it as a prerequisite; remove that edge first")
    return reasons


def note_retire(*, note: Note, user) -> PublishRecord:
    """Take a live note offline; refused, naming them, while other live notes depend on it.

    Nothing is deleted: the revisions stay, the note becomes a draft again (editors only),
    and the retirement is recorded like a publish, so it appears in the history and feeds.
    """
    require(user, "publish_note")
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.live_revision_id is None:
            raise EditorialError("this note is not live")
        reasons = retire_blockers(locked)
        if reasons:
            raise PublishRefused(["cannot retire this note while others depend on it:", *reasons])
        record = PublishRecord.objects.create(
            note=locked,
            from_revision_id=locked.live_revision_id,
            to_revision_id=locked.live_revision_id,
            action=PublishRecord.Action.RETIRE,
            user=user,
        )
        locked.live_revision = None
        locked.save(update_fields=["live_revision"])
        locked.topics.clear()
        search_document_update(note=locked)
    return record


@dataclass
class Impact:
    """What publishing a revision would change for the rest of the site."""

    gates: list[str] = field(default_factory=list)
    broken_references: list[dict] = field(default_factory=list)  # {"note", "title", "anchor"}
    derivations_changed: list[str] = field(default_factory=list)
    derivations_added: list[str] = field(default_factory=list)
    derivations_removed: list[str] = field(default_factory=list)
    stale_marks: int = 0  # readers' worked-through marks the changed derivations would make stale
    orphaned_annotations: int = 0  # readers' annotations it would orphan: a count, never whose or what
    prerequisites_added: list[str] = field(default_factory=list)
    prerequisites_removed: list[str] = field(default_factory=list)
    # Other live notes whose links print this note's title: re-rendered on publish to show the new one.
    retitled_in: list[dict] = field(default_factory=list)  # {"note", "title", "text"}


def publish_impact(*, revision: Revision) -> Impact:
    note = revision.note
    live = note.live_revision
    impact = Impact(gates=publish_gates(revision))
    impact.broken_references = [
        {"note": link.revision.note.slug, "title": link.revision.title, "anchor": link.anchor}
        for link in broken_incoming_links(revision)
    ]
    new = dict(revision.derivations.values_list("key", "fingerprint"))
    old = dict(live.derivations.values_list("key", "fingerprint")) if live else {}
    impact.derivations_added = sorted(set(new) - set(old))
    impact.derivations_removed = sorted(set(old) - set(new))
    impact.derivations_changed = sorted(k for k in set(new) & set(old) if new[k] != old[k])
    if impact.derivations_changed:
        made_against_other_content = Q()
        for key in impact.derivations_changed:
            made_against_other_content |= Q(derivation_key=key) & ~Q(fingerprint=new[key])
        impact.stale_marks = (
            DerivationProgress.objects.worked_through().filter(note=note).filter(made_against_other_content).count()
        )
    impact.orphaned_annotations = orphan_count(note=note, revision=revision)
    new_pre = set(revision.front_matter.get("prerequisites", []))
    old_pre = set(live.front_matter.get("prerequisites", [])) if live else set()
    impact.prerequisites_added = sorted(new_pre - old_pre)
    impact.prerequisites_removed = sorted(old_pre - new_pre)
    if live and live.title != revision.title:
        impact.retitled_in = [
            {"note": link.revision.note.slug, "title": link.revision.title, "text": link.text}
            for link in live_links_into(note)
            if link.text.startswith(live.title)
        ]
    return impact
