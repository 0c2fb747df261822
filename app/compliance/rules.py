"""Merlin Standard and contract-compliance rules (DOMAIN.md section 7): plain rows in, flag
candidates out. No database, no HTTP; app.compliance.queries feeds them and
app.compliance.service stores what they find. Every rule, its formula and a worked example
are in docs/compliance.md.

Thresholds come from the contract's settings. Comparisons that decide a flag are exact
(``Fraction``), so a member at exactly half its contracted share, or a share drop of exactly
30%, is on the right side of the line and never pushed over it by rounding.
"""

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import Any, Literal

from app.core.workdays import add_working_days, working_calendar, working_days_between
from app.models.compliance import Severity
from app.performance.league import LeagueRow
from app.performance.overdispersion import judged_rag
from app.supply_chain.schemas import ContractSettings
from app.supply_chain.service import days_beyond_terms

MERLIN_2012 = "merlin-2012"
CONTRACT = "contract"


@dataclass(frozen=True)
class Rule:
    code: str
    standard: str
    principle: str  # the 2012 principle for Merlin rules; the obligation for contract rules
    title: str
    # Our reading of where the rule sits among the 2018 refresh's eight principles (the DWP
    # publishes no mapping from the 2012 rules): shown beside the 2012 principle, never instead.
    merlin_2018: tuple[str, ...] = ()


RULES: Mapping[str, Rule] = {rule.code: rule for rule in (
    Rule("SCD-1", MERLIN_2012, "supply_chain_design", "referral starvation",
         ("Design", "Performance Manage")),
    Rule("SCD-2", MERLIN_2012, "supply_chain_design", "specialist starvation (bid candy)",
         ("Design", "Procure", "Funding")),
    Rule("COM-1", MERLIN_2012, "commitment", "late payment", ("Funding", "Contract")),
    Rule("CON-1", MERLIN_2012, "conduct", "dispute handling", ("Contract", "QA & Compliance")),
    Rule("CON-2", MERLIN_2012, "conduct", "exit without due process",
         ("Performance Manage", "Review & Close")),
    Rule("CON-3", MERLIN_2012, "conduct", "possible retaliation",
         ("Performance Manage", "QA & Compliance")),
    Rule("REV-1", MERLIN_2012, "review", "unfair comparison",
         ("Performance Manage", "Review & Close")),
    Rule("CC-CHECKS", CONTRACT, "check_compliance", "in-work check compliance below minimum"),
    Rule("CC-TIMELINESS", CONTRACT, "data_timeliness", "data timeliness below minimum"),
    Rule("CC-RAG", CONTRACT, "performance", "job-outcome rate red against its case mix"),
)}
PRINCIPLES = tuple(dict.fromkeys(rule.principle for rule in RULES.values()))

# CON-3 compares referral shares only once this many days of the after-window have passed:
# a share over a week or two swings with chance alone. A status downgrade counts at once.
RETALIATION_MIN_DAYS = 30
# Contract flags are `high` when the figure is this far below the contract's minimum.
CONTRACT_HIGH_MARGIN = 0.10
# Member statuses from best to worst: a change to a later one is a downgrade.
STATUS_ORDER = ("active", "on_improvement_plan", "suspended", "terminated")


@dataclass(frozen=True)
class FlagCandidate:
    """A condition found now: the service turns it into a new flag or refreshes a live one."""

    rule: str
    key: str  # distinct within (contract, rule): a member, payment or complaint id
    subject_org_id: int
    severity: Severity
    summary: str
    evidence: dict[str, Any]
    complaint_id: int | None = None

    @property
    def standard(self) -> str:
        return RULES[self.rule].standard

    @property
    def principle(self) -> str:
        return RULES[self.rule].principle


def _ratio(value: float | Decimal | str) -> Fraction:
    """A threshold or share as an exact fraction (0.3 is 3/10, not the float nearest it)."""
    return Fraction(str(value))


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


# -- SCD-1 referral starvation ---------------------------------------------------------------------
@dataclass(frozen=True)
class MemberFacts:
    provider_id: int
    name: str
    membership_id: int
    status: str
    contracted_share: Decimal
    joined_on: date  # effective date of its first status (joining the supply chain)
    tier: int = 1


