"""Issue 15's chart findings, read from what Plotly drew in the browser (not from the figure
the server sent: a trace Plotly cannot place is sent and never drawn)."""

import itertools
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.compliance.schemas import FlagFilters
from app.compliance.service import list_flags
from app.core.pagination import PageParams
from app.demo.loader import ADMIN
from app.performance import service
from dashboard.components.formatting import PRINCIPLES, money, severity_label
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import grid_column, wait_attached

pytestmark = pytest.mark.browser


def test_the_provider_page_draws_the_payments_forecast(page: Any, demo: Demo,
                                                       engine: Engine) -> None:
    """Finding 3: the forecast's x value was the string "forecast" on a month axis, so Plotly
    never drew it. It is now a level across the chart, named with its amount."""
    calder = demo.org_ids["calder"]
    with Session(engine) as session:
        payments = service.payments_earned(session, ADMIN, demo.contract_id,
                                           provider_id=calder)
    forecast = next(f for f in payments.forecast if f.provider_id == calder).expected_total
    assert forecast > 0 and payments.rows
    expected_total = payments.rows[-1].cumulative_total + forecast

    sign_in(page, demo, "ridgeway.manager", f"providers/{calder}?contract={demo.contract_id}")
    wait_attached(page, "#provider-payments .main-svg")
    drawn = page.evaluate("""() => {
        const plot = document.querySelector('#provider-payments .js-plotly-plot');
        return {
            annotations: [...plot.querySelectorAll('.annotation-text')].map(a => a.textContent),
            shapes: plot._fullLayout.shapes.map(s => ({y: s.y0, visible: s.visible})),
            yRange: plot._fullLayout.yaxis.range,
        };
    }""")
    assert f"with the forecast still expected: {money(expected_total)}" in drawn["annotations"]
    level = float(expected_total)
    assert any(abs(s["y"] - level) < 0.01 and s["visible"] for s in drawn["shapes"])
    low, high = drawn["yRange"]
    assert low <= level <= high  # on the chart, not above it


def test_compliance_chart_reads_in_full_and_its_bars_list_their_flags(
        page: Any, demo: Demo, engine: Engine) -> None:
    """Finding 7: the chart's counts were unreadable (small white digits on a hatched bar,
    ticks at half a flag) and a click on a bar did nothing. Every principle's name and total
    now reads in full, in black, without overlapping another label, the axis counts whole
    flags, and a click on a segment lists exactly that principle's flags of that severity."""
    with Session(engine) as session:
        flags, _ = list_flags(session, ADMIN, FlagFilters(contract_id=demo.contract_id),
                              PageParams(limit=1000))
    sign_in(page, demo, "ridgeway.manager", f"compliance?contract={demo.contract_id}")
    wait_attached(page, "#compliance-chart .barlayer .point path")
    drawn = page.evaluate("""() => {
        const chart = document.querySelector('#compliance-chart');
        const box = t => { const b = t.getBoundingClientRect();
            return {text: t.textContent, left: b.left, right: b.right, top: b.top,
                    bottom: b.bottom, fill: getComputedStyle(t).fill,
                    size: parseFloat(getComputedStyle(t).fontSize)}; };
        return {
            names: [...chart.querySelectorAll('.ytick text')].map(box),
            totals: [...chart.querySelectorAll('.annotation-text')].map(box),
            ticks: [...chart.querySelectorAll('.xtick text')].map(t => t.textContent),
            inside: [...chart.querySelectorAll('.barlayer text')].map(t => t.textContent),
        };
    }""")
    totals = Counter(PRINCIPLES[f.principle] for f in flags)
    assert sorted(n["text"] for n in drawn["names"]) == sorted(totals)
    assert sorted(t["text"] for t in drawn["totals"]) == sorted(f"{n:,}" for n in totals.values())
    assert all(t["fill"] == "rgb(0, 0, 0)" and t["size"] >= 12 for t in drawn["totals"])
    assert not [text for text in drawn["inside"] if text.strip()]  # nothing on the hatching
    assert all(tick.isdigit() for tick in drawn["ticks"])  # whole flags
    labels = drawn["names"] + drawn["totals"]
    for a, b in itertools.combinations(labels, 2):  # no two labels overlap
        assert (a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
                or a["right"] <= b["left"] or b["right"] <= a["left"]), (a, b)

    # The first segment drawn: the most severe of the first principle with such flags.
    principle, severity = page.evaluate("""() => {
        const plot = document.querySelector('#compliance-chart .js-plotly-plot');
        const trace = plot.data.find(t => t.x.some(v => v > 0));
        return trace.customdata[trace.x.findIndex(v => v > 0)].slice(1);  // after its URL
    }""")
    segment = page.locator("#compliance-chart .barlayer .trace").filter(
        has=page.locator(".point path")).first.locator(".point path").first
    box = segment.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"**/dashboard/compliance?*principle={principle}*")
    assert f"severity={severity}" in page.url
    expected = [f for f in flags if f.principle == principle and f.severity == severity]
    page.wait_for_function(  # the list redrawn for the new URL, not the one before
        """n => document.querySelectorAll(
            '#compliance-grid .ag-center-cols-container .ag-row').length === n""",
        arg=len(expected), polling=100)
    shown_severities = grid_column(page, "compliance-grid", "severity_display", len(expected))
    assert len(shown_severities) == len(expected)
    assert set(shown_severities) == {severity_label(severity)}


