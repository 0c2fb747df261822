"""League-table maths against numbers computed by hand.

Every expected value below was computed outside the code under test (with `bc -l` at 40
digits) from the formula written beside it; z = 1.959964 (95%), y = 3.090232 (99.8%).
"""

import random
import re
from dataclasses import fields, replace
from decimal import Decimal
from fractions import Fraction
from math import sqrt
from pathlib import Path
from typing import Any

import pytest

from app.performance.league import (
    QUASI_IDENTIFIERS,
    GroupCounts,
    LeagueParameters,
    LeagueRow,
    LeagueTable,
    ProviderFacts,
    anonymise,
    anonymous_name,
    build_league_table,
    classify_rag,
    funnel_limits,
    wilson_interval,
)

TOLERANCE = 1e-9
G1, G2 = "jsa_25_plus", "esa_ex_ib"


def facts(provider_id: int, name: str, referrals: int, **extra: Any) -> ProviderFacts:
    defaults = ProviderFacts(
        provider_id=provider_id, name=name, sector="third", tier=1, referrals=referrals,
        contracted_share=Decimal("0.5"), job_starts=0, check_compliance=None,
        data_timeliness=None, payments_earned=Decimal("0"))
    return replace(defaults, **extra)


def counts(provider_id: int, group: str, eligible: int, outcomes: int) -> GroupCounts:
    return GroupCounts(provider_id, group, eligible, outcomes)


def by_name(table: LeagueTable) -> dict[str, LeagueRow]:
    return {row.provider_name: row for row in table.rows}


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and abs(actual - expected) <= TOLERANCE


# --- the worked example of docs/metrics.md ------------------------------------------------


def worked_example() -> LeagueTable:
    return build_league_table(
        [facts(1, "Alder", 14), facts(2, "Birch", 16)],
        [
            counts(1, G1, 8, 4),
            counts(1, G2, 2, 0),
            counts(2, G1, 2, 1),
            counts(2, G2, 8, 2),
        ],
        LeagueParameters(min_n=10),
    )


# Field -> the number as written in docs/metrics.md (10 decimals).
DOC_NUMBERS = {
    "Alder": {
        "referral_share": "0.4666666667",
        "performance_index": "0.9090909091",
        "adjusted_rate": "0.3181818182",
        "ci_low": "0.1681803285",
        "ci_high": "0.6873262321",
        "funnel_lower_95": "0.1323418344",
        "funnel_upper_95": "0.7476581656",
        "funnel_upper_998": "0.9250778424",
    },
    "Birch": {
        "referral_share": "0.5333333333",
        "performance_index": "1.1538461538",
        "adjusted_rate": "0.4038461538",
        "ci_low": "0.1077912666",
        "ci_high": "0.6032218547",
        "funnel_upper_95": "0.5318633276",
        "funnel_upper_998": "0.6886409110",
    },
}


def test_metrics_doc_worked_example() -> None:
    """Builds the example of docs/metrics.md and checks every number the doc states.

    The numbers are also looked up in the doc's text, so editing one side alone fails here.
    """
    doc = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    example = doc.split("### Worked example", 1)[1].split("\n## ", 1)[0]
    table = worked_example()
    rows = by_name(table)
    alder, birch = rows["Alder"], rows["Birch"]

    # b_g1 = 5/10 = 0.5, b_g2 = 2/10 = 0.2, pooled = 7/20 = 0.35.
    assert table.pooled_rate == 0.35
    assert "= 0.35" in example
    assert (alder.eligible, alder.outcomes, alder.rate) == (10, 4, 0.4)
    assert (birch.eligible, birch.outcomes, birch.rate) == (10, 3, 0.3)
    # X_Alder = 8 x 0.5 + 2 x 0.2 = 4.4; X_Birch = 2 x 0.5 + 8 x 0.2 = 2.6.
    assert close(alder.expected, 4.4) and close(birch.expected, 2.6)
    assert "= 4.4" in example and "= 2.6" in example

    for name, numbers in DOC_NUMBERS.items():
        for field, text in numbers.items():
            assert text in example, (name, field, text)
            # 10 written decimals: within 5e-11 of the exact value.
            assert abs(getattr(rows[name], field) - float(text)) < 1e-10, (name, field)

    # Lower limits clipped at 0 (the doc shows the negative value before clipping).
    assert alder.funnel_lower_998 == 0.0
    assert birch.funnel_lower_95 == 0.0 and birch.funnel_lower_998 == 0.0
    assert "-0.0450778424 clipped to 0" in example
    assert "-0.0118633276 clipped to 0" in example

    assert (alder.rag, birch.rag) == ("green", "green")
    assert (alder.high_outlier, birch.high_outlier) == (False, False)
    assert (alder.raw_rank, birch.raw_rank) == (1, 2)
    assert (alder.rank, birch.rank) == (2, 1)
    assert "raw_rank Alder 1, Birch 2" in example and "rank\nBirch 1, Alder 2" in example

    seen_by_birch = anonymise(table.rows, viewer_provider_id=2)
    assert [(r.provider_id, r.provider_name) for r in seen_by_birch] == [
        (2, "Birch"),
        (None, "Provider A"),
    ]
    assert 'Alder becomes "Provider A"' in example


