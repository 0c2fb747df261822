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


