"""Making, editing, deleting and re-attaching annotations. Every view is for the owner only.

The page script talks JSON to the same views the no-JavaScript forms post to: a request that
asks for JSON gets JSON (errors included), any other gets a page or a redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.annotations.errors import AnnotationError
from accounts.annotations.selectors import PanelItem, annotation_for_owner, live_revision_or_404
from accounts.annotations.services import (
    AnnotationConflict,
    annotation_create,
    annotation_delete,
    annotation_reattach,
    annotation_update,
)
from accounts.models import Annotation
from notes.http import wants_json
from notes.ratelimit import rate_limited

# Annotation writes (create, edit, delete, reattach) a reader may make in a minute: far above
# anyone annotating by hand, far below what a script could make the site render.
WRITES_PER_MINUTE = 30
MAX_FIELD = 20_000  # no selector field or body legitimately comes near this


def annotation_anchor_json(a: "Annotation | PanelItem") -> dict:
    """What the note page's script needs to draw an annotation; the panel holds the rest."""
    return {
        "id": str(a.pk),
        "kind": a.kind,
        "block": a.block_id,
        "quote": a.quote,
        "prefix": a.prefix,
        "suffix": a.suffix,
        # "updating" (a PanelItem whose move into the live text is queued): not drawn
        "state": getattr(a, "shown_state", a.state),
    }


def annotation_json(a: Annotation) -> dict:
    """One annotation whole, as the endpoints answer the page script."""
    return {
        **annotation_anchor_json(a),
        "body": a.body,
        "body_html": a.body_html,
        "version": a.version,
        "revision": a.revision.number,
        "edit_url": reverse("accounts:annotation_edit", args=[a.pk]),
        "delete_url": reverse("accounts:annotation_delete", args=[a.pk]),
        "reattach_url": reverse("accounts:annotation_reattach", args=[a.pk]),
    }


def annotations_root() -> str:
    """The path every annotation's own pages hang from: <root><uuid>/edit/ and so on."""
    return reverse("accounts:annotation_new").removesuffix("new/")


def _field(request, name: str) -> str:
    value = request.POST.get(name, "")
    if len(value) > MAX_FIELD:
        raise AnnotationError(f"the {name} field is {len(value):,} characters; the limit is {MAX_FIELD:,}")
    return value


def _near(request) -> float | None:
    try:
        near = float(request.POST.get("near", ""))
    except ValueError:
        return None
    return near if 0.0 <= near <= 1.0 else None


def _refused(request, error: AnnotationError, template: str, context: dict):
    if wants_json(request):
        return JsonResponse({"errors": error.messages}, status=400)
    return render(request, template, {**context, "errors": error.messages}, status=400)


@login_required
@rate_limited("annotation-write", per_minute=WRITES_PER_MINUTE)
def annotation_new(request):
    """POST: create. GET (no JavaScript): a form to annotate a whole equation, derivation or step."""
    source = request.POST if request.method == "POST" else request.GET
    slug = source.get("note", "")
    note, revision = live_revision_or_404(slug)
    context = {
        "note": note,
        "revision": revision,
        "kind": source.get("kind", Annotation.Kind.TEXT),
        "block": source.get("block", ""),
        "body": source.get("body", ""),
    }
    if request.method != "POST":
        return render(request, "accounts/annotation_form.html", context)
    try:
        number = int(request.POST.get("revision", ""))
    except ValueError:
        number = -1
    try:
        annotation = annotation_create(
            owner=request.user,
            slug=slug,
            revision_number=number,
            kind=context["kind"],
            block_id=_field(request, "block"),
            quote=_field(request, "quote"),
            prefix=_field(request, "prefix"),
            suffix=_field(request, "suffix"),
            near=_near(request),
            body=_field(request, "body"),
        )
    except AnnotationError as error:
        return _refused(request, error, "accounts/annotation_form.html", context)
    if wants_json(request):
        return JsonResponse(annotation_json(annotation), status=201)
    messages.success(request, "Annotation saved.")
    return redirect(reverse("notes:note", args=[slug]) + f"#annotation-{annotation.pk}")


@login_required
@rate_limited("annotation-write", per_minute=WRITES_PER_MINUTE)
def annotation_edit(request, annotation_id):
    """GET: the form, carrying the version it shows. POST: save, or 409 with both bodies when
    another tab saved first."""
    annotation = annotation_for_owner(request.user, annotation_id)
    context = {"annotation": annotation, "body": annotation.body, "version": annotation.version}
    if request.method != "POST":
        return render(request, "accounts/annotation_edit.html", context)
    context["body"] = request.POST.get("body", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        error = AnnotationError("this edit does not say which version it was made on; reload the page and edit again")
        return _refused(request, error, "accounts/annotation_edit.html", context)
    try:
        annotation_update(annotation=annotation, body=_field(request, "body"), version=version)
    except AnnotationConflict as conflict:
        return _conflict(request, conflict, context)
    except AnnotationError as error:
        return _refused(request, error, "accounts/annotation_edit.html", context)
    if wants_json(request):
        return JsonResponse(annotation_json(annotation))
    messages.success(request, "Annotation saved.")
    return redirect(reverse("notes:note", args=[annotation.note.slug]) + f"#annotation-{annotation.pk}")


def _conflict(request, conflict: AnnotationConflict, context: dict):
    """409: the saved body and the refused one, and a form (at the saved version) holding yours."""
    if wants_json(request):
        body = {"errors": conflict.messages, "current": annotation_json(conflict.current), "yours": conflict.yours}
        return JsonResponse(body, status=409)
    context = {**context, "errors": conflict.messages, "current": conflict.current, "version": conflict.current.version}
    return render(request, "accounts/annotation_edit.html", context, status=409)


@login_required
@rate_limited("annotation-write", per_minute=WRITES_PER_MINUTE)
def annotation_delete_view(request, annotation_id):
    """GET asks for confirmation; POST deletes."""
    annotation = annotation_for_owner(request.user, annotation_id)
    if request.method != "POST":
        return render(request, "accounts/annotation_delete.html", {"annotation": annotation})
    slug = annotation.note.slug
    annotation_delete(annotation=annotation)
    if wants_json(request):
        return JsonResponse({"deleted": str(annotation_id)})
    messages.success(request, "Annotation deleted.")
    return redirect("notes:note", slug=slug)


@login_required
@require_POST
@rate_limited("annotation-write", per_minute=WRITES_PER_MINUTE)
def annotation_reattach_view(request, annotation_id):
    annotation = annotation_for_owner(request.user, annotation_id)
    try:
        annotation_reattach(
            annotation=annotation,
            quote=_field(request, "quote"),
            prefix=_field(request, "prefix"),
            suffix=_field(request, "suffix"),
            near=_near(request),
        )
    except AnnotationError as error:
        return JsonResponse({"errors": error.messages}, status=400)
    return JsonResponse(annotation_json(annotation))
