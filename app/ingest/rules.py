"""The validation rules of DOMAIN.md section 3, as pure functions over a participant's state.

`check(event, state, contract)` returns the reasons an event is refused (empty when it is
valid); `apply(event, state)` folds an accepted event into the state. The service loads the
state of a batch's participants from their stored events, then checks and applies the batch's
events in order, so rules never query the database.
"""

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.ingest.schemas import EventIn
from app.models.contracts import MemberStatus
from app.models.participants import CLOSING_RESULTS
from app.performance.cohorts import months_to_outcome
from app.performance.milestones import ScheduledCheck, SpellCheckRule, scheduled_checks
from app.performance.payments import Tariff
from app.supply_chain.schemas import TariffRowRead

ACTIVE_MEMBER_STATUSES: tuple[MemberStatus, ...] = ("active", "on_improvement_plan")


@dataclass
class ContractRules:
    """What the rules need to know of one contract."""

    contract_id: int
    prime_id: int
    start_date: date
    tariff: Tariff
    member_status: dict[int, MemberStatus]  # provider id -> current membership status
    spell_checks: dict[str, SpellCheckRule]  # milestone code -> when it falls due
    sustainment_interval_days: int
    member_tier: dict[int, int] = field(default_factory=dict)  # provider id -> tier
    interventions: tuple[str, ...] = ()
    assessment_areas: tuple[str, ...] = ()


@dataclass
class Spell:
    start: date
    end: date | None = None


@dataclass
class SpecialistReferralState:
    """One specialist referral of the participant (DOMAIN.md section 12) and its outcomes."""

    specialist_id: int
    intervention: str
    referral_date: date
    fee: Decimal | None = None
    started_on: date | None = None
    closed_on: date | None = None  # the closing outcome's date; None while open
    closing_result: str | None = None


@dataclass
class ParticipantState:
    participant_ref: str
    provider_id: int
    payment_group: str
    referral_date: date
    participant_id: int | None = None  # None until the participant row is written
    attachment_date: date | None = None
    spells: list[Spell] = field(default_factory=list)  # sorted by start
    outcome_date: date | None = None
    sustainments: set[int] = field(default_factory=set)
    # (milestone, start of the spell it matched) -> (checked on, result)
    checks: dict[tuple[str, date], tuple[date, str | None]] = field(default_factory=dict)
    exit_date: date | None = None
    exit_reason: str | None = None
    specialist_referrals: list[SpecialistReferralState] = field(default_factory=list)

    def open_referral(self, specialist_id: int | None,
                      intervention: str | None) -> SpecialistReferralState | None:
        return next((r for r in self.specialist_referrals
                     if r.specialist_id == specialist_id and r.intervention == intervention
                     and r.closed_on is None), None)

    def referred_to(self, org_id: int | None) -> bool:
        """Whether the participant was ever referred to this organisation as a specialist."""
        return any(r.specialist_id == org_id for r in self.specialist_referrals)

    def days_in_work(self, on: date) -> int:
        """Length of the union of job spells up to `on` (DOMAIN.md's sum when spells do not
        overlap; two concurrent jobs are not counted twice)."""
        total, covered_to = 0, None
        for spell in self.spells:  # sorted by start, so coverage only grows
            start, end = spell.start, min(spell.end or on, on)
            if covered_to is not None and start < covered_to:
                start = covered_to
            if end > start:
                total += (end - start).days
                covered_to = end
        return total

    def spell_on(self, day: date) -> Spell | None:
        """The spell with the latest start on or before `day`."""
        candidates = [s for s in self.spells if s.start <= day]
        return candidates[-1] if candidates else None


def check(event: EventIn, state: ParticipantState | None, contract: ContractRules,
          submitter_org_id: int | None, today: date) -> list[str]:
    """Reasons to refuse `event`; `state` is None when the participant is not yet referred.
    `submitter_org_id` is None for an admin."""
    errors: list[str] = []
    if event.event_date > today:
        errors.append(f"event_date: after today ({today}); events cannot be dated in the future")
    if event.event_date < contract.start_date:
        errors.append(f"event_date: {event.event_date} is before the contract's start on "
                      f"{contract.start_date}")
    if event.type == "referral":
        errors += _check_referral(event, state, contract, submitter_org_id)
        return errors
    provider_side = state is not None and visible_to_submitter(state, contract,
                                                                submitter_org_id)
    specialist_side = (not provider_side and state is not None
                       and state.referred_to(submitter_org_id))
    if state is None or not (provider_side or specialist_side):
        # The same answer whether the participant is unknown or another provider's, so that
        # others' participants are not revealed.
        return errors + [f"participant_ref: no referral for this participant in contract "
                         f"{contract.contract_id} (send the referral first, or in the same "
                         "batch)"]
    if event.event_date < state.referral_date:
        errors.append(f"event_date: before the participant's referral on {state.referral_date}")
    who = _who_may_report(event, specialist_side, submitter_org_id)
    if who:
        return errors + [who]
    errors += RULES[event.type](event, state, contract)
    return errors