DailyReferrals = Mapping[tuple[int, date], int]  # (provider id, referral date) -> referrals


def _referrals(daily: DailyReferrals, first: date, last: date,
               provider_id: int | None = None) -> int:
    return sum(n for (provider, day), n in daily.items()
               if first <= day <= last and (provider_id is None or provider == provider_id))


def referral_starvation(members: Iterable[MemberFacts], daily: DailyReferrals, as_of: date,
                        settings: ContractSettings) -> list[FlagCandidate]:
    """Active members with contracted_share >= starvation_min_share that received fewer than
    starvation_ratio x contracted_share of the contract's referrals over the last
    starvation_window_days (from the day they joined, if later). `high` when they got none.
    A window in which the contract had no referrals at all starves nobody."""
    window_from = as_of - timedelta(days=settings.starvation_window_days - 1)
    ratio = _ratio(settings.starvation_ratio)
    found = []
    for member in members:
        share = _ratio(member.contracted_share)
        if member.status != "active" or share < _ratio(settings.starvation_min_share):
            continue
        first = max(window_from, member.joined_on)
        if first > as_of:
            continue
        total = _referrals(daily, first, as_of)
        mine = _referrals(daily, first, as_of, member.provider_id)
        threshold = ratio * share * total
        if total == 0 or mine >= threshold:
            continue
        received = Fraction(mine, total)
        found.append(FlagCandidate(
            rule="SCD-1", key=str(member.provider_id), subject_org_id=member.provider_id,
            severity="high" if mine == 0 else "medium",
            summary=(f"{member.name} received {mine:,} of the contract's {total:,} referrals "
                     f"({float(received):.1%}) from {first} to {as_of}, against a contracted "
                     f"share of {float(share):.1%}: below {float(ratio):.0%} of it "
                     f"({float(threshold):.1f} referrals)."),
            evidence={"membership_id": member.membership_id, "window_from": first.isoformat(),
                      "window_to": as_of.isoformat(), "window_days": _days(first, as_of),
                      "referrals_to_member": mine, "referrals_in_contract": total,
                      "referral_share": float(received), "contracted_share": float(share),
                      "expected_referrals": float(share * total),
                      "starvation_ratio": float(ratio),
                      "starvation_threshold_referrals": float(threshold)}))
    return found


# -- SCD-2 specialist starvation -------------------------------------------------------------------
# A specialist is judged from its 31st day in the supply chain: before that no window is long
# enough to say it was passed over (and its threshold is pro rata to the days it was a member).
SPECIALIST_GRACE_DAYS = 30


def specialist_starvation(members: Iterable[MemberFacts], daily: DailyReferrals, as_of: date,
                          settings: ContractSettings) -> list[FlagCandidate]:
    """Active tier-2 members that received fewer than specialist_min_referrals specialist
    referrals over the last specialist_window_days (DOMAIN.md section 12, "bid candy"); for a
    member that joined within the window, the minimum pro rata to its days in it. `high` when
    it received none. `daily` counts specialist referrals by (specialist, referral date).
    Every active tier-2 member is judged, whatever its contracted share: section 12 names
    them all, and a share of allocated participants is SCD-1's promise, not this one."""
    window = settings.specialist_window_days
    window_from = as_of - timedelta(days=window - 1)
    found = []
    for member in members:
        if member.tier != 2 or member.status != "active":
            continue
        if (as_of - member.joined_on).days < SPECIALIST_GRACE_DAYS:
            continue
        first = max(window_from, member.joined_on)
        days = _days(first, as_of)
        threshold = Fraction(settings.specialist_min_referrals * days, window)
        received = _referrals(daily, first, as_of, member.provider_id)
        if received >= threshold:
            continue
        total = _referrals(daily, first, as_of)
        found.append(FlagCandidate(
            rule="SCD-2", key=str(member.provider_id), subject_org_id=member.provider_id,
            severity="high" if received == 0 else "medium",
            summary=(f"{member.name}, a specialist named in the supply chain, received "
                     f"{received:,} specialist referral{'s' if received != 1 else ''} from "
                     f"{first} to {as_of} (of the contract's {total:,}), below the minimum of "
                     f"{float(threshold):g}."),
            evidence={"membership_id": member.membership_id, "window_from": first.isoformat(),
                      "window_to": as_of.isoformat(), "window_days": days,
                      "specialist_referrals_to_member": received,
                      "specialist_referrals_in_contract": total,
                      "specialist_min_referrals": settings.specialist_min_referrals,
                      "specialist_window_days": window,
                      "threshold_referrals": float(threshold)}))
    return found


