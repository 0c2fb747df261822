"""The generated CPA: deterministic, well-formed, and telling the story the features must reveal."""

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from app.auth.passwords import check_password
from app.demo.generator import DemoCPA, generate_cpa
from app.ingest.schemas import EventIn
from app.performance.risk_model import (
    DEFAULT_CHARACTERISTICS,
    RiskCell,
    RiskModelParameters,
    fit_risk_model,
)
from app.supply_chain.defaults import PAYMENT_GROUPS

AS_OF = date(2026, 6, 15)


@pytest.fixture(scope="module")
def cpa() -> DemoCPA:
    return generate_cpa(6000, 3, AS_OF)


@pytest.fixture(scope="module")
def referrals(cpa: DemoCPA) -> list[dict[str, Any]]:
    return [e for e in cpa.events() if e["type"] == "referral"]


def test_same_inputs_give_the_same_data_and_another_seed_other_data() -> None:
    first, again = generate_cpa(300, 11, AS_OF), generate_cpa(300, 11, AS_OF)
    assert first == again
    assert list(first.events()) == list(again.events())
    assert list(first.events(backfill=True)) == list(again.events(backfill=True))
    other = generate_cpa(300, 12, AS_OF)
    assert list(other.events()) != list(first.events())


def test_supply_chain_has_every_sector_and_both_tiers(cpa: DemoCPA) -> None:
    kinds = Counter(o.kind for o in cpa.organisations)
    assert kinds == {"prime": 1, "subcontractor": 9, "reviewer": 1}
    providers = {o.key: o for o in cpa.organisations if o.kind != "reviewer"}
    assert {o.sector for o in providers.values()} == {"private", "public", "third"}
    assert {m.tier for m in cpa.members} == {1, 2}
    assert sum(m.contracted_share for m in cpa.members if m.tier == 1) <= 1
    assert {m.provider_key for m in cpa.members} == set(providers) - {cpa.prime_key}
    # The contract began about two years before as_of.
    assert 700 <= (AS_OF - cpa.start_date).days <= 800


def test_one_login_per_role_and_per_provider(cpa: DemoCPA) -> None:
    roles = Counter(u.role for u in cpa.users)
    assert roles == {"admin": 1, "prime_manager": 1, "provider_user": 10, "reviewer": 1}
    staffed = {u.organisation_key for u in cpa.users if u.role == "provider_user"}
    assert staffed == {o.key for o in cpa.organisations if o.kind != "reviewer"}
    assert len({u.username for u in cpa.users}) == len(cpa.users)
    names: dict[int | None, str] = {o.key: o.name for o in cpa.organisations}
    for seed in (3, 7, 11):  # `make demo` uses the default seed, 7
        for user in generate_cpa(300, seed, AS_OF).users:
            check_password(user.password, username=user.username, other_inputs={
                "the organisation's name": names.get(user.organisation_key)})


def test_events_are_valid_ingestion_input_up_to_as_of(cpa: DemoCPA) -> None:
    events = list(cpa.events(backfill=True))
    assert len(events) > 5 * cpa.participants
    for event in events[:20_000]:
        EventIn.model_validate(event)  # raises on a malformed event or a NINO-shaped ref
    assert max(e["event_date"] for e in events) <= AS_OF.isoformat()
    assert min(e["event_date"] for e in events) >= cpa.start_date.isoformat()
    assert len({e["event_id"] for e in events}) == len(events)
    types = Counter(e["type"] for e in events)
    assert types.keys() == {"referral", "attachment", "job_start", "job_end", "in_work_check",
                            "job_outcome", "sustainment", "exit", "specialist_referral",
                            "specialist_outcome", "assessment"}
    assert {e["reason"] for e in events if e["type"] == "exit"} >= {
        "completed", "left_early", "moved_area"}


def test_payment_group_mix_is_like_the_work_programme(referrals: list[dict[str, Any]]) -> None:
    mix = Counter(e["payment_group"] for e in referrals)
    share = {group: count / len(referrals) for group, count in mix.items()}
    assert 0.40 < share["jsa_25_plus"] < 0.50
    assert 0.16 < share["jsa_18_24"] < 0.24
    assert 0.11 < share["esa_new"] + share["esa_ex_ib"] + share["esa_volunteers"] < 0.20


