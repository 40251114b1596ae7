"""The editors' area: list, write, preview, submit, review, publish, roll back.

Views parse the request, call one service, and choose a response. Permissions are checked
twice on purpose: here, to answer 403 before any work, and in the services, which other
callers (commands, tests) use too.
"""

import gzip
import secrets
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from markdownx.forms import ImageForm
from PIL import Image, UnidentifiedImageError

from notes import selectors
from notes.checking.background import queue_note_checks
from notes.diffs import side_by_side, three_way_merge
from notes.editorial import selectors as editorial_selectors
from notes.editorial.forms import CommentForm, FilterForm, NoteForm
from notes.editorial.gates import PublishRefused, retire_blockers
from notes.editorial.impact import publish_impact, rollback_plan
from notes.editorial.services import (
    EditConflict,
    EditorialError,
    compose_source,
    note_create,
    note_publish,
    note_retire,
    note_rollback,
    review_comment,
    review_request_changes,
    review_submit,
    revision_save,
    split_source,
)
from notes.models import MAX_COMMENT_CHARS, Review
from notes.ratelimit import rate_limited
from notes.rendering import render as render_note

# markdownx sends only the body; the preview renders it under a stand-in front matter and
# reports problems at body line numbers.
# The preview renders on every pause in typing: about one a second at most from a person.
PREVIEWS_PER_MINUTE = 120
PREVIEW_FRONT_MATTER = "---\ntitle: Preview\nsummary: Preview\ntopics: [preview]\n---\n"
PREVIEW_OFFSET = PREVIEW_FRONT_MATTER.count("\n")


