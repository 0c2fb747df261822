"""The compliance rules on hand-made rows: each raises its flag with the figures that produced
it, and the near miss on the other side of its threshold does not. The worked examples of
docs/compliance.md are the first case of each rule."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from app.compliance import rules
from app.performance.league import LeagueRow, Rag
from app.supply_chain.schemas import ContractSettings

SETTINGS = ContractSettings()
AS_OF = date(2026, 6, 30)  # a Tuesday


def member(provider_id: int, share: str, status: str = "active",
           joined_on: date = date(2024, 1, 1)) -> rules.MemberFacts:
    return rules.MemberFacts(provider_id=provider_id, name=f"Member {provider_id}",
                             membership_id=100 + provider_id, status=status,
                             contracted_share=Decimal(share), joined_on=joined_on)


def spread(counts: dict[int, int], day: date) -> dict[tuple[int, date], int]:
    return {(provider, day): n for provider, n in counts.items()}


# -- SCD-1 -----------------------------------------------------------------------------------------
def test_scd1_worked_example_member_below_half_its_share_is_starved() -> None:
    # 200 referrals in the window; member 2 is contracted 10% (20 expected) and got 9:
    # 9 < 0.5 x 0.10 x 200 = 10.
    daily = spread({1: 150, 2: 9, 3: 41}, AS_OF - timedelta(days=10))
    found = rules.referral_starvation([member(2, "0.10"), member(3, "0.20")], daily, AS_OF,
                                      SETTINGS)
    assert [(f.rule, f.key, f.severity) for f in found] == [("SCD-1", "2", "medium")]
    evidence = found[0].evidence
    assert evidence["referrals_to_member"] == 9 and evidence["referrals_in_contract"] == 200
    assert evidence["starvation_threshold_referrals"] == 10.0
    assert evidence["window_from"] == "2026-04-02" and evidence["window_to"] == "2026-06-30"
    assert evidence["window_days"] == 90 and evidence["membership_id"] == 102
    assert "9 of the contract's 200 referrals (4.5%)" in found[0].summary


def test_scd1_member_at_exactly_half_its_share_is_not_starved() -> None:
    daily = spread({1: 150, 2: 10, 3: 40}, AS_OF)
    assert rules.referral_starvation([member(2, "0.10"), member(3, "0.20")], daily, AS_OF,
                                     SETTINGS) == []


def test_scd1_no_referrals_is_high_and_referrals_outside_the_window_do_not_count() -> None:
    daily = {**spread({1: 50}, AS_OF - timedelta(days=89)),
             **spread({2: 40}, AS_OF - timedelta(days=90))}  # the day before the window
    found = rules.referral_starvation([member(2, "0.10")], daily, AS_OF, SETTINGS)
    assert [(f.key, f.severity) for f in found] == [("2", "high")]
    assert found[0].evidence["referrals_to_member"] == 0


def test_scd1_only_active_members_with_at_least_the_minimum_share() -> None:
    daily = spread({1: 100}, AS_OF)
    members = [member(2, "0.0499"), member(3, "0.10", status="on_improvement_plan"),
               member(4, "0.10", status="suspended"), member(5, "0.05")]
    assert [f.key for f in rules.referral_starvation(members, daily, AS_OF, SETTINGS)] == ["5"]


def test_scd1_window_starts_when_the_member_joined_and_an_idle_contract_starves_nobody() -> None:
    joined = AS_OF - timedelta(days=9)
    daily = {**spread({1: 80}, AS_OF - timedelta(days=30)), **spread({1: 18, 2: 2}, AS_OF)}
    # Since it joined: 2 of 20 referrals for a 20% share: exactly half, no flag (counting the
    # whole 90 days it would be 2 of 100).
    assert rules.referral_starvation([member(2, "0.20", joined_on=joined)], daily, AS_OF,
                                     SETTINGS) == []
    assert rules.referral_starvation([member(2, "0.20")], {}, AS_OF, SETTINGS) == []


# -- COM-1 -----------------------------------------------------------------------------------------
def payment(payment_id: int, invoice: date, paid: date | None,
            terms: int = 30) -> rules.PaymentFacts:
    return rules.PaymentFacts(payment_id=payment_id, public_id=f"P{payment_id}", provider_id=7,
                              provider_name="Member 7",
                              invoice_date=invoice, amount=Decimal("1234.50"), paid_date=paid,
                              terms_days=terms)


def test_com1_worked_example_paid_after_its_terms() -> None:
    found = rules.late_payments([payment(41, date(2026, 3, 31), date(2026, 5, 12))], AS_OF)
    assert [(f.rule, f.key, f.subject_org_id, f.severity) for f in found] == [
        ("COM-1", "41", 7, "medium")]
    evidence = found[0].evidence
    assert (evidence["due_date"], evidence["paid_date"], evidence["days_late"]) == (
        "2026-04-30", "2026-05-12", 12)
    assert evidence["payment_id"] == "P41" and evidence["unpaid"] is False
    assert evidence["amount"] == "1234.50"
    assert found[0].summary == ("Payment P41 of £1,234.50 to Member 7, invoiced on 2026-03-31, "
                                "was paid on 2026-05-12: 12 days after its 30-day terms ended "
                                "(2026-04-30).")


def test_com1_paid_on_the_last_day_of_its_terms_is_on_time() -> None:
    assert rules.late_payments([payment(1, date(2026, 3, 31), date(2026, 4, 30))], AS_OF) == []


def test_com1_unpaid_past_terms_counts_on_as_of_and_severity_grows_with_delay() -> None:
    on_due_day = payment(1, AS_OF - timedelta(days=30), None)
    one_day_over = payment(2, AS_OF - timedelta(days=31), None)
    month_over = payment(3, AS_OF - timedelta(days=61), None)
    week_late = payment(4, date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=37))
    found = {f.key: f for f in rules.late_payments(
        [on_due_day, one_day_over, month_over, week_late], AS_OF)}
    assert sorted(found) == ["2", "3", "4"]
    assert (found["2"].severity, found["2"].evidence["days_late"]) == ("low", 1)
    assert found["2"].evidence["unpaid"] is True and "is unpaid on 2026-06-30" in found["2"].summary
    assert (found["3"].severity, found["3"].evidence["days_late"]) == ("high", 31)
    assert (found["4"].severity, found["4"].evidence["days_late"]) == ("low", 7)


# -- CON-1 -----------------------------------------------------------------------------------------
MONDAY = date(2026, 3, 2)


def complaint(acknowledged: date | None, resolved: date | None = None, *,
              complaint_id: int = 12, submitted: date = MONDAY, status: str = "acknowledged",
              ended: date | None = None, confidential: bool = False) -> rules.ComplaintFacts:
    return rules.ComplaintFacts(complaint_id=complaint_id, public_id=f"C{complaint_id}",
                                complainant_org_id=5,
                                confidential=confidential, status=status,
                                submitted_on=submitted, acknowledged_on=acknowledged,
                                resolved_on=resolved, ended_on=ended)


def test_con1_worked_example_acknowledged_on_the_sixth_working_day() -> None:
    # Submitted Monday 2 March: the 5th working day after is Monday 9 March.
    found = rules.dispute_handling([complaint(date(2026, 3, 10), date(2026, 3, 20))],
                                   AS_OF, SETTINGS)
    assert [(f.rule, f.key, f.complaint_id, f.severity) for f in found] == [
        ("CON-1", "12", 12, "medium")]
    evidence = found[0].evidence
    assert evidence["acknowledge_due"] == "2026-03-09"
    assert evidence["acknowledge_working_days"] == 6 and evidence["acknowledge_missed"] is True
    assert evidence["resolve_due"] == "2026-03-30" and evidence["resolve_missed"] is False
    assert found[0].summary == ("Complaint C12, submitted on 2026-03-02, was acknowledged after "
                                "6 working days (limit 5).")


def test_con1_acknowledged_on_the_fifth_working_day_and_resolved_on_the_twentieth() -> None:
    assert rules.dispute_handling([complaint(date(2026, 3, 9), date(2026, 3, 30))], AS_OF,
                                  SETTINGS) == []


def test_con1_resolution_late_or_still_open_is_high_and_holidays_move_the_deadline() -> None:
    late = complaint(date(2026, 3, 3), date(2026, 3, 31), complaint_id=1)
    open_too_long = complaint(date(2026, 3, 3), None, complaint_id=2)
    not_yet = complaint(None, None, complaint_id=3, submitted=AS_OF - timedelta(days=1))
    withdrawn_in_time = complaint(None, None, complaint_id=4, status="withdrawn",
                                  ended=date(2026, 3, 6))
    found = {f.key: f for f in rules.dispute_handling(
        [late, open_too_long, not_yet, withdrawn_in_time], AS_OF, SETTINGS)}
    assert sorted(found) == ["1", "2"]
    assert found["1"].severity == found["2"].severity == "high"
    assert "not resolved after" in found["2"].summary
    with_holiday = ContractSettings(holidays=[date(2026, 3, 4)])
    assert rules.dispute_handling([complaint(date(2026, 3, 10), date(2026, 3, 20))], AS_OF,
                                  with_holiday) == []


# -- CON-2 -----------------------------------------------------------------------------------------
def change(change_id: int, status: str, day: date, provider_id: int = 3,
           membership_id: int = 30) -> rules.StatusChangeFacts:
    return rules.StatusChangeFacts(change_id=change_id, membership_id=membership_id,
                                   provider_id=provider_id, provider_name=f"Member {provider_id}",
                                   status=status, effective_date=day)


def plan(state: str, agreed: date | None, decided: date | None, remedy: int = 90,
         provider_id: int = 3, plan_id: str = "P1") -> rules.PlanFacts:
    opened = (agreed or date(2025, 12, 1)) - timedelta(days=7)
    return rules.PlanFacts(plan_id, provider_id, state, opened, agreed, decided, remedy)


def test_con2_worked_example_suspended_without_a_plan() -> None:
    history = [change(1, "active", date(2024, 1, 1)), change(2, "suspended", date(2026, 5, 1))]
    found = rules.exit_without_due_process(history, [])
    assert [(f.rule, f.key, f.subject_org_id, f.severity) for f in found] == [
        ("CON-2", "2", 3, "medium")]
    assert found[0].evidence["improvement_plan_id"] is None
    assert [c["status_change_id"] for c in found[0].evidence["status_history"]] == [1, 2]
    assert found[0].summary == "Member 3 was suspended on 2026-05-01 without an improvement plan."


def test_con2_a_plan_failed_when_its_remedy_period_ended_is_due_process() -> None:
    agreed = date(2026, 1, 31)
    failed = agreed + timedelta(days=90)  # the first day it may fail
    history = [change(1, "active", date(2024, 1, 1)), change(2, "suspended", failed),
               change(3, "terminated", failed + timedelta(days=30))]
    assert rules.exit_without_due_process(history, [plan("failed", agreed, failed)]) == []


def test_con2_a_plan_not_failed_or_failed_early_or_for_another_member_is_not() -> None:
    agreed, exit_day = date(2026, 1, 1), date(2026, 6, 1)
    history = [change(1, "active", date(2024, 1, 1)), change(2, "terminated", exit_day)]
    for plans, words in [
        ([plan("in_review", agreed, None)], "plan P1 is in_review, remedy period to 2026-04-01"),
        ([plan("proposed", None, None)], "plan P1 is proposed, never agreed"),
        ([plan("met", agreed, agreed + timedelta(days=100))], "plan P1 is met (since"),
        # failed a day before its remedy period ended (only possible outside the service)
        ([plan("failed", agreed, agreed + timedelta(days=89))],
         "plan P1 is failed (since 2026-03-31), remedy period to 2026-04-01"),
        ([plan("failed", agreed, agreed + timedelta(days=90), provider_id=4)],
         "was terminated on 2026-06-01 without an improvement plan."),
        # failed only after the exit
        ([plan("failed", agreed, exit_day + timedelta(days=1))], "plan P1 is failed"),
    ]:
        found = rules.exit_without_due_process(history, plans)
        assert [(f.key, f.severity) for f in found] == [("2", "high")], words
        assert words in found[0].summary, found[0].summary


def test_con2_a_failed_plan_before_a_return_to_active_does_not_count() -> None:
    agreed = date(2025, 1, 1)
    failed = agreed + timedelta(days=90)
    history = [change(1, "active", date(2024, 1, 1)), change(2, "suspended", failed),
               change(3, "active", date(2025, 9, 1)), change(4, "terminated", date(2026, 3, 1))]
    found = rules.exit_without_due_process(history, [plan("failed", agreed, failed)])
    assert [(f.key, f.severity) for f in found] == [("4", "high")]
    assert found[0].evidence["improvement_plan_id"] == "P1"
    assert found[0].evidence["remedy_period_ends"] == "2025-04-01"


# -- CON-3 -----------------------------------------------------------------------------------------
SUBMITTED = date(2026, 2, 1)


def referrals_around(before: tuple[int, int], after: tuple[int, int],
                     complainant: int = 5) -> dict[tuple[int, date], int]:
    """(complainant's, others') referrals 10 days before and 10 days after SUBMITTED."""
    return {(complainant, SUBMITTED - timedelta(days=10)): before[0],
            (1, SUBMITTED - timedelta(days=10)): before[1],
            (complainant, SUBMITTED + timedelta(days=10)): after[0],
            (1, SUBMITTED + timedelta(days=10)): after[1],
            (complainant, SUBMITTED): 50}  # the complaint's own day is in neither window


def test_con3_worked_example_share_fell_by_more_than_30_percent() -> None:
    daily = referrals_around((20, 80), (12, 88))  # 20% before, 12% after: 40% lower
    found = rules.possible_retaliation([complaint(None, submitted=SUBMITTED)], daily, [],
                                       AS_OF, SETTINGS)
    assert [(f.rule, f.key, f.subject_org_id, f.severity) for f in found] == [
        ("CON-3", "12", 5, "medium")]
    evidence = found[0].evidence
    assert evidence["before"] == {"from": "2025-11-03", "to": "2026-01-31", "days": 90,
                                       "member_referrals": 20, "contract_referrals": 100,
                                       "share": 0.2}
    assert evidence["after"]["share"] == 0.12 and evidence["after"]["complete"] is True
    assert evidence["relative_drop"] == 0.4
    assert "Member" not in found[0].summary and "fell from 20.0% to 12.0%" in found[0].summary


def test_con3_a_drop_of_exactly_30_percent_is_not_flagged() -> None:
    daily = referrals_around((20, 80), (14, 86))
    assert rules.possible_retaliation([complaint(None, submitted=SUBMITTED)], daily, [], AS_OF,
                                      SETTINGS) == []


def test_con3_a_downgrade_in_the_window_is_high_and_shares_wait_for_30_days() -> None:
    submitted = AS_OF - timedelta(days=10)
    history = [change(1, "active", date(2024, 1, 1), provider_id=5),
               change(2, "on_improvement_plan", AS_OF - timedelta(days=3), provider_id=5)]
    daily = {(5, submitted - timedelta(days=5)): 10, (1, submitted - timedelta(days=5)): 10,
             (1, submitted + timedelta(days=2)): 20}  # none for the complainant since
    found = rules.possible_retaliation([complaint(None, submitted=submitted)], daily, history,
                                       AS_OF, SETTINGS)
    assert [(f.key, f.severity) for f in found] == [("12", "high")]
    assert found[0].evidence["after"] is None  # 10 days: too early to compare shares
    assert found[0].evidence["downgrades"] == [
        {"status_change_id": 2, "from": "active", "to": "on_improvement_plan",
         "effective_date": (AS_OF - timedelta(days=3)).isoformat()}]
    assert rules.possible_retaliation([complaint(None, submitted=submitted)], daily,
                                      history[:1], AS_OF, SETTINGS) == []


# -- REV-1 and contract flags ----------------------------------------------------------------------
PERIOD = rules.LeaguePeriod(period_from=date(2024, 1, 1), period_to=AS_OF, as_of=AS_OF,
                            horizon_months=12, min_n=30, pooled_rate=0.3)


def result(provider_id: int, raw_rank: int | None, rag: Rag | None, *,
           status: str | None = "active", checks: float | None = 0.95,
           timeliness: float | None = 0.9, rag_od: Rag | None = None) -> rules.ProviderResult:
    return rules.ProviderResult(LeagueRow(
        provider_id=provider_id, provider_name=f"Provider {provider_id}", sector="private",
        tier=1, referrals=200, referral_share=0.2, contracted_share=None, eligible=100,
        outcomes=20, rate=0.2, expected=15.0, performance_index=1.33, adjusted_rate=0.4,
        ci_low=0.13, ci_high=0.29, funnel_lower_95=0.08, funnel_upper_95=0.22,
        funnel_lower_998=0.05, funnel_upper_998=0.25, rag=rag, high_outlier=False, rank=1,
        raw_rank=raw_rank, job_starts=40, check_compliance=checks, data_timeliness=timeliness,
        payments_earned=None, pi_lower_998=0.6, rag_od=rag_od), status)


def test_rev1_worked_example_bottom_raw_rank_but_green() -> None:
    rows = [result(1, 1, "green", status=None), result(2, 2, "green"), result(3, 3, "amber"),
            result(4, 4, "green"), result(5, 5, "green", status="on_improvement_plan"),
            result(6, None, None)]  # too few eligible: not ranked
    # 5 ranked: the bottom quartile is the ceil(5/4) = 2 highest raw ranks, 4 and 5.
    found = rules.unfair_comparison(rows, PERIOD)
    assert [(f.rule, f.key, f.severity) for f in found] == [("REV-1", "4", "medium"),
                                                            ("REV-1", "5", "high")]
    evidence = found[0].evidence
    assert evidence["ranked_providers"] == 5 and evidence["bottom_quartile_from_raw_rank"] == 4
    assert evidence["raw_rank"] == 4 and evidence["rag"] == "green"
    assert evidence["expected_rate"] == 0.15 and evidence["league_from"] == "2024-01-01"


def test_rev1_near_misses_above_the_bottom_quartile_or_not_green_or_the_prime() -> None:
    rows = [result(2, 1, "green"), result(3, 2, "green"), result(4, 3, "green"),
            result(5, 4, "amber"), result(1, 5, "green", status=None)]
    assert rules.unfair_comparison(rows, PERIOD) == []
    assert rules.unfair_comparison(rows[:3], PERIOD) == []  # fewer than 4 ranked


def test_contract_flags_below_minimums_and_red() -> None:
    rows = [result(1, 1, "red", status=None, checks=0.8999, timeliness=0.80),
            result(2, 2, "green", checks=0.90, timeliness=0.69), result(3, 3, "amber",
                                                                        checks=None)]
    found = {(f.rule, f.key): f for f in rules.contract_compliance(rows, PERIOD, SETTINGS)}
    assert sorted(found) == [("CC-CHECKS", "1"), ("CC-RAG", "1"), ("CC-TIMELINESS", "2")]
    assert found[("CC-CHECKS", "1")].severity == "medium"
    assert found[("CC-TIMELINESS", "2")].severity == "high"  # more than 10 points below
    assert found[("CC-CHECKS", "1")].standard == "contract"
    assert found[("CC-RAG", "1")].evidence["funnel_lower_998"] == 0.05


OVERDISPERSED = replace(PERIOD, rag_basis="overdispersed", phi=2.1, tau2=0.04)


def test_the_flags_judge_by_the_rag_of_the_periods_basis() -> None:
    """DOMAIN.md section 10: flag_rag_basis `overdispersed` makes CC-RAG and REV-1 read
    rag_od; `binomial` (or phi not estimated: the period's basis is then binomial) rag."""
    rows = [result(1, 1, "green", status=None, rag_od="green"),
            result(2, 2, "green", rag_od="green"), result(3, 3, "amber", rag_od="amber"),
            # Red on binomial limits, amber once providers' variation is allowed for.
            result(4, 4, "red", rag_od="amber"),
            # Amber on binomial limits, green on overdispersed ones: REV-1 only on that basis.
            result(5, 5, "amber", rag_od="green")]
    binomial = {(f.rule, f.key) for f in rules.unfair_comparison(rows, PERIOD)
                + rules.contract_compliance(rows, PERIOD, SETTINGS)}
    assert binomial == {("CC-RAG", "4")}
    found = (rules.unfair_comparison(rows, OVERDISPERSED)
             + rules.contract_compliance(rows, OVERDISPERSED, SETTINGS))
    assert {(f.rule, f.key) for f in found} == {("REV-1", "5")}
    assert found[0].evidence["rag_basis"] == "overdispersed"
    assert found[0].evidence["rag_od"] == "green" and found[0].evidence["phi"] == 2.1
    red = [result(4, 4, "green", rag_od="red")]
    flag = rules.contract_compliance(red, OVERDISPERSED, SETTINGS)[0]
    assert flag.rule == "CC-RAG" and "0.60" in flag.summary and "(red)" in flag.summary


# -- SCD-2 -----------------------------------------------------------------------------------------
def specialist(provider_id: int, status: str = "active", joined_on: date = date(2024, 1, 1),
               tier: int = 2) -> rules.MemberFacts:
    return replace(member(provider_id, "0", status, joined_on), tier=tier)


def test_scd2_worked_example_specialist_below_the_minimum_is_flagged() -> None:
    # 180 days to 30 June 2026 (from 2 January); specialist 5 got 4 specialist referrals,
    # specialist 6 five, specialist 7 none; the contract's minimum is 5.
    daily = {(5, AS_OF - timedelta(days=20)): 4, (6, AS_OF - timedelta(days=179)): 5,
             (6, AS_OF - timedelta(days=180)): 9, (1, AS_OF): 30}
    found = rules.specialist_starvation(
        [specialist(5), specialist(6), specialist(7)], daily, AS_OF, SETTINGS)
    assert [(f.rule, f.key, f.severity) for f in found] == [
        ("SCD-2", "5", "medium"), ("SCD-2", "7", "high")]
    evidence = found[0].evidence
    assert evidence == {
        "membership_id": 105, "window_from": "2026-01-02", "window_to": "2026-06-30",
        "window_days": 180, "specialist_referrals_to_member": 4,
        "specialist_referrals_in_contract": 39, "specialist_min_referrals": 5,
        "specialist_window_days": 180, "threshold_referrals": 5.0}
    assert found[0].summary.startswith("Member 5, a specialist named in the supply chain, "
                                       "received 4 specialist referrals from 2026-01-02")


def test_scd2_not_raised_at_exactly_the_minimum() -> None:
    daily = {(5, AS_OF - timedelta(days=179)): 5}
    assert rules.specialist_starvation([specialist(5)], daily, AS_OF, SETTINGS) == []


def test_scd2_judges_active_tier_2_members_only_after_their_first_30_days() -> None:
    members = [specialist(5, tier=1), specialist(6, status="suspended"),
               specialist(7, joined_on=AS_OF - timedelta(days=29))]
    assert rules.specialist_starvation(members, {}, AS_OF, SETTINGS) == []
    [late] = rules.specialist_starvation([specialist(7, joined_on=AS_OF - timedelta(days=30))],
                                         {}, AS_OF, SETTINGS)
    assert late.severity == "high" and late.evidence["window_days"] == 31


def test_scd2_minimum_is_pro_rata_for_a_member_that_joined_within_the_window() -> None:
    # Joined 90 days before: a minimum of 5 x 90 / 180 = 2.5.
    joined = AS_OF - timedelta(days=89)
    two = {(5, AS_OF): 2}
    [flag] = rules.specialist_starvation([specialist(5, joined_on=joined)], two, AS_OF, SETTINGS)
    assert flag.evidence["threshold_referrals"] == 2.5
    three = {(5, AS_OF): 3}
    assert rules.specialist_starvation([specialist(5, joined_on=joined)], three, AS_OF,
                                       SETTINGS) == []


def test_scd2_judges_every_tier2_member_whatever_its_share() -> None:
    """DOMAIN.md section 12: "a tier-2 member named in the supply chain", share or none."""
    for share in ("0", "0.04", "0.05", "0.3"):
        member = replace(specialist(5), contracted_share=Decimal(share))
        [flag] = rules.specialist_starvation([member], {}, AS_OF, SETTINGS)
        assert flag.severity == "high", share
    tier1 = replace(specialist(5), tier=1)
    assert rules.specialist_starvation([tier1], {}, AS_OF, SETTINGS) == []


def test_scd2_threshold_is_the_contracts() -> None:
    settings = ContractSettings(specialist_min_referrals=0)
    assert rules.specialist_starvation([specialist(5)], {}, AS_OF, settings) == []
