"""Overdispersion and shrinkage (DOMAIN.md section 10) against the formulas computed by hand,
with plain Python arithmetic beside each check; z = 1.959964 (95%), 3.090232 (99.8%)."""

import math

import pytest

from app.performance.overdispersion import OverdispersionParameters, overdispersion
from app.performance.risk_model import ProviderExpectation

Z, Y = 1.959964, 3.090232


def provider(pid: int, eligible: int, outcomes: int, expected: float, variance: float
             ) -> ProviderExpectation:
    return ProviderExpectation(pid, eligible, outcomes, expected, variance)


def close(actual: float | None, expected: float, tolerance: float = 1e-12) -> bool:
    return actual is not None and abs(actual - expected) <= tolerance


# --- docs/metrics.md, "Overdispersion" and "Shrinkage", worked example --------------------

# Eight providers of 100 with p = 0.2 for everyone: X = 20, V = 100 x 0.2 x 0.8 = 16; and Ivy,
# 10 eligible, no outcome: X = 2, V = 1.6.
OUTCOMES = [10, 14, 18, 20, 22, 22, 26, 30]


def doc_example() -> list[ProviderExpectation]:
    return [provider(i + 1, 100, o, 20.0, 16.0) for i, o in enumerate(OUTCOMES)] + [
        provider(9, 10, 0, 2.0, 1.6)]


def test_metrics_doc_overdispersion_example() -> None:
    result = overdispersion(doc_example())
    # Ivy is not a unit (E = 10 < 30, O = 0): k = 8 >= od_min_units.
    assert result.units == 8
    assert [p.in_units for p in result.providers] == [True] * 8 + [False]

    s = math.sqrt(16 / 20**2)  # s_p = sqrt(0.04) = 0.2 for all eight
    z = [math.log(o / 20) / s for o in OUTCOMES]  # already in order
    # Type 7: h = (k - 1) q = 0.7 and 6.3.
    q10 = z[0] + 0.7 * (z[1] - z[0])
    q90 = z[6] + 0.3 * (z[7] - z[6])
    assert close(q10, -2.2880830746, 1e-10) and close(q90, 1.5264725878, 1e-10)
    # Both ends winsorised: Ash's -3.4657 up to q10, Pine's 2.0273 down to q90.
    winsorised = [q10] + z[1:7] + [q90]
    phi = sum(v * v for v in winsorised) / 8
    assert close(phi, 1.6498082207, 1e-10)
    assert close(result.phi, phi)
    # w_p = 25 for all: sum w = 200, sum w^2 / sum w = 25.
    tau2 = (8 * phi - 7) / (200 - 8 * 25**2 / 200)
    assert close(tau2, 0.0354198044, 1e-10)
    assert close(result.tau2, tau2)

    spread = math.sqrt(0.04 + tau2)  # 0.2746266636
    ash, pine, ivy = result.providers[0], result.providers[7], result.providers[8]
    for row in result.providers[:8]:
        assert close(row.lower_95, math.exp(-Z * spread))
        assert close(row.upper_95, math.exp(Z * spread))
        assert close(row.lower_998, math.exp(-Y * spread))
        assert close(row.upper_998, math.exp(Y * spread))
    assert close(ash.lower_95, 0.5837640661, 1e-10) and close(ash.upper_95, 1.7130208213, 1e-10)
    assert close(ash.lower_998, 0.4279880074, 1e-10)
    assert close(ash.upper_998, 2.3365140677, 1e-10)
    # Ash (PI 0.5) is amber: 0.4280 <= 0.5 < 0.5838; Pine (1.5) is not a high outlier.
    assert (ash.performance_index, ash.rag_od, ash.high_outlier_od) == (0.5, "amber", False)
    assert (pine.performance_index, pine.rag_od, pine.high_outlier_od) == (1.5, "green", False)
    assert [row.rag_od for row in result.providers[1:8]] == ["green"] * 7

    # Ivy: s^2 = 1.6 / 4 = 0.4; limits exp(-/+ z sqrt(0.4 + tau2)); PI 0 < lower 99.8%.
    assert close(ivy.lower_998, math.exp(-Y * math.sqrt(0.4 + tau2)))
    assert close(ivy.lower_998, 0.1301417259, 1e-10)
    assert (ivy.performance_index, ivy.rag_od, ivy.high_outlier_od) == (0.0, "red", False)

    # Shrinkage: y = ln((O + 0.5) / (X + 0.5)), w = tau2 / (tau2 + v).
    w = tau2 / (tau2 + 0.04)  # 0.4696353255
    y_ash = math.log(10.5 / 20.5)
    assert close(ash.shrunk_performance_index, math.exp(w * y_ash))
    assert close(ash.shrunk_performance_index, 0.7303661171, 1e-10)
    assert close(ash.shrunk_low, math.exp(w * y_ash - Z * math.sqrt(w * 0.04)))
    assert close(ash.shrunk_high, math.exp(w * y_ash + Z * math.sqrt(w * 0.04)))
    assert close(ash.shrunk_low, 0.5583095131, 1e-10)
    assert close(ash.shrunk_high, 0.9554461326, 1e-10)
    assert close(pine.shrunk_performance_index, 1.2051294143, 1e-10)
    w_ivy = tau2 / (tau2 + 0.4)  # 0.0813463329
    assert close(ivy.shrunk_performance_index, math.exp(w_ivy * math.log(0.5 / 2.5)))
    assert close(ivy.shrunk_performance_index, 0.8772863121, 1e-10)
    assert close(ivy.shrunk_low, 0.6160243358, 1e-10)
    assert close(ivy.shrunk_high, 1.2493520608, 1e-10)


