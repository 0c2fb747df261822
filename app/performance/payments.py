"""Payments earned (DOMAIN.md section 6) and the forecast of payments still expected from
participants now in work (docs/metrics.md, Payments and forecast).

**Earned**: attachment, outcome and sustainment fees by event date, from the tariff row in
force on that date. SQL counts events per provider, payment group, type, tariff period (the
spans between the contract's tariff start dates, in which every group's row is constant) and
calendar month; the fees are applied here. The league table reads the same fees from the
per-day provider totals (app.performance.daily_totals); tests/performance/test_daily_totals.py
checks them against the fees of each event.

**Forecast**: two life tables per payment group, estimated from the contract's own history on
`as_of`, then the expected fees of each participant now in work:

- weeks in work before the outcome: q_j, the share of participants who completed week j of
  (cumulative) work among those whose week j is settled; P(outcome | w completed weeks) is the
  product of q_w .. q_{OW-1};
- sustainments after the outcome: p_n, the share reaching sustainment n among those who had
  n - 1 and whose sustainment n is settled (due date + grace passed); P(reach n | k) is the
  product of p_{k+1} .. p_n.

The maths is pure (plain rows in, plain rows out); the SQL below it returns rows per group,
status and week (history) or per provider, group and day (population), never per event.
"""

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from app.models import Event, Organisation, PaidEventCount, Participant, TariffRow
from app.performance import fit_cache
from app.performance.cohorts import month_label
from app.performance.milestones import GRACE_DAYS
from app.supply_chain.schemas import TariffRowRead

PAID_EVENT_TYPES = ("attachment", "job_outcome", "sustainment")
PENNY = Decimal("0.01")

# (contract id column, provider id column) -> the rows the principal may see
ProviderScope = Callable[[Any, Any], ColumnElement[bool]]


def pennies(amount: Decimal | Fraction) -> Decimal:
    """Rounded to the penny, halves up (exact input: a Fraction is divided out in Decimal)."""
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


# -- the tariff ----------------------------------------------------------------------------------
class Tariff:
    """A contract's tariff rows (app.models.TariffRow without the session): the row in force
    on a day is the group's latest row with valid_from <= day."""

    def __init__(self, rows: Iterable[TariffRowRead]) -> None:
        self.rows: dict[str, list[TariffRowRead]] = {}
        for row in sorted(rows, key=lambda r: (r.payment_group, r.valid_from)):
            self.rows.setdefault(row.payment_group, []).append(row)
        self._starts = {group: [r.valid_from for r in rows] for group, rows in self.rows.items()}
        # Between two consecutive start dates (of any group) every group's row is constant.
        self.period_starts = sorted({r.valid_from for rows in self.rows.values() for r in rows})
        # What the tariff is, as a cache key (app.performance.fit_cache).
        self.key = tuple(tuple(sorted(r.model_dump().items()))
                         for rows in self.rows.values() for r in rows)

    def in_force(self, payment_group: str, day: date) -> TariffRowRead | None:
        starts = self._starts.get(payment_group)
        position = bisect.bisect_right(starts, day) if starts else 0
        return self.rows[payment_group][position - 1] if position else None

    def unchanged_from(self, day: date) -> bool:
        """Whether every group's row in force is the same on every day from `day` on (no
        row starts after it)."""
        return bool(self.period_starts) and day >= self.period_starts[-1]

    def structure(self, payment_group: str, day: date) -> TariffRowRead | None:
        """The row in force on `day`, or the group's first row for a day before the tariff
        (ingestion's rule for the outcome weeks and number of sustainments)."""
        rows = self.rows.get(payment_group)
        return self.in_force(payment_group, day) or (rows[0] if rows else None)

    def fee(self, payment_group: str, event_type: str, day: date) -> Decimal:
        """The fee an event of `event_type` dated `day` earns; 0 before the group's tariff."""
        row = self.in_force(payment_group, day)
        if row is None:
            return Decimal(0)
        return {"attachment": row.attachment_fee, "job_outcome": row.outcome_fee,
                "sustainment": row.sustainment_fee}[event_type]


# -- earned: pure ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventCount:
    """Paid events of one provider, group and type in one tariff period and month."""

    provider_id: int
    payment_group: str
    type: str  # one of PAID_EVENT_TYPES
    period_start: date | None  # the tariff period's first day; None before the first row
    month: int | None  # month_index of the event date; None when not counted by month
    events: int


