"""Tests for the inline SVG charts used by the HTML report."""

from __future__ import annotations

import math
import re

from busywork.charts import (
    MUTED,
    PALETTE,
    Bar,
    Segment,
    hbar_chart,
    palette_color,
    stacked_bar,
)

RECT_WIDTH = re.compile(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"')


def rect_widths(svg: str) -> list[float]:
    return [float(width) for _, width in RECT_WIDTH.findall(svg)]


def test_hbar_chart_scales_bars_to_the_largest_value() -> None:
    svg = hbar_chart([Bar("big", 10.0), Bar("half", 5.0)], title="Scores", width=480)

    big, half = rect_widths(svg)
    assert big > 0
    assert half == big / 2


def test_hbar_chart_draws_nothing_for_negative_or_non_finite_values() -> None:
    bars = [Bar("ok", 2.0), Bar("neg", -3.0), Bar("nan", math.nan), Bar("inf", math.inf)]

    svg = hbar_chart(bars, title="Mixed")

    assert rect_widths(svg)[1:] == [0.0, 0.0, 0.0]
    assert "-3.00" in svg


def test_hbar_chart_without_bars_says_no_data() -> None:
    svg = hbar_chart([], title="Nothing")

    assert svg.startswith("<svg")
    assert "No data" in svg
    assert svg.endswith("</svg>")


def test_hbar_chart_escapes_and_truncates_labels() -> None:
    label = "<b>Tom & Jerry</b> " + "x" * 80
    svg = hbar_chart([Bar(label, 1.0, value_label="<1 h>")], title='Say "hi"')

    assert "<b>" not in svg
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in svg
    assert "x" * 80 in svg  # full label kept in the tooltip
    assert "\u2026</text>" in svg  # visible label shortened
    assert "&lt;1 h&gt;" in svg
    assert 'aria-label="Say &quot;hi&quot;"' in svg


def test_hbar_chart_mutes_flagged_bars_and_needs_no_namespace_url() -> None:
    svg = hbar_chart([Bar("a", 1.0), Bar("b", 1.0, muted=True)], title="t")

    assert f'fill="{PALETTE[0]}"' in svg
    assert f'fill="{MUTED}"' in svg
    assert "http" not in svg


def test_stacked_bar_shares_fill_the_width() -> None:
    segments = [Segment("a", 3.0, "#111111"), Segment("b", 1.0, "#222222")]

    svg = stacked_bar(segments, title="Goals", width=200)

    assert rect_widths(svg) == [150.0, 50.0]
    assert '<rect x="150.00"' in svg


def test_stacked_bar_skips_empty_segments_and_shows_placeholder_when_all_empty() -> None:
    partial = stacked_bar(
        [Segment("a", 0.0, "#111111"), Segment("b", 2.0, "#222222")], title="t", width=100
    )
    empty = stacked_bar([Segment("a", 0.0, "#111111")], title="t", width=100)

    assert rect_widths(partial) == [100.0]
    assert "#111111" not in partial
    assert rect_widths(empty) == [100.0]
    assert f'fill="{MUTED}"' in empty


def test_stacked_bar_escapes_colour_and_label() -> None:
    svg = stacked_bar([Segment('<x>"', 1.0, '" onload="evil')], title="t")

    assert 'onload="evil' not in svg
    assert "&lt;x&gt;&quot;" in svg


def test_palette_color_cycles() -> None:
    assert palette_color(0) == PALETTE[0]
    assert palette_color(len(PALETTE) + 1) == PALETTE[1]
