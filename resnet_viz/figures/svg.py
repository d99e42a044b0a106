"""Figures drawn as SVG text, for the page a visitor sees first: no Plotly, no pandas.

A Plotly chart costs the browser seconds on a 2-core laptop (its JavaScript is loaded, parsed and run for the
first chart of a session; benchmarks/bench_cold_start.py). Home's picture is the one that must appear at once,
so it is drawn here as an inline SVG with the conventions of its Plotly twin (`training.degradation_figure`):
plain networks left and residual networks right on a shared error axis, colour is depth in both panels,
training error dashed with markers, test error bold. Hovering a point shows its value (SVG ``<title>``).
"""

from __future__ import annotations

import math
import re
from html import escape

from ..i18n import _
from ..nets.naming import net_label
from .palette import FONT_FAMILY, GREY, GRID, INK, series_colour

WIDTH = 520  # px of the view box: about the width of Home's picture column, so text is drawn near its stated size
LEFT, RIGHT, GAP = 50, 10, 22  # margins and the space between the panels
PANEL_HEIGHT = 230


def nice_step(span: float, most: int = 6) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that divides ``span`` into at most ``most`` intervals."""
    if span <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(span / most))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if span / (m * power) <= most)


def _ticks(top: float, most: int) -> list[float]:
    """0, step, 2 step, ... up to the first multiple of a `nice_step` at or above ``top``: the axis's ticks."""
    step = nice_step(top, most)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _text_width(words: str, size: int) -> float:
    """About how wide ``words`` are at ``size`` px: Chinese characters are square, Latin ones about half as wide."""
    return sum(size if ord(c) > 0x2E80 else 0.52 * size for c in words)


def _number(value: float) -> str:
    return f"{value:g}"


def _text(x: float, y: float, words: str, size: int = 12, anchor: str = "middle", colour: str = INK, extra: str = ""):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{extra}>'
        f"{escape(words)}</text>"
    )


