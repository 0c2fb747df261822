"""A synthetic Contract Package Area for the demo, the tests and the benchmarks.

Pure Python, no database. `generate_cpa` describes the set-up (organisations, contract, supply
chain, users, membership status changes, payments) and produces each participant's events lazily,
in the ingestion format of DOMAIN.md section 3. Ids in it are placeholders: the contract is 1 and
each organisation its position in `organisations`, from 1 (the ids a fresh database gives them
when they are created in that order); app.demo.loader maps them to the real ids.

The supply chain is built to show what chainboard is for:
- a third-sector tier-2 specialist takes mostly ESA and IB/IS participants and does well for that
  case mix, though its raw job-outcome rate is among the lowest; within those groups its
  participants are also older, longer out of work, more often limited by a health condition and
  less qualified than other providers' (`harder_mix`), so that a risk model using the
  characteristics (DOMAIN.md section 10) moves it up again well beyond the payment-group
  adjustment: about 0.3 on its performance index, past Calder, the best of the generalists, or
  past the two or three providers between them (whatever the as-of date's draws);
- a tier-1 member has been starved of referrals for the last six months;
- the prime pays some invoices late, and one is unpaid past its terms;
- a member was suspended without an improvement plan first; another is on an improvement plan;
- specialist help (DOMAIN.md section 12): the generalists refer participants to the tier-2
  specialists for interventions; Calder buys most of it; one specialist named in the supply
  chain (`UNUSED`, for disability support) is never used ("bid candy": SCD-2 `high`); and the
  progress assessments show the largest distance travelled at the specialist charity
  Wharfedale, whose raw job-outcome rate is the lowest. These come from a random stream of
  their own, so the journeys above are the same draws as without them.

Characteristics (on the referral; each left out, the level unknown, for `UNREPORTED` of the
participants, though it still acts on the outcome). A participant's chance of a job outcome is
logit(p) = logit(min(0.85, national rate x provider performance)) + sum of the log odds ratios of
its levels - c_g, where c_g (per payment group) makes a provider of performance 1 with the
group's usual mix achieve the national rate. The odds ratios, against the first level of each:
- age_band: 18-24 and 25-34: 1, 35-49: 0.8, 50+: 0.5;
- health_condition: no: 1, yes: 0.45;
- claim_duration: under_6m: 1, 6_12m: 0.85, 12_24m: 0.7, over_24m: 0.5;
- qualification: level_1_2: 1, level_3_plus: 1.3, none: 0.55;
- area (the five West Yorkshire local authorities): no effect.
The mix follows the payment group (`GROUP_MIX_OF`: JSA 18-24 are 18-24; ESA and IB/IS mostly
report a health condition; ex-IB groups have mostly been claiming for over two years).
"""

import bisect
import math
import random
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from app.auth.schemas import Role
from app.performance.dates import add_months
from app.supply_chain.defaults import PAYMENT_GROUPS
from app.supply_chain.schemas import MemberStatus, OrgKind, Sector, default_schedule

CONTRACT_KEY = 1
PROGRAMME_DAYS = 730  # two years on the programme, then the participant completes
CONTRACT_MONTHS = 25  # the contract began about two years before as_of
# When the story's situations began, in days before as_of.
STARVED_FOR_DAYS = 180
IMPROVEMENT_PLAN_DAYS = 150
SUSPENDED_DAYS = 100
STARVED_WEIGHT = 0.03  # the starved member's referrals relative to its contracted share
PAYMENT_TERMS_DAYS = 30

# Referral mix by payment group, close to the Work Programme's national mix.
GROUP_MIX: Mapping[str, float] = MappingProxyType({
    "jsa_25_plus": 0.45, "jsa_18_24": 0.20, "jsa_early_access": 0.06, "jsa_ex_ib": 0.05,
    "esa_new": 0.08, "esa_ex_ib": 0.05, "esa_volunteers": 0.03, "ib_is": 0.04,
    "jsa_prison_leavers": 0.04,
})
NEVER_ATTACHED = 0.02
EARLY_EXITS = (("left_early", 0.14), ("moved_area", 0.04), ("deceased", 0.003), ("other", 0.01))
HOURS_PER_WEEK = (16.0, 20.0, 25.0, 30.0, 37.5)


# Odds ratios of a job outcome by characteristic level (see the module's docstring).
ODDS_RATIOS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "age_band": {"18-24": 1.0, "25-34": 1.0, "35-49": 0.8, "50+": 0.5},
    "health_condition": {"no": 1.0, "yes": 0.45},
    "claim_duration": {"under_6m": 1.0, "6_12m": 0.85, "12_24m": 0.7, "over_24m": 0.5},
    "qualification": {"level_1_2": 1.0, "level_3_plus": 1.3, "none": 0.55},
})
UNREPORTED = 0.06  # the chance that a characteristic is not reported (unknown)
# West Yorkshire's local authorities: Bradford, Calderdale, Kirklees, Leeds, Wakefield.
AREAS = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")