def _who_may_report(event: EventIn, specialist_side: bool,
                    submitter_org_id: int | None) -> str | None:
    """DOMAIN.md section 12: the participant's provider (or the prime) sends its journey,
    specialist referrals and assessments; a specialist sends only the outcomes of the
    referrals to it, under its own id. An admin may send any (a backfill)."""
    if specialist_side:
        if event.type != "specialist_outcome":
            return ("type: a specialist reports only specialist_outcome events for the "
                    "participants referred to it")
        if event.specialist_id != submitter_org_id:
            return (f"specialist_id: a specialist reports outcomes under its own id "
                    f"({submitter_org_id})")
    elif (event.type == "specialist_outcome" and submitter_org_id is not None
          and event.specialist_id != submitter_org_id):
        return (f"type: only the specialist ({event.specialist_id}) reports the outcomes of "
                "its referrals")
    return None


def visible_to_submitter(state: ParticipantState, contract: ContractRules,
                         submitter_org_id: int | None) -> bool:
    """Only the allocated provider or the contract's prime may report (None: an admin)."""
    return submitter_org_id is None or submitter_org_id in (state.provider_id, contract.prime_id)


def hidden_clash(event: EventIn, state: ParticipantState | None, contract: ContractRules,
                 submitter_org_id: int | None) -> bool:
    """Whether `event` refers a reference that an organisation the submitter may not see
    holds. `check` says nothing of it: the service tells it (`reference_taken`) only where a
    free reference's events would really be stored, so that a refusal for any other reason
    answers exactly as for a reference nobody holds (docs/decisions.md, "Another
    organisation's participant")."""
    return (event.type == "referral" and state is not None
            and not visible_to_submitter(state, contract, submitter_org_id))


def reference_taken(contract: ContractRules) -> str:
    """The one answer to a hidden clash: no holder, no date, nothing of the participant."""
    return (f"participant_ref: not available for a new referral in contract "
            f"{contract.contract_id}; references are unique in a contract, so use another "
            "(the prime can resolve a clash)")


def _check_referral(event: EventIn, state: ParticipantState | None, contract: ContractRules,
                    submitter_org_id: int | None) -> list[str]:
    errors = []
    assert event.provider_id is not None and event.payment_group is not None
    if state is not None and visible_to_submitter(state, contract, submitter_org_id):
        errors.append(f"participant_ref: already referred in contract {contract.contract_id}"
                      f" (on {state.referral_date})")
    if submitter_org_id not in (None, contract.prime_id, event.provider_id):
        errors.append("provider_id: a provider may refer participants only to itself")
    elif (event.provider_id != contract.prime_id
          and contract.member_status.get(event.provider_id) not in ACTIVE_MEMBER_STATUSES):
        status = contract.member_status.get(event.provider_id)
        why = f"its membership is {status}" if status else "it is not a member"
        errors.append(f"provider_id: {event.provider_id} cannot take referrals in contract "
                      f"{contract.contract_id}: {why}")
    if event.payment_group not in contract.tariff.rows:
        errors.append(f"payment_group: {event.payment_group} is not in contract "
                      f"{contract.contract_id}'s tariff")
    return errors


def _check_attachment(event: EventIn, state: ParticipantState, _c: ContractRules) -> list[str]:
    if state.attachment_date is not None:
        return [f"type: the participant is already attached (on {state.attachment_date})"]
    return []


def _check_job_start(event: EventIn, state: ParticipantState, _c: ContractRules) -> list[str]:
    if state.attachment_date is None:
        return ["type: a job_start needs the participant's attachment first"]
    if event.event_date < state.attachment_date:
        return [f"event_date: before the participant's attachment on {state.attachment_date}"]
    if any(s.start == event.event_date for s in state.spells):
        return [f"event_date: a job spell starting on {event.event_date} is already reported"]
    return []


def _check_job_end(event: EventIn, state: ParticipantState, _c: ContractRules) -> list[str]:
    if _open_spell_on(state, event.event_date) is None:
        return ["type: no open job spell started on or before this job_end"]
    return []


def _open_spell_on(state: ParticipantState, day: date) -> Spell | None:
    open_spells = [s for s in state.spells if s.end is None and s.start <= day]
    return open_spells[-1] if open_spells else None


