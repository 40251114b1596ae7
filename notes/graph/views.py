"""The prerequisite graph pages: the whole site, an area, or one note's neighbourhood."""

from django.shortcuts import render

from notes.graph import selectors as graph_selectors


def _depth(request) -> int:
    try:
        return int(request.GET.get("depth", graph_selectors.DEFAULT_DEPTH))
    except ValueError:
        return graph_selectors.DEFAULT_DEPTH


def site_graph(request):
    view = graph_selectors.graph_view(
        area=request.GET.get("area", ""), focus=request.GET.get("focus", ""), depth=_depth(request)
    )
    return render(request, "notes/graph.html", {"view": view})


def note_graph(request, slug):
    view = graph_selectors.graph_view(area=request.GET.get("area", ""), focus=slug, depth=_depth(request))
    return render(request, "notes/graph.html", {"view": view})