# -- COM-1 late payment ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentFacts:
    payment_id: int  # internal: the flag's key
    public_id: str  # what the summary and evidence show (the payment's id in answers)
    provider_id: int
    provider_name: str
    invoice_date: date
    amount: Decimal
    paid_date: date | None
    terms_days: int


def _lateness_severity(days_late: int) -> Severity:
    return "low" if days_late <= 7 else "medium" if days_late <= 30 else "high"


def late_payments(payments: Iterable[PaymentFacts], as_of: date) -> list[FlagCandidate]:
    """Payments made more than their terms after the invoice, or unpaid past their terms on
    as_of. Paid on the last day of the terms is on time. Severity by days beyond the terms:
    up to 7 `low`, up to 30 `medium`, more `high`."""
    found = []
    for payment in payments:
        due = payment.invoice_date + timedelta(days=payment.terms_days)
        days_late = days_beyond_terms(payment.invoice_date, payment.terms_days,
                                      payment.paid_date, as_of)
        if days_late == 0:
            continue
        what = (f"was paid on {payment.paid_date}" if payment.paid_date is not None
                else f"is unpaid on {as_of}")
        found.append(FlagCandidate(
            rule="COM-1", key=str(payment.payment_id), subject_org_id=payment.provider_id,
            severity=_lateness_severity(days_late),
            summary=(f"Payment {payment.public_id} of £{payment.amount:,.2f} to "
                     f"{payment.provider_name}, invoiced on {payment.invoice_date}, {what}: "
                     f"{days_late} days after its {payment.terms_days}-day terms ended "
                     f"({due})."),
            evidence={"payment_id": payment.public_id, "amount": str(payment.amount),
                      "invoice_date": payment.invoice_date.isoformat(),
                      "terms_days": payment.terms_days, "due_date": due.isoformat(),
                      "paid_date": (payment.paid_date.isoformat()
                                    if payment.paid_date is not None else None),
                      "unpaid": payment.paid_date is None, "days_late": days_late,
                      "as_of": as_of.isoformat()}))
    return found


# -- CON-1 dispute handling ------------------------------------------------------------------------
@dataclass(frozen=True)
class ComplaintFacts:
    complaint_id: int  # internal: the flag's key and its link to the complaint
    public_id: str  # what the summary and evidence show (the complaint's id in answers)
    complainant_org_id: int
    confidential: bool
    status: str
    submitted_on: date  # calendar dates in the programme's time zone
    acknowledged_on: date | None
    resolved_on: date | None
    # Closed or withdrawn on: the prime's clocks stop there.
    ended_on: date | None = None


def _clock(submitted: date, done: date | None, stop: date, limit: int, due: date,
           holidays: Container[date]) -> tuple[bool, int, bool]:
    """(missed, working days taken or elapsed, done) for one SLA clock."""
    end = done if done is not None else stop
    return end > due, working_days_between(submitted, end, holidays), done is not None