def permission_required(*perms: str):
    """Login page for strangers, 403 for people without every permission."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not all(request.user.has_perm(f"notes.{perm}") for perm in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@permission_required("view_note")
def editor_home(request):
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    notes = editorial_selectors.notes_for_editors(
        q=filters.get("q", ""), state=filters.get("state", ""), topic=filters.get("topic", "")
    )
    return render(request, "editor/home.html", {"notes": notes, "form": form})


def _source_from(form: NoteForm) -> tuple[str, str]:
    data = form.cleaned_data
    body = data["body"]
    source = compose_source(
        title=data["title"],
        summary=data["summary"],
        topics=data["topics"],
        prerequisites=data.get("prerequisites") or [],
        body=body,
    )
    return source, body


@permission_required("add_note")
def note_new(request):
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source, body = _source_from(form)
        try:
            revision = note_create(
                slug=form.cleaned_data["slug"],
                source=source,
                body=body,
                author=request.user,
                message=form.cleaned_data["message"],
            )
        except EditorialError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved revision {revision.number} as a draft.")
            return redirect("editor:edit", slug=revision.note.slug)
    return render(request, "editor/edit.html", {"form": form, "note": None})


def _initial_from(note, revision) -> dict:
    data, body = split_source(revision.source)
    return {
        "title": data.get("title", revision.title),
        "slug": note.slug,
        "summary": data.get("summary", revision.summary),
        "topics": data.get("topics", []),
        "prerequisites": data.get("prerequisites", []),
        "body": body,
        "base_revision": revision.pk,
    }


@permission_required("change_note")
def note_edit(request, slug):
    note = editorial_selectors.note_for_editor(slug)
    if request.method == "POST":
        form = NoteForm(request.POST, note=note)
        if form.is_valid():
            source, body = _source_from(form)
            try:
                revision = revision_save(
                    note=note,
                    source=source,
                    body=body,
                    base_revision_id=form.cleaned_data["base_revision"],
                    author=request.user,
                    message=form.cleaned_data["message"],
                    new_slug=form.cleaned_data["slug"],
                )
            except EditConflict as conflict:
                return _conflict(request, note, conflict, source)
            except EditorialError as exc:
                form.add_error(None, str(exc))
            else:
                if revision is None:
                    messages.info(request, "Nothing changed, so no revision was written.")
                else:
                    messages.success(request, f"Saved revision {revision.number}.")
                return redirect("editor:edit", slug=revision.note.slug if revision else note.slug)
    else:
        form = NoteForm(initial=_initial_from(note, note.latest_revision), note=note)
    latest = note.latest_revision
    return render(request, "editor/edit.html", {"form": form, "note": note, "revision": latest})


def _conflict(request, note, conflict: EditConflict, yours: str):
    """Both changes side by side; where they touch different lines, the merge, ready to save."""
    base_source = conflict.base.source if conflict.base else ""
    theirs = conflict.latest.source
    merged = three_way_merge(base_source, theirs, yours) if conflict.base else None
    form = None
    if merged is not None:
        data, body = split_source(merged)
        form = NoteForm(
            initial={
                "title": data.get("title", ""),
                "slug": note.slug,
                "summary": data.get("summary", ""),
                "topics": data.get("topics", []),
                "prerequisites": data.get("prerequisites", []),
                "body": body,
                "base_revision": conflict.latest.pk,
                "message": f"Merged with revision {conflict.latest.number}",
            },
            note=note,
        )
    context = {
        "note": note,
        "conflict": conflict,
        "theirs_diff": side_by_side(base_source, theirs),
        "yours_diff": side_by_side(base_source, yours),
        "yours": yours,
        "form": form,
    }
    return render(request, "editor/conflict.html", context, status=409)


@permission_required("change_note")
@require_POST
@rate_limited("preview", per_minute=PREVIEWS_PER_MINUTE)
def preview(request):
    """The markdownx preview: our pipeline, with the error list (body line:col) on top."""
    body = request.POST.get("content", "")
    result = render_note(PREVIEW_FRONT_MATTER + body, slug="", index=selectors.LiveNoteIndex(), preview=True)
    problems = [
        (p.line - PREVIEW_OFFSET, p.col, p.message, severity)
        for severity, group in (("error", result.errors), ("warning", result.warnings))
        for p in group
    ]
    return gzip_quickly(request, render(request, "editor/preview.html", {"result": result, "problems": problems}))


# A preview is made to be read once, a moment after the editor paused typing, and it is half a
# megabyte of typeset math for a long note: zlib's fastest level takes about a third of the
# time GZipMiddleware's level 6 does, for bytes about half as many again (60 kB, not 40 kB).
PREVIEW_GZIP_LEVEL = 1


def gzip_quickly(request, response):
    """`response` gzip-compressed at PREVIEW_GZIP_LEVEL for a client that takes gzip, as
    GZipMiddleware would (which then leaves it be), random name bytes against BREACH included."""
    patch_vary_headers(response, ("Accept-Encoding",))
    if "gzip" not in request.headers.get("Accept-Encoding", "") or len(response.content) < 200:
        return response
    deflated = gzip.compress(response.content, compresslevel=PREVIEW_GZIP_LEVEL, mtime=0)
    header = bytearray(deflated[:10])
    header[3] = gzip.FNAME
    response.content = bytes(header) + b"a" * secrets.randbelow(100) + b"\x00" + deflated[10:]
    response.headers["Content-Encoding"] = "gzip"
    return response


class VerifiedImageForm(ImageForm):
    """markdownx's upload form, plus a check that the bytes really decode as an image."""

    def clean(self):
        upload = self.files.get("image")
        if upload is not None:
            try:
                with Image.open(upload) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError):
                raise forms.ValidationError("The file is not a readable image (JPEG, PNG, GIF or WebP).") from None
            upload.seek(0)
        return super().clean()


@permission_required("change_note")
@require_POST
def upload(request):
    form = VerifiedImageForm(files=request.FILES)
    if not form.is_valid():
        return JsonResponse({"error": " ".join(m for errors in form.errors.values() for m in errors)}, status=400)
    return JsonResponse({"image_code": f"![]({form.save(commit=True)})"})


