"""Programme defaults of DOMAIN.md section 2 and 4. Contracts copy them at creation; after that
each contract's own tariff rows, schedule and settings rule (nothing reads these constants at
calculation time)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.models.participants import CharacteristicName


@dataclass(frozen=True)
class PaymentGroupDefaults:
    code: str
    name: str
    outcome_weeks: int
    max_sustainments: int
    attachment_fee: Decimal
    outcome_fee: Decimal
    sustainment_fee: Decimal
    national_rate: float  # 2-year job outcome rate, the national benchmark


PAYMENT_GROUPS: dict[str, PaymentGroupDefaults] = {
    g.code: g
    for g in (
        PaymentGroupDefaults("jsa_18_24", "JSA 18-24", 26, 13, Decimal(400), Decimal(1200),
                             Decimal(170), 0.364),
        PaymentGroupDefaults("jsa_25_plus", "JSA 25+", 26, 13, Decimal(400), Decimal(1200),
                             Decimal(215), 0.317),
        PaymentGroupDefaults("jsa_early_access", "JSA Early Access", 13, 20, Decimal(400),
                             Decimal(1200), Decimal(250), 0.30),
        PaymentGroupDefaults("jsa_ex_ib", "JSA ex-IB", 13, 20, Decimal(400), Decimal(1200),
                             Decimal(250), 0.20),
        PaymentGroupDefaults("esa_volunteers", "ESA Volunteers", 13, 20, Decimal(400),
                             Decimal(1000), Decimal(115), 0.10),
        PaymentGroupDefaults("esa_new", "New ESA claimants", 13, 20, Decimal(600), Decimal(1200),
                             Decimal(215), 0.151),
        PaymentGroupDefaults("esa_ex_ib", "ESA ex-IB", 13, 26, Decimal(600), Decimal(3500),
                             Decimal(370), 0.054),
        PaymentGroupDefaults("ib_is", "IB/IS (England)", 13, 20, Decimal(400), Decimal(1000),
                             Decimal(115), 0.06),
        PaymentGroupDefaults("jsa_prison_leavers", "JSA Prison Leavers", 13, 20, Decimal(400),
                             Decimal(1200), Decimal(250), 0.20),
    )
}

# The risk model's characteristics by default (DOMAIN.md section 10): not `area`, since
# providers often serve distinct areas and an area term can absorb real provider differences.
DEFAULT_RISK_COVARIATES: tuple[CharacteristicName, ...] = (
    "age_band", "health_condition", "claim_duration", "qualification")

# DOMAIN.md section 12: the interventions a participant may be referred to a specialist for,
# and the areas a progress assessment scores (1..10), unless the contract says otherwise.
DEFAULT_INTERVENTIONS: tuple[str, ...] = (
    "mental_health", "basic_skills", "housing", "debt", "substance_misuse",
    "disability_support")
DEFAULT_ASSESSMENT_AREAS: tuple[str, ...] = (
    "job_search", "skills", "confidence", "health", "stability", "work_experience",
    "aspiration")

# Attachment fees taper by contract year: 100% in year 1, 75% in year 2, 50% in year 3, then 0
# (400/300/200/0 for the 400 groups; the 600 groups taper in the same proportion).
ATTACHMENT_TAPER = (Decimal(1), Decimal("0.75"), Decimal("0.5"), Decimal(0))

DEFAULT_MILESTONE_SCHEDULE = {
    # Checks due this many days after each job spell's start; `min_outcome_weeks` limits a
    # check to groups whose outcome needs at least that many weeks (D182: the 26-week groups).
    "spell_checks": [
        {"milestone": "D28", "days": 28},
        {"milestone": "D91", "days": 91},
        {"milestone": "D182", "days": 182, "min_outcome_weeks": 26},
    ],
    # After a job outcome on day o, check Sk is due on o + k * this, k = 1..max sustainments.
    "sustainment_interval_days": 28,
}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def default_tariff_rows(start_date: date) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for group in PAYMENT_GROUPS.values():
        for year, factor in enumerate(ATTACHMENT_TAPER):
            rows.append({
                "payment_group": group.code,
                "valid_from": add_years(start_date, year),
                "attachment_fee": group.attachment_fee * factor,
                "outcome_fee": group.outcome_fee,
                "sustainment_fee": group.sustainment_fee,
                "max_sustainments": group.max_sustainments,
                "outcome_weeks": group.outcome_weeks,
            })
    return rows
