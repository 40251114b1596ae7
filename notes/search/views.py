"""The search page and the JSON the instant search box asks for; both call `search`."""

from django.http import JsonResponse
from django.shortcuts import render

from notes.models import Topic
from notes.search.query import MAX_QUERY_LENGTH, QueryError
from notes.search.selectors import DEFAULT_LIMIT, SearchResults
from notes.search.selectors import search as search_results

INSTANT_LIMIT = 8


def _area(request, areas: list[Topic]) -> str:
    # An unknown area is dropped rather than answered with nothing: the reader sees every
    # area's results and the selector shows "All areas".
    area = request.GET.get("area", "")
    return area if area in {a.slug for a in areas} else ""


def search(request):
    areas = list(Topic.objects.areas().only("slug", "title"))
    query = request.GET.get("q", "")
    area = _area(request, areas)
    results, error = SearchResults(query=query), ""
    try:
        results = search_results(query, area=area, limit=DEFAULT_LIMIT)
    except QueryError as exc:
        error = str(exc)
    context = {
        "query": query,
        "area": area,
        "areas": areas,
        "results": results,
        "hits": results.hits,
        "error": error,
        "searched": bool(query.strip()) and not error,
        "max_length": MAX_QUERY_LENGTH,
    }
    return render(request, "notes/search.html", context)


def search_json(request):
    """The top results for the instant box. `snippet`, `summary_html` and the unit's
    `title_html` are HTML from the selector (escaped text, <mark>, and KaTeX output sanitized
    when the note was rendered); every other field is plain text for the script to set as
    text. `partial_from`: the first result with only some of the words, or null."""
    areas = list(Topic.objects.areas().only("slug", "title"))
    try:
        found = search_results(request.GET.get("q", ""), area=_area(request, areas), limit=INSTANT_LIMIT)
    except QueryError as exc:
        return JsonResponse({"error": str(exc), "results": []}, status=400)
    results = [
        {
            "slug": hit.slug,
            "url": hit.url,
            "title": hit.title,
            "alias": hit.alias,
            "unit": {"label": hit.unit_label, "title_html": str(hit.unit_title)} if hit.anchor else None,
            "summary": hit.summary,
            "summary_html": str(hit.summary_html),
            "areas": [title for _, title in hit.areas],
            "snippet": str(hit.snippet),
        }
        for hit in found.hits
    ]
    return JsonResponse(
        {
            "results": results,
            "query": found.query,
            "corrected_from": found.corrected_from,
            "suggestion": found.suggestion,
            "partial_from": found.partial_from,
        }
    )
