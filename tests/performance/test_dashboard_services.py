"""Service entry points the dashboard reads through: national benchmark, check compliance by
month, and checks due by a day. Same scoping as the API: another provider's figures are 404."""

from datetime import date, timedelta
from functools import partial

import pytest
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import PageParams
from app.models.auth import Role
from app.performance import service
from tests.ingest.events import journey
from tests.world import World

D = date(2024, 3, 1)
START = D + timedelta(days=10)  # journey()'s job start
AS_OF = date(2025, 6, 1)


def load(client, world: World) -> None:
    third = [*journey(world.contract_a, "T-1", world.s1, D, group="esa_ex_ib"),
             *journey(world.contract_a, "T-2", world.s1, D, group="esa_ex_ib")[:3]]
    private = journey(world.contract_a, "V-1", world.s2, D, group="jsa_25_plus",
                      weeks_in_work=26)
    for who, events in (("s1", third), ("s2", private)):
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def principal(role: Role, org: int | None) -> Principal:
    return Principal(role=role, organisation_id=org)


def test_national_benchmark_weights_the_national_rates_by_case_mix(client, db: Session,
                                                                   world: World) -> None:
    load(client, world)
    prime = principal("prime_manager", world.prime_a)
    benchmark = partial(service.national_benchmark, db, prime, world.contract_a,
                        period_from=D, period_to=D, as_of=AS_OF, horizon_months=12)
    # DOMAIN.md section 2: esa_ex_ib 5.4%, jsa_25_plus 31.7%; two ESA ex-IB, one JSA 25+.
    whole = benchmark()
    assert whole == pytest.approx((2 * 0.054 + 0.317) / 3)
    third = benchmark(provider_id=world.s1)
    assert third == pytest.approx(0.054)
    # Nobody referred in the period has reached the horizon: no benchmark.
    assert service.national_benchmark(db, prime, world.contract_a, period_from=D,
                                      period_to=D, as_of=D + timedelta(days=30),
                                      horizon_months=12) is None


def test_a_provider_reads_its_own_benchmark_and_trend_and_no_other(client, db: Session,
                                                                   world: World) -> None:
    load(client, world)
    third = principal("provider_user", world.s1)
    service.national_benchmark(db, third, world.contract_a, period_from=D, period_to=D,
                               as_of=AS_OF, horizon_months=12, provider_id=world.s1)
    for call in (
        lambda: service.national_benchmark(db, third, world.contract_a, period_from=D,
                                           period_to=D, as_of=AS_OF, horizon_months=12,
                                           provider_id=world.s2),
        lambda: service.check_compliance_trend(db, third, world.contract_a,
                                               world.s2, as_of=AS_OF),
        lambda: service.check_compliance_trend(db, principal("prime_manager",
                                                             world.prime_b),
                                               world.contract_a, world.s1,
                                               as_of=AS_OF),
    ):
        with pytest.raises(NotFound):
            call()


def test_check_compliance_by_month_counts_on_time_checks_of_the_checks_due(
        client, db: Session, world: World) -> None:
    load(client, world)
    months = service.check_compliance_trend(db, principal("provider_user", world.s1),
                                            world.contract_a, world.s1, as_of=AS_OF)
    # T-1 checked its D28 on the day; T-2 never did. D91s (due in June) were never checked.
    d28 = START + timedelta(days=28)
    d91 = START + timedelta(days=91)
    by_month = {m.month: (m.checks_due, m.on_time, m.check_compliance) for m in months}
    assert by_month[f"{d28:%Y-%m}"] == (2, 1, 0.5)
    assert by_month[f"{d91:%Y-%m}"][:2] == (2, 0)


def test_checks_due_by_a_day_leave_later_ones_out(client, db: Session, world: World) -> None:
    load(client, world)
    prime = principal("prime_manager", world.prime_a)
    d28 = START + timedelta(days=28)
    page = service.milestones(db, prime, world.contract_a, PageParams(limit=100),
                              as_of=d28 - timedelta(days=3), due_to=d28)
    assert {row.milestone for row in page.rows} == {"D28"}
    assert len(page.rows) == 3
    later = service.milestones(db, prime, world.contract_a, PageParams(limit=100),
                               as_of=d28 - timedelta(days=3))
    assert {row.milestone for row in later.rows} > {"D28"}