# --- two providers, two groups ------------------------------------------------------------


def test_two_providers_two_groups() -> None:
    """Alpha: g1 40 eligible / 16 outcomes, g2 10 / 1; Beta: g1 10 / 2, g2 40 / 4.

    b_g1 = (16 + 2) / 50 = 0.36, b_g2 = (1 + 4) / 50 = 0.1, pooled = 23 / 100 = 0.23.
    X_Alpha = 40 x 0.36 + 10 x 0.1 = 15.4, X_Beta = 10 x 0.36 + 40 x 0.1 = 7.6.
    PI_Alpha = 17 / 15.4 = 1.1038961038961..., PI_Beta = 6 / 7.6 = 0.7894736842105...
    adjusted = PI x 0.23: 0.2538961038961..., 0.1815789473684...
    """
    table = build_league_table(
        [facts(10, "Alpha", 60), facts(20, "Beta", 90)],
        [
            counts(10, G1, 40, 16),
            counts(10, G2, 10, 1),
            counts(20, G1, 10, 2),
            counts(20, G2, 40, 4),
        ],
        LeagueParameters(min_n=30),
    )
    rows = by_name(table)
    alpha, beta = rows["Alpha"], rows["Beta"]
    assert table.pooled_rate == 0.23
    assert (alpha.eligible, alpha.outcomes, beta.eligible, beta.outcomes) == (50, 17, 50, 6)
    assert alpha.rate == 0.34 and beta.rate == 0.12
    assert alpha.referral_share == 0.4 and beta.referral_share == 0.6  # 60/150, 90/150
    assert close(alpha.expected, 15.4) and close(beta.expected, 7.6)
    assert close(alpha.performance_index, 1.1038961038961038961)
    assert close(beta.performance_index, 0.7894736842105263158)
    assert close(alpha.adjusted_rate, 0.2538961038961038961)
    assert close(beta.adjusted_rate, 0.1815789473684210526)

    # Wilson, n = 50: centre = (r + z^2/100) / (1 + z^2/50),
    # half = z sqrt(r(1-r)/50 + z^2/10000) / (1 + z^2/50).
    assert close(alpha.ci_low, 0.2243694914541035608)
    assert close(alpha.ci_high, 0.4784617406030529619)
    assert close(beta.ci_low, 0.0561760011811935916)
    assert close(beta.ci_high, 0.2380481749545531497)

    # Funnel, p0_Alpha = 15.4/50 = 0.308, p0_Beta = 7.6/50 = 0.152, sd = sqrt(p0(1-p0)/50).
    assert close(alpha.funnel_lower_95, 0.1800349125640978389)
    assert close(alpha.funnel_upper_95, 0.4359650874359021611)
    assert close(alpha.funnel_lower_998, 0.1062402696798396261)
    assert close(alpha.funnel_upper_998, 0.5097597303201603739)
    assert close(beta.funnel_lower_95, 0.0524863141107184980)
    assert close(beta.funnel_upper_95, 0.2515136858892815020)
    # 0.152 - y x 0.0507732... = -0.0049010331684695: clipped.
    assert beta.funnel_lower_998 == 0.0
    assert close(beta.funnel_upper_998, 0.3089010331684694997)

    assert (alpha.rag, beta.rag) == ("green", "green")
    assert (alpha.high_outlier, beta.high_outlier) == (False, False)
    assert (alpha.rank, alpha.raw_rank, beta.rank, beta.raw_rank) == (1, 1, 2, 2)
    assert [row.provider_name for row in table.rows] == ["Alpha", "Beta"]
    # Passed through untouched.
    assert alpha.contracted_share == Decimal("0.5") and alpha.payments_earned == Decimal("0")


