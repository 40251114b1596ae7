"""The data a figure function returns, and its validation into a Chart.

A note's `figure_<id>()` (in `<slug>.checks.py`, run out of process like a check) returns a
dict; lists may be numpy arrays:

    {
        "title": "Loss on a quadratic",          # required, plain text: the SVG's accessible name
        "summary": "Momentum needs 60 steps…",   # optional: what to see, first in the description
        "x": {"label": "step t"},                # axes: label required; "scale": "linear" (the
        "y": {"label": "f(x_t) − f*", "scale": "log"},  # default) or "log"; optional "min", "max"
        "series": [                              # 1 to 8 lines, drawn in order
            {"label": "gradient descent", "x": [0, 1, …], "y": [2.0, 1.6, …]},
            {"label": "samples", "x": […], "y": […], "style": "points"},  # "line" (default) or "points"
        ],
        "rules": [                               # optional reference lines, at most 8
            {"axis": "x", "at": 0.02, "label": "η = 2/L"},
        ],
    }

Everything is checked here, with messages that name the field, so a wrong shape is a render
error the author can act on. Text is plain (escaped when drawn); numbers must be finite, and
positive on a log axis.
"""

import math
from dataclasses import dataclass, field

MAX_SERIES = 8
MAX_POINTS = 2000  # per series
MAX_RULES = 8
MAX_TEXT = 120  # characters of a title, label or series name
MAX_SUMMARY = 400
SCALES = ("linear", "log")
STYLES = ("line", "points")


class ChartError(ValueError):
    """The data does not have the documented shape; the message says what to fix."""


@dataclass(frozen=True)
class Axis:
    label: str
    scale: str = "linear"
    low: float | None = None  # the author's "min"/"max", when given
    high: float | None = None


@dataclass(frozen=True)
class Series:
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    style: str = "line"


@dataclass(frozen=True)
class Rule:
    axis: str
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    x: Axis
    y: Axis
    series: tuple[Series, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    summary: str = ""


def _text(value, where: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ChartError(f"{where} must be a non-empty string")
    if len(value) > limit:
        raise ChartError(f"{where} is {len(value)} characters; the limit is {limit}")
    return " ".join(value.split())


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChartError(f"{where} must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ChartError(f"{where} is {value}; every number must be finite")
    return float(value)


def _axis(data, name: str) -> Axis:
    if not isinstance(data, dict):
        raise ChartError(f"'{name}' must be a dict with a 'label' (and maybe 'scale', 'min', 'max')")
    scale = data.get("scale", "linear")
    if scale not in SCALES:
        raise ChartError(f"{name}.scale is {scale!r}; use 'linear' or 'log'")
    low = _number(data["min"], f"{name}.min") if data.get("min") is not None else None
    high = _number(data["max"], f"{name}.max") if data.get("max") is not None else None
    if low is not None and high is not None and not low < high:
        raise ChartError(f"{name}.min ({low:g}) must be below {name}.max ({high:g})")
    if scale == "log" and any(v is not None and v <= 0 for v in (low, high)):
        raise ChartError(f"{name} is logarithmic, so its min and max must be positive")
    return Axis(_text(data.get("label"), f"{name}.label"), scale, low, high)


def _values(data, name: str, where: str, axis: Axis) -> tuple[float, ...]:
    values = data.get(name)
    if not isinstance(values, list) or not values:
        raise ChartError(f"{where}.{name} must be a non-empty list of numbers")
    if len(values) > MAX_POINTS:
        raise ChartError(f"{where}.{name} has {len(values)} points; the limit is {MAX_POINTS}")
    numbers = tuple(_number(v, f"{where}.{name}[{i}]") for i, v in enumerate(values))
    if axis.scale == "log" and min(numbers) <= 0:
        raise ChartError(f"{where}.{name} has {min(numbers):g}, but the {name} axis is logarithmic: values must be > 0")
    return numbers


def _series(data, i: int, x: Axis, y: Axis) -> Series:
    where = f"series[{i}]"
    if not isinstance(data, dict):
        raise ChartError(f"{where} must be a dict with 'label', 'x' and 'y'")
    style = data.get("style", "line")
    if style not in STYLES:
        raise ChartError(f"{where}.style is {style!r}; use 'line' or 'points'")
    xs, ys = _values(data, "x", where, x), _values(data, "y", where, y)
    if len(xs) != len(ys):
        raise ChartError(f"{where} has {len(xs)} x values and {len(ys)} y values; they must pair up")
    return Series(_text(data.get("label"), f"{where}.label"), xs, ys, style)


def _rule(data, i: int, x: Axis, y: Axis) -> Rule:
    where = f"rules[{i}]"
    if not isinstance(data, dict) or data.get("axis") not in ("x", "y"):
        raise ChartError(f"{where} must be a dict with 'axis' ('x' or 'y'), 'at' and 'label'")
    at = _number(data.get("at"), f"{where}.at")
    if (x if data["axis"] == "x" else y).scale == "log" and at <= 0:
        raise ChartError(f"{where}.at is {at:g} on a logarithmic axis; it must be > 0")
    return Rule(data["axis"], at, _text(data.get("label"), f"{where}.label"))


def chart_from_data(data) -> Chart:
    """Validate a figure function's data (the shape in this module's docstring) into a Chart."""
    if not isinstance(data, dict):
        raise ChartError(f"returned {type(data).__name__}; a figure function returns a dict (title, x, y, series)")
    unknown = set(data) - {"title", "summary", "x", "y", "series", "rules"}
    if unknown:
        raise ChartError(f"unknown field(s) {', '.join(sorted(unknown))}; use title, summary, x, y, series, rules")
    x, y = _axis(data.get("x"), "x"), _axis(data.get("y"), "y")
    series, rules = data.get("series"), data.get("rules", [])
    if not isinstance(series, list) or not 1 <= len(series) <= MAX_SERIES:
        raise ChartError(f"'series' must be a list of 1 to {MAX_SERIES} series")
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise ChartError(f"'rules' must be a list of at most {MAX_RULES} reference lines")
    return Chart(
        title=_text(data.get("title"), "title"),
        x=x,
        y=y,
        series=tuple(_series(s, i, x, y) for i, s in enumerate(series)),
        rules=tuple(_rule(r, i, x, y) for i, r in enumerate(rules)),
        summary=_text(data.get("summary"), "summary", MAX_SUMMARY, required=False),
    )