def dispute_handling(complaints: Iterable[ComplaintFacts], as_of: date,
                     settings: ContractSettings) -> list[FlagCandidate]:
    """Complaints not acknowledged within complaint_ack_working_days, or not resolved within
    complaint_resolve_working_days, of submission (working days: app.core.workdays, with the
    contract's holidays). Acknowledged on the last allowed working day is on time. A clock
    still running counts as missed once its deadline has passed; a withdrawn or closed
    complaint stops it. `high` when the resolution deadline was missed, else `medium`."""
    holidays = working_calendar(settings.holidays)
    ack_limit = settings.complaint_ack_working_days
    resolve_limit = settings.complaint_resolve_working_days
    found = []
    for complaint in complaints:
        stop = min(complaint.ended_on or as_of, as_of)
        ack_due = add_working_days(complaint.submitted_on, ack_limit, holidays)
        resolve_due = add_working_days(complaint.submitted_on, resolve_limit, holidays)
        acknowledged = complaint.acknowledged_on or complaint.resolved_on
        ack_missed, ack_days, ack_done = _clock(complaint.submitted_on, acknowledged, stop,
                                                ack_limit, ack_due, holidays)
        res_missed, res_days, res_done = _clock(complaint.submitted_on, complaint.resolved_on,
                                                stop, resolve_limit, resolve_due, holidays)
        if not (ack_missed or res_missed):
            continue
        parts = []
        if ack_missed:
            parts.append(f"{'acknowledged' if ack_done else 'not acknowledged'} after "
                         f"{ack_days} working days (limit {ack_limit})")
        if res_missed:
            parts.append(f"{'resolved' if res_done else 'not resolved'} after {res_days} "
                         f"working days (limit {resolve_limit})")
        found.append(FlagCandidate(
            rule="CON-1", key=str(complaint.complaint_id),
            subject_org_id=complaint.complainant_org_id, complaint_id=complaint.complaint_id,
            severity="high" if res_missed else "medium",
            summary=(f"Complaint {complaint.public_id}, submitted on "
                     f"{complaint.submitted_on}, was {' and '.join(parts)}."),
            evidence={"complaint_id": complaint.public_id,
                      "complainant_org_id": complaint.complainant_org_id,
                      "complaint_status": complaint.status,
                      "submitted_on": complaint.submitted_on.isoformat(),
                      "acknowledge_due": ack_due.isoformat(),
                      "acknowledged_on": _iso(acknowledged),
                      "acknowledge_working_days": ack_days,
                      "acknowledge_limit_working_days": ack_limit,
                      "acknowledge_missed": ack_missed,
                      "resolve_due": resolve_due.isoformat(),
                      "resolved_on": _iso(complaint.resolved_on),
                      "resolve_working_days": res_days,
                      "resolve_limit_working_days": resolve_limit,
                      "resolve_missed": res_missed,
                      "ended_on": _iso(complaint.ended_on), "as_of": as_of.isoformat()}))
    return found


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# -- CON-2 exit without due process ----------------------------------------------------------------
@dataclass(frozen=True)
class StatusChangeFacts:
    change_id: int
    membership_id: int
    provider_id: int
    provider_name: str
    status: str
    effective_date: date


def _histories(changes: Iterable[StatusChangeFacts]) -> dict[int, list[StatusChangeFacts]]:
    by_membership: dict[int, list[StatusChangeFacts]] = {}
    for change in sorted(changes, key=lambda c: (c.effective_date, c.change_id)):
        by_membership.setdefault(change.membership_id, []).append(change)
    return by_membership


@dataclass(frozen=True)
class PlanFacts:
    """An improvement plan of a member (app.regime.plans), as CON-2 reads it."""

    plan_id: str  # public id
    provider_id: int
    state: str
    opened_on: date
    agreed_on: date | None
    decided_on: date | None  # met or failed
    remedy_days: int

    @property
    def remedy_ends(self) -> date | None:
        return (None if self.agreed_on is None
                else self.agreed_on + timedelta(days=self.remedy_days))

    def failed_after_remedy(self, by: date) -> bool:
        """Failed on or before `by`, and not before its remedy period had run."""
        return (self.state == "failed" and self.decided_on is not None
                and self.decided_on <= by and self.remedy_ends is not None
                and self.decided_on >= self.remedy_ends)