def test_row_fields_are_exactly_the_api_fields() -> None:
    api = (
        "provider_id, provider_name, sector, tier, referrals, referral_share, contracted_share, "
        "eligible, outcomes, rate, expected, performance_index, adjusted_rate, ci_low, ci_high, "
        "funnel_lower_95, funnel_upper_95, funnel_lower_998, funnel_upper_998, rag, "
        "high_outlier, rank, raw_rank, job_starts, check_compliance, data_timeliness, "
        "payments_earned, "
        # API.md, "Fair comparison": rows add these.
        "pi_lower_95, pi_upper_95, pi_lower_998, pi_upper_998, rag_od, high_outlier_od, "
        "shrunk_pi, shrunk_pi_low, shrunk_pi_high"
    )
    assert [f.name for f in fields(LeagueRow)] == api.split(", ")


# --- edge cases ---------------------------------------------------------------------------


def test_no_eligible_participants() -> None:
    """Referrals but nobody past the horizon: everything derived from E is null."""
    table = build_league_table(
        [facts(1, "Alder", 5), facts(2, "Birch", 0)],
        [counts(1, G1, 0, 0)],
        LeagueParameters(min_n=0),
    )
    assert table.pooled_rate is None
    alder, birch = by_name(table)["Alder"], by_name(table)["Birch"]
    for row in (alder, birch):
        assert (row.eligible, row.outcomes, row.expected) == (0, 0, 0.0)
        for field in (
            "rate",
            "performance_index",
            "adjusted_rate",
            "ci_low",
            "ci_high",
            "funnel_lower_95",
            "funnel_upper_95",
            "funnel_lower_998",
            "funnel_upper_998",
            "rag",
            "high_outlier",
            "rank",
            "raw_rank",
        ):
            assert getattr(row, field) is None, field
    assert alder.referral_share == 1.0 and birch.referral_share == 0.0


def test_nobody_referred_gives_a_null_referral_share() -> None:
    table = build_league_table([facts(1, "Alder", 0)], [])
    assert table.rows[0].referral_share is None


def test_provider_without_eligible_participants_beside_others() -> None:
    """Birch has no eligible participants: null row, no rank; Alder (E = 10, O = 5) alone
    sets b_g1 = 0.5, so PI = 5 / 5 = 1 exactly and adjusted = pooled = 0.5."""
    table = build_league_table(
        [facts(1, "Alder", 10), facts(2, "Birch", 3)],
        [counts(1, G1, 10, 5)],
        LeagueParameters(min_n=10),
    )
    alder, birch = by_name(table)["Alder"], by_name(table)["Birch"]
    assert alder.performance_index == 1.0 and alder.adjusted_rate == 0.5
    assert (alder.rank, alder.raw_rank) == (1, 1)
    assert birch.rate is None and birch.rag is None and birch.high_outlier is None
    assert (birch.rank, birch.raw_rank) == (None, None)
    assert [row.provider_name for row in table.rows] == ["Alder", "Birch"]