def type_7_percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    below = math.floor(h)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (h - below) * (ordered[above] - ordered[below])


def test_phi_and_tau2_with_unequal_weights() -> None:
    """Ten units of different sizes and case mixes; non-units beside them change nothing."""
    rows = [  # (E, O, X, V)
        (40, 2, 10.0, 7.5), (60, 30, 18.0, 12.6), (80, 20, 24.0, 16.8), (120, 50, 36.0, 25.2),
        (150, 30, 40.0, 29.0), (200, 70, 55.0, 40.0), (90, 9, 20.0, 15.0), (300, 95, 80.0, 58.0),
        (35, 15, 8.0, 6.2), (500, 120, 130.0, 96.0),
    ]
    others = [(29, 10, 8.0, 6.0), (50, 0, 10.0, 8.0), (40, 40, 40.0, 0.0), (0, 0, 0.0, 0.0)]
    result = overdispersion(
        [provider(i, *row) for i, row in enumerate(rows + others)],
        OverdispersionParameters(min_n=30, od_min_units=8),
    )
    s2 = [v / x**2 for _, _, x, v in rows]
    z = [math.log(o / x) / math.sqrt(s) for (_, o, x, _), s in zip(rows, s2, strict=True)]
    q10, q90 = type_7_percentile(z, 0.1), type_7_percentile(z, 0.9)
    # h = 0.9 and 8.1: interpolations at both ends, each clipping one z.
    assert sum(v < q10 for v in z) == 1 and sum(v > q90 for v in z) == 1
    phi = sum(min(max(v, q10), q90) ** 2 for v in z) / 10
    w = [1 / s for s in s2]
    tau2 = max(0.0, (10 * phi - 9) / (sum(w) - sum(x * x for x in w) / sum(w)))
    assert phi > 1 and tau2 > 0
    assert result.units == 10
    assert close(result.phi, phi) and close(result.tau2, tau2)
    # The limits of a unit: exp(-/+ z sqrt(s^2 + tau2)).
    first = result.providers[0]
    assert close(first.lower_95, math.exp(-Z * math.sqrt(s2[0] + tau2)))
    assert close(first.upper_998, math.exp(Y * math.sqrt(s2[0] + tau2)))
    # E < min_n and O = 0 still get limits and a shrunk PI; V = 0 and X = 0 get nulls.
    below_min_n, no_outcome, certain, empty = result.providers[10:]
    assert not below_min_n.in_units and below_min_n.shrunk_performance_index is not None
    assert not no_outcome.in_units and no_outcome.rag_od is not None
    for row in (certain, empty):
        assert (row.lower_95, row.upper_95, row.lower_998, row.upper_998) == (None,) * 4
        assert (row.rag_od, row.high_outlier_od) == (None, None)
        assert (row.shrunk_performance_index, row.shrunk_low, row.shrunk_high) == (None,) * 3
    assert certain.performance_index == 1.0 and empty.performance_index is None