def exit_without_due_process(changes: Iterable[StatusChangeFacts],
                             plans: Iterable[PlanFacts]) -> list[FlagCandidate]:
    """Each change to `suspended` or `terminated` without an improvement plan of the member
    that failed after its remedy period (DOMAIN.md section 11), on or before the change and
    since the member last returned to `active` (a plan failed before a fresh start does not
    count for a later exit). `high` for a termination, `medium` for a suspension. The
    evidence names the member's latest plan before the change, whatever its state."""
    by_member: dict[int, list[PlanFacts]] = {}
    for plan in plans:
        by_member.setdefault(plan.provider_id, []).append(plan)
    found = []
    for history in _histories(changes).values():
        fresh_start: date | None = None
        for change in history:
            if change.status == "active":
                fresh_start = change.effective_date
                continue
            if change.status not in ("suspended", "terminated"):
                continue
            mine = [p for p in by_member.get(change.provider_id, [])
                    if p.opened_on <= change.effective_date]
            if any(p.failed_after_remedy(change.effective_date)
                   and (fresh_start is None or p.decided_on is None
                        or p.decided_on >= fresh_start) for p in mine):
                continue
            latest = mine[-1] if mine else None
            if latest is None:
                how = "without an improvement plan"
            else:
                how = (f"without an improvement plan failed after its remedy period: plan "
                       f"{latest.plan_id} is {latest.state}"
                       + (f" (since {latest.decided_on})" if latest.decided_on else "")
                       + (f", remedy period to {latest.remedy_ends}"
                          if latest.remedy_ends else ", never agreed"))
            found.append(FlagCandidate(
                rule="CON-2", key=str(change.change_id), subject_org_id=change.provider_id,
                severity="high" if change.status == "terminated" else "medium",
                summary=(f"{change.provider_name} was {change.status} on "
                         f"{change.effective_date} {how}."),
                evidence={"status_change_id": change.change_id,
                          "membership_id": change.membership_id, "status": change.status,
                          "effective_date": change.effective_date.isoformat(),
                          "improvement_plan_id": latest.plan_id if latest else None,
                          "improvement_plan_state": latest.state if latest else None,
                          "improvement_plan_agreed_on": (
                              latest.agreed_on.isoformat()
                              if latest and latest.agreed_on else None),
                          "remedy_period_ends": (
                              latest.remedy_ends.isoformat()
                              if latest and latest.remedy_ends else None),
                          "improvement_plan_decided_on": (
                              latest.decided_on.isoformat()
                              if latest and latest.decided_on else None),
                          "status_history": [
                              {"status_change_id": c.change_id, "status": c.status,
                               "effective_date": c.effective_date.isoformat()}
                              for c in history if c.effective_date <= change.effective_date
                          ]}))
    return found


# -- CON-3 possible retaliation --------------------------------------------------------------------
@dataclass(frozen=True)
class _Window:
    first: date
    last: date
    member: int
    contract: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.member, self.contract) if self.contract else None

    def as_evidence(self) -> dict[str, Any]:
        share = self.share
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "days": _days(self.first, self.last), "member_referrals": self.member,
                "contract_referrals": self.contract,
                "share": float(share) if share is not None else None}


def _window(daily: DailyReferrals, provider_id: int, first: date, last: date) -> _Window:
    return _Window(first, last, _referrals(daily, first, last, provider_id),
                   _referrals(daily, first, last))