def test_every_complaint_state_has_its_own_marker(page: Any, demo: Demo) -> None:
    """Finding 7: "Triaged" and "Independent review" shared one marker shape, so without
    colour the two states could not be told apart."""
    sign_in(page, demo, "ridgeway.manager", "complaints")
    legend = page.get_by_text("Statuses:").inner_text()
    states = legend.removeprefix("Statuses: ").split(". ")[0].split(", ")
    assert len(states) == 10
    markers = [state.split(" ", 1)[0] for state in states]
    assert len(set(markers)) == len(markers), states


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two CSS rgb() colours."""
    def luminance(colour: str) -> float:
        channels = [int(v) / 255 for v in colour[colour.index("(") + 1:-1].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                   for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_hover_text_on_a_green_point_meets_aa_contrast(page: Any, demo: Demo) -> None:
    """Finding 7: hovering a green funnel point gave white text on green, 3.4:1."""
    sign_in(page, demo, "ridgeway.manager", f"funnel?contract={demo.contract_id}")
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    colours = page.evaluate("""() => {
        const plot = document.querySelector('#funnel-graph .js-plotly-plot');
        const curve = plot.data.findIndex(t => t.meta && t.meta.rag === 'green');
        Plotly.Fx.hover(plot, [{curveNumber: curve, pointNumber: 0}]);
        const label = plot.querySelector('.hoverlayer .hovertext');
        return {background: getComputedStyle(label.querySelector('path')).fill,
                text: getComputedStyle(label.querySelector('text')).fill};
    }""")
    assert contrast(colours["text"], colours["background"]) >= 4.5, colours


def test_the_cumulative_cohort_curves_never_fall(page: Any, demo: Demo) -> None:
    """Finding 7: the cumulative curve fell at month 24, where only the oldest cohorts are
    eligible. The drawn curves are life tables: at every month the chance of a first outcome
    among those still without one, chained, so they can only rise or stay level."""
    sign_in(page, demo, "ridgeway.manager",
            f"providers/{demo.org_ids['calder']}?contract={demo.contract_id}")
    wait_attached(page, "#provider-cohorts .scatterlayer .trace")
    curves = page.evaluate("""() => document.querySelector(
        '#provider-cohorts .js-plotly-plot').data.map(t => ({name: t.name, x: t.x, y: t.y}))""")
    assert len(curves) == 2
    for curve in curves:
        assert len(curve["y"]) >= 20, curve["name"]  # the long months are drawn
        assert curve["y"] == sorted(curve["y"]), curve


def test_a_funnel_point_agrees_with_the_limits_drawn_at_it_and_its_hover(
        page: Any, demo: Demo) -> None:
    """Finding 2: a provider below both drawn lower limits was "Green", the legend said
    green is within the limits, and its hover gave other limits. Read from the drawn plot:
    every point's RAG is where it sits against the judging curves at its own X, and its
    hover names those same limits."""
    sign_in(page, demo, "ridgeway.manager", f"funnel?contract={demo.contract_id}")
    wait_attached(page, "#funnel-graph .scatterlayer .point")
    plot = page.evaluate("""() => document.querySelector('#funnel-graph .js-plotly-plot')
        .data.map(t => ({name: t.name, meta: t.meta || null, x: t.x, y: t.y,
                         hover: t.hovertext || null, width: t.line ? t.line.width : null}))""")
    curves = {trace["meta"]["limit"]: trace for trace in plot  # the judging limits
              if trace["meta"] and "limit" in trace["meta"] and "(the RAG's)" in trace["name"]}
    assert {"lower_95", "lower_998"} <= set(curves)
    points = [t for t in plot if t["meta"] and "rag" in t["meta"]]
    assert sum(len(t["x"]) for t in points) >= 5
    for trace in points:
        for x, y, hover in zip(trace["x"], trace["y"], trace["hover"], strict=True):
            at = {}
            for limit in ("lower_95", "lower_998"):
                curve = curves[limit]
                i = min(range(len(curve["x"])), key=lambda j: abs(curve["x"][j] - x))
                assert abs(curve["x"][i] - x) <= 1e-9 * x  # drawn at the point's own X
                at[limit] = curve["y"][i]
            rag = "red" if y < at["lower_998"] else "amber" if y < at["lower_95"] else "green"
            assert trace["meta"]["rag"] == rag, (trace["name"], x, y, at)
            assert f"95% {at['lower_95']:.2f}, 99.8% {at['lower_998']:.2f}" in hover
