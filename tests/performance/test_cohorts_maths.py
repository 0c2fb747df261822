"""Cohort curves as pure functions: months to outcome across month ends, eligibility on the
partial month, and agreement with the definition (add_months per participant)."""

import random
from datetime import date, timedelta

import pytest

from app.performance.cohorts import (
    CohortCount,
    CurvePoint,
    cohort_count_key,
    cohort_curves,
    life_table,
    month_index,
    months_to_outcome,
    overall_curve,
)
from app.performance.dates import add_months


@pytest.mark.parametrize(
    ("referral", "outcome", "months"),
    [
        (date(2025, 1, 15), date(2025, 1, 15), 0),
        (date(2025, 1, 15), date(2025, 2, 15), 1),
        (date(2025, 1, 15), date(2025, 2, 16), 2),
        # 31 January + 1 month is 28 February (29 in a leap year): still within 1 month.
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 30), date(2024, 2, 29), 1),
        (date(2025, 1, 31), date(2025, 3, 1), 2),
        (date(2025, 1, 31), date(2025, 3, 31), 2),
        # 28 February + 1 month is 28 March: 31 March needs a second month.
        (date(2025, 2, 28), date(2025, 3, 28), 1),
        (date(2025, 2, 28), date(2025, 3, 31), 2),
        (date(2024, 1, 30), date(2024, 5, 31), 5),
        (date(2024, 12, 31), date(2025, 2, 28), 2),  # across the year end
    ],
)
def test_months_to_outcome(referral: date, outcome: date, months: int) -> None:
    assert months_to_outcome(referral, outcome) == months
    # ... which is the least m with outcome <= add_months(referral, m)
    assert outcome <= add_months(referral, months)
    assert months == 0 or outcome > add_months(referral, months - 1)


def test_months_to_outcome_is_the_definition_for_every_pair_of_days() -> None:
    start = date(2023, 11, 25)
    for r in range(100):
        referral = start + timedelta(days=r)
        for gap in range(0, 130, 3):
            outcome = referral + timedelta(days=gap)
            least = next(m for m in range(0, 10) if outcome <= add_months(referral, m))
            assert months_to_outcome(referral, outcome) == least, (referral, outcome)


def _counts(participants: list[tuple[date, date | None]], as_of: date) -> list[CohortCount]:
    tally: dict[tuple[int, bool, int | None], int] = {}
    for referral, outcome in participants:
        key = cohort_count_key(referral, outcome, as_of)
        tally[key] = tally.get(key, 0) + 1
    return [CohortCount(*key, n) for key, n in tally.items()]


# Referred in December 2024 and January 2025; as_of 27 February 2025 is not a month end.
HAND = [
    (date(2024, 12, 15), None),
    (date(2024, 12, 31), date(2025, 2, 27)),  # within 2 months (31 Dec + 2 = 28 Feb)
    (date(2025, 1, 10), date(2025, 2, 5)),  # within 1 month
    (date(2025, 1, 28), None),
    (date(2025, 1, 31), date(2025, 2, 27)),  # within 1 month (31 Jan + 1 = 28 Feb)
]


def test_hand_computed_cohorts_on_a_day_that_is_not_a_month_end() -> None:
    as_of = date(2025, 2, 27)
    december, january = cohort_curves(_counts(HAND, as_of), as_of, 3)
    assert (december.month, december.referrals) == ("2024-12", 2)
    # m = 1: both eligible (15 Jan, 31 Jan <= 27 Feb), no outcome by then.
    # m = 2: 15 Dec + 2 = 15 Feb is eligible; 31 Dec + 2 = 28 Feb is after as_of.
    assert december.points == (CurvePoint(1, 2, 0, 0.0), CurvePoint(2, 1, 0, 0.0),
                               CurvePoint(3, 0, 0, None))
    assert (january.month, january.referrals) == ("2025-01", 3)
    # m = 1: 10 Jan + 1 = 10 Feb eligible with its outcome; 28 and 31 Jan + 1 = 28 Feb are not.
    assert january.points == (CurvePoint(1, 1, 1, 1.0), CurvePoint(2, 0, 0, None),
                              CurvePoint(3, 0, 0, None))
    assert overall_curve([december, january], 3) == [
        CurvePoint(1, 3, 1, 1 / 3), CurvePoint(2, 1, 0, 0.0), CurvePoint(3, 0, 0, None)]


def test_on_a_month_end_every_later_day_has_clipped_onto_it() -> None:
    as_of = date(2025, 2, 28)
    december, january = cohort_curves(_counts(HAND, as_of), as_of, 3)
    # 31 Dec + 2 months = 28 Feb <= as_of, with its outcome of 27 Feb.
    assert december.points[1] == CurvePoint(2, 2, 1, 0.5)
    # 28 and 31 January + 1 month = 28 February: all three eligible, two outcomes.
    assert january.points[0] == CurvePoint(1, 3, 2, 2 / 3)


def test_an_outcome_after_as_of_does_not_count() -> None:
    as_of = date(2025, 2, 26)
    december, _january = cohort_curves(_counts(HAND, as_of), as_of, 3)
    assert december.points[0] == CurvePoint(1, 2, 0, 0.0)
    assert cohort_count_key(date(2024, 12, 31), date(2025, 2, 27), as_of)[2] is None