def possible_retaliation(complaints: Iterable[ComplaintFacts], daily: DailyReferrals,
                         changes: Iterable[StatusChangeFacts], as_of: date,
                         settings: ContractSettings) -> list[FlagCandidate]:
    """Within retaliation_window_days after a complaint (the days after its submission), the
    complainant's share of the contract's referrals fell by more than retaliation_share_drop
    relative to the same-length window before it (the days before submission), or its
    membership status was downgraded (from the day of the complaint on). The share is
    compared once RETALIATION_MIN_DAYS of the after-window have passed (or the whole window,
    if shorter), over the days passed so far. `high` with a downgrade, else `medium`. The
    summary never names the complainant (confidential complaints: app.auth.scope)."""
    days = settings.retaliation_window_days
    limit = _ratio(settings.retaliation_share_drop)
    min_days = min(days, RETALIATION_MIN_DAYS)
    histories = _histories(changes)
    by_provider = {h[0].provider_id: h for h in histories.values()}
    found = []
    for complaint in complaints:
        submitted = complaint.submitted_on
        before = _window(daily, complaint.complainant_org_id, submitted - timedelta(days=days),
                         submitted - timedelta(days=1))
        after_last = min(submitted + timedelta(days=days), as_of)
        after = (_window(daily, complaint.complainant_org_id, submitted + timedelta(days=1),
                         after_last) if _days(submitted, after_last) - 1 >= min_days else None)
        drop: Fraction | None = None
        if after is not None and before.share and after.share is not None:
            drop = (before.share - after.share) / before.share
        fell = drop is not None and drop > limit
        downgrades = _downgrades(by_provider.get(complaint.complainant_org_id, []), submitted,
                                 submitted + timedelta(days=days))
        if not fell and not downgrades:
            continue
        parts = []
        if fell and after is not None and before.share is not None and drop is not None:
            parts.append(f"the complainant's referral share fell from "
                         f"{float(before.share):.1%} to {float(after.share or 0):.1%} "
                         f"({float(drop):.0%} lower; limit {float(limit):.0%}) over the "
                         f"{_days(after.first, after.last)} days after it")
        for change, previous in downgrades:
            parts.append(f"its status went from {previous} to {change.status} on "
                         f"{change.effective_date}")
        found.append(FlagCandidate(
            rule="CON-3", key=str(complaint.complaint_id),
            subject_org_id=complaint.complainant_org_id, complaint_id=complaint.complaint_id,
            severity="high" if downgrades else "medium",
            summary=(f"After complaint {complaint.public_id} (submitted on {submitted}), "
                     f"{', and '.join(parts)}."),
            evidence={"complaint_id": complaint.public_id,
                      "complainant_org_id": complaint.complainant_org_id,
                      "submitted_on": submitted.isoformat(), "window_days": days,
                      "before": before.as_evidence(),
                      "after": ({**after.as_evidence(),
                                 "complete": _days(after.first, after.last) >= days}
                                if after is not None else None),
                      "relative_drop": float(drop) if drop is not None else None,
                      "share_drop_limit": float(limit), "share_fell": fell,
                      "downgrades": [{"status_change_id": c.change_id, "from": previous,
                                      "to": c.status, "effective_date": c.effective_date
                                      .isoformat()} for c, previous in downgrades],
                      "as_of": as_of.isoformat()}))
    return found


def _downgrades(history: Sequence[StatusChangeFacts], first: date,
                last: date) -> list[tuple[StatusChangeFacts, str]]:
    found = []
    for previous, change in zip(history, history[1:], strict=False):
        if (first <= change.effective_date <= last and change.status in STATUS_ORDER
                and previous.status in STATUS_ORDER
                and STATUS_ORDER.index(change.status) > STATUS_ORDER.index(previous.status)):
            found.append((change, previous.status))
    return found


# -- REV-1 and the contract flags: from the league table -------------------------------------------
@dataclass(frozen=True)
class ProviderResult:
    """One provider's league-table row (app.performance, named) and its membership status."""

    row: LeagueRow
    member_status: str | None  # None for the prime's in-house delivery

    @property
    def provider_id(self) -> int:
        if self.row.provider_id is None:
            raise ValueError("an anonymised league-table row")
        return self.row.provider_id


@dataclass(frozen=True)
class LeaguePeriod:
    period_from: date
    period_to: date
    as_of: date
    horizon_months: int
    min_n: int
    pooled_rate: float | None
    extra: dict[str, Any] = field(default_factory=dict)
    # The RAG the flags judge by: `overdispersed` (rag_od) only when the contract's
    # flag_rag_basis asks for it and phi was estimated; else section 5's binomial RAG.
    rag_basis: Literal["overdispersed", "binomial"] = "binomial"
    phi: float | None = None
    tau2: float | None = None

    def rag(self, row: LeagueRow) -> str | None:
        return judged_rag(row, self.rag_basis)

    def as_evidence(self) -> dict[str, Any]:
        return {"league_from": self.period_from.isoformat(),
                "league_to": self.period_to.isoformat(), "as_of": self.as_of.isoformat(),
                "horizon_months": self.horizon_months, "min_n": self.min_n,
                "pooled_rate": self.pooled_rate, "rag_basis": self.rag_basis,
                "phi": self.phi, "tau2": self.tau2, **self.extra}


def _row_evidence(row: LeagueRow) -> dict[str, Any]:
    return {"eligible": row.eligible, "outcomes": row.outcomes, "rate": row.rate,
            "expected": row.expected,
            "expected_rate": row.expected / row.eligible if row.eligible else None,
            "performance_index": row.performance_index, "adjusted_rate": row.adjusted_rate,
            "funnel_lower_95": row.funnel_lower_95, "funnel_lower_998": row.funnel_lower_998,
            "rag": row.rag, "pi_lower_95": row.pi_lower_95, "pi_lower_998": row.pi_lower_998,
            "rag_od": row.rag_od, "rank": row.rank, "raw_rank": row.raw_rank}