@dataclass(frozen=True)
class CaseMix:
    """Shares of each characteristic's levels among a payment group's participants."""

    age_band: Mapping[str, float]
    health_condition: Mapping[str, float]
    claim_duration: Mapping[str, float]
    qualification: Mapping[str, float]


def _yes(share: float) -> Mapping[str, float]:
    return {"yes": share, "no": 1 - share}


_ADULT = {"18-24": 0.04, "25-34": 0.30, "35-49": 0.38, "50+": 0.28}
_YOUNG = {"18-24": 1.0}
_JSA_CLAIM = {"under_6m": 0.15, "6_12m": 0.45, "12_24m": 0.30, "over_24m": 0.10}
_NEW_CLAIM = {"under_6m": 0.80, "6_12m": 0.20}
_ESA_NEW_CLAIM = {"under_6m": 0.30, "6_12m": 0.40, "12_24m": 0.25, "over_24m": 0.05}
_LONG_CLAIM = {"6_12m": 0.05, "12_24m": 0.15, "over_24m": 0.80}
_QUALIFIED = {"none": 0.25, "level_1_2": 0.45, "level_3_plus": 0.30}
_LESS_QUALIFIED = {"none": 0.35, "level_1_2": 0.45, "level_3_plus": 0.20}
GROUP_MIX_OF: Mapping[str, CaseMix] = MappingProxyType({
    "jsa_18_24": CaseMix(_YOUNG, _yes(0.10), _JSA_CLAIM, _QUALIFIED),
    "jsa_25_plus": CaseMix(_ADULT, _yes(0.15), _JSA_CLAIM, _QUALIFIED),
    "jsa_early_access": CaseMix(_ADULT, _yes(0.15), _NEW_CLAIM, _QUALIFIED),
    "jsa_ex_ib": CaseMix(_ADULT, _yes(0.45), _LONG_CLAIM, _LESS_QUALIFIED),
    "esa_new": CaseMix(_ADULT, _yes(0.80), _ESA_NEW_CLAIM, _LESS_QUALIFIED),
    "esa_ex_ib": CaseMix(_ADULT, _yes(0.85), _LONG_CLAIM, _LESS_QUALIFIED),
    "esa_volunteers": CaseMix(_ADULT, _yes(0.85), _LONG_CLAIM, _LESS_QUALIFIED),
    "ib_is": CaseMix(_ADULT, _yes(0.85), _LONG_CLAIM, _LESS_QUALIFIED),
    "jsa_prison_leavers": CaseMix(_ADULT, _yes(0.20), _JSA_CLAIM, _LESS_QUALIFIED),
})


def harder_mix(mix: CaseMix) -> CaseMix:
    """The specialist's participants within a payment group: older (JSA 18-24 aside), more
    often with a health condition, longer claims, fewer qualifications."""
    age = mix.age_band if mix.age_band is _YOUNG else {
        "18-24": 0.01, "25-34": 0.06, "35-49": 0.28, "50+": 0.65}
    claims = {level: 0.2 * share for level, share in mix.claim_duration.items()}
    claims["over_24m"] = claims.get("over_24m", 0.0) + 0.8
    return CaseMix(age, _yes(1 - (1 - mix.health_condition["yes"]) / 10), claims,
                   {"none": 0.75, "level_1_2": 0.22, "level_3_plus": 0.03})


@dataclass(frozen=True)
class Reporting:
    """How carefully a provider checks and reports: chances that an in-work check is missed,
    done early or done late, and that an event reaches the prime more than 5 days late."""

    missed_check: float
    early_check: float
    late_check: float
    late_report: float


GOOD_REPORTING = Reporting(missed_check=0.04, early_check=0.03, late_check=0.07, late_report=0.06)
POOR_REPORTING = Reporting(missed_check=0.14, early_check=0.05, late_check=0.20, late_report=0.35)


@dataclass(frozen=True)
class ProviderProfile:
    slug: str  # user names derive from it
    name: str
    sector: Sector
    tier: Literal[1, 2] | None  # None: the prime's in-house team, which is not a member
    contracted_share: Decimal
    performance: float  # multiplies the national 2-year job-outcome rates
    # A tier-2 specialist's share of each payment group's referrals.
    intake: Mapping[str, float] = field(default_factory=dict)
    reporting: Reporting = GOOD_REPORTING
    harder_mix: bool = False  # its participants are harder to help within each group
    # Specialist help (DOMAIN.md section 12): how much more than the base chance it refers
    # its participants to a specialist (0: it does not), and the mean gain per area of its
    # participants between their first and last assessments.
    buys_specialist_help: float = 0.6
    progress_gain: float = 0.9