def _check_in_work_check(event: EventIn, state: ParticipantState,
                         contract: ContractRules) -> list[str]:
    assert event.milestone is not None
    code = event.milestone
    terms = contract.tariff.structure(state.payment_group, event.event_date)
    if code.startswith("S"):
        number = int(code[1:])
        limit = terms.max_sustainments if terms else 0
        if not 1 <= number <= limit:
            return [f"milestone: {code} is not in the schedule for {state.payment_group} "
                    f"(S1..S{limit})"]
        if state.outcome_date is None:
            return [f"milestone: {code} checks follow a job outcome; none is reported"]
    else:
        rule = contract.spell_checks.get(code)
        if rule is None or not _applies(rule, terms):
            codes = ", ".join(c for c, r in contract.spell_checks.items() if _applies(r, terms))
            return [f"milestone: {code} is not in the contract's schedule for "
                    f"{state.payment_group} ({codes}, S1..)"]
    spell = state.spell_on(event.event_date)
    if spell is None:
        return ["event_date: no job spell started on or before this check"]
    if (code, spell.start) in state.checks:
        return [f"milestone: {code} is already checked for the job spell starting {spell.start}"]
    return []


def _applies(rule: SpellCheckRule, terms: TariffRowRead | None) -> bool:
    return (rule.min_outcome_weeks is None or terms is None
            or terms.outcome_weeks >= rule.min_outcome_weeks)


def _check_job_outcome(event: EventIn, state: ParticipantState,
                       contract: ContractRules) -> list[str]:
    if state.outcome_date is not None:
        return [f"type: the participant already has a job outcome (on {state.outcome_date})"]
    terms = contract.tariff.in_force(state.payment_group, event.event_date)
    if terms is None:
        return [f"event_date: no tariff row for {state.payment_group} is in force on "
                f"{event.event_date}"]
    needed = 7 * terms.outcome_weeks
    worked = state.days_in_work(event.event_date)
    if worked < needed:
        return [f"event_date: {worked} days in work by then; a job outcome for "
                f"{state.payment_group} needs {needed} ({terms.outcome_weeks} weeks)"]
    return []


def _check_sustainment(event: EventIn, state: ParticipantState,
                       contract: ContractRules) -> list[str]:
    assert event.number is not None
    number = event.number
    if state.outcome_date is None:
        return ["type: a sustainment needs the job outcome first"]
    terms = contract.tariff.in_force(state.payment_group, event.event_date)
    limit = terms.max_sustainments if terms else 0
    if number > limit:
        return [f"number: {number} is above the {limit} sustainments of {state.payment_group}"]
    if number in state.sustainments:
        return [f"number: sustainment {number} is already reported"]
    if number > 1 and number - 1 not in state.sustainments:
        return [f"number: sustainment {number} needs sustainment {number - 1} first"]
    earliest = state.outcome_date + timedelta(days=contract.sustainment_interval_days * number)
    if event.event_date < earliest:
        return [f"event_date: sustainment {number} is not due before {earliest} (the outcome "
                f"on {state.outcome_date} + {contract.sustainment_interval_days} x {number} "
                "days)"]
    return []


def _check_exit(event: EventIn, state: ParticipantState, _c: ContractRules) -> list[str]:
    if state.exit_date is not None:
        return [f"type: the participant already exited (on {state.exit_date})"]
    return []


def _check_specialist_referral(event: EventIn, state: ParticipantState,
                               contract: ContractRules) -> list[str]:
    assert event.specialist_id is not None and event.intervention is not None
    errors = []
    specialist, intervention = event.specialist_id, event.intervention
    status = contract.member_status.get(specialist)
    if contract.member_tier.get(specialist) != 2:
        errors.append(f"specialist_id: {specialist} is not a tier-2 (specialist) member of "
                      f"contract {contract.contract_id}")
    elif status not in ACTIVE_MEMBER_STATUSES:
        errors.append(f"specialist_id: {specialist} cannot take specialist referrals in "
                      f"contract {contract.contract_id}: its membership is {status}")
    elif specialist == state.provider_id:
        errors.append("specialist_id: the participant's own provider cannot be its specialist")
    if intervention not in contract.interventions:
        errors.append(f"intervention: {intervention} is not one of contract "
                      f"{contract.contract_id}'s interventions "
                      f"({', '.join(contract.interventions)})")
    still_open = state.open_referral(specialist, intervention)
    if still_open is not None:
        errors.append(f"intervention: the participant's {intervention} referral to specialist "
                      f"{specialist} on {still_open.referral_date} is still open; its outcome "
                      "comes before another referral")
    return errors