def test_all_outcomes() -> None:
    """Ash: 10 eligible, 10 outcomes; Box: 10 / 8; one group, b = 18/20 = 0.9, p0 = 0.9.

    Ash: r = 1; Wilson upper = 1, lower = n / (n + z^2) = 10 / 13.841458881296
    = 0.7224671969739422809. Funnel 95%: 0.9 + z sqrt(0.09/10) = 1.0859385111580277 -> 1;
    lower 0.9 - 0.1859385111580277 = 0.7140614888419722771; 99.8% lower
    0.9 - y x 0.0948683298 = 0.6068348514498764640. r = 1 is not > the clipped upper limit 1.
    PI_Ash = 10 / 9, PI_Box = 8 / 9.
    """
    table = build_league_table(
        [facts(1, "Ash", 10), facts(2, "Box", 10)],
        [counts(1, G1, 10, 10), counts(2, G1, 10, 8)],
        LeagueParameters(min_n=10),
    )
    ash, box = by_name(table)["Ash"], by_name(table)["Box"]
    assert ash.rate == 1.0
    assert ash.ci_high == 1.0
    assert close(ash.ci_low, 0.7224671969739422809)
    assert ash.funnel_upper_95 == 1.0 and ash.funnel_upper_998 == 1.0
    assert close(ash.funnel_lower_95, 0.7140614888419722771)
    assert close(ash.funnel_lower_998, 0.6068348514498764640)
    assert ash.rag == "green" and ash.high_outlier is False
    assert close(ash.performance_index, 10 / 9) and close(box.performance_index, 8 / 9)
    # Box, r = 0.8: Wilson [0.4901624691221322685, 0.9433178490622331001].
    assert close(box.ci_low, 0.4901624691221322685)
    assert close(box.ci_high, 0.9433178490622331001)
    assert (ash.rank, box.rank) == (1, 2)


def test_no_outcomes_wilson_lower_is_exactly_zero() -> None:
    low, high = wilson_interval(0, 20)
    # Upper = (z^2/40 + z sqrt(z^2/1600)) / (1 + z^2/20) = (z^2/20) / (1 + z^2/20)
    # = 3.841458881296 / 23.841458881296 = 0.1611253219...
    assert low == 0.0
    assert close(high, 3.841458881296 / 23.841458881296)


def test_one_group_only_pi_is_rate_over_pooled_rate() -> None:
    """One group: X_p = E_p x b, so PI = O / (E b) = r / b. Oak 30/12 (r = 0.4), Pine 70/14
    (r = 0.2); b = 26/100 = 0.26; PI_Oak = 0.4/0.26 = 1.5384615384615385,
    PI_Pine = 0.2/0.26 = 0.7692307692307692; adjusted = PI x 0.26 = r."""
    table = build_league_table(
        [facts(1, "Oak", 30), facts(2, "Pine", 70)],
        [counts(1, G1, 30, 12), counts(2, G1, 70, 14)],
    )
    oak, pine = by_name(table)["Oak"], by_name(table)["Pine"]
    assert table.pooled_rate == 0.26
    assert close(oak.performance_index, 0.4 / 0.26)
    assert close(pine.performance_index, 0.2 / 0.26)
    assert oak.adjusted_rate == 0.4 and pine.adjusted_rate == 0.2
    assert oak.rank == 1 and pine.rank == 2


def test_rank_ties_larger_eligible_first_then_name() -> None:
    """One group, every provider at rate 1/3 = b (80 outcomes / 240 eligible): PI is exactly
    1 for all. Ties go to the larger E, then the name, case-insensitively ('beech' < 'Cedar')."""
    providers = [
        facts(1, "Oak", 30),
        facts(2, "Cedar", 60),
        facts(3, "beech", 60),
        facts(4, "Elm", 90),
    ]
    groups = [
        counts(1, G1, 30, 10),
        counts(2, G1, 60, 20),
        counts(3, G1, 60, 20),
        counts(4, G1, 90, 30),
    ]
    table = build_league_table(providers, groups)
    assert all(row.performance_index == 1.0 for row in table.rows)
    order = ["Elm", "beech", "Cedar", "Oak"]
    assert [row.provider_name for row in table.rows] == order
    assert [row.rank for row in table.rows] == [1, 2, 3, 4]
    assert [row.raw_rank for row in table.rows] == [1, 2, 3, 4]
    # The input order does not matter.
    reversed_table = build_league_table(providers[::-1], groups[::-1])
    assert [row.provider_name for row in reversed_table.rows] == order