def test_starved_member_gets_under_half_its_share_of_recent_referrals(
        cpa: DemoCPA, referrals: list[dict[str, Any]]) -> None:
    since = (AS_OF - timedelta(days=90)).isoformat()
    recent = Counter(e["provider_id"] for e in referrals if e["event_date"] > since)
    total = sum(recent.values())
    shares = {m.provider_key: float(m.contracted_share) for m in cpa.members}
    assert recent[cpa.starved_key] / total < 0.5 * shares[cpa.starved_key]
    # Only the starved (and the suspended) member: the other tier-1 members get their share.
    for member in cpa.members:
        if member.tier == 1 and member.provider_key not in (cpa.starved_key,
                                                            cpa.suspended_key):
            assert recent[member.provider_key] / total > 0.5 * shares[member.provider_key]


def test_suspended_member_takes_no_referrals_after_its_suspension(
        cpa: DemoCPA, referrals: list[dict[str, Any]]) -> None:
    changes = {c.provider_key: c for c in cpa.status_changes}
    suspension = changes[cpa.suspended_key]
    assert suspension.status == "suspended" and suspension.effective_date < AS_OF
    # No improvement plan came before the suspension (Merlin CON-2 must see it).
    assert [c.status for c in cpa.status_changes
            if c.provider_key == cpa.suspended_key] == ["suspended"]
    assert changes[cpa.improvement_plan_key].status == "on_improvement_plan"
    after = [e for e in referrals if e["event_date"] >= suspension.effective_date.isoformat()]
    assert after and all(e["provider_id"] != cpa.suspended_key for e in after)
    assert any(e["provider_id"] == cpa.suspended_key for e in referrals)


def test_specialist_has_a_harder_case_mix_and_beats_it(cpa: DemoCPA,
                                                       referrals: list[dict[str, Any]]) -> None:
    """Lower expected rate from the national rates, a lower raw outcome rate than the rest, and
    more outcomes than the risk model expects of its case mix once its participants'
    characteristics are counted, though hardly more on payment group alone: the harder mix
    within each group is what the characteristics show."""
    outcomes = {e["participant_ref"] for e in cpa.events() if e["type"] == "job_outcome"}
    counts: Counter[tuple[int, str, tuple[tuple[str, str], ...]]] = Counter()
    hits: Counter[tuple[int, str, tuple[tuple[str, str], ...]]] = Counter()
    for e in referrals:
        key = (e["provider_id"], e["payment_group"],
               tuple(sorted((e.get("characteristics") or {}).items())))
        counts[key] += 1
        hits[key] += e["participant_ref"] in outcomes
    cells = [RiskCell(p, group, dict(levels), counts[p, group, levels], hits[p, group, levels])
             for p, group, levels in counts]

    def observed_over_expected(characteristics: tuple[str, ...]) -> tuple[float, float]:
        """(the specialist's, everybody else's) observed / expected outcomes."""
        model = fit_risk_model(cells, RiskModelParameters(characteristics))
        mine = [p for p in model.providers if p.provider_id == cpa.specialist_key]
        rest = [p for p in model.providers if p.provider_id != cpa.specialist_key]
        return (sum(p.outcomes for p in mine) / sum(p.expected for p in mine),
                sum(p.outcomes for p in rest) / sum(p.expected for p in rest))

    def rates(mine: bool) -> tuple[float, float]:
        chosen = [e for e in referrals if (e["provider_id"] == cpa.specialist_key) == mine]
        national = sum(PAYMENT_GROUPS[e["payment_group"]].national_rate for e in chosen)
        observed = sum(e["participant_ref"] in outcomes for e in chosen)
        return national / len(chosen), observed / len(chosen)

    specialist, others = rates(True), rates(False)
    assert specialist[0] < 0.5 * others[0]  # national expectation for its mix
    assert specialist[1] < others[1]  # raw job-outcome rate
    with_characteristics = observed_over_expected(DEFAULT_CHARACTERISTICS)
    group_only = observed_over_expected(())
    assert with_characteristics[0] > 1.2 > with_characteristics[1]
    assert group_only[0] < with_characteristics[0] - 0.25