def _check_specialist_outcome(event: EventIn, state: ParticipantState,
                              _c: ContractRules) -> list[str]:
    specialist, intervention = event.specialist_id, event.intervention
    referral = state.open_referral(specialist, intervention)
    if referral is None:
        closed = [r for r in state.specialist_referrals
                  if r.specialist_id == specialist and r.intervention == intervention]
        if closed:
            last = closed[-1]
            return [f"intervention: the {intervention} referral to specialist {specialist} "
                    f"on {last.referral_date} is closed ({last.closing_result} on "
                    f"{last.closed_on}); an outcome follows an open referral"]
        return [f"intervention: no {intervention} referral of this participant to specialist "
                f"{specialist}; an outcome follows a referral"]
    if event.event_date < referral.referral_date:
        return [f"event_date: before the {intervention} referral to specialist {specialist} "
                f"on {referral.referral_date}"]
    if referral.started_on is not None:
        if event.result == "started":
            return [f"result: the {intervention} referral is already started (on "
                    f"{referral.started_on})"]
        if event.event_date < referral.started_on:
            return [f"event_date: before the {intervention} referral's start on "
                    f"{referral.started_on}"]
    return []


def _check_assessment(event: EventIn, _s: ParticipantState,
                      contract: ContractRules) -> list[str]:
    assert event.scores is not None
    return [f"scores: {area} is not one of contract {contract.contract_id}'s assessment areas "
            f"({', '.join(contract.assessment_areas)})"
            for area in event.scores if area not in contract.assessment_areas]


RULES = {
    "attachment": _check_attachment,
    "job_start": _check_job_start,
    "job_end": _check_job_end,
    "in_work_check": _check_in_work_check,
    "job_outcome": _check_job_outcome,
    "sustainment": _check_sustainment,
    "exit": _check_exit,
    "specialist_referral": _check_specialist_referral,
    "specialist_outcome": _check_specialist_outcome,
    "assessment": _check_assessment,
}


def summary(state: ParticipantState) -> dict[str, object]:
    """The participant row's summary columns for this state."""
    return {
        "attachment_date": state.attachment_date,
        "first_job_start_date": state.spells[0].start if state.spells else None,
        "outcome_date": state.outcome_date,
        "months_to_outcome": (months_to_outcome(state.referral_date, state.outcome_date)
                              if state.outcome_date is not None else None),
        "sustainments": len(state.sustainments),
        "exit_date": state.exit_date,
        "exit_reason": state.exit_reason,
    }


def new_state(event: EventIn) -> ParticipantState:
    assert event.provider_id is not None and event.payment_group is not None
    return ParticipantState(participant_ref=event.participant_ref, provider_id=event.provider_id,
                            payment_group=event.payment_group, referral_date=event.event_date)


def apply(state: ParticipantState, type_: str, day: date, milestone: str | None = None,
          number: int | None = None, reason: str | None = None,
          result: str | None = None, specialist_id: int | None = None,
          intervention: str | None = None, fee: Decimal | None = None) -> None:
    """Fold an accepted (non-referral) event into the participant's state. Takes plain fields so
    that stored events fold the same way as new ones."""
    if type_ == "attachment":
        state.attachment_date = day
    elif type_ == "job_start":
        bisect.insort(state.spells, Spell(start=day), key=lambda s: s.start)
    elif type_ == "job_end":
        spell = _open_spell_on(state, day)
        assert spell is not None
        spell.end = day
    elif type_ == "in_work_check":
        spell = state.spell_on(day)
        assert spell is not None and milestone is not None
        state.checks[(milestone, spell.start)] = (day, result)
    elif type_ == "job_outcome":
        state.outcome_date = day
    elif type_ == "sustainment":
        assert number is not None
        state.sustainments.add(number)
    elif type_ == "exit":
        state.exit_date, state.exit_reason = day, reason
    elif type_ == "specialist_referral":
        assert specialist_id is not None and intervention is not None
        state.specialist_referrals.append(SpecialistReferralState(
            specialist_id=specialist_id, intervention=intervention, referral_date=day,
            fee=fee))
    elif type_ == "specialist_outcome":
        referral = state.open_referral(specialist_id, intervention)
        assert referral is not None
        if result == "started":
            referral.started_on = day
        elif result in CLOSING_RESULTS:
            referral.closed_on, referral.closing_result = day, result


def owed_checks(state: ParticipantState, contract: ContractRules) -> list[ScheduledCheck]:
    """The in-work checks the participant owes, from its state (DOMAIN.md section 4)."""
    at_referral = contract.tariff.structure(state.payment_group, state.referral_date)
    at_outcome = (contract.tariff.structure(state.payment_group, state.outcome_date)
                  if state.outcome_date else None)
    return scheduled_checks(
        spells=[(s.start, s.end) for s in state.spells], outcome_date=state.outcome_date,
        exit_date=state.exit_date, checks=state.checks, spell_checks=contract.spell_checks,
        outcome_weeks=at_referral.outcome_weeks if at_referral else 0,
        max_sustainments=at_outcome.max_sustainments if at_outcome else 0,
        sustainment_interval_days=contract.sustainment_interval_days)