def _brute_force(participants: list[tuple[date, date | None]], as_of: date,
                 horizon: int) -> dict[tuple[str, int], tuple[int, int]]:
    curves: dict[tuple[str, int], tuple[int, int]] = {}
    for referral, outcome in participants:
        for m in range(1, horizon + 1):
            key = (f"{referral.year:04d}-{referral.month:02d}", m)
            eligible, outcomes = curves.get(key, (0, 0))
            target = add_months(referral, m)
            if target <= as_of:
                eligible += 1
                outcomes += outcome is not None and outcome <= target and outcome <= as_of
            curves[key] = (eligible, outcomes)
    return curves


@pytest.mark.parametrize("seed", range(6))
def test_curves_agree_with_the_definition_participant_by_participant(seed: int) -> None:
    rng = random.Random(seed)
    as_of = date(2024, 2, 29) + timedelta(days=rng.randrange(0, 400))
    participants = []
    for _ in range(300):
        referral = date(2023, 1, 1) + timedelta(days=rng.randrange(0, (as_of -
                                                                      date(2023, 1, 1)).days + 1))
        outcome = (referral + timedelta(days=rng.randrange(0, 500))
                   if rng.random() < 0.6 else None)
        participants.append((referral, outcome))
    horizon = rng.randrange(1, 25)
    cohorts = cohort_curves(_counts(participants, as_of), as_of, horizon)
    expected = _brute_force(participants, as_of, horizon)
    got = {(c.month, p.month_since_referral): (p.eligible, p.outcomes)
           for c in cohorts for p in c.points}
    assert got == expected
    assert sum(c.referrals for c in cohorts) == len(participants)


def test_horizon_and_input_are_checked() -> None:
    with pytest.raises(ValueError):
        cohort_curves([], date(2025, 1, 1), 25)
    with pytest.raises(ValueError):
        cohort_curves([CohortCount(month_index(date(2025, 2, 1)), True, None, 1)],
                      date(2025, 1, 31), 3)


# docs/metrics.md's example (Cohorts): A to E, as_of 29 June 2024.
METRICS_EXAMPLE = [
    (date(2024, 1, 31), date(2024, 5, 31)),  # A, 4 months to outcome
    (date(2024, 1, 30), date(2024, 5, 31)),  # B, 5
    (date(2024, 1, 15), None),  # C
    (date(2024, 2, 29), date(2024, 6, 29)),  # D, 4
    (date(2024, 2, 10), date(2024, 8, 20)),  # E, after as_of
]


def test_life_table_by_hand_where_the_pooled_rate_falls() -> None:
    as_of = date(2024, 6, 29)
    counts = _counts(METRICS_EXAMPLE, as_of)
    pooled = overall_curve(cohort_curves(counts, as_of, 6), 6)
    assert [p.rate for p in pooled] == [0, 0, 0, 0.4, 0, None]  # falls at m = 5
    table = life_table(counts, as_of, 6)
    assert [(p.at_risk, p.new_outcomes) for p in table] == [
        (5, 0), (5, 0), (5, 0), (5, 2), (1, 0), (0, 0)]
    assert [p.rate for p in table] == [0, 0, 0, pytest.approx(0.4), pytest.approx(0.4), None]
    # On the month's last day A and B are eligible at m = 5; B, at risk, has its outcome.
    month_end = life_table(_counts(METRICS_EXAMPLE, date(2024, 6, 30)), date(2024, 6, 30), 6)
    assert (month_end[4].at_risk, month_end[4].new_outcomes) == (2, 1)
    assert month_end[4].rate == pytest.approx(1 - 0.6 * 0.5)


def _brute_force_life_table(participants: list[tuple[date, date | None]], as_of: date,
                            horizon: int) -> list[tuple[int, int]]:
    """(at risk, new outcomes) at each m from each participant's dates."""
    rows = []
    for m in range(1, horizon + 1):
        at_risk = new = 0
        for referral, outcome in participants:
            counted = outcome if outcome is not None and outcome <= as_of else None
            if add_months(referral, m) > as_of:
                continue
            if m > 1 and counted is not None and counted <= add_months(referral, m - 1):
                continue  # had its outcome before month m
            at_risk += 1
            new += counted is not None and counted <= add_months(referral, m)
        rows.append((at_risk, new))
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_life_table_agrees_with_the_definition_and_never_falls(seed: int) -> None:
    rng = random.Random(seed)
    as_of = date(2024, 2, 29) + timedelta(days=rng.randrange(0, 400))
    participants = []
    for _ in range(300):
        referral = date(2023, 1, 1) + timedelta(days=rng.randrange(0, (as_of -
                                                                      date(2023, 1, 1)).days + 1))
        outcome = (referral + timedelta(days=rng.randrange(0, 500))
                   if rng.random() < 0.6 else None)
        participants.append((referral, outcome))
    horizon = rng.randrange(1, 25)
    table = life_table(_counts(participants, as_of), as_of, horizon)
    assert [(p.at_risk, p.new_outcomes) for p in table] == _brute_force_life_table(
        participants, as_of, horizon)
    rates = [p.rate for p in table if p.rate is not None]
    assert rates == sorted(rates)


def test_life_table_is_the_pooled_rate_when_every_cohort_is_mature() -> None:
    rng = random.Random(4)
    as_of = date(2026, 6, 30)
    participants = [(date(2024, 1, 1) + timedelta(days=rng.randrange(0, 150)),
                     date(2024, 1, 1) + timedelta(days=rng.randrange(0, 900))
                     if rng.random() < 0.5 else None) for _ in range(400)]
    participants = [(r, o if o is None or o >= r else None) for r, o in participants]
    counts = _counts(participants, as_of)
    pooled = overall_curve(cohort_curves(counts, as_of, 12), 12)
    assert [p.rate for p in life_table(counts, as_of, 12)] == [
        pytest.approx(p.rate, abs=1e-12) for p in pooled]