def test_exactly_equal_indices_tie_across_case_mixes() -> None:
    """b_g1 = 3/30 = 0.1 and b_g2 = 21/70 = 0.3; both providers have PI exactly 1 although
    their X are sums of float-unfriendly tenths: Fir X = 10 x 0.1 + 20 x 0.3 = 7 (O = 7),
    Yew X = 20 x 0.1 + 50 x 0.3 = 17 (O = 17). Equal PI: the larger E (Yew, 70) ranks first."""
    table = build_league_table(
        [facts(1, "Fir", 30), facts(2, "Yew", 70)],
        [
            counts(1, G1, 10, 1),
            counts(1, G2, 20, 6),
            counts(2, G1, 20, 2),
            counts(2, G2, 50, 15),
        ],
    )
    fir, yew = by_name(table)["Fir"], by_name(table)["Yew"]
    assert fir.performance_index == 1.0 and yew.performance_index == 1.0
    assert (yew.rank, fir.rank) == (1, 2)


def test_below_min_n_has_rates_but_no_rank() -> None:
    """The worked example with min_n = 11: E = 10 < 11 for both."""
    table = build_league_table(
        [facts(1, "Alder", 14), facts(2, "Birch", 16)],
        [
            counts(1, G1, 8, 4),
            counts(1, G2, 2, 0),
            counts(2, G1, 2, 1),
            counts(2, G2, 8, 2),
        ],
        LeagueParameters(min_n=11),
    )
    for row in table.rows:
        assert row.rank is None and row.raw_rank is None
        assert row.rate is not None and row.performance_index is not None
        assert row.rag == "green" and row.ci_low is not None
    # Unranked rows: eligible desc, then name.
    assert [row.provider_name for row in table.rows] == ["Alder", "Birch"]


def test_min_n_is_inclusive_and_ranks_have_no_gaps() -> None:
    """Big (E = 30) and Mid (E = 30) are ranked, Small (E = 29) is not, so ranks are 1, 2."""
    table = build_league_table(
        [facts(1, "Big", 30), facts(2, "Small", 29), facts(3, "Mid", 30)],
        [counts(1, G1, 30, 9), counts(2, G1, 29, 20), counts(3, G1, 30, 6)],
        LeagueParameters(min_n=30),
    )
    rows = by_name(table)
    assert (rows["Big"].rank, rows["Mid"].rank, rows["Small"].rank) == (1, 2, None)
    assert rows["Small"].raw_rank is None and rows["Small"].performance_index is not None


def test_zero_expected_outcomes() -> None:
    """Nobody in g2 had an outcome (b_g2 = 0). Zero has all 40 eligible in g2: X = 0, O = 0,
    PI = 0/0 -> null, adjusted null, no rank; rate 0, funnel around p0 = 0 is [0, 0], green.
    Other: g1 40 / 10 (b_g1 = 0.25), g2 10 / 0; X = 40 x 0.25 + 10 x 0 = 10, PI = 1;
    pooled = 10 / 90, adjusted = 1/9. Wilson upper for 0/40 = (z^2/40)/(1 + z^2/40)."""
    table = build_league_table(
        [facts(1, "Zero", 40), facts(2, "Other", 50)],
        [counts(1, G2, 40, 0), counts(2, G1, 40, 10), counts(2, G2, 10, 0)],
    )
    zero, other = by_name(table)["Zero"], by_name(table)["Other"]
    assert zero.expected == 0.0 and zero.rate == 0.0
    assert zero.performance_index is None and zero.adjusted_rate is None
    assert (zero.rank, zero.raw_rank) == (None, None)
    assert zero.ci_low == 0.0
    z2 = 1.959964**2
    assert close(zero.ci_high, (z2 / 40) / (1 + z2 / 40))
    assert (zero.funnel_lower_95, zero.funnel_upper_95) == (0.0, 0.0)
    assert (zero.funnel_lower_998, zero.funnel_upper_998) == (0.0, 0.0)
    assert zero.rag == "green" and zero.high_outlier is False
    assert other.performance_index == 1.0 and close(other.adjusted_rate, 1 / 9)
    assert (other.rank, other.raw_rank) == (1, 1)
    assert [row.provider_name for row in table.rows] == ["Other", "Zero"]


