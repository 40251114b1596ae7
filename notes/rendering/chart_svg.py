"""A Chart (notes.rendering.chart_data) drawn as an accessible SVG, by hand, at write time.

The SVG is `role="img"`, named by its `<title>` and described by a `<desc>` that says in words
what the lines show (the author's summary, each axis and its range, each series' first, last
and lowest points, each reference line), so a reader who cannot see it loses nothing. It has
no script and no style attribute: every colour, dash and font comes from classes that
static/css/site.css maps to CSS variables, so dark mode and print restyle it; the series also
differ by dash pattern, which survives greyscale printing and colour blindness.
"""

import math
from html import escape

from .chart_data import Axis, Chart

WIDTH = 480
PLOT_HEIGHT = 250
TOP, RIGHT = 14, 18
TICK_FONT, LABEL_FONT, RULE_FONT = 13, 14, 12  # px in the viewBox; site.css sets the same sizes
CHAR_WIDTH = 0.6  # of the font size: a generous average, so estimated text never overlaps
LEGEND_ROW = 22
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _text_width(text: str, font: int) -> float:
    return len(text) * font * CHAR_WIDTH


def _number(value: float) -> str:
    """A number for reading: plain decimals in a human range, a×10ⁿ outside it; − not -."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:.4g}"
    else:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
        text = power if mantissa == "1" else f"{mantissa}×{power}"
    return text.replace("-", "−")


def _power(k: int) -> str:
    """A log axis's decade as a reader writes it: 1, 10, then 10ⁿ."""
    return {0: "1", 1: "10"}.get(k, "10" + str(k).translate(SUPERSCRIPT).replace("-", "⁻"))


class _Scale:
    """One axis: its domain, its ticks, and the map from data to pixels."""

    def __init__(self, axis: Axis, values: list[float], start: float, end: float):
        self.log = axis.scale == "log"
        own = math.log10 if self.log else float  # the axis's own units
        low = own(axis.low if axis.low is not None else min(values))
        high = own(axis.high if axis.high is not None else max(values))
        if high - low < 1e-12:  # a single value: a unit (a decade) either side of it
            low, high = low - 1, high + 1
        if self.log:  # whole decades around the data
            low = low if axis.low is not None else math.floor(low + 1e-9)
            high = high if axis.high is not None else math.ceil(high - 1e-9)
        ticks = (self._log_ticks if self.log else self._linear_ticks)(low, high, axis)
        # Without the author's bounds, the domain reaches out to the ticks around the data.
        self.low = low if axis.low is not None or not ticks else min(low, ticks[0][0])
        self.high = high if axis.high is not None or not ticks else max(high, ticks[-1][0])
        self.ticks = [t for t in ticks if self.low - 1e-9 <= t[0] <= self.high + 1e-9]
        self.start, self.end = start, end

    @staticmethod
    def _linear_ticks(low: float, high: float, axis: Axis) -> list[tuple[float, str]]:
        raw = (high - low) / 6
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
        first = math.floor(low / step) if axis.low is None else math.ceil(low / step - 1e-9)
        last = math.ceil(high / step) if axis.high is None else math.floor(high / step + 1e-9)
        return [(k * step, _number(round(k * step, 12))) for k in range(first, last + 1)]

    @staticmethod
    def _log_ticks(low: float, high: float, axis: Axis) -> list[tuple[float, str]]:
        first = math.floor(low + 1e-9) if axis.low is None else math.ceil(low - 1e-9)
        last = math.ceil(high - 1e-9) if axis.high is None else math.floor(high + 1e-9)
        if last <= first:  # the author's bounds lie within a decade: 1, 2 and 5 times powers of ten
            steps = [m * 10.0**k for k in range(math.floor(low) - 1, math.ceil(high) + 1) for m in (1, 2, 5)]
            return [(math.log10(v), _number(v)) for v in steps if low - 1e-9 <= math.log10(v) <= high + 1e-9]
        every = max(1, math.ceil((last - first) / 7))
        return [(float(k), _power(k)) for k in range(first, last + 1) if k % every == 0]

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)

    def at(self, tick: float) -> float:  # a tick is already in the axis's own units (log10 on a log axis)
        return self.start + (tick - self.low) / (self.high - self.low) * (self.end - self.start)


def _describe(chart: Chart) -> str:
    """The chart in words: the <desc> a screen reader reads instead of the picture."""
    parts = [chart.summary] if chart.summary else []
    for name, axis in (("Horizontal", chart.x), ("Vertical", chart.y)):
        parts.append(f"{name} axis: {axis.label}, {'logarithmic' if axis.scale == 'log' else 'linear'}.")
    for s in chart.series:
        lowest = min(range(len(s.y)), key=s.y.__getitem__)
        parts.append(
            f"{s.label}: {len(s.x)} points, from ({_number(s.x[0])}, {_number(s.y[0])}) "
            f"to ({_number(s.x[-1])}, {_number(s.y[-1])}); lowest {_number(s.y[lowest])} at {_number(s.x[lowest])}."
        )
    parts += [f"Reference line at {r.axis} = {_number(r.at)}: {r.label}." for r in chart.rules]
    return " ".join(parts)


