"""Payments earned and the forecast as pure functions: fees in force on a date, monthly rows
with running totals, the two life tables, and docs/metrics.md's worked example."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest

from app.performance.payments import (
    EventCount,
    GroupEstimate,
    InWork,
    SustainmentHistory,
    Tariff,
    WithOutcome,
    WorkHistory,
    earned_by_month,
    forecast,
    group_estimate,
    pennies,
    settled_steps,
    sustainment_continuation,
    totals_by_provider,
    week_continuation,
)
from app.supply_chain.schemas import TariffRowRead

G = "jsa_ex_ib"


def terms(valid_from: date, attachment: str = "400", outcome: str = "1000",
          sustainment: str = "100", max_sustainments: int = 2, outcome_weeks: int = 4,
          group: str = G) -> TariffRowRead:
    return TariffRowRead(payment_group=group, valid_from=valid_from,
                         attachment_fee=Decimal(attachment), outcome_fee=Decimal(outcome),
                         sustainment_fee=Decimal(sustainment),
                         max_sustainments=max_sustainments, outcome_weeks=outcome_weeks)


def test_the_row_in_force_on_a_day():
    tariff = Tariff([terms(date(2025, 1, 1), attachment="300"), terms(date(2024, 1, 1)),
                     terms(date(2024, 6, 1), group="esa_ex_ib", attachment="600")])
    assert tariff.fee(G, "attachment", date(2023, 12, 31)) == 0  # before the tariff
    assert tariff.fee(G, "attachment", date(2024, 1, 1)) == 400
    assert tariff.fee(G, "attachment", date(2024, 12, 31)) == 400
    assert tariff.fee(G, "attachment", date(2025, 1, 1)) == 300
    assert tariff.fee(G, "job_outcome", date(2025, 1, 1)) == 1000
    assert tariff.fee("esa_ex_ib", "attachment", date(2024, 5, 31)) == 0
    assert tariff.fee("nobody", "sustainment", date(2025, 1, 1)) == 0
    assert tariff.period_starts == [date(2024, 1, 1), date(2024, 6, 1), date(2025, 1, 1)]
    # Before the tariff, the outcome weeks and sustainments of the group's first row apply.
    structure = tariff.structure(G, date(2023, 1, 1))
    assert structure is not None and structure.valid_from == date(2024, 1, 1)


def test_monthly_rows_are_zero_filled_with_running_totals():
    tariff = Tariff([terms(date(2024, 1, 1)), terms(date(2025, 1, 1), attachment="300")])
    dec, jan, mar = 2024 * 12 + 11, 2025 * 12, 2025 * 12 + 2
    counts = [EventCount(7, G, "attachment", date(2024, 1, 1), dec, 2),
              EventCount(7, G, "attachment", date(2025, 1, 1), jan, 1),
              EventCount(7, G, "job_outcome", date(2025, 1, 1), mar, 1),
              EventCount(7, G, "sustainment", date(2025, 1, 1), mar, 3),
              EventCount(9, G, "attachment", None, jan, 5)]  # before the tariff: no fee
    rows = earned_by_month(counts, tariff, mar, providers=[11])
    got = [(r.provider_id, r.month, r.attachments, r.outcomes, r.sustainments, str(r.total),
            str(r.cumulative_total)) for r in rows]
    assert got == [
        (7, "2024-12", 2, 0, 0, "800.00", "800.00"),
        (7, "2025-01", 1, 0, 0, "300.00", "1100.00"),
        (7, "2025-02", 0, 0, 0, "0.00", "1100.00"),
        (7, "2025-03", 0, 1, 3, "1300.00", "2400.00"),
        (9, "2024-12", 0, 0, 0, "0.00", "0.00"),
        (9, "2025-01", 5, 0, 0, "0.00", "0.00"),
        (9, "2025-02", 0, 0, 0, "0.00", "0.00"),
        (9, "2025-03", 0, 0, 0, "0.00", "0.00"),
        (11, "2024-12", 0, 0, 0, "0.00", "0.00"),
        (11, "2025-01", 0, 0, 0, "0.00", "0.00"),
        (11, "2025-02", 0, 0, 0, "0.00", "0.00"),
        (11, "2025-03", 0, 0, 0, "0.00", "0.00"),
    ]
    seven = totals_by_provider(rows)[0]
    assert (seven.attachments, seven.attachment_fees, seven.outcome_fees,
            seven.sustainment_fees, seven.total) == (3, Decimal("1100.00"), Decimal("1000.00"),
                                                     Decimal("300.00"), Decimal("2400.00"))
    assert earned_by_month([], tariff, mar) == []


def test_pennies_round_half_up():
    assert pennies(F(1, 3)) == Decimal("0.33") and pennies(F(2, 3)) == Decimal("0.67")
    assert pennies(F(1, 200)) == Decimal("0.01") and pennies(Decimal("2.345")) == Decimal("2.35")


def test_week_continuation_censors_those_still_in_work():
    # Nobody stopped in week 0; one of 3 settled stopped in week 1; the one still in work
    # after 1 week is not settled for week 1.
    history = [WorkHistory(G, "outcome", 9, 1), WorkHistory(G, "stopped", 1, 1),
               WorkHistory(G, "stopped", 5, 1), WorkHistory(G, "in_work", 1, 1)]
    # Week 2 (the last of 3): the one stopped after 5 weeks counts there (no claim made).
    assert week_continuation(history, 3) == [F(1), F(2, 3), F(1, 2)]
    assert week_continuation([], 2) == [F(0), F(0)]  # no evidence: nothing expected
    with pytest.raises(ValueError):
        week_continuation(history, 0)


def test_sustainment_continuation_counts_settled_steps_only():
    history = [SustainmentHistory(G, 3, 5, 2),  # reached 3; step 4 settled without it
               SustainmentHistory(G, 1, 5, 1),  # lapsed at step 2
               SustainmentHistory(G, 2, 2, 4),  # sustainment 2 reported; step 3 not settled
               SustainmentHistory(G, 0, 0, 7)]  # too recent for anything
    assert sustainment_continuation(history, 4) == [F(7, 7), F(6, 7), F(2, 2), F(0)]


def test_settled_steps():
    outcome = date(2024, 3, 1)
    assert settled_steps(outcome, outcome, 28) == 0
    assert settled_steps(outcome, outcome + timedelta(days=34), 28) == 0
    assert settled_steps(outcome, outcome + timedelta(days=35), 28) == 1  # due + 7 days
    assert settled_steps(outcome, outcome + timedelta(days=63), 28) == 2


def test_fees_come_from_the_row_in_force_on_the_expected_date():
    tariff = Tariff([terms(date(2024, 1, 1)),
                     terms(date(2024, 7, 1), outcome="2000", sustainment="500")])
    estimate = GroupEstimate(G, 4, 2, (F(1),) * 4, (F(1), F(1, 2)))
    as_of = date(2024, 6, 20)
    got = forecast([InWork(1, G, 14, 1), InWork(1, G, 0, 1)],
                   [WithOutcome(2, G, date(2024, 6, 1), 0, 1)],
                   {G: estimate}, tariff, as_of, 28)
    # 14 days in: the outcome is due on 4 July (row of 1 July); sustainments 1 Aug and 29 Aug.
    # 0 days in: due 18 July. Both pay 2000 and then 500 + 1/2 x 500.
    assert got[1].expected_outcome_fees == 2 * 2000
    assert got[1].expected_sustainment_fees == 2 * (500 + 250)
    # Outcome on 1 June: sustainment 1 due 29 June (100), 2 due 27 July (500) with p = 1/2.
    assert got[2].expected_sustainment_fees == 100 + 250
    assert got[2].with_outcome == 1 and got[2].expected_sustainments == F(3, 2)


def test_lapsed_and_completed_sustainments_expect_nothing():
    tariff = Tariff([terms(date(2024, 1, 1))])
    estimate = GroupEstimate(G, 4, 2, (F(1),) * 4, (F(1), F(1)))
    as_of = date(2024, 6, 30)
    got = forecast([], [WithOutcome(1, G, date(2024, 5, 1), 0, 1),  # step 1 settled: lapsed
                        WithOutcome(1, G, date(2024, 1, 1), 2, 1)],  # all 2 reached
                   {G: estimate}, tariff, as_of, 28)
    assert got == {}


# -- docs/metrics.md, "Payments and forecast", worked example -------------------------------------
DOC_WORK = [WorkHistory(G, "outcome", 10, 4),  # A, B, C, D (their weeks do not matter)
            WorkHistory(G, "stopped", 1, 1), WorkHistory(G, "stopped", 2, 1),
            WorkHistory(G, "stopped", 3, 1),  # P3, P4, P7
            WorkHistory(G, "in_work", 1, 1), WorkHistory(G, "in_work", 3, 1)]  # P5, P6
DOC_SUSTAINMENTS = [SustainmentHistory(G, 2, 4, 1), SustainmentHistory(G, 0, 4, 1),
                    SustainmentHistory(G, 1, 1, 1), SustainmentHistory(G, 0, 0, 1)]  # A B C D
DOC_AS_OF = date(2024, 6, 30)
THIRD, PRIVATE = 1, 2


def test_metrics_doc_worked_example():
    estimate = group_estimate(G, 4, 2, DOC_WORK, DOC_SUSTAINMENTS)
    assert estimate.week_continuation == (F(1), F(7, 8), F(6, 7), F(4, 5))
    assert [estimate.outcome_probability(w) for w in range(4)] == [F(3, 5), F(3, 5), F(24, 35),
                                                                   F(4, 5)]
    assert estimate.sustainment_continuation == (F(2, 3), F(1))
    assert estimate.reach_probabilities(0) == [(1, F(2, 3)), (2, F(2, 3))]
    assert estimate.reach_probabilities(1) == [(2, F(1))]
    tariff = Tariff([terms(date(2024, 1, 1), attachment="0")])
    in_work = [InWork(THIRD, G, 8, 1), InWork(PRIVATE, G, 22, 1)]  # P5, P6
    with_outcome = [WithOutcome(THIRD, G, date(2024, 3, 1), 2, 1),  # A: all reached
                    WithOutcome(PRIVATE, G, date(2024, 3, 1), 0, 1),  # B: lapsed
                    WithOutcome(THIRD, G, date(2024, 5, 20), 1, 1),  # C
                    WithOutcome(PRIVATE, G, date(2024, 6, 10), 0, 1)]  # D
    got = forecast(in_work, with_outcome, {G: estimate}, tariff, DOC_AS_OF, 28)
    third, private = got[THIRD], got[PRIVATE]
    assert (third.in_work_without_outcome, third.with_outcome) == (1, 1)
    assert third.expected_outcomes == F(3, 5) and third.expected_sustainments == F(9, 5)
    assert third.expected_outcome_fees == 600 and third.expected_sustainment_fees == 80 + 100
    assert (private.in_work_without_outcome, private.with_outcome) == (1, 1)
    assert private.expected_outcomes == F(4, 5) and private.expected_sustainments == F(12, 5)
    assert private.expected_outcome_fees == 800
    assert private.expected_sustainment_fees == F(320, 3) + F(400, 3) == 240
    assert pennies(F(320, 3)) == Decimal("106.67") and pennies(F(400, 3)) == Decimal("133.33")