PRIME = ProviderProfile("ridgeway", "Ridgeway Employment Group plc", "private", None,
                        Decimal(0), 1.0, buys_specialist_help=0.8)
CALDER = ProviderProfile("calder", "Calder Works Ltd", "private", 1, Decimal("0.20"), 1.4,
                         buys_specialist_help=4.0, progress_gain=1.1)
PENNINE = ProviderProfile("pennine", "Pennine Skills Partnership", "public", 1, Decimal("0.15"),
                          0.95)
AIRE = ProviderProfile("aire", "Aire Valley Training CIC", "third", 1, Decimal("0.15"), 0.78,
                       reporting=POOR_REPORTING, progress_gain=0.7)
WESTGATE = ProviderProfile("westgate", "Westgate Recruitment Ltd", "private", 1,
                           Decimal("0.10"), 1.05)
BRADFORD = ProviderProfile("bradford", "Bradford Pathways Trust", "third", 1, Decimal("0.10"),
                           0.75, reporting=POOR_REPORTING)
WHARFEDALE = ProviderProfile(
    "wharfedale", "Wharfedale Mind Employment Service", "third", 2, Decimal("0.05"), 2.8,
    intake={"esa_ex_ib": 0.70, "ib_is": 0.70, "esa_volunteers": 0.60, "esa_new": 0.25,
            "jsa_25_plus": 0.003, "jsa_18_24": 0.003}, harder_mix=True,
    buys_specialist_help=0, progress_gain=2.6)
PROBATION = ProviderProfile(
    "probation", "West Riding Probation Employment Team", "public", 2, Decimal("0.03"), 1.1,
    intake={"jsa_prison_leavers": 0.55, "jsa_25_plus": 0.01, "jsa_18_24": 0.01},
    buys_specialist_help=0, progress_gain=1.4)
HORIZON = ProviderProfile(
    "horizon", "Horizon Enterprise Coaching Ltd", "private", 2, Decimal("0.02"), 1.2,
    intake={"jsa_25_plus": 0.03, "jsa_early_access": 0.05}, buys_specialist_help=0)
# Named in the bid for disability support, never referred anyone: no participants, no
# specialist referrals (its contracted share is 0, so SCD-2 flags it and SCD-1 does not).
UNUSED = ProviderProfile(
    "kirklees", "Kirklees Disability Advice Network", "third", 2, Decimal(0), 1.0,
    buys_specialist_help=0)
SUPPLY_CHAIN = (PRIME, CALDER, PENNINE, AIRE, WESTGATE, BRADFORD, WHARFEDALE, PROBATION, HORIZON,
                UNUSED)
# Specialist help: the chance that an attached participant is referred to a specialist (times
# its provider's buys_specialist_help), the interventions by payment group, who delivers each
# (disability support goes to Wharfedale: UNUSED was named for it and is never used), and the
# agreed fees.
SPECIALIST_CHANCE = 0.08
_JSA_NEEDS = {"basic_skills": 0.35, "debt": 0.25, "housing": 0.15, "mental_health": 0.15,
              "substance_misuse": 0.10}
_HEALTH_NEEDS = {"mental_health": 0.45, "disability_support": 0.20, "debt": 0.15,
                 "housing": 0.10, "basic_skills": 0.10}
NEEDS: Mapping[str, Mapping[str, float]] = MappingProxyType({
    group: (_HEALTH_NEEDS if group.startswith(("esa", "ib")) else
            {"substance_misuse": 0.4, "housing": 0.4, "basic_skills": 0.2}
            if group == "jsa_prison_leavers" else _JSA_NEEDS)
    for group in GROUP_MIX})
DELIVERED_BY: Mapping[str, str] = MappingProxyType({
    "mental_health": "wharfedale", "disability_support": "wharfedale",
    "substance_misuse": "probation", "housing": "probation", "basic_skills": "horizon",
    "debt": "horizon"})
SPECIALIST_FEES: Mapping[str, int] = MappingProxyType({
    "mental_health": 350, "disability_support": 300, "debt": 150, "housing": 200,
    "basic_skills": 250, "substance_misuse": 400})
ASSESSED = 0.35  # the share of attached participants with progress assessments
ASSESSMENT_AREAS = ("job_search", "skills", "confidence", "health", "stability",
                    "work_experience", "aspiration")
REVIEWER_NAME = "Independent Supply Chain Review Panel"


@dataclass(frozen=True)
class DemoOrganisation:
    key: int  # placeholder id, as used in the events
    slug: str
    name: str
    kind: OrgKind
    sector: Sector


