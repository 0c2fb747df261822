"""The league table's period measures from per-day totals (table provider_daily_totals).

Data timeliness, payments earned and check compliance are sums over days of the period. The
totals per contract, day and provider are kept in step whenever scheduled checks are written
(ingestion, a new schedule) and events stored (`DailyDeltas`), and rebuilt from the events,
the paid event counts and the checks when a contract's timeliness_days or tariff changes
(`rebuild`). Reading them costs a few thousand rows whatever the number of participants
(docs/metrics.md, "Where the league table's numbers come from").
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.orm import Session

from app.core.bulk import add_counts, insert_rows
from app.models import Contract, Event, Milestone, PaidEventCount, ProviderDailyTotal
from app.models.participants import SECTION_12_EVENT_TYPES
from app.performance.milestones import GRACE_DAYS
from app.performance.payments import PAID_EVENT_TYPES, Tariff, tariff_of
from app.supply_chain.service import contract_settings

KEY = ("contract_id", "day", "provider_id")
TOTALS = ("events", "timely_events", "earned_pence", "live_checks_due", "checks_on_time")
_TABLE = cast(Table, ProviderDailyTotal.__table__)


@dataclass(frozen=True)
class DailyTerms:
    """What the totals of one contract depend on besides the events and checks themselves."""

    timeliness_days: int
    tariff: Tariff

    def fee_pence(self, payment_group: str, event_type: str, day: date) -> int:
        return int(self.tariff.fee(payment_group, event_type, day) * 100)


def terms_of(contract: Contract) -> DailyTerms:
    return DailyTerms(contract_settings(contract).timeliness_days,
                      tariff_of(contract.tariff_rows))


Key = tuple[int, date, int]  # contract_id, day, provider_id


class DailyDeltas:
    """Changes to the daily totals, gathered over one transaction and written at once: one
    Counter per total (Counter.update counts a batch's keys in C)."""

    def __init__(self) -> None:
        self.totals: dict[str, Counter[Key]] = {name: Counter() for name in TOTALS}

    def add_events(self, rows: Iterable[Mapping[str, Any]],
                   terms: Mapping[int, DailyTerms]) -> None:
        """Stored events: each needs contract_id, event_date, provider_id, lag_days, type and
        payment_group."""
        # Data timeliness is of the journey's events (DOMAIN.md section 3): a specialist's
        # outcome is not the provider's reporting, and neither kind of section 12 counts.
        rows = [row for row in rows if row["type"] not in SECTION_12_EVENT_TYPES]
        keys = [(row["contract_id"], row["event_date"], row["provider_id"]) for row in rows]
        self.totals["events"].update(keys)
        self.totals["timely_events"].update(
            key for key, row in zip(keys, rows, strict=True)
            if row["lag_days"] <= terms[key[0]].timeliness_days)
        earned = self.totals["earned_pence"]
        fees: dict[tuple[int, str, str, date], int] = {}  # a batch repeats them: look up once
        for key, row in zip(keys, rows, strict=True):
            if row["type"] in PAID_EVENT_TYPES:
                fee_key = (key[0], row["payment_group"], row["type"], key[1])
                if fee_key not in fees:
                    fees[fee_key] = terms[key[0]].fee_pence(*fee_key[1:])
                earned[key] += fees[fee_key]

    def add_checks(self, rows: Iterable[Mapping[Any, Any]], sign: int = 1) -> None:
        """Scheduled checks stored (sign 1) or deleted (sign -1): each needs contract_id,
        due_date, provider_id, cancelled_on and check_timing. A cancelled check never counts."""
        live = [(row["contract_id"], row["due_date"], row["provider_id"], row["check_timing"])
                for row in rows if row["cancelled_on"] is None]
        due = Counter(key[:3] for key in live)
        on_time = Counter(key[:3] for key in live if key[3] == "on_time")
        if sign < 0:
            self.totals["live_checks_due"].subtract(due)
            self.totals["checks_on_time"].subtract(on_time)
        else:
            self.totals["live_checks_due"].update(due)
            self.totals["checks_on_time"].update(on_time)

    def rows(self) -> list[dict[str, Any]]:
        """One row per key with a change, in key order."""
        counters = [self.totals[name] for name in TOTALS]
        keys = sorted(set().union(*counters))
        columns = [list(map(counter.get, keys, repeat(0))) for counter in counters]
        return [dict(zip((*KEY, *TOTALS), (*key, *values), strict=True))
                for key, *values in zip(keys, *columns, strict=True) if any(values)]

    def write(self, session: Session) -> None:
        """Add the deltas to the stored totals, in key order (concurrent batches lock shared
        rows in the same order, so they never deadlock)."""
        add_counts(session, _TABLE, KEY, TOTALS, self.rows())
        for counter in self.totals.values():
            counter.clear()


def rebuild(session: Session, contract: Contract) -> None:
    """Recompute the contract's totals from its events, paid event counts and scheduled
    checks, with its settings and tariff as they are now; in the caller's transaction."""
    terms = terms_of(contract)
    deltas = DailyDeltas()
    totals = deltas.totals
    # Every event of the contract: a rare change (timeliness_days or the tariff), where each
    # ingestion batch would otherwise keep finer counts up to date for it.
    counted = session.execute(
        select(Event.event_date, Event.provider_id, func.count(),
               func.sum(case((Event.lag_days <= terms.timeliness_days, 1), else_=0)))
        .where(Event.contract_id == contract.id, Event.type.not_in(SECTION_12_EVENT_TYPES))
        .group_by(Event.event_date, Event.provider_id))
    for day, provider_id, events, timely in counted:
        key = (contract.id, day, provider_id)
        totals["events"][key], totals["timely_events"][key] = int(events), int(timely)
    paid = session.execute(
        select(PaidEventCount.event_date, PaidEventCount.provider_id,
               PaidEventCount.payment_group, PaidEventCount.type, PaidEventCount.events)
        .where(PaidEventCount.contract_id == contract.id))
    for day, provider_id, group, event_type, events in paid:
        totals["earned_pence"][(contract.id, day, provider_id)] += (
            events * terms.fee_pence(group, event_type, day))
    checks = session.execute(
        select(Milestone.due_date, Milestone.provider_id, func.count(),
               func.sum(case((Milestone.check_timing == "on_time", 1), else_=0)))
        .where(Milestone.contract_id == contract.id, Milestone.cancelled_on.is_(None))
        .group_by(Milestone.due_date, Milestone.provider_id))
    for day, provider_id, due, on_time in checks:
        key = (contract.id, day, provider_id)
        totals["live_checks_due"][key], totals["checks_on_time"][key] = int(due), int(on_time)
    session.execute(delete(ProviderDailyTotal).where(
        ProviderDailyTotal.contract_id == contract.id))
    insert_rows(session, _TABLE, deltas.rows())


@dataclass(frozen=True)
class PeriodTotals:
    """One provider's period measures for the league table."""

    check_compliance: float | None  # on-time checks / live checks due, None when none
    data_timeliness: float | None  # timely events / events, None when none
    payments_earned: Decimal


def period_totals(session: Session, contract_id: int, period_from: date, period_to: date,
                  as_of: date) -> dict[int, PeriodTotals]:
    """Per provider over the period: check compliance (DOMAIN.md section 4: checks due in the
    period whose grace ended by as_of), data timeliness and fees earned (events dated in the
    period up to as_of). One range read of the daily totals."""
    daily = ProviderDailyTotal
    grace_ended = daily.day <= as_of - timedelta(days=GRACE_DAYS)
    rows = session.execute(
        select(daily.provider_id, func.sum(daily.events), func.sum(daily.timely_events),
               func.sum(daily.earned_pence),
               func.sum(case((grace_ended, daily.live_checks_due), else_=0)),
               func.sum(case((grace_ended, daily.checks_on_time), else_=0)))
        .where(daily.contract_id == contract_id, daily.day >= period_from,
               daily.day <= min(period_to, as_of))
        .group_by(daily.provider_id))
    return {int(provider): PeriodTotals(
                check_compliance=int(on_time) / int(due) if due else None,
                data_timeliness=int(timely) / int(events) if events else None,
                payments_earned=Decimal(int(pence)).scaleb(-2))
            for provider, events, timely, pence, due, on_time in rows}
