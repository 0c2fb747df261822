"""Idempotent, validated, atomic (or partial) application of a batch of events.

One batch is one transaction. Under a per-contract lock (PostgreSQL advisory lock; SQLite's
write lock taken at BEGIN) the service loads the state of the batch's participants from their
stored events, checks and applies the batch in API order (type, then date), and writes the
accepted events, new participants and updated participant summaries with one multi-row
statement each. A rejected atomic batch writes nothing.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.permissions import authorize
from app.auth.principal import Principal
from app.auth.scope import Scope
from app.core.bulk import (
    add_counts,
    array_literal,
    column_in,
    insert_rows,
    is_postgresql,
    select_by_unique_key,
)
from app.core.changes import Kind, publish
from app.core.config import get_settings
from app.core.db import SQLITE_IMMEDIATE
from app.core.errors import Invalid
from app.core.pagination import PageParams, paginate
from app.core.timeutil import local_date, utcnow
from app.ingest import rules
from app.ingest.schemas import SAME_DAY_ORDER, SECTION_3_FIELD_COUNT, TYPE_ORDER, EventIn
from app.models import (
    Contract,
    Event,
    Membership,
    Milestone,
    PaidEventCount,
    Participant,
    SpecialistReferral,
)
from app.models.participants import CHARACTERISTICS, SPECIALIST_EVENT_TYPES
from app.performance import daily_totals
from app.performance.milestones import SpellCheckRule, check_timing
from app.performance.payments import PAID_EVENT_TYPES, tariff_of
from app.supply_chain.schemas import MilestoneSchedule
from app.supply_chain.service import contract_settings

_CHUNK = 2000  # keys per IN (...) list: far below SQLite's and psycopg's parameter limits
_ATTEMPTS = 2


def _participant_lock_key(contract_id: int, participant_ref: str) -> int:
    digest = hashlib.blake2b(f"{contract_id}/{participant_ref}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


_FRIENDLY_PATTERN = {
    "event_id": "must not start with = + - @ or whitespace, nor hold control characters",
    "participant_ref": "only letters, digits, '-' and '_' (a pseudonymous reference)",
    "milestone": "D<days> or S<number>, e.g. D28 or S3",
}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, index: int, event_id: Any, errors: list[str],
               lines: Sequence[int] | None) -> None:
        entry: dict[str, Any] = {"index": index,
                                 "event_id": event_id if isinstance(event_id, str) else None,
                                 "errors": errors}
        if lines is not None:
            entry["line"] = lines[index]
        self.rejected.append(entry)


def validation_messages(exc: ValidationError) -> list[str]:
    """Pydantic errors as 'field: reason' strings."""
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch" and where in _FRIENDLY_PATTERN:
            reason = _FRIENDLY_PATTERN[where]
        elif error["type"] == "extra_forbidden" and error["loc"][0] == "characteristics":
            reason = f"not a characteristic (the known ones: {', '.join(CHARACTERISTICS)})"
        elif error["type"] == "extra_forbidden":
            reason = "unknown field"
        elif error["type"] == "model_type" and where == "characteristics":
            reason = f"must be an object with any of {', '.join(CHARACTERISTICS)}"
        elif error["type"] == "dict_type" and where == "scores":
            reason = 'must be a JSON object of area: score 1..10, e.g. {"confidence": 4}'
        elif error["type"] == "string_pattern_mismatch" and where.startswith("scores."):
            where, reason = "scores", (f"{error['loc'][1]!r} is not an area code (lower-case "
                                       "letters, digits and _)")
        elif error["type"] == "missing":
            reason = "required"
        if where:
            messages.append(f"{where}: {reason}")
        else:  # a whole-event rule; it names its fields itself
            messages.extend(reason.split("; "))
    return messages


def content_hash(event: EventIn) -> str:
    """A digest of the event's validated content: the same event sent twice, in JSON or CSV,
    with any key order or spacing, gives the same digest."""
    values = tuple(event.__dict__.values())  # the fields, in declaration order
    values, section_12 = values[:SECTION_3_FIELD_COUNT], values[SECTION_3_FIELD_COUNT:]
    if event.characteristics is None:
        # As before characteristics existed (the last field of section 3's), so that a
        # referral stored then and sent again is a duplicate, not "reused with different
        # content".
        values = values[:-1]
    if any(value is not None for value in section_12):
        # Likewise the fields of DOMAIN.md section 12 count only on the events that carry them.
        values += section_12
    canonical = repr(values)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def ingest_events(session: Session, principal: Principal, raw_events: Sequence[Any], *,
                  partial: bool = False, lines: Sequence[int] | None = None) -> IngestResult:
    """Validate and store a batch. `lines` gives each event's CSV line for error reports."""
    authorize(principal, "events.submit")
    limit = get_settings().max_batch_events
    if len(raw_events) > limit:
        raise Invalid(f"body: at most {limit} events per batch; this one has {len(raw_events)}")
    invalid = IngestResult()
    parsed: list[tuple[int, EventIn]] = []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            invalid.reject(index, None, ["event: must be a JSON object"], lines)
            continue
        try:
            parsed.append((index, EventIn.model_validate(raw)))
        except ValidationError as exc:
            invalid.reject(index, raw.get("event_id"), validation_messages(exc), lines)
    # Hashed here, not under the write lock that the transaction below takes.
    digests = {index: content_hash(event) for index, event in parsed}

    for attempt in range(_ATTEMPTS):
        result = IngestResult(rejected=list(invalid.rejected))
        try:
            _apply_in_one_transaction(session, principal, parsed, digests, result, partial,
                                      lines)
            break
        except IntegrityError:
            # A concurrent batch of the same organisation stored one of these event_ids for
            # another participant first: try again, and it will be seen as sent already.
            if attempt == _ATTEMPTS - 1:
                raise
    result.rejected.sort(key=lambda r: r["index"])
    if result.rejected and not partial:
        return IngestResult(accepted=0, duplicates=0, rejected=result.rejected)
    return result