@dataclass(frozen=True)
class DemoMember:
    provider_key: int
    tier: Literal[1, 2]
    contracted_share: Decimal


@dataclass(frozen=True)
class DemoStatusChange:
    provider_key: int
    status: MemberStatus
    effective_date: date
    reason: str


@dataclass(frozen=True)
class DemoPayment:
    provider_key: int
    invoice_date: date
    amount: Decimal
    paid_date: date | None
    terms_days: int


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role
    organisation_key: int | None


@dataclass(frozen=True)
class DemoCPA:
    participants: int
    seed: int
    as_of: date
    cpa_code: str
    cpa_name: str
    start_date: date
    end_date: date
    organisations: tuple[DemoOrganisation, ...]
    prime_key: int
    members: tuple[DemoMember, ...]
    status_changes: tuple[DemoStatusChange, ...]
    payments: tuple[DemoPayment, ...]
    users: tuple[DemoUser, ...]
    # The members each situation of the story is about (placeholder ids).
    specialist_key: int
    starved_key: int
    suspended_key: int
    improvement_plan_key: int
    best_tier1_key: int  # the tier-1 member the demo's reallocation gives share to
    unused_specialist_key: int  # named in the supply chain, never referred to
    specialist_buyer_key: int  # the tier-1 member that buys most specialist help
    # Section 12's events (specialist help, assessments); without them, the journeys alone
    # (bench/ingest.py's existing event mix).
    specialist_help: bool = True

    def histories(self, backfill: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Each participant's events, in date order, one list per participant. With `backfill`,
        each event carries `reported_at` (when the provider reported it to the prime), which
        only an admin's backfill may send."""
        return _Journeys(self).histories(backfill)

    def events(self, backfill: bool = False) -> Iterator[dict[str, Any]]:
        for history in self.histories(backfill):
            yield from history

    def setup_document(self) -> dict[str, Any]:
        """The set-up as JSON-ready data (what `chainboard generate` writes to setup.json)."""
        return {
            "participants": self.participants, "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "contract": {"id": CONTRACT_KEY, "prime_id": self.prime_key,
                         "cpa_code": self.cpa_code, "cpa_name": self.cpa_name,
                         "start_date": self.start_date.isoformat(),
                         "end_date": self.end_date.isoformat()},
            "organisations": [{"id": o.key, "name": o.name, "kind": o.kind, "sector": o.sector}
                              for o in self.organisations],
            "members": [{"provider_id": m.provider_key, "tier": m.tier,
                         "contracted_share": str(m.contracted_share)} for m in self.members],
            "status_changes": [{"provider_id": s.provider_key, "status": s.status,
                                "effective_date": s.effective_date.isoformat(),
                                "reason": s.reason} for s in self.status_changes],
            "payments": [{"provider_id": p.provider_key,
                          "invoice_date": p.invoice_date.isoformat(), "amount": str(p.amount),
                          "paid_date": p.paid_date.isoformat() if p.paid_date else None,
                          "terms_days": p.terms_days} for p in self.payments],
            "users": [{"username": u.username, "password": u.password, "role": u.role,
                       "organisation_id": u.organisation_key} for u in self.users],
        }


def generate_cpa(participants: int, seed: int, as_of: date,
                 specialist_help: bool = True) -> DemoCPA:
    if participants < 1:
        raise ValueError("participants: at least 1")
    start = add_months(as_of.replace(day=1), -CONTRACT_MONTHS)
    organisations = tuple(
        DemoOrganisation(key, p.slug, p.name, "prime" if p is PRIME else "subcontractor",
                         p.sector)
        for key, p in enumerate(SUPPLY_CHAIN, 1))
    reviewer = DemoOrganisation(len(organisations) + 1, "panel", REVIEWER_NAME, "reviewer",
                                "public")
    keys = {o.slug: o.key for o in organisations}
    members = tuple(DemoMember(keys[p.slug], p.tier, p.contracted_share)
                    for p in SUPPLY_CHAIN if p.tier is not None)
    status_changes = (
        DemoStatusChange(keys[AIRE.slug], "on_improvement_plan",
                         as_of - timedelta(days=IMPROVEMENT_PLAN_DAYS),
                         "Job outcomes and in-work check compliance below plan for two quarters"),
        DemoStatusChange(keys[BRADFORD.slug], "suspended",
                         as_of - timedelta(days=SUSPENDED_DAYS),
                         "Suspended pending review of performance"),
    )
    return DemoCPA(
        participants=participants, seed=seed, as_of=as_of, cpa_code="DEMO-CPA18",
        cpa_name="West Yorkshire (demo)", start_date=start,
        end_date=add_months(start, 60) - timedelta(days=1),
        organisations=(*organisations, reviewer), prime_key=keys[PRIME.slug], members=members,
        status_changes=status_changes,
        payments=_payments(random.Random(f"payments-{seed}"), keys, start, as_of, participants),
        users=_users(random.Random(f"users-{seed}"), organisations, reviewer),
        specialist_key=keys[WHARFEDALE.slug], starved_key=keys[WESTGATE.slug],
        suspended_key=keys[BRADFORD.slug], improvement_plan_key=keys[AIRE.slug],
        best_tier1_key=keys[CALDER.slug],
        unused_specialist_key=keys[UNUSED.slug], specialist_buyer_key=keys[CALDER.slug],
        specialist_help=specialist_help,
    )