def unfair_comparison(rows: Sequence[ProviderResult], period: LeaguePeriod) -> list[FlagCandidate]:
    """Members in the bottom quartile of raw_rank (the ceil(n/4) highest raw ranks of the n
    ranked providers; n >= 4) whose RAG (on the period's basis) is `green` against their case
    mix. `high` when the
    member is on an improvement plan, suspended or terminated (it may have been judged on the
    raw rank), else `medium`. The prime's in-house delivery is not a member: no REV-1."""
    ranked = [result for result in rows if result.row.raw_rank is not None]
    n = len(ranked)
    if n < 4:
        return []
    bottom_from = n - ceil(n / 4) + 1
    found = []
    for result in ranked:
        row, status = result.row, result.member_status
        if status is None or row.raw_rank is None or row.raw_rank < bottom_from:
            continue
        if period.rag(row) != "green":
            continue
        acted_on = status != "active"
        found.append(FlagCandidate(
            rule="REV-1", key=str(result.provider_id), subject_org_id=result.provider_id,
            severity="high" if acted_on else "medium",
            summary=(f"{row.provider_name} is {row.raw_rank} of {n} on raw job-outcome rate "
                     f"({(row.rate or 0):.1%}) but green once its case mix is allowed for "
                     f"(performance index {(row.performance_index or 0):.2f}, adjusted rank "
                     f"{row.rank})" + (f"; it is {status.replace('_', ' ')}"
                                       if acted_on else "") + "."),
            evidence={**period.as_evidence(), **_row_evidence(row), "ranked_providers": n,
                      "bottom_quartile_from_raw_rank": bottom_from,
                      "member_status": status}))
    return found


def contract_compliance(rows: Iterable[ProviderResult], period: LeaguePeriod,
                        settings: ContractSettings) -> list[FlagCandidate]:
    """Contract flags on each provider (members and the prime's in-house delivery): check
    compliance below check_compliance_min, data timeliness below data_timeliness_min (each
    `high` when more than 10 points below, else `medium`), RAG `red` on the period's basis
    (`high`)."""
    found = []
    for result in rows:
        row = result.row
        measures = (("CC-CHECKS", "check compliance", row.check_compliance,
                     settings.check_compliance_min),
                    ("CC-TIMELINESS", "data timeliness", row.data_timeliness,
                     settings.data_timeliness_min))
        for rule, label, value, minimum in measures:
            if value is None or _ratio(value) >= _ratio(minimum):
                continue
            found.append(FlagCandidate(
                rule=rule, key=str(result.provider_id), subject_org_id=result.provider_id,
                severity="high" if value < minimum - CONTRACT_HIGH_MARGIN else "medium",
                summary=(f"{row.provider_name}'s {label} is {value:.1%} from "
                         f"{period.period_from} to {period.period_to}, below the contract's "
                         f"minimum of {minimum:.0%}."),
                evidence={**period.as_evidence(), "value": value, "minimum": minimum}))
        if period.rag(row) == "red":
            summary = (f"{row.provider_name}'s job-outcome rate is {(row.rate or 0):.1%} "
                       f"({row.outcomes:,} of {row.eligible:,} eligible), below the 99.8% "
                       f"funnel limit of {(row.funnel_lower_998 or 0):.1%} for its case "
                       "mix (red).")
            if period.rag_basis == "overdispersed":
                summary = (f"{row.provider_name}'s performance index is "
                           f"{(row.performance_index or 0):.2f} ({row.outcomes:,} outcomes "
                           f"against {row.expected:,.1f} expected for its case mix), below "
                           f"the 99.8% limit of {(row.pi_lower_998 or 0):.2f} allowing for "
                           "the variation between providers (red).")
            found.append(FlagCandidate(
                rule="CC-RAG", key=str(result.provider_id), subject_org_id=result.provider_id,
                severity="high",
                summary=summary,
                evidence={**period.as_evidence(), **_row_evidence(row)}))
    return found