def _legend(chart: Chart, left: float, top: float) -> tuple[list[str], float]:
    """The legend under the plot, wrapped into rows: (SVG elements, its height)."""
    out, x, y = [], left, top
    for i, s in enumerate(chart.series, start=1):
        width = 34 + _text_width(s.label, TICK_FONT) + 18
        if x > left and x + width > WIDTH - RIGHT:
            x, y = left, y + LEGEND_ROW
        mid = y + LEGEND_ROW / 2
        if s.style == "points":
            out.append(f'<circle class="chart-point chart-s{i}" cx="{x + 13:.1f}" cy="{mid:.1f}" r="3"/>')
        else:
            out.append(f'<path class="chart-line chart-s{i}" d="M{x:.1f} {mid:.1f}h26"/>')
        out.append(f'<text class="chart-tick" x="{x + 34:.1f}" y="{mid + 4:.1f}">{escape(s.label)}</text>')
        x += width
    return out, y + LEGEND_ROW - top


def chart_svg(chart: Chart, uid: str) -> str:
    """Long because it lays out and prints every part of the picture in order (axes, grid,
    ticks, rules, series, legend), each a few lines, sharing the same scales and margins.

    `uid` (the figure's id) makes the clip path's id unique on the page."""
    xs = [v for s in chart.series for v in s.x] + [r.at for r in chart.rules if r.axis == "x"]
    ys = [v for s in chart.series for v in s.y] + [r.at for r in chart.rules if r.axis == "y"]
    y_scale = _Scale(chart.y, ys, TOP + PLOT_HEIGHT, TOP)
    tick_width = max(_text_width(label, TICK_FONT) for _, label in y_scale.ticks) if y_scale.ticks else 0
    left = math.ceil(tick_width + LABEL_FONT + 18)
    x_scale = _Scale(chart.x, xs, left, WIDTH - RIGHT)
    bottom = TOP + PLOT_HEIGHT
    body: list[str] = []
    for tick, label in y_scale.ticks:
        y = y_scale.at(tick)
        body.append(f'<path class="chart-grid" d="M{left} {y:.1f}H{WIDTH - RIGHT}"/>')
        body.append(f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    for tick, label in x_scale.ticks:
        x = x_scale.at(tick)
        body.append(f'<path class="chart-grid" d="M{x:.1f} {TOP}V{bottom}"/>')
        body.append(f'<text class="chart-tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
    body.append(f'<path class="chart-axis" d="M{left} {TOP}V{bottom}H{WIDTH - RIGHT}"/>')
    body.append(
        f'<text class="chart-label" x="{(left + WIDTH - RIGHT) / 2:.1f}" y="{bottom + 40}" '
        f'text-anchor="middle">{escape(chart.x.label)}</text>'
    )
    body.append(
        f'<text class="chart-label" transform="translate({LABEL_FONT} {TOP + PLOT_HEIGHT / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(chart.y.label)}</text>'
    )
    clip = f"chart-clip-{escape(uid)}"
    body.append(
        f'<clipPath id="{clip}"><rect x="{left}" y="{TOP}" width="{WIDTH - RIGHT - left}" height="{PLOT_HEIGHT}"/></clipPath>'
    )
    plotted = [f'<g clip-path="url(#{clip})">']
    for rule in chart.rules:
        scale = x_scale if rule.axis == "x" else y_scale
        at = scale(rule.at)
        if rule.axis == "x":
            plotted.append(f'<path class="chart-rule" d="M{at:.1f} {TOP}V{bottom}"/>')
        else:
            plotted.append(f'<path class="chart-rule" d="M{left} {at:.1f}H{WIDTH - RIGHT}"/>')
    for i, s in enumerate(chart.series, start=1):
        points = [(x_scale(x), y_scale(y)) for x, y in zip(s.x, s.y, strict=True)]
        if s.style == "points":
            plotted += [
                f'<circle class="chart-point chart-s{i}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>' for x, y in points
            ]
        else:
            d = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points)
            plotted.append(f'<path class="chart-line chart-s{i}" d="{d}"/>')
    plotted.append("</g>")
    # Rule labels last, over the lines (their halo keeps them readable), outside the clip.
    taken: list[tuple[float, float, int]] = []  # x-rule labels placed so far: extent and row
    labels = [_rule_label(rule, x_scale if rule.axis == "x" else y_scale, taken) for rule in chart.rules]
    legend, legend_height = _legend(chart, left, bottom + 52)
    height = math.ceil(bottom + 52 + legend_height + 6)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" focusable="false">'
        f"<title>{escape(chart.title)}</title><desc>{escape(_describe(chart))}</desc>"
        + "".join(body + plotted + labels + legend)
        + "</svg>"
    )


def _rule_label(rule, scale: _Scale, taken: list[tuple[float, float, int]]) -> str:
    """A reference line's label: a vertical line's beside it near the top (on its left when
    the right is short of room, a row lower when it would overlap an earlier label), a
    horizontal line's above it at the right."""
    at, label = scale(rule.at), escape(rule.label)
    if rule.axis == "x":
        width = _text_width(rule.label, RULE_FONT)
        anchor, x = ("start", at + 4) if WIDTH - RIGHT - at > width + 6 else ("end", at - 4)
        x0 = x if anchor == "start" else x - width
        row = 0
        while any(r == row and x0 < b and a < x0 + width for a, b, r in taken):
            row += 1
        taken.append((x0, x0 + width, row))
        y = TOP + 14 + 16 * row
        return f'<text class="chart-rule-label" x="{x:.1f}" y="{y}" text-anchor="{anchor}">{label}</text>'
    return f'<text class="chart-rule-label" x="{WIDTH - RIGHT - 4}" y="{at - 5:.1f}" text-anchor="end">{label}</text>'