def degradation_svg(runs: list[dict], title: str | None = None) -> str:
    """The paper's Figure 6 for ``runs``, as SVG markup (a string that scales to its container's width).

    runs: one dict per network, as `shipped.bundled_runs` returns them: name, depth, residual, step (list),
    batch_error (the training error at each step, fraction) and test_error (fraction, at the last step).
    """
    depths = sorted({int(run["depth"]) for run in runs})
    colour_of = {depth: series_colour(i) for i, depth in enumerate(depths)}
    last_step = max((max(run["step"]) for run in runs if run["step"]), default=1)
    highest = max([100 * e for run in runs for e in run["batch_error"]] + [100 * run["test_error"] for run in runs])
    y_ticks = _ticks(max(highest, 1.0), most=5)
    x_ticks = [tick for tick in _ticks(last_step, most=4) if tick <= last_step]
    panel_width = (WIDTH - LEFT - RIGHT - GAP) / 2

    parts, y = [], 4.0
    for line in _wrapped(title or "", 15, WIDTH - 2 * RIGHT):
        y += 20
        parts.append(_text(RIGHT, y, line, size=15, anchor="start"))
    top = y + 34  # under the panels' headings
    bottom = top + PANEL_HEIGHT

    def x_of(panel: int, step: float) -> float:
        return LEFT + panel * (panel_width + GAP) + panel_width * step / last_step

    def y_of(percent: float) -> float:
        return bottom - PANEL_HEIGHT * percent / y_ticks[-1]

    for panel, heading in enumerate((_("plain networks"), _("residual networks"))):
        parts.append(_text(x_of(panel, last_step / 2), top - 10, heading, size=13))
        for tick in y_ticks:
            parts.append(
                f'<line x1="{x_of(panel, 0):.1f}" x2="{x_of(panel, last_step):.1f}" y1="{y_of(tick):.1f}" '
                f'y2="{y_of(tick):.1f}" stroke="{GRID}"/>'
            )
        for tick in x_ticks:
            parts.append(_text(x_of(panel, tick), bottom + 15, _number(tick), size=11, colour=GREY))
        parts.append(_text(x_of(panel, last_step / 2), bottom + 32, _("step"), size=12))
    for tick in y_ticks:
        parts.append(_text(LEFT - 6, y_of(tick) + 4, _number(tick), size=11, anchor="end", colour=GREY))
    middle = (top + bottom) / 2
    parts.append(_text(14, middle, _("error (%)"), size=12, extra=f' transform="rotate(-90 14 {middle:.1f})"'))
    for run in sorted(runs, key=lambda r: r["depth"]):
        parts.append(_run_curves(run, colour_of[int(run["depth"])], x_of, y_of))
    legend, height = _legend(depths, colour_of, bottom + 58)
    parts.append(legend)
    label = escape(title or _("training error of plain networks and residual networks"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-label="{label}" font-family="{FONT_FAMILY}"><rect width="{WIDTH}" height="{height:.0f}" fill="white"/>'
        + "".join(parts)
        + "</svg>"
    )


def _run_curves(run: dict, colour: str, x_of, y_of) -> str:
    """One network's training error (dashed, with markers) and final test error (a bold point), with hover text."""
    panel = 1 if run["residual"] else 0
    name = net_label(int(run["depth"]), run["residual"])
    train, test = _("{name} train").format(name=name), _("{name} test").format(name=name)
    points = [(x_of(panel, s), y_of(100 * e)) for s, e in zip(run["step"], run["batch_error"], strict=True)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f"<g><title>{escape(train)}</title>"
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 4"/></g>'
    ]
    for (x, y), step, error in zip(points, run["step"], run["batch_error"], strict=True):
        parts.append(_point(x, y, 2.6, colour, f"{train} · {_('step')} {step}: {100 * error:.1f} %"))
    step, error = run["step"][-1], run["test_error"]
    hover = f"{test} · {_('step')} {step}: {100 * error:.1f} %"
    parts.append(_point(x_of(panel, step), y_of(100 * error), 5, colour, hover, ' stroke="white"'))
    return "".join(parts)


def _point(x: float, y: float, radius: float, colour: str, hover: str, extra: str = "") -> str:
    """A marker with its hover text."""
    circle = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"{extra}>'
    return f"{circle}<title>{escape(hover)}</title></circle>"


def _legend(depths: list[int], colour_of: dict[int, str], y: float) -> tuple[str, float]:
    """Under the panels from ``y`` down: what colour and line style mean, as in the Plotly figure's legend.

    Returns the markup and the height of the whole picture (the legend's bottom edge).
    """
    keys = [(_("{depth} layers").format(depth=d), colour_of[d], "3.5", "") for d in depths]
    keys += [(_("training error"), INK, "1.5", ' stroke-dasharray="6 4"'), (_("test error"), INK, "3.5", "")]
    parts, x = [], float(LEFT)
    for words, colour, width, dash in keys:
        room = 32 + _text_width(words, 12)
        if x > LEFT and x + room > WIDTH - RIGHT:  # no room left on this row: start another
            x, y = float(LEFT), y + 20
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 26:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="{width}"{dash}/>'
        )
        parts.append(_text(x + 32, y, words, size=12, anchor="start"))
        x += room + 14
    heading = _("colour: depth, in both panels · dashed: training error · solid, bold: test error (as in the paper)")
    for line in _wrapped(heading, 11, WIDTH - LEFT - RIGHT):
        y += 17
        parts.append(_text(LEFT, y, line, size=11, anchor="start", colour=GREY))
    return "".join(parts), y + 10


def _wrapped(words: str, size: int, width: float) -> list[str]:
    """``words`` broken into lines of at most about ``width`` px: at spaces, or anywhere in Chinese."""
    tokens = [t for t in re.split(r"(\s+)", words) if t]
    lines, line = [], ""
    for token in tokens:
        pieces = list(token) if _text_width(token, size) > width / 3 and not token.isascii() else [token]
        for piece in pieces:
            if line and _text_width(line + piece, size) > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
    return [*lines, line.rstrip()] if line.strip() else lines