# --- RAG ----------------------------------------------------------------------------------


def test_rag_just_below_the_lower_95_limit_is_amber() -> None:
    """Main 40 / 20, Low 26 / 5, one group: b = 25/66 = 0.378787...; for Low
    lower 95% = b - z sqrt(b(1-b)/26) = 0.1923305674117796517 and
    lower 99.8% = 0.0848047493791827171; r = 5/26 = 0.1923076923076923077 is below the
    95% limit by only 0.0000228751: amber."""
    table = build_league_table(
        [facts(1, "Main", 40), facts(2, "Low", 26)],
        [counts(1, G1, 40, 20), counts(2, G1, 26, 5)],
        LeagueParameters(min_n=10),
    )
    low = by_name(table)["Low"]
    assert close(low.funnel_lower_95, 0.1923305674117796517)
    assert close(low.funnel_lower_998, 0.0848047493791827171)
    assert low.rate is not None and low.funnel_lower_95 is not None
    assert low.rate < low.funnel_lower_95
    assert low.rag == "amber"


def test_rag_just_above_the_lower_95_limit_is_green() -> None:
    """Main 40 / 30, Low 27 / 12: b = 42/67; Low's lower 95% = 0.4444399557609203668 and
    r = 12/27 = 0.4444444444444444444 is above it by 0.0000044887: green."""
    table = build_league_table(
        [facts(1, "Main", 40), facts(2, "Low", 27)],
        [counts(1, G1, 40, 30), counts(2, G1, 27, 12)],
        LeagueParameters(min_n=10),
    )
    low = by_name(table)["Low"]
    assert close(low.funnel_lower_95, 0.4444399557609203668)
    assert low.rag == "green"


def test_rag_red_below_the_lower_998_limit() -> None:
    """Big 900 / 450, Poor 100 / 30: b = 480/1000 = 0.48, sd = sqrt(0.48 x 0.52 / 100)
    = 0.0499599839872; lower 99.8% = 0.48 - y sd = 0.3256140... > r = 0.3: red.
    Big: p0 = 0.48, r = 0.5, upper 95% = 0.48 + z sqrt(0.2496/900) = 0.5126... : not high."""
    table = build_league_table(
        [facts(1, "Big", 900), facts(2, "Poor", 100)],
        [counts(1, G1, 900, 450), counts(2, G1, 100, 30)],
    )
    poor, big = by_name(table)["Poor"], by_name(table)["Big"]
    assert close(poor.funnel_lower_998, 0.48 - 3.090232 * sqrt(0.48 * 0.52 / 100))
    assert poor.rag == "red" and poor.high_outlier is False
    assert big.rag == "green" and big.high_outlier is False


def test_high_outlier() -> None:
    """Star 100 / 70, Rest 900 / 410: b = 0.48; Star's upper 95% = 0.48 + z x 0.04996
    = 0.5779... < 0.7: high outlier (and green)."""
    table = build_league_table(
        [facts(1, "Star", 100), facts(2, "Rest", 900)],
        [counts(1, G1, 100, 70), counts(2, G1, 900, 410)],
    )
    star = by_name(table)["Star"]
    assert close(star.funnel_upper_95, 0.48 + 1.959964 * sqrt(0.48 * 0.52 / 100))
    assert star.high_outlier is True and star.rag == "green"


def test_classify_rag_boundaries() -> None:
    """Strict comparisons: exactly on a limit is not below it."""
    assert classify_rag(0.30, lower_95=0.30, lower_998=0.20) == "green"
    below_95 = 0.30 - 1e-12
    assert classify_rag(below_95, lower_95=0.30, lower_998=0.20) == "amber"
    assert classify_rag(0.20, lower_95=0.30, lower_998=0.20) == "amber"
    assert classify_rag(0.20 - 1e-12, lower_95=0.30, lower_998=0.20) == "red"