def _users(rng: random.Random, organisations: tuple[DemoOrganisation, ...],
           reviewer: DemoOrganisation) -> tuple[DemoUser, ...]:
    def password() -> str:
        return "demo-" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=10))

    prime = next(o for o in organisations if o.kind == "prime")
    users = [DemoUser("admin", password(), "admin", None),
             DemoUser(f"{prime.slug}.manager", password(), "prime_manager", prime.key)]
    users += [DemoUser(f"{o.slug}.staff", password(), "provider_user", o.key)
              for o in organisations]
    users.append(DemoUser(f"{reviewer.slug}.reviewer", password(), "reviewer", reviewer.key))
    return tuple(users)


def _payments(rng: random.Random, keys: dict[str, int], start: date, as_of: date,
              participants: int) -> tuple[DemoPayment, ...]:
    """Monthly invoices from each member, most paid within terms. The prime pays the small
    specialist charity late more often, and its latest invoice past terms is still unpaid."""
    referrals_per_month = participants / (CONTRACT_MONTHS + 1)
    suspended_on = as_of - timedelta(days=SUSPENDED_DAYS)
    unpaid_invoice = add_months(as_of.replace(day=1), -1)
    if unpaid_invoice + timedelta(days=PAYMENT_TERMS_DAYS) >= as_of:
        unpaid_invoice = add_months(unpaid_invoice, -1)
    payments = []
    for profile in SUPPLY_CHAIN:
        if profile.tier is None or profile is UNUSED:
            continue
        late_share = 0.30 if profile is WHARFEDALE else 0.05
        invoice_date = add_months(start, 1)
        while invoice_date <= as_of:
            if profile is BRADFORD and invoice_date > suspended_on + timedelta(days=31):
                break
            # About 600 GBP of fees per referral (attachment and outcome payments).
            amount = Decimal(referrals_per_month * float(profile.contracted_share)
                             * rng.uniform(450, 750)).quantize(Decimal("0.01"))
            paid_date: date | None
            if profile is WHARFEDALE and invoice_date == unpaid_invoice:
                paid_date = None
            elif invoice_date + timedelta(days=70) <= as_of and rng.random() < late_share:
                paid_date = invoice_date + timedelta(days=rng.randint(45, 70))
            else:
                paid_date = invoice_date + timedelta(days=rng.randint(10, 28))
                if paid_date > as_of:  # not yet paid, and still within terms
                    paid_date = None
            payments.append(DemoPayment(keys[profile.slug], invoice_date, amount, paid_date,
                                        PAYMENT_TERMS_DAYS))
            invoice_date = add_months(invoice_date, 1)
    return tuple(payments)


