"""A reader's annotations across notes: the list with search, export and import. Owner only."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.annotations import exchange as annotation_io
from accounts.annotations import services as annotation_services
from accounts.annotations.errors import AnnotationError
from accounts.annotations.selectors import MAX_SEARCH_CHARS, annotations_across_notes
from accounts.models import Annotation

PER_PAGE = 50


@login_required
def annotation_list(request):
    query = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    if state not in Annotation.State.values:
        state = ""
    error = ""
    rows = annotations_across_notes(request.user, query=query, state=state)
    if len(query) > MAX_SEARCH_CHARS:
        error = f"The search is {len(query):,} characters; the limit is {MAX_SEARCH_CHARS:,}."
        rows = rows.none()
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "state": state,
        "states": Annotation.State.choices,
        "error": error,
        "max_search": MAX_SEARCH_CHARS,
    }
    return render(request, "accounts/annotations.html", context)


def _download(request, content: str, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    filename = f"{request.user.get_username()}-annotations.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _base_url(request) -> str:
    # Absolute URLs: the files are read outside this site (other Web Annotation tools, editors).
    return request.build_absolute_uri("/")[:-1]


@login_required
def annotations_export_json(request):
    document = annotation_io.annotations_export(request.user, base_url=_base_url(request))
    # The media type the Web Annotation Protocol gives annotation documents.
    content_type = f'application/ld+json; profile="{annotation_io.ANNO_CONTEXT}"'
    return _download(request, json.dumps(document, indent=2, ensure_ascii=False), content_type, "json")


@login_required
def annotations_export_markdown(request):
    text = annotation_io.annotations_markdown(request.user, base_url=_base_url(request))
    return _download(request, text, "text/markdown; charset=utf-8", "md")


@login_required
@require_http_methods(["GET", "POST"])
def annotations_import(request):
    context = {"max_mb": annotation_io.IMPORT_MAX_BYTES // 2**20, "max_items": annotation_io.IMPORT_MAX_ITEMS}
    if request.method == "GET":
        return render(request, "accounts/annotations_import.html", context)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise AnnotationError("choose a JSON file exported from this site")
        # Refused before reading: the declared size of a larger file is enough to say no.
        if upload.size > annotation_io.IMPORT_MAX_BYTES:
            raise AnnotationError(
                f"the file is {upload.size / 2**20:.1f} MB; the limit is {context['max_mb']} MB",
            )
        data = annotation_io.annotations_load(upload.read())
        context["report"] = annotation_services.annotations_import(owner=request.user, data=data)
    except AnnotationError as error:
        context["errors"] = error.messages
        return render(request, "accounts/annotations_import.html", context, status=400)
    return render(request, "accounts/annotations_import.html", context)
