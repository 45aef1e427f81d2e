"""Inline SVG charts for the HTML report, generated without any external assets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE: tuple[str, ...] = (
    "#2563eb",
    "#16a34a",
    "#d97706",
    "#9333ea",
    "#dc2626",
    "#0891b2",
    "#65a30d",
    "#db2777",
)
MUTED = "#9ca3af"

# Labels sit above their bar so they get the full chart width; at this viewBox width the
# text stays legible when the chart is scaled down to a phone screen.
_ROW_HEIGHT = 40
_LABEL_CHARS = 60
_VALUE_ROOM = 110


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart.

    Attributes:
        label: Text shown above the bar.
        value: Bar length in data units; negative and non-finite values draw no bar.
        value_label: Text shown after the bar; defaults to the value with two decimals.
        muted: Draw the bar in grey, e.g. for items that serve no declared goal.
    """

    label: str
    value: float
    value_label: str | None = None
    muted: bool = False


@dataclass(frozen=True)
class Segment:
    """One slice of a stacked bar.

    Attributes:
        label: Name shown in the slice's tooltip.
        value: Slice size in data units; negative and non-finite values draw nothing.
        color: CSS colour of the slice.
    """

    label: str
    value: float
    color: str


def palette_color(index: int) -> str:
    """Return a stable colour for the given index, cycling through the palette.

    Args:
        index: Position of the series, e.g. of a goal in a sorted list of goals.

    Returns:
        A CSS hex colour.
    """
    return PALETTE[index % len(PALETTE)]


def _drawable(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def hbar_chart(bars: Sequence[Bar], *, title: str, width: int = 480) -> str:
    """Render a horizontal bar chart as an inline SVG element.

    Bars are scaled against the largest drawable value, so the longest bar fills the
    plot area. All text is HTML-escaped, so the result can be embedded verbatim.

    Args:
        bars: Rows to draw, top to bottom.
        title: Accessible title of the chart.
        width: Width of the SVG coordinate system; the element itself scales to its
            container.

    Returns:
        The SVG markup as a string.
    """
    plot_width = width - _VALUE_ROOM
    height = _ROW_HEIGHT * max(len(bars), 1) + 8
    peak = max((_drawable(bar.value) for bar in bars), default=0.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        parts.append('<text x="0" y="24" font-size="14" fill="#6b7280">No data</text>')
    for index, bar in enumerate(bars):
        top = index * _ROW_HEIGHT + 4
        length = plot_width * _drawable(bar.value) / peak if peak else 0.0
        value_text = bar.value_label if bar.value_label is not None else f"{bar.value:.2f}"
        colour = MUTED if bar.muted else PALETTE[0]
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(value_text)}</title>"
            f'<text x="0" y="{top + 13}" font-size="14" fill="#111827">'
            f"{escape(_truncate(bar.label, _LABEL_CHARS))}</text>"
            f'<rect x="0" y="{top + 18}" width="{length:.1f}" height="14" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{length + 6:.1f}" y="{top + 30}" font-size="13" fill="#374151">'
            f"{escape(value_text)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(
    segments: Sequence[Segment], *, title: str, width: int = 300, height: int = 14
) -> str:
    """Render a single stacked bar as an inline SVG element.

    Each segment's width is its share of the total drawable value. When nothing is
    drawable, a grey placeholder bar is shown instead so the layout stays stable.

    Args:
        segments: Slices to draw, left to right.
        title: Accessible title of the bar.
        width: Width of the SVG coordinate system.
        height: Height of the bar.

    Returns:
        The SVG markup as a string.
    """
    total = sum(_drawable(segment.value) for segment in segments)
    parts = [
        f'<svg class="stack" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if total <= 0:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="{MUTED}"/>')
    offset = 0.0
    for segment in segments if total > 0 else ():
        share = width * _drawable(segment.value) / total
        if share <= 0:
            continue
        parts.append(
            f'<rect x="{offset:.2f}" y="0" width="{share:.2f}" height="{height}" '
            f'fill="{escape(segment.color)}"><title>{escape(segment.label)}: '
            f"{segment.value:.2f}</title></rect>"
        )
        offset += share
    parts.append("</svg>")
    return "".join(parts)