@dataclass
class Earned:
    """Paid events and their fees (exact pennies: fees are NUMERIC(12, 2))."""

    provider_id: int
    attachments: int = 0
    outcomes: int = 0
    sustainments: int = 0
    attachment_fees: Decimal = field(default_factory=lambda: Decimal("0.00"))
    outcome_fees: Decimal = field(default_factory=lambda: Decimal("0.00"))
    sustainment_fees: Decimal = field(default_factory=lambda: Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.attachment_fees + self.outcome_fees + self.sustainment_fees


@dataclass(kw_only=True)
class EarnedMonth(Earned):
    month: str  # "YYYY-MM"
    cumulative_total: Decimal = field(default_factory=lambda: Decimal("0.00"))


def _add(month: Earned, event_type: str, events: int, fee: Decimal) -> None:
    if event_type == "attachment":
        month.attachments += events
        month.attachment_fees += fee * events
    elif event_type == "job_outcome":
        month.outcomes += events
        month.outcome_fees += fee * events
    elif event_type == "sustainment":
        month.sustainments += events
        month.sustainment_fees += fee * events
    else:
        raise ValueError(f"not a paid event type: {event_type}")


def earned_by_month(counts: Iterable[EventCount], tariff: Tariff, last_month: int,
                    providers: Iterable[int] = ()) -> list[EarnedMonth]:
    """Per provider (those with counts, plus `providers`) and month, from the first month
    with any event up to `last_month`, zero months included: fees and a running total.
    Rows by provider, then month."""
    counts = list(counts)
    ids = sorted({c.provider_id for c in counts} | set(providers))
    first_month = min((c.month for c in counts if c.month is not None), default=last_month)
    months = range(first_month, last_month + 1)
    table = {(p, m): EarnedMonth(provider_id=p, month=month_label(m)) for p in ids
             for m in months}
    for c in counts:
        if c.month is None or c.month not in months:
            raise ValueError("an event count without its month or outside the months asked for")
        fee = (tariff.fee(c.payment_group, c.type, c.period_start)
               if c.period_start is not None else Decimal(0))
        _add(table[(c.provider_id, c.month)], c.type, c.events, fee)
    rows = []
    for p in ids:
        running = Decimal("0.00")
        for m in months:
            row = table[(p, m)]
            running += row.total
            row.cumulative_total = running
            rows.append(row)
    return rows


def totals_by_provider(months: Iterable[EarnedMonth]) -> list[Earned]:
    totals: dict[int, Earned] = {}
    for month in months:
        total = totals.setdefault(month.provider_id, Earned(month.provider_id))
        total.attachments += month.attachments
        total.outcomes += month.outcomes
        total.sustainments += month.sustainments
        total.attachment_fees += month.attachment_fees
        total.outcome_fees += month.outcome_fees
        total.sustainment_fees += month.sustainment_fees
    return [totals[p] for p in sorted(totals)]


# -- forecast: pure -------------------------------------------------------------------------------
WorkStatus = Literal["outcome", "stopped", "in_work"]


@dataclass(frozen=True)
class WorkHistory:
    """Participants of a group who started work by as_of, by where they stood on as_of:
    `outcome` (a job outcome), `in_work` (no outcome, an open job spell, not exited) or
    `stopped` (no outcome, and no open spell or exited), and completed weeks of cumulative
    time in work."""

    payment_group: str
    status: WorkStatus
    completed_weeks: int
    participants: int


@dataclass(frozen=True)
class SustainmentHistory:
    """Participants of a group with a job outcome by as_of, by sustainments reached and by
    settled steps: step n is settled when outcome + n x interval + grace <= as_of."""

    payment_group: str
    sustainments: int
    settled_steps: int
    participants: int


def week_continuation(history: Iterable[WorkHistory], outcome_weeks: int) -> list[Fraction]:
    """q_0 .. q_{OW-1}: for week j (the (j+1)-th week of cumulative work), the share who
    completed it among those whose week j is settled.

    Participants without an outcome count at min(completed weeks, OW - 1): time in work
    beyond the outcome's count without one is the last week's (the claim not made yet).
    Settled through week j: every outcome, everyone who completed week j (c > j, stopped or
    still in work), and those who stopped during week j (c = j, the failures d_j). Those still
    in work during week j are not settled: they are left out of week j's denominator (the
    life table's censoring). q_j = 1 - d_j / n_j, and 0 when n_j = 0 (no evidence)."""
    if outcome_weeks < 1:
        raise ValueError("outcome_weeks must be >= 1")
    outcomes = 0
    others: list[tuple[int, WorkStatus, int]] = []
    for row in history:
        if row.participants < 0 or row.completed_weeks < 0:
            raise ValueError("negative counts or weeks")
        if row.status == "outcome":
            outcomes += row.participants
        else:
            others.append((min(row.completed_weeks, outcome_weeks - 1), row.status,
                           row.participants))
    q = []
    for j in range(outcome_weeks):
        stopped = sum(n for c, status, n in others if c == j and status == "stopped")
        completed = sum(n for c, _status, n in others if c > j)
        settled = outcomes + completed + stopped
        q.append(Fraction(settled - stopped, settled) if settled else Fraction(0))
    return q


def sustainment_continuation(history: Iterable[SustainmentHistory],
                             max_sustainments: int) -> list[Fraction]:
    """p_1 .. p_max: the share reaching sustainment n among those who had sustainment n - 1
    (the outcome for n = 1) and whose step n is settled; 0 when nobody's is (no evidence)."""
    rows = list(history)
    p = []
    for n in range(1, max_sustainments + 1):
        settled = [r for r in rows if r.sustainments >= n - 1 and r.settled_steps >= n]
        at_risk = sum(r.participants for r in settled)
        reached = sum(r.participants for r in settled if r.sustainments >= n)
        p.append(Fraction(reached, at_risk) if at_risk else Fraction(0))
    return p


@dataclass(frozen=True)
class GroupEstimate:
    payment_group: str
    outcome_weeks: int
    max_sustainments: int
    week_continuation: tuple[Fraction, ...]  # q_0 .. q_{OW-1}
    sustainment_continuation: tuple[Fraction, ...]  # p_1 .. p_max

    def outcome_probability(self, completed_weeks: int) -> Fraction:
        """P(outcome | completed_weeks of work, still in work, no outcome yet)."""
        result = Fraction(1)
        for q in self.week_continuation[min(completed_weeks, self.outcome_weeks - 1):]:
            result *= q
        return result

    def reach_probabilities(self, reached: int) -> list[tuple[int, Fraction]]:
        """(n, P(reach sustainment n | reached sustainment `reached`)) for n = reached + 1 ..
        max (reached = 0: just after the outcome)."""
        result, running = [], Fraction(1)
        for n in range(reached + 1, self.max_sustainments + 1):
            running *= self.sustainment_continuation[n - 1]
            result.append((n, running))
        return result


def group_estimate(payment_group: str, outcome_weeks: int, max_sustainments: int,
                   work: Iterable[WorkHistory],
                   sustainments: Iterable[SustainmentHistory]) -> GroupEstimate:
    return GroupEstimate(
        payment_group, outcome_weeks, max_sustainments,
        tuple(week_continuation((w for w in work if w.payment_group == payment_group),
                                outcome_weeks)),
        tuple(sustainment_continuation(
            (s for s in sustainments if s.payment_group == payment_group), max_sustainments)))


@dataclass(frozen=True)
class InWork:
    """Participants now in work without an outcome, by provider, group and days in work."""

    provider_id: int
    payment_group: str
    days_in_work: int
    participants: int


@dataclass(frozen=True)
class WithOutcome:
    """Participants with an outcome by as_of and not exited, by provider, group, outcome date
    and sustainments reached by as_of."""

    provider_id: int
    payment_group: str
    outcome_date: date
    sustainments: int
    participants: int


@dataclass
class ProviderForecast:
    provider_id: int
    in_work_without_outcome: int = 0
    with_outcome: int = 0  # whose next sustainment is still open
    expected_outcomes: Fraction = Fraction(0)
    expected_sustainments: Fraction = Fraction(0)
    expected_outcome_fees: Fraction = Fraction(0)
    expected_sustainment_fees: Fraction = Fraction(0)


def settled_steps(outcome_date: date, as_of: date, interval_days: int) -> int:
    """How many sustainment steps are settled on as_of: n with o + n x interval + grace <= as_of.
    """
    return max(0, ((as_of - outcome_date).days - GRACE_DAYS) // interval_days)


def forecast(in_work: Iterable[InWork], with_outcome: Iterable[WithOutcome],
             estimates: dict[str, GroupEstimate], tariff: Tariff, as_of: date,
             interval_days: int) -> dict[int, ProviderForecast]:
    """Expected fees still to come, per provider, exact (Fractions).

    In work without an outcome, w = days // 7 completed weeks: the outcome with probability
    P(outcome | w), expected on as_of + max(0, 7 OW - days) (at the earliest, by staying in
    work); then sustainment n with P(outcome | w) P(reach n | 0), expected n x interval later.
    With an outcome on o and k sustainments: sustainment n > k with P(reach n | k), expected on
    o + n x interval; nothing when step k + 1 is already settled without it (lapsed). Each
    fee is the tariff row's in force on the expected date."""
    result: dict[int, ProviderForecast] = {}

    def provider(provider_id: int) -> ProviderForecast:
        return result.setdefault(provider_id, ProviderForecast(provider_id))

    @cache
    def sustainment_fees(group: str, reached: int, start: date, last: int) -> tuple[Decimal, ...]:
        first = start + timedelta(days=interval_days * (reached + 1))
        if tariff.unchanged_from(first):  # the usual case, and a long tuple of lookups saved
            return (tariff.fee(group, "sustainment", first),) * (last - reached)
        return tuple(tariff.fee(group, "sustainment", start + timedelta(days=interval_days * n))
                     for n in range(reached + 1, last + 1))

    # Participants are first counted by what their expectation depends on (group, weeks or
    # sustainments reached, and the fees on the expected dates), so that the exact, long
    # fractions are multiplied out once per distinct case, not once per participant.
    in_work_cases: dict[tuple[int, str, int, Decimal, tuple[Decimal, ...]], int] = {}
    for row in in_work:
        estimate = estimates.get(row.payment_group)
        provider(row.provider_id).in_work_without_outcome += row.participants
        if estimate is None:
            continue  # a group outside the tariff earns nothing
        due = as_of + timedelta(days=max(0, 7 * estimate.outcome_weeks - row.days_in_work))
        key = (row.provider_id, row.payment_group, row.days_in_work // 7,
               tariff.fee(row.payment_group, "job_outcome", due),
               sustainment_fees(row.payment_group, 0, due, estimate.max_sustainments))
        in_work_cases[key] = in_work_cases.get(key, 0) + row.participants
    outcome_cases: dict[tuple[int, str, int, tuple[Decimal, ...]], int] = {}
    for outcome in with_outcome:
        estimate = estimates.get(outcome.payment_group)
        if estimate is None or outcome.sustainments >= estimate.max_sustainments:
            continue
        if settled_steps(outcome.outcome_date, as_of, interval_days) > outcome.sustainments:
            continue  # the next sustainment's time has passed without it
        provider(outcome.provider_id).with_outcome += outcome.participants
        key2 = (outcome.provider_id, outcome.payment_group, outcome.sustainments,
                sustainment_fees(outcome.payment_group, outcome.sustainments,
                                 outcome.outcome_date, estimate.max_sustainments))
        outcome_cases[key2] = outcome_cases.get(key2, 0) + outcome.participants

    @cache
    def series(group: str, reached: int, fees: tuple[Decimal, ...]) -> tuple[Fraction, Fraction]:
        """Expected number and fees of the sustainments after `reached`."""
        count, amount = Fraction(0), Fraction(0)
        for (_n, p_reach), fee in zip(estimates[group].reach_probabilities(reached), fees,
                                      strict=True):
            count += p_reach
            amount += p_reach * Fraction(fee)
        return count, amount

    @cache
    def p_outcome(group: str, weeks: int) -> Fraction:
        return estimates[group].outcome_probability(weeks)

    for (provider_id, group, weeks, outcome_fee, fees), n in in_work_cases.items():
        target = provider(provider_id)
        expected = n * p_outcome(group, weeks)
        count, amount = series(group, 0, fees)
        target.expected_outcomes += expected
        target.expected_outcome_fees += expected * Fraction(outcome_fee)
        target.expected_sustainments += expected * count
        target.expected_sustainment_fees += expected * amount
    for (provider_id, group, reached, fees), n in outcome_cases.items():
        target = provider(provider_id)
        count, amount = series(group, reached, fees)
        target.expected_sustainments += n * count
        target.expected_sustainment_fees += n * amount
    return result


# -- SQL -----------------------------------------------------------------------------------------
EPOCH = date(1970, 1, 1)


def _day_number(column: Any) -> ColumnElement[int]:
    """Days since 1970-01-01 in portable SQL (SQLite and PostgreSQL both extract the epoch)."""
    return cast(extract("epoch", column), BigInteger) // 86400


def load_tariff(session: Session, contract_id: int) -> Tariff:
    return tariff_of(session.scalars(select(TariffRow).where(
        TariffRow.contract_id == contract_id)))


def tariff_of(rows: Iterable[TariffRow]) -> Tariff:
    return Tariff(TariffRowRead.model_validate(r) for r in rows)


def _no_scope(_contract: Any, _provider: Any) -> ColumnElement[bool]:
    return true()


def earned_event_counts(session: Session, contract_id: int, period_from: date, period_to: date,
                        tariff: Tariff, scope: ProviderScope = _no_scope,
                        provider_id: int | None = None, by_month: bool = True
                        ) -> list[EventCount]:
    """Paid events dated in [period_from, period_to], counted per provider, group, type,
    tariff period and (with `by_month`) month, from the daily paid event counts."""
    daily = PaidEventCount
    starts = tariff.period_starts
    period = (case(*[(daily.event_date >= start, index)
                     for index, start in reversed(list(enumerate(starts)))], else_=-1)
              if starts else literal(-1))
    # The month costs date arithmetic per row: only when asked for.
    month = (extract("year", daily.event_date) * 12 + extract("month", daily.event_date) - 1
             if by_month else literal(-1))
    where = [daily.contract_id == contract_id, daily.event_date >= period_from,
             daily.event_date <= period_to, scope(daily.contract_id, daily.provider_id)]
    if provider_id is not None:
        where.append(daily.provider_id == provider_id)
    keyed = select(daily.provider_id, daily.payment_group, daily.type, period.label("period"),
                   month.label("month"), daily.events).where(*where).subquery()
    rows = session.execute(
        select(keyed.c.provider_id, keyed.c.payment_group, keyed.c.type, keyed.c.period,
               keyed.c.month, func.sum(keyed.c.events))
        .group_by(keyed.c.provider_id, keyed.c.payment_group, keyed.c.type, keyed.c.period,
                  keyed.c.month))
    return [EventCount(int(p), group, type_, starts[int(i)] if int(i) >= 0 else None,
                       int(m) if by_month else None, int(n))
            for p, group, type_, i, m, n in rows]


def earned_by_provider(session: Session, contract_id: int, period_from: date,
                       period_to: date) -> dict[int, Decimal]:
    """Fees earned per provider over the period (what the league table shows)."""
    tariff = load_tariff(session, contract_id)
    totals: dict[int, Decimal] = {}
    for c in earned_event_counts(session, contract_id, period_from, period_to, tariff,
                                 by_month=False):
        if c.period_start is not None:
            fee = tariff.fee(c.payment_group, c.type, c.period_start)
            totals[c.provider_id] = totals.get(c.provider_id, Decimal(0)) + fee * c.events
    return totals


@dataclass(frozen=True, slots=True)
class WorkState:
    """Participants who started work or have an outcome by as_of, counted by what the
    forecast needs of them: where they stood on as_of (`status`, as in WorkHistory), whether
    they ever started work, days in work (without an outcome), and outcome date,
    sustainments reached and whether they had exited by as_of (with an outcome)."""

    provider_id: int
    payment_group: str
    status: WorkStatus
    started: bool
    days_in_work: int | None
    outcome_date: date | None
    sustainments: int
    exited: bool
    participants: int


def work_history(states: Iterable[WorkState]) -> list[WorkHistory]:
    return [WorkHistory(s.payment_group, s.status, (s.days_in_work or 0) // 7, s.participants)
            for s in states if s.started]


def sustainment_history(states: Iterable[WorkState], as_of: date,
                        interval_days: int) -> list[SustainmentHistory]:
    return [SustainmentHistory(s.payment_group, s.sustainments,
                               settled_steps(s.outcome_date, as_of, interval_days),
                               s.participants)
            for s in states if s.outcome_date is not None]


def in_work_population(states: Iterable[WorkState]) -> list[InWork]:
    return [InWork(s.provider_id, s.payment_group, s.days_in_work or 0, s.participants)
            for s in states if s.status == "in_work"]


def with_outcome_population(states: Iterable[WorkState]) -> list[WithOutcome]:
    return [WithOutcome(s.provider_id, s.payment_group, s.outcome_date, s.sustainments,
                        s.participants)
            for s in states if s.outcome_date is not None and not s.exited]


def work_states(session: Session, contract_id: int, as_of: date) -> list[WorkState]:
    """One pass over the contract's job and sustainment events (the costly part): per
    participant, cumulative days in work on as_of, open spells and sustainments reached.

    Days in work = sum over spells of (min(end, as_of) - start) = sum over starts of
    (as_of - start) - sum over ends of (as_of - end): a sum over events, no pairing needed.
    (Two concurrent spells count twice here, where ingestion counts their union.) Only what
    the forecast reads is kept per row, so that participants collapse into few rows."""
    elapsed = (as_of - EPOCH).days - _day_number(Event.event_date)
    is_start, is_end = Event.type == "job_start", Event.type == "job_end"
    work = (
        select(
            Event.participant_id.label("participant_id"),
            func.sum(case((is_start, 1), else_=0)).label("starts"),
            func.sum(case((is_start, 1), (is_end, -1), else_=0)).label("open_spells"),
            cast(func.sum(case((is_start, elapsed), (is_end, -elapsed), else_=0)),
                 BigInteger).label("days_in_work"),
            func.sum(case((Event.type == "sustainment", 1), else_=0)).label("sustainments"),
        )
        .where(Event.contract_id == contract_id, Event.event_date <= as_of,
               Event.type.in_(("job_start", "job_end", "sustainment")))
        .group_by(Event.participant_id)
        .subquery())
    has_outcome = and_(Participant.outcome_date.is_not(None), Participant.outcome_date <= as_of)
    not_exited = or_(Participant.exit_date.is_(None), Participant.exit_date > as_of)
    started = work.c.starts > 0
    keyed = (
        select(
            Participant.provider_id.label("provider_id"),
            Participant.payment_group.label("payment_group"),
            case((has_outcome, "outcome"), (and_(work.c.open_spells > 0, not_exited), "in_work"),
                 else_="stopped").label("status"),
            case((started, 1), else_=0).label("started"),
            case((has_outcome, null()), else_=work.c.days_in_work).label("days_in_work"),
            case((has_outcome, Participant.outcome_date), else_=null()).label("outcome_date"),
            case((has_outcome, func.coalesce(work.c.sustainments, 0)),
                 else_=0).label("sustainments"),
            case((and_(has_outcome, not_(not_exited)), 1), else_=0).label("exited"))
        .outerjoin(work, work.c.participant_id == Participant.id)
        .where(Participant.contract_id == contract_id, or_(started, has_outcome))
        .subquery())
    columns = [keyed.c.provider_id, keyed.c.payment_group, keyed.c.status, keyed.c.started,
               keyed.c.days_in_work, keyed.c.outcome_date, keyed.c.sustainments,
               keyed.c.exited]
    rows = session.execute(select(*columns, func.count()).group_by(*columns))
    states = []
    for row in rows:
        p, group, status, s, days, day, k, x, n = tuple(row)
        states.append(WorkState(int(p), group, status, bool(s),
                                None if days is None else int(days), day, int(k), bool(x),
                                int(n)))
    return states


@dataclass(frozen=True)
class Forecast:
    estimates: dict[str, GroupEstimate]
    providers: dict[int, ProviderForecast]


def contract_forecast(session: Session, contract_id: int, as_of: date, tariff: Tariff,
                      interval_days: int, scope: ProviderScope = _no_scope,
                      provider_id: int | None = None) -> Forecast:
    """Estimates from the whole contract's history (an aggregate), applied to the participants
    now in work that `scope` and `provider_id` leave.

    A provider's forecast depends on its own participants and the contract's estimates only,
    so the whole contract's is computed once and cached per data version
    (app.performance.fit_cache) and tariff; each principal gets the rows it may see. The
    payments page, the provider pages and the API ask for it in turn."""

    def whole_contract() -> Forecast:
        states = work_states(session, contract_id, as_of)
        work = work_history(states)
        sustainments = sustainment_history(states, as_of, interval_days)
        groups = sorted({w.payment_group for w in work} | {s.payment_group for s in sustainments})
        estimates = {}
        for group in groups:
            terms = tariff.structure(group, as_of)
            if terms is not None:
                estimates[group] = group_estimate(group, terms.outcome_weeks,
                                                  terms.max_sustainments, work, sustainments)
        return Forecast(estimates, forecast(in_work_population(states),
                                            with_outcome_population(states), estimates, tariff,
                                            as_of, interval_days))

    whole = fit_cache.cached(session, contract_id,
                             ("forecast", as_of, interval_days, tariff.key), whole_contract)
    ids = set(whole.providers) if provider_id is None else {provider_id} & set(whole.providers)
    visible = set(session.scalars(select(Organisation.id).where(
        Organisation.id.in_(ids), scope(literal(contract_id), Organisation.id)))) if ids else set()
    return Forecast(whole.estimates,
                    {p: f for p, f in whole.providers.items() if p in visible})
