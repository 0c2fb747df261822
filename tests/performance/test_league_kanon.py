"""k-anonymity of anonymised league rows (issue 13, finding 11).

Quasi-identifiers (what an outsider can know or estimate of a provider: its sector, tier and
contracted share are public procurement facts; its referral volume, job starts and payments
follow from its share): ``league.QUASI_IDENTIFIERS``. For the anonymised rows (never the
viewer's own), every combination of their visible values is shared by at least k anonymised
rows; a column is generalised (rounded to bands) before it is withheld (null). The
performance figures, the point of the table, are never changed.
"""

from collections import Counter
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.auth.principal import Principal
from app.performance.league import (
    QUASI_IDENTIFIERS,
    GroupCounts,
    LeagueRow,
    ProviderFacts,
    anonymise,
    build_league_table,
    generalise,
)
from app.supply_chain.schemas import ContractSettings
from dashboard.components.filters import Filters
from dashboard.components.league_data import league_table as dashboard_league_table
from tests.performance.test_league_api import AS_OF, load, table
from tests.world import World

G = "jsa_25_plus"
PERFORMANCE = tuple(f.name for f in fields(LeagueRow)
                    if f.name not in QUASI_IDENTIFIERS | {"provider_id", "provider_name"})


def singled_out(rows: list[Any], k: int) -> list[tuple[object, ...]]:
    """Visible quasi-identifier combinations shared by fewer than k of the rows; none when
    every row shows the same (nothing tells them apart). A null is a value like any other: the
    one row without a tier (the prime's in-house delivery) stands out among rows with one.
    Rows are LeagueRow or JSON dicts."""
    def get(row: Any, name: str) -> object:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    combos = Counter(tuple(get(r, q) for q in sorted(QUASI_IDENTIFIERS)) for r in rows)
    return [] if len(combos) == 1 else [c for c, n in combos.items() if n < k]


def demo_like_rows() -> list[LeagueRow]:
    """Eight providers, every one unique on sector, tier and share alone (as in the demo);
    the prime (id 1) delivers in-house without tier or share."""
    sectors = ["private", "third", "public", "third", "private", "third", "public", "third"]
    providers = [ProviderFacts(
        provider_id=i + 1, name=f"Org {i + 1}", sector=sectors[i],
        tier=None if i == 0 else 1 + i % 2, referrals=80 + 13 * i,
        contracted_share=None if i == 0 else Decimal("0.05") * i,
        job_starts=30 + 3 * i, check_compliance=0.9, data_timeliness=0.8,
        payments_earned=Decimal(10_000 + 1_234 * i)) for i in range(8)]
    groups = [GroupCounts(i + 1, G, 60 + 5 * i, 10 + 2 * i) for i in range(8)]
    return list(build_league_table(providers, groups).rows)


def perf(row: LeagueRow) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in PERFORMANCE)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_no_anonymised_row_is_singled_out_by_its_quasi_identifiers(k: int) -> None:
    rows = demo_like_rows()
    assert len({(r.sector, r.tier, r.contracted_share) for r in rows}) == len(rows)
    seen = anonymise(rows, viewer_provider_id=4, k=k)
    others = [r for r in seen if r.provider_id is None]
    assert len(others) == 7
    assert singled_out(others, k) == []


def test_the_viewers_own_row_stays_exact() -> None:
    rows = demo_like_rows()
    own = next(r for r in rows if r.provider_id == 4)
    assert [r for r in anonymise(rows, viewer_provider_id=4, k=3) if r.provider_id == 4] == [own]


def test_performance_figures_are_never_changed() -> None:
    rows = demo_like_rows()
    seen = anonymise(rows, viewer_provider_id=4, k=3)
    assert sorted(map(perf, seen), key=repr) == sorted(map(perf, rows), key=repr)