def _apply_in_one_transaction(session: Session, principal: Principal,
                              parsed: list[tuple[int, EventIn]], digests: dict[int, str],
                              result: IngestResult, partial: bool,
                              lines: Sequence[int] | None) -> None:
    session.rollback()  # end any read transaction so that the write one begins here, locked
    session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        batch = _Batch(session, principal, parsed, utcnow())
        staged = batch.apply(digests, result, lines, partial)
        if result.rejected and not partial:
            session.rollback()
            return
        batch.write(staged)
        for contract_id in sorted({event.contract_id for event, _ in staged}):
            publish(session, contract_id, Kind.EVENTS)
        session.commit()
    except BaseException:
        session.rollback()
        raise


class _Batch:
    """One batch's contracts, idempotency keys and participant states, loaded under lock."""

    def __init__(self, session: Session, principal: Principal,
                 parsed: list[tuple[int, EventIn]], received_at: datetime) -> None:
        self.session = session
        self.principal = principal
        self.parsed = parsed
        self.received_at = received_at
        self.today = local_date(received_at)
        self._lock_participants()
        self.contracts, self.daily_terms = self._load_contracts(
            sorted({event.contract_id for _, event in parsed}))
        self.existing_hashes = self._load_existing_hashes()
        self.states, self.loaded_summaries = self._load_states()

    # -- loading -----------------------------------------------------------------------------
    def _lock_participants(self) -> None:
        """Serialise concurrent batches that touch the same participant (PostgreSQL; SQLite
        has one writer at a time). Keys are taken in sorted order, so batches never deadlock."""
        if not is_postgresql(self.session):
            return
        participants = {(e.contract_id, e.participant_ref) for _, e in self.parsed}
        keys = sorted(_participant_lock_key(*participant) for participant in participants)
        self.session.execute(text(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": array_literal(keys)})

    def _load_contracts(self, contract_ids: list[int]
                        ) -> tuple[dict[int, rules.ContractRules],
                                   dict[int, daily_totals.DailyTerms]]:
        found = self.session.scalars(Scope(self.principal).contracts(
            select(Contract).where(Contract.id.in_(contract_ids)))).all()
        return ({contract.id: contract_rules(self.session, contract) for contract in found},
                {contract.id: daily_totals.terms_of(contract)
                 for contract in found})

    def submitter_org(self, event: EventIn) -> int:
        """Whose idempotency key space the event is in: an admin's go to the contract's prime."""
        if self.principal.organisation_id is not None:
            return self.principal.organisation_id
        return self.contracts[event.contract_id].prime_id

    def _load_existing_hashes(self) -> dict[tuple[int, str], str]:
        keys = {(self.submitter_org(e), e.event_id) for _, e in self.parsed
                if e.contract_id in self.contracts}
        found: dict[tuple[int, str], str] = {}
        for org_id in {org for org, _ in keys}:
            ids = sorted(event_id for org, event_id in keys if org == org_id)
            for chunk in _chunks(ids):
                for event_id, digest in self.session.execute(select_by_unique_key(
                        self.session, (Event.event_id, Event.content_hash), Event.event_id,
                        chunk, Event.submitted_by_org_id == org_id)):
                    found[(org_id, event_id)] = digest
        return found

    def _load_states(self) -> tuple[dict[tuple[int, str], rules.ParticipantState],
                                    dict[int, dict[str, object]]]:
        wanted: dict[int, set[str]] = {}
        for _, event in self.parsed:
            if event.contract_id in self.contracts:
                wanted.setdefault(event.contract_id, set()).add(event.participant_ref)
        states: dict[tuple[int, str], rules.ParticipantState] = {}
        by_id: dict[int, rules.ParticipantState] = {}
        for contract_id, refs in wanted.items():
            for chunk in _chunks(sorted(refs)):
                for p in self.session.execute(select_by_unique_key(
                        self.session, _STATE_COLUMNS, Participant.participant_ref, chunk,
                        Participant.contract_id == contract_id)):
                    state = _state_of(p)
                    states[(contract_id, p.participant_ref)] = state
                    by_id[p.id] = state
        _fold_stored_events(self.session, by_id)
        summaries = {pid: rules.summary(state) for pid, state in by_id.items()}
        return states, summaries

    # -- checking ----------------------------------------------------------------------------
    def apply(self, digests: dict[int, str], result: IngestResult,
              lines: Sequence[int] | None, partial: bool) -> list[tuple[EventIn, str]]:
        """Check each event in API order; return the accepted ones with their content hash
        (`digests`, by the event's index in the batch).

        A referral of a reference held by an organisation the submitter may not see (a hidden
        clash) is refused only where a free reference would be stored: in a partial batch when
        the referral is otherwise valid; in an atomic batch when nothing else in it is
        refused. Until then it is judged, with its participant's later events, as if the
        reference were free, so every other answer is the one a free reference gets."""
        staged: list[tuple[EventIn, str]] = []
        clashes: list[tuple[int, EventIn]] = []
        seen_in_batch: dict[tuple[int, str], tuple[str, int, bool]] = {}
        rules_org = None if self.principal.is_admin else self.principal.organisation_id
        ordered = sorted(self.parsed, key=lambda item: (
            TYPE_ORDER[item[1].type], item[1].event_date, SAME_DAY_ORDER.get(item[1].type, 0),
            item[0]))
        for index, event in ordered:
            contract = self.contracts.get(event.contract_id)
            if contract is None:
                result.reject(index, event.event_id,
                              [f"contract_id: contract {event.contract_id} not found"], lines)
                continue
            digest = digests[index]
            key = (self.submitter_org(event), event.event_id)
            if key in self.existing_hashes:
                if self.existing_hashes[key] == digest:
                    result.duplicates += 1
                else:
                    result.reject(index, event.event_id,
                                  ["event_id: reused with different content"], lines)
                continue
            if key in seen_in_batch:
                first_digest, first_index, first_accepted = seen_in_batch[key]
                if first_digest != digest:
                    result.reject(index, event.event_id,
                                  ["event_id: reused with different content"], lines)
                elif first_accepted:
                    result.duplicates += 1
                else:
                    result.reject(index, event.event_id, [
                        f"event_id: repeats the event at index {first_index}, which is "
                        "rejected"], lines)
                continue
            errors = []
            if event.reported_at is not None and not self.principal.is_admin:
                errors.append("reported_at: only an admin's backfill may carry reported_at")
            state = self.states.get((event.contract_id, event.participant_ref))
            errors += rules.check(event, state, contract, rules_org, self.today)
            clash = not errors and rules.hidden_clash(event, state, contract, rules_org)
            if clash and partial:
                errors = [rules.reference_taken(contract)]
            seen_in_batch[key] = (digest, index, not errors)
            if errors:
                result.reject(index, event.event_id, errors, lines)
                continue
            if clash:
                clashes.append((index, event))
            if event.type == "referral":
                # A clash's stand-in state is never written: the atomic batch is refused below.
                self.states[(event.contract_id, event.participant_ref)] = rules.new_state(event)
            else:
                assert state is not None
                rules.apply(state, event.type, event.event_date, event.milestone, event.number,
                            event.reason, event.result, event.specialist_id,
                            event.intervention, event.fee)
            staged.append((event, digest))
            result.accepted += 1
        if clashes and not result.rejected:
            for index, event in clashes:
                result.reject(index, event.event_id,
                              [rules.reference_taken(self.contracts[event.contract_id])], lines)
        return staged

    # -- writing -----------------------------------------------------------------------------
    def write(self, staged: list[tuple[EventIn, str]]) -> None:
        referrals = [e for e, _ in staged if e.type == "referral"]
        new_keys = [(e.contract_id, e.participant_ref) for e in referrals]
        rows = []
        for referral, (contract_id, ref) in zip(referrals, new_keys, strict=True):
            state = self.states[(contract_id, ref)]
            rows.append({"contract_id": contract_id, "participant_ref": ref,
                         "provider_id": state.provider_id, "payment_group": state.payment_group,
                         "referral_date": state.referral_date, "created_at": self.received_at,
                         **characteristic_columns(referral), **rules.summary(state)})
        new_ids = insert_rows(self.session, _table(Participant), rows, return_ids=True)
        for key, participant_id in zip(new_keys, new_ids, strict=True):
            self.states[key].participant_id = participant_id
        changed = []
        for state in self.states.values():
            if state.participant_id in self.loaded_summaries:
                now = rules.summary(state)
                if now != self.loaded_summaries[state.participant_id]:
                    changed.append({"id": state.participant_id, **now})
        if changed:
            self.session.execute(update(Participant), changed)
        event_rows = [self._event_row(event, digest) for event, digest in staged]
        insert_rows(self.session, _table(Event), event_rows)
        self._write_specialist_referrals(staged)
        _add_paid_counts(self.session, event_rows)
        deltas = daily_totals.DailyDeltas()
        deltas.add_events(event_rows, self.daily_terms)
        touched = [(key[0], self.states[key])
                   for key in {(e.contract_id, e.participant_ref) for e, _ in staged}]
        _replace_milestones(
            self.session, [s.participant_id for _, s in touched
                           if s.participant_id in self.loaded_summaries],
            [row for contract_id, state in touched
             for row in _milestone_rows(contract_id, state, self.contracts[contract_id])],
            deltas)
        deltas.write(self.session)

    def _write_specialist_referrals(self, staged: list[tuple[EventIn, str]]) -> None:
        """Replace the specialist_referrals rows of the participants this batch referred to
        a specialist or reported a specialist outcome for (few: most batches touch none)."""
        touched = {(e.contract_id, e.participant_ref) for e, _ in staged
                   if e.type in SPECIALIST_EVENT_TYPES}
        if not touched:
            return
        states = [(key[0], self.states[key]) for key in sorted(touched)]
        stored = [s.participant_id for _, s in states if s.participant_id in self.loaded_summaries]
        for chunk in _chunks(stored):
            self.session.execute(delete(SpecialistReferral).where(
                column_in(self.session, SpecialistReferral.participant_id, chunk)))
        insert_rows(self.session, _table(SpecialistReferral), [
            {"contract_id": contract_id, "participant_id": state.participant_id,
             "provider_id": state.provider_id, "specialist_id": r.specialist_id,
             "intervention": r.intervention, "fee": r.fee, "referral_date": r.referral_date,
             "started_on": r.started_on, "closed_on": r.closed_on,
             "closing_result": r.closing_result}
            for contract_id, state in states for r in state.specialist_referrals])

    def _event_row(self, event: EventIn, digest: str) -> dict[str, Any]:
        state = self.states[(event.contract_id, event.participant_ref)]
        return {
            "submitted_by_org_id": self.submitter_org(event),
            "submitted_by_user_id": self.principal.user_id,
            "event_id": event.event_id, "content_hash": digest,
            "contract_id": event.contract_id, "participant_id": state.participant_id,
            "type": event.type, "event_date": event.event_date,
            "received_at": self.received_at, "reported_at": event.reported_at,
            "lag_days": ((local_date(event.reported_at) if event.reported_at
                          else self.today) - event.event_date).days,
            "payment_group": state.payment_group, "provider_id": state.provider_id,
            "hours_per_week": event.hours_per_week, "milestone": event.milestone,
            "result": event.result, "number": event.number, "reason": event.reason,
            "specialist_id": event.specialist_id, "intervention": event.intervention,
            "fee": event.fee, "scores": event.scores,
            **characteristic_columns(event),
        }


_UNKNOWN: dict[str, str | None] = dict.fromkeys(CHARACTERISTICS)


def characteristic_columns(event: EventIn) -> dict[str, str | None]:
    """The five characteristic columns of an event's (and a referral's participant's) row;
    every row has all five, so that a bulk insert writes the same columns for each."""
    return event.characteristics.columns() if event.characteristics else _UNKNOWN


_PAID_KEY = ("contract_id", "event_date", "provider_id", "payment_group", "type")


def _add_paid_counts(session: Session, event_rows: list[dict[str, Any]]) -> None:
    """Add the batch's paid events to paid_event_counts, in key order so that concurrent
    batches lock shared rows in the same order (no deadlock)."""
    paid = Counter((row["contract_id"], row["event_date"], row["provider_id"],
                    row["payment_group"], row["type"])
                   for row in event_rows if row["type"] in PAID_EVENT_TYPES)
    add_counts(session, _table(PaidEventCount), _PAID_KEY, ("events",),
               [{**dict(zip(_PAID_KEY, values, strict=True)), "events": events}
                for values, events in sorted(paid.items())])


def contract_rules(session: Session, contract: Contract) -> rules.ContractRules:
    """What the validation rules and the check schedule need to know of a contract."""
    schedule = MilestoneSchedule.model_validate(contract.milestone_schedule)
    tiers: dict[int, int] = {}
    statuses = {}
    for provider_id, status, tier in session.execute(
            select(Membership.provider_id, Membership.status, Membership.tier)
            .where(Membership.contract_id == contract.id)):
        statuses[provider_id], tiers[provider_id] = status, tier
    settings = contract_settings(contract)
    return rules.ContractRules(
        contract_id=contract.id, prime_id=contract.prime_id, start_date=contract.start_date,
        tariff=tariff_of(contract.tariff_rows),
        member_status=statuses, member_tier=tiers,
        interventions=tuple(settings.interventions),
        assessment_areas=tuple(settings.assessment_areas),
        spell_checks={c.milestone: SpellCheckRule(c.days, c.min_outcome_weeks)
                      for c in schedule.spell_checks},
        sustainment_interval_days=schedule.sustainment_interval_days)


_STATE_COLUMNS = (Participant.id, Participant.participant_ref, Participant.provider_id,
                  Participant.payment_group, Participant.referral_date)


def _state_of(participant: Any) -> rules.ParticipantState:
    """A participant's state before its events: from a Participant or a row of
    _STATE_COLUMNS."""
    return rules.ParticipantState(
        participant_ref=participant.participant_ref, provider_id=participant.provider_id,
        payment_group=participant.payment_group, referral_date=participant.referral_date,
        participant_id=participant.id)


def _fold_stored_events(session: Session, by_id: dict[int, rules.ParticipantState]) -> None:
    """Bring each participant's state up to date with its stored events."""
    stored: list[Any] = []
    for chunk in _chunks(sorted(by_id)):
        stored.extend(session.execute(
            select(Event.participant_id, Event.type, Event.event_date, Event.milestone,
                   Event.number, Event.reason, Event.result, Event.id, Event.specialist_id,
                   Event.intervention, Event.fee)
            .where(column_in(session, Event.participant_id, chunk),
                   Event.type.not_in(("referral", "assessment")))).all())
    stored.sort(key=lambda e: (TYPE_ORDER[e.type], e.event_date,
                               SAME_DAY_ORDER.get(e.type, 0), e.id))
    for e in stored:
        rules.apply(by_id[e.participant_id], e.type, e.event_date, e.milestone, e.number,
                    e.reason, e.result, e.specialist_id, e.intervention, e.fee)


def _replace_milestones(session: Session, participant_ids: list[int],
                        rows: list[dict[str, Any]], deltas: daily_totals.DailyDeltas) -> None:
    """Replace the scheduled checks of these participants with `rows`, noting in `deltas`
    the checks taken away and those added."""
    counted = (Milestone.contract_id, Milestone.due_date, Milestone.provider_id,
               Milestone.cancelled_on, Milestone.check_timing)
    for chunk in _chunks(participant_ids):
        removed = session.execute(delete(Milestone).where(
            column_in(session, Milestone.participant_id, chunk)).returning(*counted))
        deltas.add_checks((row._mapping for row in removed), sign=-1)
    insert_rows(session, _table(Milestone), rows)
    deltas.add_checks(rows)


def _milestone_rows(contract_id: int, state: rules.ParticipantState,
                    contract: rules.ContractRules) -> list[dict[str, Any]]:
    return [{"participant_id": state.participant_id, "contract_id": contract_id,
             "provider_id": state.provider_id, "milestone": check.milestone,
             "basis_date": check.basis_date, "due_date": check.due_date,
             "checked_on": check.checked_on, "result": check.result,
             "check_timing": check_timing(check.due_date, check.checked_on),
             "cancelled_on": check.cancelled_on}
            for check in rules.owed_checks(state, contract)]


def reschedule_checks(session: Session, contract: Contract, chunk: int = 5000) -> int:
    """Rebuild every participant's scheduled checks after the contract's schedule or tariff
    changed; in the caller's transaction. Returns the number of participants."""
    rules_now = contract_rules(session, contract)
    done, last_id = 0, 0
    while True:
        participants = session.scalars(
            select(Participant).where(Participant.contract_id == contract.id,
                                      Participant.id > last_id)
            .order_by(Participant.id).limit(chunk)).all()
        if not participants:
            return done
        by_id = {p.id: _state_of(p) for p in participants}
        _fold_stored_events(session, by_id)
        deltas = daily_totals.DailyDeltas()
        _replace_milestones(session, list(by_id), [
            row for state in by_id.values()
            for row in _milestone_rows(contract.id, state, rules_now)], deltas)
        deltas.write(session)
        done += len(participants)
        last_id = participants[-1].id


# -- reading -------------------------------------------------------------------------------------
def list_events(session: Session, principal: Principal, page: PageParams, *,
                contract_id: int | None = None, participant_ref: str | None = None,
                type_: str | None = None, since: datetime | None = None
                ) -> tuple[list[tuple[Event, str, bool]], str | None]:
    """Events in the principal's scope, each with its participant's reference and whether
    the principal sees it only as the specialist the participant was referred to."""
    authorize(principal, "events.read")
    scope = Scope(principal)
    stmt = scope.events(select(Event))
    if contract_id is not None:
        stmt = stmt.where(Event.contract_id == contract_id)
    if participant_ref is not None:
        stmt = stmt.where(Event.participant_id.in_(select(Participant.id).where(
            Participant.participant_ref == participant_ref)))
    if type_ is not None:
        stmt = stmt.where(Event.type == type_)
    if since is not None:
        stmt = stmt.where(Event.received_at >= since)
    events, cursor = paginate(session, stmt, Event.id, page)
    refs = {pid: ref for pid, ref in session.execute(
        select(Participant.id, Participant.participant_ref)
        .where(Participant.id.in_({e.participant_id for e in events})))}
    return [(e, refs[e.participant_id], scope.sees_only_as_specialist(e.provider_id))
            for e in events], cursor
