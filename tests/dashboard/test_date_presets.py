"""The date presets' periods, by hand (dashboard.components.filters.date_presets)."""

from datetime import date

from dashboard.components.filters import date_presets


def periods(as_of: date, start: date | None) -> dict[str, tuple[date, date]]:
    return {p.label: (p.period_from, p.period_to) for p in date_presets(as_of, start)}


def test_presets_on_a_december_day():
    found = periods(date(2026, 12, 6), date(2024, 11, 1))
    assert found == {
        "Last quarter": (date(2026, 7, 1), date(2026, 9, 30)),
        "Year to date": (date(2026, 4, 1), date(2026, 12, 6)),
        "Contract year": (date(2026, 11, 1), date(2026, 12, 6)),
        "Last 12 months": (date(2025, 12, 7), date(2026, 12, 6)),
    }


def test_presets_early_in_the_year():
    found = periods(date(2026, 2, 10), date(2024, 11, 1))
    assert found["Last quarter"] == (date(2025, 10, 1), date(2025, 12, 31))
    assert found["Year to date"] == (date(2025, 4, 1), date(2026, 2, 10))
    assert found["Contract year"] == (date(2025, 11, 1), date(2026, 2, 10))


def test_a_contract_starting_on_29_february_and_one_not_started():
    assert periods(date(2026, 3, 1), date(2024, 2, 29))["Contract year"] == (
        date(2026, 2, 28), date(2026, 3, 1))
    assert "Contract year" not in periods(date(2026, 3, 1), date(2026, 6, 1))
