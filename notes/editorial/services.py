"""The editorial workflow: write, submit, review, publish, roll back, retire.

Every function is keyword-only, checks the acting user's permission itself (views are not
the only callers), and either completes or raises with a message that says what to fix.
Each renders first, then takes the note's row lock to check and write in one short
transaction. Nothing here edits a stored revision. `note_publish` is the one way a revision
goes live.
"""

import yaml
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from notes.background import queue_citing_rerender, queue_search_refresh
from notes.editorial.gates import PublishRefused, publish_gates, retire_blockers
from notes.hooks import revision_published
from notes.models import MAX_COMMENT_CHARS, Note, PublishRecord, Review, ReviewComment, Revision, Topic
from notes.rendering import render
from notes.rendering.frontmatter import SLUG, SLUG_RULE
from notes.selectors import LiveNoteIndex, stored_figures
from notes.services import revision_create

EDITORS_GROUP = "editors"
EDITOR_PERMISSIONS = ("add_note", "change_note", "view_note", "submit_note", "publish_note")
# Reviewers read every revision, comment, request changes and publish; they do not write.
REVIEWERS_GROUP = "reviewers"
REVIEWER_PERMISSIONS = ("view_note", "publish_note")

FRONT_MATTER_ORDER = ("title", "summary", "topics", "prerequisites")


def _group_ensure(name: str, codenames: tuple[str, ...]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="notes", codename__in=codenames))
    return group


def editors_group_ensure() -> Group:
    """The `editors` and `reviewers` groups exist and hold their permissions (idempotent)."""
    _group_ensure(REVIEWERS_GROUP, REVIEWER_PERMISSIONS)
    return _group_ensure(EDITORS_GROUP, EDITOR_PERMISSIONS)


def reviewers_group() -> Group:
    editors_group_ensure()
    return Group.objects.get(name=REVIEWERS_GROUP)


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
        raise EditorialError(f"the slug must be {SLUG_RULE}")
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
                raise EditorialError(f"the slug must be {SLUG_RULE}")
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
    if len(body) > MAX_COMMENT_CHARS:
        raise EditorialError(f"the comment is {len(body):,} characters; the limit is {MAX_COMMENT_CHARS:,}")
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


@transaction.atomic
def _publish(
    *,
    revision: Revision,
    user,
    action: str,
    pending: dict[str, set[str]] | None = None,
) -> Revision:
    """Put `revision` live, or raise PublishRefused listing every failed gate.

    The note row is locked first: two publishes of the same note serialize, so the gates are
    checked against the state the publish actually writes over. The publish is recorded
    (who, when, from which revision to which), an open review of the note is closed, and
    `revision_published` is sent with the lock still held, so what readers keep about the
    note moves with it (an annotation written meanwhile waits for the lock, then sees the
    new revision). Renders nothing.
    """
    note = Note.objects.select_for_update().get(pk=revision.note_id)
    if note.live_revision_id == revision.pk:
        raise PublishRefused([f"revision {revision.number} is already live"])
    reasons = publish_gates(revision, pending=pending)
    if reasons:
        raise PublishRefused(reasons)
    PublishRecord.objects.create(
        note=note, from_revision_id=note.live_revision_id, to_revision=revision, action=action, user=user
    )
    Review.objects.open().filter(note=note).update(
        state=Review.State.PUBLISHED, decided_by=user, decided_at=timezone.now()
    )
    note.live_revision = revision
    note.save(update_fields=["live_revision"])
    revision_published.send(sender=Note, note=note, revision=revision)
    note.topics.set(Topic.objects.filter(slug__in=revision.front_matter.get("topics", [])))
    queue_search_refresh(note)
    return revision


def note_publish(
    *,
    revision: Revision,
    user,
    action: str = PublishRecord.Action.PUBLISH,
    pending: dict[str, set[str]] | None = None,
    refresh_citing: bool = True,
) -> Revision:
    """Publish through the gates, then refresh the notes that cite this one.

    `user` is the person publishing, whose permission is checked, or None for the site's
    own commands (`import_notes`). The publish is one short transaction under the note's
    row lock, which returns once the revision is live: what follows from it is queued as
    jobs (jobs.services) and done by a worker: the search row, readers' annotations moved
    into the new text (accounts, through `revision_published`) and, once the publish has
    committed, the citing notes re-rendered. `pending` and `refresh_citing=False` are for a
    batch of publishes in one transaction (an import): it names the other notes' prerequisite
    edges going live with it, and queues the citing notes' re-render itself for the batch.
    """
    if user is not None:
        require(user, "publish_note")
    published = _publish(revision=revision, user=user, action=action, pending=pending)
    if refresh_citing:
        queue_citing_rerender([revision.note])
    return published


def note_rollback(*, note: Note, to_revision: Revision, user) -> Revision:
    """Write a new revision with an old revision's content and publish it through the gates.

    If a gate refuses, nothing is written: the new revision and the publish are one
    transaction. The content is rendered before that transaction takes the note's lock.
    """
    require(user, "publish_note")
    if to_revision.note_id != note.pk:
        raise EditorialError("that revision belongs to another note")
    # The old content with the figures as they were drawn then (their functions may differ now).
    figures = stored_figures(to_revision)
    result = render(to_revision.source, slug=note.slug, index=LiveNoteIndex(), figures=figures)
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
        published = _publish(revision=revision, user=user, action=PublishRecord.Action.ROLLBACK)
    queue_citing_rerender([note])
    return published


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
        queue_search_refresh(locked)
    return record