def test_payments_late_and_one_unpaid_past_terms(cpa: DemoCPA) -> None:
    late = [p for p in cpa.payments
            if p.paid_date and (p.paid_date - p.invoice_date).days > p.terms_days]
    unpaid_past_terms = [p for p in cpa.payments if p.paid_date is None
                         and p.invoice_date + timedelta(days=p.terms_days) < AS_OF]
    assert late and all(45 <= (p.paid_date - p.invoice_date).days <= 70
                        for p in late if p.paid_date)
    assert len(late) < 0.2 * len(cpa.payments)
    assert [p.provider_key for p in unpaid_past_terms] == [cpa.specialist_key]
    assert all(p.paid_date is None or p.invoice_date <= p.paid_date <= AS_OF
               for p in cpa.payments)
    member_keys = {m.provider_key for m in cpa.members}
    # Every member invoices but the specialist never used: it did no work.
    assert {p.provider_key for p in cpa.payments} == member_keys - {cpa.unused_specialist_key}


def test_characteristics_follow_the_group_and_some_are_unknown(
        referrals: list[dict[str, Any]]) -> None:
    young = [e for e in referrals if e["payment_group"] == "jsa_18_24"]
    assert {e["characteristics"].get("age_band") for e in young} == {"18-24", None}
    for name in ("age_band", "health_condition", "claim_duration", "qualification", "area"):
        unknown = sum(name not in e["characteristics"] for e in referrals) / len(referrals)
        assert 0.03 < unknown < 0.10, name


def test_specialist_has_a_harder_mix_within_its_payment_groups(
        cpa: DemoCPA, referrals: list[dict[str, Any]]) -> None:
    """Older, more health conditions, longer claims, fewer qualifications than other
    providers' participants of the same groups: what a risk model on characteristics sees
    beyond the payment group."""
    groups = ("esa_ex_ib", "ib_is", "esa_volunteers", "esa_new")

    def share(mine: bool, name: str, level: str) -> float:
        chosen = [e["characteristics"] for e in referrals if e["payment_group"] in groups
                  and (e["provider_id"] == cpa.specialist_key) == mine
                  and name in e["characteristics"]]
        return sum(c[name] == level for c in chosen) / len(chosen)

    for name, level, margin in (("age_band", "50+", 0.15), ("health_condition", "yes", 0.08),
                                ("claim_duration", "over_24m", 0.10),
                                ("qualification", "none", 0.15)):
        assert share(True, name, level) > share(False, name, level) + margin, name


def test_specialist_help_tells_the_bid_candy_story(cpa: DemoCPA) -> None:
    """One named specialist is never referred to (nor allocated anyone); Calder buys most of
    the specialist help; every other specialist gets plenty."""
    events = list(cpa.events())
    provider = {e["participant_ref"]: e["provider_id"] for e in events
                if e["type"] == "referral"}
    referred = [e for e in events if e["type"] == "specialist_referral"]
    to = Counter(e["specialist_id"] for e in referred)
    tier2 = {m.provider_key for m in cpa.members if m.tier == 2}
    assert set(to) == tier2 - {cpa.unused_specialist_key}
    assert cpa.unused_specialist_key not in provider.values()
    buyers = Counter(provider[e["participant_ref"]] for e in referred)
    assert buyers.most_common(1)[0][0] == cpa.specialist_buyer_key
    assert buyers[cpa.specialist_buyer_key] > len(referred) / 2
    assert not set(buyers) & tier2  # specialists do not refer their own participants on
    recent = (AS_OF - timedelta(days=179)).isoformat()
    assert min(Counter(e["specialist_id"] for e in referred
                       if e["event_date"] >= recent).values()) >= 10


def test_distance_travelled_is_highest_where_the_job_outcome_rate_is_lowest(
        cpa: DemoCPA) -> None:
    from app.specialists.progress import Assessment, participant_changes, provider_progress

    events = list(cpa.events())
    provider = {e["participant_ref"]: e["provider_id"] for e in events
                if e["type"] == "referral"}
    outcomes = Counter(provider[e["participant_ref"]] for e in events
                       if e["type"] == "job_outcome")
    referrals = Counter(provider.values())
    rates = {p: outcomes[p] / n for p, n in referrals.items()}
    assessments = [Assessment(participant_id=int(e["participant_ref"][1:]),
                              provider_id=provider[e["participant_ref"]],
                              assessed_on=date.fromisoformat(e["event_date"]),
                              scores=e["scores"], order=i)
                   for i, e in enumerate(events) if e["type"] == "assessment"]
    rows = provider_progress(participant_changes(assessments, ("confidence",)),
                             ("confidence",))
    best = max(rows, key=lambda r: r.mean_change)
    assert best.provider_id == cpa.specialist_key == min(rates, key=lambda p: rates[p])
    runner_up = max(r.ci_high or 0 for r in rows if r is not best)
    assert best.ci_low is not None and best.ci_low > runner_up
