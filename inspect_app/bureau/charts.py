"""Small server-side SVG charts (bars, line, heat colours) for pages and the bulletin PDF.

No JavaScript and no outside assets: each chart is one inline ``<svg role="img">`` with a
``<title>`` and ``<desc>`` naming every value, so screen readers and the printed bulletin
(WeasyPrint draws inline SVG) get the same figures. Pages show the data as a table too.
"""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
BAR = "#1f4e79"
GRADE_COLOURS = {"优秀": "#1b7a3d", "良好": "#4f8fc0", "合格": "#b26a00", "不合格": "#b3261e"}
_ids = itertools.count(1)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def _open(width: int, height: int, title: str, desc: str, chart_id: str | None) -> str:
    cid = chart_id or f"chart{next(_ids)}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-t {cid}-d" font-family="{FONT}" font-size="13">'
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>'
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    rows: list[tuple[str, float | None]],
    *,
    title: str,
    max_value: float | None = 100,
    unit: str = "",
    width: int = 560,
    label_width: int = 150,
    colours: dict[str, str] | None = None,
    chart_id: str | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value); a missing value draws no bar and prints 「—」."""
    bar_h, gap, top = 22, 8, 6
    height = top * 2 + len(rows) * (bar_h + gap) or 40
    top_value = max_value or max((v for _, v in rows if v is not None), default=0) or 1
    plot = width - label_width - 70
    desc = "；".join(f"{label}：{_fmt(value, unit)}" for label, value in rows) or "无数据"
    parts = [_open(width, height, title, desc, chart_id)]
    for n, (label, value) in enumerate(rows):
        y = top + n * (bar_h + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" '
            f'fill="#1a1a1a">{escape(_clip(label, 11))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_h}" fill="#eef1f5"/>'
        )
        if value is not None:
            w = max(0.0, min(1.0, value / top_value)) * plot
            colour = (colours or {}).get(label, BAR)
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{label_width + plot + 8}" y="{y + bar_h * 0.72:.1f}" '
            f'fill="#1a1a1a">{escape(_fmt(value, unit))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grade_chart(
    grades: list[dict], *, title: str = "等次分布", chart_id: str | None = None
) -> Markup:
    """Schools per grade as bars in the grade's colour (counts, not percentages)."""
    top = max((g["count"] for g in grades), default=0)
    return bar_chart(
        [(g["grade"], g["count"]) for g in grades],
        title=title,
        max_value=top or 1,
        unit=" 所",
        width=420,
        label_width=70,
        colours=GRADE_COLOURS,
        chart_id=chart_id,
    )


def line_chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    y_max: float = 100,
    width: int = 560,
    height: int = 220,
    chart_id: str | None = None,
) -> Markup:
    """Scores over time: x is the order of inspections (labels are dates), y from 0 to ``y_max``."""
    left, right, top, bottom = 40, 16, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    desc = "；".join(f"{label}：{_fmt(value)}" for label, value in points) or "无数据"
    parts = [_open(width, height, title, desc, chart_id)]
    for tick in range(0, int(y_max) + 1, 20):
        y = top + plot_h - tick / y_max * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dae1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6470" font-size="11">{tick}</text>'
        )
    n = len(points)
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))
        if n <= 12 or i % max(1, n // 8) == 0 or i == n - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" fill="#5b6470" '
                f'font-size="11">{escape(label)}</text>'
            )
        if value is not None:
            y = top + plot_h - max(0, min(value, y_max)) / y_max * plot_h
            coords.append((x, y, value))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
    for x, y, value in coords:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>'
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="#1a1a1a" '
            f'font-size="11">{escape(_fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_class(value: float | None) -> str:
    """CSS class of a heat-map cell: bands match the common grade bands (≥90, ≥80, ≥60, <60)."""
    if value is None:
        return "heat-none"
    if value >= 90:
        return "heat-4"
    if value >= 80:
        return "heat-3"
    if value >= 60:
        return "heat-2"
    return "heat-1"
