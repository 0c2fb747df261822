"""The Specialists page's charts over time: the months without referrals keep their place on
the axis, and counts are whole numbers."""

from app.specialists import schemas
from tests.dashboard.test_fair_pages import page_module

specialists = page_module("specialists")


def test_every_month_fills_the_gaps_across_a_year_end() -> None:
    assert specialists.every_month(["2024-11", "2025-02"]) == [
        "2024-11", "2024-12", "2025-01", "2025-02"]
    assert specialists.every_month(["2025-12"]) == ["2025-12"]
    assert specialists.every_month([]) == []


def test_the_months_chart_keeps_empty_months_and_whole_ticks() -> None:
    usage = schemas.SpecialistUsageOut.model_validate({
        "contract_id": 1, "period_from": "2024-01-01", "period_to": "2024-12-31",
        "specialists": [], "providers": [{
            "provider_id": 7, "provider_name": "Calder", "specialists": 1, "referrals": 3,
            "started": 3, "completed": 1, "declined": 0, "did_not_attend": 0, "open": 2,
            "completion_rate": 0.33, "fees_agreed": "0", "fees_owed": "0"}],
        "rows": [], "months": [
            {"month": "2024-01", "provider_id": 7, "specialist_id": 9, "referrals": 2},
            {"month": "2024-04", "provider_id": 7, "specialist_id": 9, "referrals": 1}]})
    figure = specialists.months_figure(usage, "provider")
    [bars] = figure.data
    assert list(bars.x) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert list(bars.y) == [2, 0, 0, 1]
    assert figure.layout.yaxis.dtick == 1 and figure.layout.yaxis.tickformat == ",d"
