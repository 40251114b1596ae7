"""Layered DAG layout by ELK (elkjs, vendored), run in a child process with its own V8.

ELK's layered algorithm (network-simplex layering, layer-sweep crossing minimisation,
network-simplex placement, orthogonal edge routing) gives readable drawings where a
hand-written layout would not; elkjs is its maintained JavaScript build. A layout can take
seconds at hundreds of notes, so a job runs it (notes.graph.drawings), in a process of its
own (`notes.graph.layout_child`) with a timeout (GRAPH_LAYOUT_TIMEOUT_SECONDS): it never
shares a V8 with the math renderer (a second mini-racer context in one process was seen to
leave KaTeX's calls hanging), and a runaway layout is simply killed. The job stores the
drawing; a layout runs only when the graph changed.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

OPTIONS = {
    "elk.algorithm": "layered",
    "elk.direction": "DOWN",
    "elk.edgeRouting": "ORTHOGONAL",
    "elk.spacing.nodeNode": "14",
    "elk.layered.spacing.nodeNodeBetweenLayers": "48",
    "elk.layered.spacing.edgeNodeBetweenLayers": "16",
    "elk.spacing.componentComponent": "48",
    # Nodes arrive in reading order: keeping it where crossings allow makes the drawing
    # read left to right the way the text list reads top to bottom.
    "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    "elk.padding": "[top=12,left=12,bottom=12,right=12]",
}


# Network-simplex placement keeps long edges straighter and the drawing narrower than
# Brandes-Koepf (the corpus: 1275 px against 1674 px wide) but does not finish in 30 s at 500
# notes, where Brandes-Koepf without the greedy crossing pass takes about 6 s.
SMALL_GRAPH = 150
SMALL_OPTIONS = {"elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX"}
LARGE_OPTIONS = {
    "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
}


class LayoutError(Exception):
    """ELK failed or did not finish within GRAPH_LAYOUT_TIMEOUT_SECONDS."""


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: dict[str, Box]
    # edge (prerequisite, dependent) -> the polyline ELK routed for it
    routes: dict[tuple[str, str], list[tuple[float, float]]]


def elk_graph(sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]]) -> dict:
    """ELK's JSON graph: `sizes` in the order ELK should try to keep, edges prerequisite -> dependent."""
    return {
        "id": "root",
        "layoutOptions": {**OPTIONS, **(SMALL_OPTIONS if len(sizes) <= SMALL_GRAPH else LARGE_OPTIONS)},
        "children": [{"id": slug, "width": w, "height": h} for slug, (w, h) in sizes.items()],
        "edges": [{"id": f"e{i}", "sources": [a], "targets": [b]} for i, (a, b) in enumerate(edges)],
    }


def layout(sizes: dict[str, tuple[float, float]], edges: list[tuple[str, str]]) -> Layout:
    """Place boxes of the given sizes in layers (prerequisites above) and route the edges."""
    try:
        done = subprocess.run(  # noqa: S603 - our own module, the graph as JSON on stdin
            [sys.executable, "-m", "notes.graph.layout_child"],
            input=json.dumps(elk_graph(sizes, edges)),
            capture_output=True,
            text=True,
            timeout=settings.GRAPH_LAYOUT_TIMEOUT_SECONDS,
            cwd=Path(__file__).resolve().parents[2],
        )
    except subprocess.TimeoutExpired:
        raise LayoutError(f"layout took over {settings.GRAPH_LAYOUT_TIMEOUT_SECONDS:g} s") from None
    if done.returncode != 0:
        raise LayoutError(f"the layout process failed: {done.stderr.strip()[-500:]}")
    outcome = json.loads(done.stdout)
    if "error" in outcome:
        raise LayoutError(outcome["error"])
    result = outcome["result"]
    boxes = {c["id"]: Box(c["x"], c["y"], c["width"], c["height"]) for c in result["children"]}
    routes = {}
    for edge, (a, b) in zip(result.get("edges", []), edges, strict=True):
        points = []
        for section in edge.get("sections", []):
            points.append((section["startPoint"]["x"], section["startPoint"]["y"]))
            points.extend((p["x"], p["y"]) for p in section.get("bendPoints", []))
            points.append((section["endPoint"]["x"], section["endPoint"]["y"]))
        routes[(a, b)] = points
    return Layout(width=result["width"], height=result["height"], boxes=boxes, routes=routes)