@permission_required("view_note")
def note_review(request, slug):
    note = editorial_selectors.note_for_editor(slug)
    revision = note.latest_revision
    live = note.live_revision
    impact = publish_impact(revision=revision)
    context = {
        "note": note,
        "revision": revision,
        "live": live,
        "impact": impact,
        "retire_blockers": retire_blockers(note) if live else [],
        "changes": impact.changes,
        # A live revision has nothing to compare against what readers see; the page says so.
        "diff": [] if live and live.pk == revision.pk else side_by_side(live.source if live else "", revision.source),
        "review": Review.objects.open().filter(note=note).first(),
        "comments": revision.comments.select_related("author"),
        "derivations": revision.derivations.with_checks(),
        "comment_form": CommentForm(),
        "comment_limit": MAX_COMMENT_CHARS,
        "jobs": editorial_selectors.note_jobs(note),
    }
    return render(request, "editor/review.html", context)


def _do(request, slug, action, success: str):
    note = editorial_selectors.note_for_editor(slug)
    try:
        action(note)
    except (EditorialError, PublishRefused) as exc:
        for reason in getattr(exc, "reasons", [str(exc)]):
            messages.error(request, reason)
    else:
        messages.success(request, success)
    return redirect("editor:review", slug=note.slug)


@permission_required("submit_note")
@require_POST
def note_submit(request, slug):
    return _do(request, slug, lambda note: review_submit(note=note, user=request.user), "Submitted for review.")


@require_POST
@permission_required("view_note")
def note_comment(request, slug):
    note = editorial_selectors.note_for_editor(slug)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The comment is empty or longer than {MAX_COMMENT_CHARS:,} characters.")
        return redirect("editor:review", slug=note.slug)
    return _do(
        request,
        slug,
        lambda n: review_comment(revision=n.latest_revision, user=request.user, body=form.cleaned_data["body"]),
        "Comment added.",
    )


@permission_required("publish_note")
@require_POST
def note_request_changes(request, slug):
    comment = request.POST.get("body", "")
    return _do(
        request,
        slug,
        lambda n: review_request_changes(note=n, user=request.user, comment=comment),
        "Changes requested.",
    )


@permission_required("publish_note")
@require_POST
def note_publish_view(request, slug):
    def publish(note):
        number = request.POST.get("revision", "")
        revision = note.revisions.filter(pk=int(number)).first() if number.isdigit() else None
        if revision is None:
            raise EditorialError("say which revision to publish (the review page does)")
        if revision.pk != note.latest_revision_id:
            raise EditorialError("a newer revision was saved since you opened this page; review it first")
        note_publish(revision=revision, user=request.user)

    return _do(request, slug, publish, "Published.")


def _confirmed(request) -> bool:
    """Only a POST that carries `confirm` acts. A bare POST (a form from a page cached before
    this rule, a script) gets the confirmation page instead, which says what would happen."""
    return request.method == "POST" and bool(request.POST.get("confirm"))


@permission_required("publish_note")
@require_http_methods(["GET", "POST"])
def note_retire_view(request, slug):
    note = editorial_selectors.note_for_editor(slug)
    if _confirmed(request):
        return _do(
            request, slug, lambda n: note_retire(note=n, user=request.user), "Retired: the note is a draft again."
        )
    blockers = retire_blockers(note) if note.live_revision_id else []
    return render(request, "editor/confirm_retire.html", {"note": note, "blockers": blockers})


@permission_required("publish_note")
@require_http_methods(["GET", "POST"])
def note_rollback_view(request, slug, number):
    note = editorial_selectors.note_for_editor(slug)
    target = get_object_or_404(note.revisions, number=number)
    if _confirmed(request):
        return _do(
            request,
            slug,
            lambda n: note_rollback(note=n, to_revision=target, user=request.user),
            f"Rolled back to the content of revision {number}.",
        )
    live = note.live_revision
    context = {
        "note": note,
        "plan": rollback_plan(target=target),
        "live": live,
        "diff": side_by_side(live.source if live else "", target.source),
    }
    return render(request, "editor/confirm_rollback.html", context)


@permission_required("run_checks")
@require_POST
def note_run_checks(request, slug):
    """Queue the note's checks for a worker; never run them inside the request."""
    note = editorial_selectors.note_for_editor(slug)
    queue_note_checks(note)
    messages.success(request, "Checks queued; the results appear on this page when a worker has run them.")
    return redirect("editor:review", slug=note.slug)