def test_tau2_is_zero_when_phi_is_at_most_one() -> None:
    # Every provider exactly as expected: z = 0, phi = 0; then shrunk PI 1 with [1, 1].
    rows = [provider(i, 100, 20, 20.0, 16.0) for i in range(8)]
    rows.append(provider(8, 10, 0, 2.0, 1.6))
    result = overdispersion(rows)
    assert (result.phi, result.tau2) == (0.0, 0.0)
    for row in result.providers:
        assert (row.shrunk_performance_index, row.shrunk_low, row.shrunk_high) == (1.0, 1.0, 1.0)
    # Plain binomial limits on the log scale: exp(-z sqrt(0.04)).
    assert close(result.providers[0].lower_95, math.exp(-Z * 0.2))


def test_tau2_is_zero_for_phi_below_one_where_the_formula_is_positive() -> None:
    """7/8 < phi <= 1: k phi - (k - 1) = 8 x 0.9125 - 7 > 0, yet tau2 = 0 by the rule."""
    outcomes = [14, 17, 17, 20, 23, 24, 26, 26]
    result = overdispersion([provider(i, 100, o, 20.0, 16.0) for i, o in enumerate(outcomes)])
    z = [math.log(o / 20) / 0.2 for o in outcomes]  # in order
    q10, q90 = z[0] + 0.7 * (z[1] - z[0]), z[6] + 0.3 * (z[7] - z[6])
    phi = sum(min(max(v, q10), q90) ** 2 for v in z) / 8
    assert 7 / 8 < phi <= 1 and close(phi, 0.9125214977, 1e-10)
    assert close(result.phi, phi)
    assert result.tau2 == 0.0
    assert {row.shrunk_performance_index for row in result.providers} == {1.0}


def test_fewer_units_than_od_min_units_gives_null_phi_and_tau2() -> None:
    rows = doc_example()[1:]  # seven units and Ivy
    result = overdispersion(rows)
    assert (result.units, result.phi, result.tau2) == (7, None, None)
    for row in result.providers:
        assert (row.shrunk_performance_index, row.shrunk_low, row.shrunk_high) == (None,) * 3
        assert row.rag_od is not None  # the limits use tau2 = 0
    assert close(result.providers[0].lower_95, math.exp(-Z * 0.2))
    assert overdispersion(rows, OverdispersionParameters(od_min_units=7)).phi is not None


def test_a_provider_without_outcomes_is_shrunk_below_one() -> None:
    ivy = overdispersion(doc_example()).providers[8]
    assert ivy.performance_index == 0.0
    assert ivy.shrunk_performance_index is not None and ivy.shrunk_performance_index < 1


def test_shrinkage_towards_one_grows_as_expected_outcomes_fall() -> None:
    """Same raw ratio (O + 0.5) / (X + 0.5) = 1.5, smaller and smaller X: the shrunk PI moves
    towards 1 and its weight w = tau2 / (tau2 + V / X^2) falls."""
    outcomes = [599, 149, 59, 14, 5]
    sizes = [(o + 0.5) / 1.5 - 0.5 for o in outcomes]  # X: 399.17, 99.17, ..., 3.17
    candidates = [provider(100 + i, int(5 * x), o, x, 0.8 * x)  # p = 0.2: V = 0.8 X
                  for i, (o, x) in enumerate(zip(outcomes, sizes, strict=True))]
    result = overdispersion(doc_example()[:8] + candidates)
    tau2 = result.tau2
    assert tau2 is not None and tau2 > 0
    shrunk = [row.shrunk_performance_index or 0.0 for row in result.providers[8:]]
    weights = [tau2 / (tau2 + 0.8 / x) for x in sizes]
    for value, w in zip(shrunk, weights, strict=True):
        assert close(value, math.exp(w * math.log(1.5)))
    assert weights == sorted(weights, reverse=True)
    assert shrunk == sorted(shrunk, reverse=True)
    assert all(1 < value < 1.5 for value in shrunk)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        overdispersion([], OverdispersionParameters(od_min_units=1))