def test_rate_zero_on_a_lower_limit_clipped_to_zero_is_green() -> None:
    """Rare (E = 10, O = 0) beside Common (90 / 9): b = 0.09, p0 = 0.09, lower 95% =
    0.09 - z sqrt(0.0819/10) = -0.0873... -> 0; r = 0 is exactly on the limit: green."""
    table = build_league_table(
        [facts(1, "Rare", 10), facts(2, "Common", 90)],
        [counts(1, G1, 10, 0), counts(2, G1, 90, 9)],
        LeagueParameters(min_n=10),
    )
    rare = by_name(table)["Rare"]
    assert rare.rate == 0.0 and rare.funnel_lower_95 == 0.0
    assert rare.rag == "green"


def test_funnel_limits_helper() -> None:
    # p0 = 1/2, n = 25: 0.5 -/+ z x 0.1.
    low, high = funnel_limits(Fraction(1, 2), 25, 1.959964)
    assert close(low, 0.5 - 0.1959964) and close(high, 0.5 + 0.1959964)


# --- raw versus adjusted ------------------------------------------------------------------


def test_raw_and_adjusted_rank_differ_for_a_hard_case_mix() -> None:
    """Three providers. Easy: all 40 in g1 (b high); Hard: all 40 in g2 (b low); Mixed.
    g1: Easy 40 / 20, Mixed 20 / 8 -> b_g1 = 28/60; g2: Hard 40 / 8, Mixed 20 / 2 ->
    b_g2 = 10/60. Raw rates: Easy 0.5, Mixed 0.25, Hard 0.2.
    X_Easy = 40 x 28/60 = 18.667, PI = 20 / 18.667 = 1.0714;
    X_Hard = 40 x 10/60 = 6.667, PI = 8 / 6.667 = 1.2;
    X_Mixed = 20 x 28/60 + 20 x 10/60 = 12.667, PI = 10 / 12.667 = 0.7895.
    Raw: Easy, Mixed, Hard. Adjusted: Hard, Easy, Mixed."""
    table = build_league_table(
        [facts(1, "Easy", 40), facts(2, "Hard", 40), facts(3, "Mixed", 40)],
        [
            counts(1, G1, 40, 20),
            counts(2, G2, 40, 8),
            counts(3, G1, 20, 8),
            counts(3, G2, 20, 2),
        ],
    )
    rows = by_name(table)
    assert close(rows["Hard"].performance_index, 1.2)
    assert close(rows["Easy"].performance_index, 20 / (40 * 28 / 60))
    assert close(rows["Mixed"].performance_index, 10 / (20 * 28 / 60 + 20 * 10 / 60))
    assert [(n, rows[n].raw_rank) for n in ("Easy", "Mixed", "Hard")] == [
        ("Easy", 1),
        ("Mixed", 2),
        ("Hard", 3),
    ]
    assert [(n, rows[n].rank) for n in ("Hard", "Easy", "Mixed")] == [
        ("Hard", 1),
        ("Easy", 2),
        ("Mixed", 3),
    ]
    # Same doc example from the other side: Birch is second raw, first adjusted.
    example = by_name(worked_example())
    assert (example["Birch"].raw_rank, example["Birch"].rank) == (2, 1)


# --- input checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("providers", "groups", "min_n"),
    [
        ([facts(1, "A", 5), facts(1, "B", 5)], [], 30),  # provider listed twice
        ([facts(1, "A", 5)], [counts(2, G1, 1, 0)], 30),  # unknown provider
        ([facts(1, "A", 5)], [counts(1, G1, 1, 0), counts(1, G1, 1, 0)], 30),  # group twice
        ([facts(1, "A", 5)], [counts(1, G1, 2, 3)], 30),  # outcomes > eligible
        ([facts(1, "A", 5)], [counts(1, G1, -1, 0)], 30),
        ([facts(1, "A", 5)], [counts(1, G1, 6, 0)], 30),  # eligible > referrals
        ([facts(1, "A", 5)], [], -1),
    ],
)
def test_inconsistent_input_is_refused(
    providers: list[ProviderFacts], groups: list[GroupCounts], min_n: int
) -> None:
    with pytest.raises(ValueError):
        build_league_table(providers, groups, LeagueParameters(min_n=min_n))