def test_the_overview_is_the_league_tables_figures_for_the_same_filters(
        client, db: Session, world: World) -> None:
    """Issue 15 finding 1: the Overview's outcome figures are the league table's (one
    request, the league table's defaults), a provider's staff see their own row of it, and
    the national benchmark is that of the same eligible case mix."""
    load(client, world)
    prime = principal("prime_manager", world.prime_a)
    found = service.overview(db, prime, world.contract_a, as_of=AS_OF)
    table = service.league_table(db, prime, world.contract_a, as_of=AS_OF)
    assert found.table == table and table.period_from == date(2024, 1, 1)
    assert (found.eligible, found.outcomes, found.rate) == (3, 2, table.pooled_rate)
    assert (table.eligible, table.outcomes) == (sum(r.eligible for r in table.rows),
                                                sum(r.outcomes for r in table.rows))
    assert found.national_rate == pytest.approx((2 * 0.054 + 0.317) / 3)
    third = service.overview(db, principal("provider_user", world.s1), world.contract_a,
                             as_of=AS_OF)
    assert third.own is not None and third.own.provider_id == world.s1
    assert (third.eligible, third.outcomes, third.rate) == (2, 1, 0.5)
    assert third.table.pooled_rate == table.pooled_rate
    assert third.national_rate == pytest.approx(0.054)


def test_the_overviews_trend_compares_two_equally_mature_windows(client, db: Session,
                                                                 world: World) -> None:
    """Two 6-month windows of referrals ending at the horizon's cutoff, each counted as the
    league table counts them; none when the period does not hold both."""
    third_events = [*journey(world.contract_a, "W-1", world.s1, date(2024, 7, 10)),
                    *journey(world.contract_a, "W-2", world.s1, date(2025, 1, 10))[:3]]
    private = journey(world.contract_a, "W-3", world.s2, date(2025, 2, 10))
    for who, events in (("s1", third_events), ("s2", private)):
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text
    prime = principal("prime_manager", world.prime_a)
    as_of = date(2025, 12, 1)  # cutoff at 6 months: 2025-06-01
    found = service.overview(db, prime, world.contract_a, as_of=as_of, horizon_months=6)
    assert found.trend is not None
    before, recent = found.trend
    assert (before.period_from, before.period_to) == (date(2024, 6, 2), date(2024, 12, 1))
    assert (recent.period_from, recent.period_to) == (date(2024, 12, 2), date(2025, 6, 1))
    assert (before.eligible, before.outcomes, recent.eligible, recent.outcomes) == (1, 1, 2, 1)
    for window in (before, recent):
        table = service.league_table(db, prime, world.contract_a, as_of=as_of,
                                     horizon_months=6, period_from=window.period_from,
                                     period_to=window.period_to)
        assert (table.eligible, table.outcomes, table.pooled_rate) == (
            window.eligible, window.outcomes, window.rate)
    third = service.overview(db, principal("provider_user", world.s1), world.contract_a,
                             as_of=as_of, horizon_months=6)
    assert third.trend is not None
    assert [(w.eligible, w.outcomes) for w in third.trend] == [(1, 1), (1, 0)]
    # A period that does not hold two such windows: no trend.
    assert service.overview(db, prime, world.contract_a, as_of=as_of, horizon_months=6,
                            period_from=date(2024, 9, 1)).trend is None


@pytest.mark.parametrize("as_of", [START + timedelta(days=30), START + timedelta(days=40),
                                   START + timedelta(days=100), AS_OF])
def test_one_status_counted_alone_is_the_milestone_lists_tally(client, db: Session,
                                                               world: World, as_of) -> None:
    """The Overview's overdue tile counts one status without tallying the rest; it must be
    the number the milestones page shows for it, for the prime and for a provider."""
    load(client, world)
    db.rollback()
    for who in (principal("prime_manager", world.prime_a), principal("provider_user", world.s1)):
        tallies = service.milestones(db, who, world.contract_a, PageParams(limit=1),
                                     as_of=as_of).counts
        assert tallies is not None
        for status, expected in tallies.items():
            assert service.milestone_count(db, who, world.contract_a, status,
                                           as_of=as_of) == expected, (who.role, status)
        assert sum(tallies.values()) > 0
