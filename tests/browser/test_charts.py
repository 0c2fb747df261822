"""Issue 15's chart findings, read from what Plotly drew in the browser (not from the figure
the server sent: a trace Plotly cannot place is sent and never drawn)."""

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.demo.loader import ADMIN
from app.performance import service
from dashboard.components.formatting import money
from tests.browser.conftest import Demo, sign_in
from tests.browser.test_journeys import wait_attached

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