# --- anonymisation ------------------------------------------------------------------------


def five_provider_table() -> LeagueTable:
    """Ranked: Elm (PI 1.2), Ash, Oak; unranked (E < 30): Fir (E 20), Yew (E 0)."""
    return build_league_table(
        [
            facts(11, "Ash", 50),
            facts(12, "Elm", 50),
            facts(13, "Oak", 50),
            facts(14, "Fir", 25),
            facts(15, "Yew", 3),
        ],
        [
            counts(11, G1, 40, 12),
            counts(12, G1, 40, 18),
            counts(13, G1, 40, 8),
            counts(14, G1, 20, 2),
        ],
    )


def test_anonymise_names_only_the_viewer() -> None:
    table = five_provider_table()
    assert [row.provider_name for row in table.rows] == ["Elm", "Ash", "Oak", "Fir", "Yew"]
    seen = anonymise(table.rows, viewer_provider_id=13)
    assert [(row.provider_id, row.provider_name) for row in seen] == [
        (None, "Provider A"),
        (None, "Provider B"),
        (13, "Oak"),
        (None, "Provider C"),
        (None, "Provider D"),
    ]
    # Nothing but the identity changes, and the others' quasi-identifiers (k-anonymity,
    # tests/performance/test_league_kanon.py); the viewer's own row is exact.
    assert seen[2] == table.rows[2]
    blank: dict[str, Any] = {name: None for name in QUASI_IDENTIFIERS}
    for original, shown in zip(table.rows, seen, strict=True):
        assert replace(shown, provider_id=None, provider_name="", **blank) == replace(
            original, provider_id=None, provider_name="", **blank
        )


def test_anonymise_without_a_viewer_hides_everyone() -> None:
    seen = anonymise(five_provider_table().rows, viewer_provider_id=None)
    assert all(row.provider_id is None for row in seen)
    assert [row.provider_name for row in seen] == [anonymous_name(i) for i in range(5)]


def test_anonymised_letters_do_not_depend_on_input_order_or_identity() -> None:
    """Shuffling the rows, or swapping who is who behind identical numbers, changes nothing a
    viewer can see (the viewer is not among them)."""
    rows = list(five_provider_table().rows)
    expected = anonymise(rows, viewer_provider_id=99)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert anonymise(shuffled, viewer_provider_id=99) == expected
    renamed = [
        replace(row, provider_id=100 - (row.provider_id or 0), provider_name=f"Org {i}")
        for i, row in enumerate(shuffled)
    ]
    assert anonymise(renamed, viewer_provider_id=99) == expected


def test_identical_rows_are_indistinguishable_once_anonymised() -> None:
    """Two unranked providers with identical numbers: whichever comes first, the output is
    the same, so their letters cannot reveal which is which."""
    providers = [facts(1, "Ash", 10), facts(2, "Box", 10), facts(3, "Me", 10)]
    groups = [counts(1, G1, 5, 1), counts(2, G1, 5, 1), counts(3, G1, 5, 2)]
    forward = build_league_table(providers, groups).rows
    backward = build_league_table(providers[::-1], groups[::-1]).rows
    assert anonymise(forward, 3) == anonymise(backward, 3)
    swapped = [
        replace(row, provider_name={"Ash": "Box", "Box": "Ash"}.get(row.provider_name, "Me"))
        for row in forward
    ]
    assert anonymise(swapped, 3) == anonymise(forward, 3)


def test_anonymous_names_continue_past_z() -> None:
    assert anonymous_name(0) == "Provider A"
    assert anonymous_name(25) == "Provider Z"
    assert anonymous_name(26) == "Provider AA"
    assert anonymous_name(27) == "Provider AB"
    assert anonymous_name(701) == "Provider ZZ"
    assert anonymous_name(702) == "Provider AAA"
    names = [anonymous_name(i) for i in range(800)]
    assert len(set(names)) == 800
    assert all(re.fullmatch(r"Provider [A-Z]+", name) for name in names)