def test_columns_are_generalised_to_bands_before_being_withheld() -> None:
    """Six providers in two clusters of three: bands make them 3-anonymous, so nothing is
    withheld; the bands are rounded values, not the exact ones."""
    shares = ["0.11", "0.12", "0.13", "0.21", "0.22", "0.23"]
    providers = [ProviderFacts(
        provider_id=i + 1, name=f"Org {i + 1}", sector="third", tier=1,
        referrals=101 + i % 3 + 100 * (i // 3), contracted_share=Decimal(shares[i]),
        job_starts=40, check_compliance=None, data_timeliness=None,
        payments_earned=Decimal("5000.00")) for i in range(6)]
    rows = build_league_table(providers, [GroupCounts(i + 1, G, 50, 10) for i in range(6)]).rows
    seen = generalise(rows, k=3)
    assert singled_out(seen, 3) == []
    assert {r.sector for r in seen} == {"third"} and {r.tier for r in seen} == {1}
    assert sorted({r.contracted_share for r in seen}, key=str) == [Decimal("0.1"), Decimal("0.2")]
    assert sorted({r.referrals for r in seen}) == [100, 200]  # type: ignore[type-var]
    assert {r.job_starts for r in seen} == {40}
    assert {r.payments_earned for r in seen} == {Decimal("5000.00")}
    # The exact share of the total would give the exact referrals back: withheld with them.
    assert {r.referral_share for r in seen} == {None}


def test_rows_already_k_anonymous_are_unchanged() -> None:
    providers = [ProviderFacts(
        provider_id=i + 1, name=f"Org {i + 1}", sector="third", tier=1, referrals=50,
        contracted_share=Decimal("0.2"), job_starts=10, check_compliance=None,
        data_timeliness=None, payments_earned=Decimal("100.00")) for i in range(3)]
    rows = build_league_table(providers, [GroupCounts(i + 1, G, 40, 8 + i) for i in range(3)]).rows
    assert generalise(rows, k=3) == list(rows)


def test_fewer_anonymised_rows_than_k_withhold_every_quasi_identifier() -> None:
    rows = demo_like_rows()[:3]
    seen = anonymise(rows, viewer_provider_id=rows[0].provider_id, k=3)
    for row in seen[1:] if seen[0].provider_id else seen:
        if row.provider_id is None:
            assert all(getattr(row, q) is None for q in QUASI_IDENTIFIERS)


def test_generalise_is_independent_of_input_order() -> None:
    rows = demo_like_rows()
    assert anonymise(rows, 4, k=3) == anonymise(rows[::-1], 4, k=3)


def test_k_below_two_is_refused() -> None:
    with pytest.raises(ValueError):
        generalise(demo_like_rows(), k=1)
    assert ContractSettings().league_k_anonymity == 3
    with pytest.raises(ValidationError):
        ContractSettings(league_k_anonymity=1)
    assert ContractSettings(league_k_anonymity=2).league_k_anonymity == 2


# --- through the API and the dashboard's service --------------------------------------------
def test_the_api_applies_k_anonymity_to_a_providers_league_table(client, world: World) -> None:
    load(client, world)
    named = {r["provider_id"]: r for r in table(client, world, "manager_a")["rows"]}
    # The prime's manager sees every row exact: sectors, tiers and shares as stored.
    assert named[world.s2]["sector"] == "private" and named[world.s2]["tier"] == 1
    assert named[world.s1]["contracted_share"] == "0.1000"
    rows = table(client, world, "s1")["rows"]
    own = [r for r in rows if r["provider_id"] == world.s1]
    assert own == [{**named[world.s1], "provider_id": world.s1}]
    others = [r for r in rows if r["provider_id"] is None]
    assert len(others) >= 2 and singled_out(others, 3) == []
    # The performance figures are those the prime sees.
    assert sorted((r["rank"], r["eligible"], r["rate"], r["rag"]) for r in others
                  if r["rank"] is not None) == sorted(
        (r["rank"], r["eligible"], r["rate"], r["rag"]) for i, r in named.items()
        if i != world.s1 and r["rank"] is not None)


def test_k_is_a_contract_setting_of_at_least_two(client, world: World) -> None:
    url = f"/api/v1/contracts/{world.contract_a}"
    response = client.patch(url, json={"settings": {"league_k_anonymity": 1}},
                            headers=world.keys["manager_a"])
    assert response.status_code == 422, response.text
    response = client.patch(url, json={"settings": {"league_k_anonymity": 2}},
                            headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    load(client, world)
    others = [r for r in table(client, world, "s1")["rows"] if r["provider_id"] is None]
    assert singled_out(others, 2) == []


def test_the_dashboard_and_its_exports_read_the_same_k_anonymous_rows(client, db,
                                                                     world: World) -> None:
    """The league page and its CSV/Excel exports call league_data.league_table, the API's
    service function: the rows are the API's, generalised the same way."""
    load(client, world)
    api_rows = table(client, world, "s1", min_n=30)["rows"]
    principal = Principal(role="provider_user", organisation_id=world.s1)
    filters = Filters(as_of=date.fromisoformat(AS_OF))
    dashboard = dashboard_league_table(db, principal, filters, world.contract_a)
    exported = [asdict(r) for r in dashboard.rows]
    others = [r for r in exported if r["provider_id"] is None]
    assert len(others) >= 2 and singled_out(others, 3) == []
    assert [r["provider_name"] for r in exported] == [r["provider_name"] for r in api_rows]
    assert [(r["sector"], r["tier"], r["referrals"]) for r in exported] == [
        (r["sector"], r["tier"], r["referrals"]) for r in api_rows]