class _Journeys:
    """Participants' journeys. Days are date ordinals (ints) until the events are emitted."""

    def __init__(self, cpa: DemoCPA) -> None:
        self.cpa = cpa
        self.start = cpa.start_date.toordinal()
        self.as_of = cpa.as_of.toordinal()
        self.groups = list(GROUP_MIX)
        self.group_cumulative = _cumulative([GROUP_MIX[g] for g in self.groups])
        keys = {o.slug: o.key for o in cpa.organisations}
        self.profiles = {keys[p.slug]: p for p in SUPPLY_CHAIN}
        self.starved_from = self.as_of - STARVED_FOR_DAYS
        self.suspended_from = self.as_of - SUSPENDED_DAYS
        # (group, starved period, suspended period) -> providers and cumulative weights
        self.allocation = {
            (group, starved, suspended): self._allocation(group, starved, suspended)
            for group in self.groups for starved in (False, True) for suspended in (False, True)}
        schedule = default_schedule()
        self.interval = schedule.sustainment_interval_days
        self.spell_checks = {
            code: tuple((c.milestone, c.days) for c in schedule.spell_checks
                        if PAYMENT_GROUPS[code].outcome_weeks >= (c.min_outcome_weeks or 0))
            for code in self.groups}
        # Level tables by (group, harder mix), and each group's c_g (the module's docstring).
        self.mixes = {(group, harder): _level_tables(
            harder_mix(GROUP_MIX_OF[group]) if harder else GROUP_MIX_OF[group])
            for group in self.groups for harder in (False, True)}
        self.logit_shift = {group: _logit_shift(GROUP_MIX_OF[group],
                                                PAYMENT_GROUPS[group].national_rate)
                            for group in self.groups}
        self.specialists = {p.slug: key for key, p in self.profiles.items()}
        self.needs = {group: (list(NEEDS[group]), _cumulative(list(NEEDS[group].values())))
                      for group in self.groups}
        first = self.start - 1
        self.iso = [date.fromordinal(first + i).isoformat()
                    for i in range(self.as_of - first + 1)]
        self.first_day = first

    def _allocation(self, group: str, starved: bool,
                    suspended: bool) -> tuple[list[int], list[float]]:
        specialists = {key: p.intake.get(group, 0.0) for key, p in self.profiles.items()
                       if p.tier == 2 and p is not UNUSED}
        tier1 = {key: float(p.contracted_share) for key, p in self.profiles.items()
                 if p.tier == 1}
        in_house = 1.0 - sum(tier1.values()) - sum(float(p.contracted_share)
                                                    for p in self.profiles.values() if p.tier == 2)
        generalists = {self.cpa.prime_key: in_house, **tier1}
        if starved:
            generalists[self.cpa.starved_key] *= STARVED_WEIGHT
        if suspended:
            generalists[self.cpa.suspended_key] = 0.0
        rest = 1.0 - sum(specialists.values())
        total = sum(generalists.values())
        weights = {**specialists, **{k: rest * w / total for k, w in generalists.items()}}
        providers = sorted(weights)
        return providers, _cumulative([weights[k] for k in providers])

    def histories(self, backfill: bool) -> Iterator[list[dict[str, Any]]]:
        rng = random.Random(self.cpa.seed)
        # Characteristics from a stream of their own, one participant after another, so that a
        # participant's levels do not depend on how many draws earlier journeys took.
        traits = random.Random(f"characteristics-{self.cpa.seed}")
        # Specialist help and assessments likewise (DOMAIN.md section 12).
        helped = random.Random(f"specialists-{self.cpa.seed}")
        referral_days = sorted(rng.randint(self.start, self.as_of)
                               for _ in range(self.cpa.participants))
        for number, day in enumerate(referral_days, 1):
            yield self._journey(rng, traits, helped, f"P{number:07d}", day, backfill)

    def _characteristics(self, traits: random.Random, group: str,
                         profile: ProviderProfile) -> tuple[dict[str, str], float]:
        """The levels reported (some left out: unknown) and the log odds ratio of all of
        them, reported or not."""
        reported: dict[str, str] = {}
        log_odds = 0.0
        for name, (levels, cumulative) in self.mixes[(group, profile.harder_mix)].items():
            level = levels[bisect.bisect(cumulative, traits.random() * cumulative[-1])]
            log_odds += math.log(ODDS_RATIOS[name][level])
            if traits.random() >= UNREPORTED:
                reported[name] = level
        if traits.random() >= UNREPORTED:
            reported["area"] = traits.choice(AREAS)
        return reported, log_odds

    def _journey(self, rng: random.Random, traits: random.Random, helped: random.Random,
                 ref: str, referral: int, backfill: bool) -> list[dict[str, Any]]:
        group = self.groups[bisect.bisect(self.group_cumulative,
                                          rng.random() * self.group_cumulative[-1])]
        providers, cumulative = self.allocation[
            (group, referral >= self.starved_from, referral >= self.suspended_from)]
        provider = providers[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
        profile = self.profiles[provider]
        terms = PAYMENT_GROUPS[group]
        reporting = profile.reporting
        events: list[tuple[int, int, dict[str, Any]]] = []  # (day, reporting delay, event)

        def add(kind: str, day: int, suffix: str, **fields: Any) -> None:
            delay = rng.randint(6, 40) if rng.random() < reporting.late_report else \
                rng.randint(0, 5)
            events.append((day, delay, {
                "event_id": f"{ref}-{suffix}", "contract_id": CONTRACT_KEY,
                "participant_ref": ref, "type": kind, "event_date": day, **fields}))

        def check(suffix: str, milestone: str, due: int, start: int, end: int | None) -> None:
            if end is not None and end <= due:
                return  # cancelled: the job ended before the check was due
            draw = rng.random()
            if draw < reporting.missed_check:
                return
            draw -= reporting.missed_check
            if draw < reporting.early_check:
                day = max(start + 1, due - rng.randint(1, 6))
            elif draw < reporting.early_check + reporting.late_check:
                day = due + rng.randint(8, 35)
            else:
                day = due + rng.randint(0, 7)
            result = "no_contact" if rng.random() < 0.04 else "in_work"
            if end is not None and day >= end:
                if day > end + 7:
                    return  # too late to reach the participant about this job
                result = "not_in_work"
            add("in_work_check", day, suffix, milestone=milestone, result=result)

        characteristics, log_odds = self._characteristics(traits, group, profile)
        add("referral", referral, "referral", payment_group=group, provider_id=provider,
            characteristics=characteristics)
        programme_end = referral + PROGRAMME_DAYS
        if rng.random() < NEVER_ATTACHED:
            add("exit", referral + rng.randint(20, 90), "exit", reason="left_early")
            return self._emit(events, referral + 90, backfill)
        attachment = referral + rng.randint(1, 10)
        add("attachment", attachment, "attachment")

        needed = 7 * terms.outcome_weeks
        rate = _expit(_logit(min(0.85, terms.national_rate * profile.performance))
                      + log_odds - self.logit_shift[group])
        achieves = rng.random() < rate
        if achieves:
            spells, main_spell, outcome = self._working_spells(rng, attachment, programme_end,
                                                               needed)
        else:
            spells, main_spell, outcome = self._short_spells(rng, attachment, programme_end,
                                                             needed), None, None

        for n, (start, end) in enumerate(spells, 1):
            if rng.random() < 0.7:
                add("job_start", start, f"job_start-{n}",
                    hours_per_week=rng.choice(HOURS_PER_WEEK))
            else:
                add("job_start", start, f"job_start-{n}")
            if end is not None:
                add("job_end", end, f"job_end-{n}")
            for milestone, days in self.spell_checks[group]:
                check(f"check-{n}-{milestone}", milestone, start + days, start, end)

        if outcome is not None and main_spell is not None:
            add("job_outcome", outcome, "job_outcome")
            n, (start, end) = main_spell
            for number in range(1, terms.max_sustainments + 1):
                due = outcome + self.interval * number
                if end is not None and due >= end:
                    break  # no longer in work: sustainments stop
                claimed = due + (rng.randint(0, 6) if rng.random() < 0.9 else rng.randint(7, 20))
                if end is not None and claimed >= end:
                    break
                add("sustainment", claimed, f"sustainment-{number}", number=number)
                check(f"check-{n}-S{number}", f"S{number}", due, start, end)

        exit_day, reason = programme_end, "completed"
        if not achieves:
            draw = rng.random()
            for early_reason, chance in EARLY_EXITS:
                if draw < chance:
                    exit_day = attachment + rng.randint(14, PROGRAMME_DAYS - 30)
                    reason = early_reason
                    break
                draw -= chance
        add("exit", exit_day, "exit", reason=reason)
        if self.cpa.specialist_help:
            events += self._specialist_help(helped, ref, group, profile, attachment,
                                            min(exit_day, self.as_of))
        return self._emit(events, exit_day, backfill)

    def _specialist_help(self, rng: random.Random, ref: str, group: str,
                         profile: ProviderProfile, attachment: int,
                         last: int) -> list[tuple[int, int, dict[str, Any]]]:
        """A participant's specialist referral and its outcomes, and its progress
        assessments, as (day, reporting delay, event); from `rng` alone."""
        events: list[tuple[int, int, dict[str, Any]]] = []

        def add(kind: str, day: int, suffix: str, **fields: Any) -> None:
            events.append((day, rng.randint(0, 5), {
                "event_id": f"{ref}-{suffix}", "contract_id": CONTRACT_KEY,
                "participant_ref": ref, "type": kind, "event_date": day, **fields}))

        if rng.random() < SPECIALIST_CHANCE * profile.buys_specialist_help:
            names, cumulative = self.needs[group]
            need = names[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
            specialist = self.specialists[DELIVERED_BY[need]]
            day = attachment + rng.randint(5, 120)
            if day <= last:
                fee = {"fee": str(SPECIALIST_FEES[need])} if rng.random() < 0.8 else {}
                add("specialist_referral", day, "specialist", specialist_id=specialist,
                    intervention=need, **fee)
                outcome = {"specialist_id": specialist, "intervention": need}
                start = day + rng.randint(3, 21)
                if rng.random() < 0.78:
                    add("specialist_outcome", start, "specialist-started", result="started",
                        **outcome)
                    if rng.random() < 0.75:
                        add("specialist_outcome", start + rng.randint(30, 120),
                            "specialist-closed", result="completed", **outcome)
                    else:
                        add("specialist_outcome", start + rng.randint(20, 90),
                            "specialist-closed", result="did_not_attend", **outcome)
                else:
                    add("specialist_outcome", start, "specialist-closed",
                        result=rng.choice(("declined", "did_not_attend")), **outcome)
        if rng.random() < ASSESSED:
            first = attachment + rng.randint(0, 14)
            second = first + rng.randint(56, 200)
            harder = group.startswith(("esa", "ib")) or profile.harder_mix
            scores = {area: _score(rng.gauss(4.0 if harder else 5.0, 1.5))
                      for area in ASSESSMENT_AREAS}
            if first <= last:
                add("assessment", first, "assessment-1", scores=scores)
            if second <= last:
                add("assessment", second, "assessment-2", scores={
                    area: _score(score + rng.gauss(profile.progress_gain, 1.5))
                    for area, score in scores.items()})
        return events

    def _working_spells(self, rng: random.Random, attachment: int, programme_end: int,
                        needed: int) -> tuple[list[tuple[int, int | None]],
                                              tuple[int, tuple[int, int | None]], int]:
        """Job spells that reach the job outcome within the programme: perhaps a short first
        job, then the main one; perhaps another job after the main one ends."""
        latest_start = programme_end - needed - 25
        main_start = attachment + 7 + int((latest_start - attachment - 7) * rng.random() ** 1.8)
        spells: list[tuple[int, int | None]] = []
        worked = 0
        if main_start - attachment > 90 and rng.random() < 0.35:
            first = attachment + rng.randint(7, (main_start - attachment) // 3)
            worked = rng.randint(14, min(needed - 14, main_start - first - 21))
            spells.append((first, first + worked))
        reached = main_start + needed - worked  # the day time in work reaches the outcome
        outcome = reached + (rng.randint(0, 3) if rng.random() < 0.7 else rng.randint(4, 20))
        main_end = None if rng.random() < 0.4 else outcome + 7 + int(rng.expovariate(1 / 150))
        main_spell = (len(spells) + 1, (main_start, main_end))
        spells.append((main_start, main_end))
        if main_end is not None and main_end < programme_end - 60 and rng.random() < 0.4:
            again = main_end + rng.randint(14, 120)
            spells.append((again, None if rng.random() < 0.5 else again + rng.randint(20, 300)))
        return spells, main_spell, outcome

    def _short_spells(self, rng: random.Random, attachment: int, programme_end: int,
                      needed: int) -> list[tuple[int, int | None]]:
        """Jobs that together stay short of the outcome's time in work (or none at all)."""
        spells: list[tuple[int, int | None]] = []
        if rng.random() < 0.4:
            return spells
        budget = needed - 8
        day = attachment + rng.randint(7, 300)
        for _ in range(rng.randint(1, 4)):
            if budget < 7 or day >= programme_end:
                break
            length = rng.randint(7, min(budget, 120))
            spells.append((day, day + length))
            budget -= length
            day += length + rng.randint(14, 150)
        return spells

    def _emit(self, events: list[tuple[int, int, dict[str, Any]]], last_day: int,
              backfill: bool) -> list[dict[str, Any]]:
        """The events up to the exit and as_of, in date order, with ISO dates."""
        cutoff = min(last_day, self.as_of)
        iso, first = self.iso, self.first_day
        kept = sorted((e for e in events if e[0] <= cutoff), key=lambda e: e[0])
        for day, delay, event in kept:
            event["event_date"] = iso[day - first]
            if backfill:
                reported = min(day + delay, self.as_of)
                # Midnight on as_of itself, so that it is not in the future when loaded today.
                clock = "00:00:00Z" if reported == self.as_of else "09:30:00Z"
                event["reported_at"] = f"{iso[reported - first]}T{clock}"
        return [event for _, _, event in kept]


def _score(value: float) -> int:
    """An assessment score: 1 to 10."""
    return min(10, max(1, round(value)))


def _cumulative(weights: list[float]) -> list[float]:
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _level_tables(mix: CaseMix) -> dict[str, tuple[list[str], list[float]]]:
    """Each characteristic's levels and their cumulative shares, for drawing."""
    return {name: (list(shares), _cumulative(list(shares.values())))
            for name, shares in vars(mix).items()}


def _logit_shift(mix: CaseMix, rate: float) -> float:
    """c such that the mean over `mix` of expit(logit(rate) + log odds of the levels - c) is
    `rate`: the characteristics move participants about their group's rate, not the rate."""
    cells = [(1.0, 0.0)]
    for name, shares in vars(mix).items():
        cells = [(p * share, effect + math.log(ODDS_RATIOS[name][level]))
                 for p, effect in cells for level, share in shares.items()]
    low, high = -10.0, 10.0
    for _ in range(60):  # bisection: the mean falls as c rises
        middle = (low + high) / 2
        mean = sum(p * _expit(_logit(rate) + effect - middle) for p, effect in cells)
        low, high = (middle, high) if mean > rate else (low, middle)
    return (low + high) / 2
