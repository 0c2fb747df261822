"""Risk model (DOMAIN.md section 10) against section 5, a participant-level statsmodels fit,
brute-force definitions and numbers computed by hand."""

import math
import random
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm

from app.performance.league import GroupCounts, LeagueParameters, ProviderFacts, build_league_table
from app.performance.overdispersion import overdispersion
from app.performance.risk_model import (
    CellFit,
    MergedLevel,
    RiskCell,
    RiskModel,
    RiskModelParameters,
    _independent_columns,
    c_statistic,
    calibration,
    fit_risk_model,
    merge_sparse_levels,
)

G1, G2, G3 = "jsa_25_plus", "esa_ex_ib", "jsa_18_24"
NO_CHARACTERISTICS = RiskModelParameters(characteristics=())


# Each cell's refs (with an outcome, without), by id(cell); the cell is kept so its id stays
# its own. The service answers calibration's refs_for from the database; the tests from here.
_REFS: dict[int, tuple[RiskCell, tuple[str, ...], tuple[str, ...]]] = {}


def with_refs(provider_id: int, group: str, characteristics: Mapping[str, str | None],
              outcome_refs: Sequence[str], non_outcome_refs: Sequence[str]) -> RiskCell:
    made = RiskCell(provider_id, group, characteristics, len(outcome_refs) + len(non_outcome_refs),
                    len(outcome_refs))
    _REFS[id(made)] = (made, tuple(outcome_refs), tuple(non_outcome_refs))
    return made


def refs_of(c: RiskCell) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _REFS[id(c)][1:]


class RefsFor:
    """refs_for for calibration, counting the cells it was asked about."""

    def __init__(self) -> None:
        self.asked: list[RiskCell] = []

    def __call__(self, cells: Sequence[RiskCell]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        self.asked.extend(cells)
        return [refs_of(c) for c in cells]


def cell(
    provider_id: int,
    group: str,
    eligible: int,
    outcomes: int,
    characteristics: Mapping[str, str | None] | None = None,
    prefix: str | None = None,
) -> RiskCell:
    """Refs ``<prefix>-001``...; the outcomes take the first ones."""
    prefix = prefix or f"{provider_id}-{group}-{sorted((characteristics or {}).items())}"
    refs = [f"{prefix}-{i:03d}" for i in range(1, eligible + 1)]
    return with_refs(provider_id, group, characteristics or {}, refs[:outcomes], refs[outcomes:])


def probabilities(model: RiskModel) -> dict[tuple[int, str, str], float]:
    return {
        (f.cell.provider_id, f.cell.payment_group, str(sorted(f.cell.characteristics.items()))):
        f.probability
        for f in model.cells
    }


def coefficient(model: RiskModel, term: str) -> float | None:
    return next(c.estimate for c in model.report.coefficients if c.term == term)


# --- payment_group alone is section 5 ------------------------------------------------------

SECTION_5_EXAMPLES = {
    # docs/metrics.md's worked example (Alder, Birch) and cases of test_league_maths.py.
    "metrics_doc": [(1, G1, 8, 4), (1, G2, 2, 0), (2, G1, 2, 1), (2, G2, 8, 2)],
    "two_providers_two_groups": [(10, G1, 40, 16), (10, G2, 10, 1), (20, G1, 10, 2),
                                 (20, G2, 40, 4)],
    "exactly_equal_indices": [(1, G1, 10, 1), (1, G2, 20, 6), (2, G1, 20, 2), (2, G2, 50, 15)],
    "all_outcomes": [(1, G1, 10, 10), (2, G1, 10, 8)],
    "one_group": [(1, G1, 30, 12), (2, G1, 70, 14)],
    # A group nobody succeeded in (b = 0, separated) and one everybody did (b = 1).
    "separated_groups": [(1, G1, 40, 10), (1, G2, 5, 0), (2, G1, 20, 9), (2, G2, 7, 0),
                         (2, G3, 3, 3)],
}


@pytest.mark.parametrize("example", SECTION_5_EXAMPLES)
def test_payment_group_alone_gives_section_5_expected(example: str) -> None:
    rows = SECTION_5_EXAMPLES[example]
    provider_ids = sorted({row[0] for row in rows})
    table = build_league_table(
        [ProviderFacts(pid, f"P{pid}", "third", 1, 1000, None, 0, None, None, None)
         for pid in provider_ids],
        [GroupCounts(*row) for row in rows],
        LeagueParameters(min_n=0),
    )
    model = fit_risk_model([cell(*row) for row in rows], NO_CHARACTERISTICS)
    section_5 = {row.provider_id: row.expected for row in table.rows}
    assert [p.provider_id for p in model.providers] == provider_ids
    for provider in model.providers:
        assert abs(provider.expected - section_5[provider.provider_id]) <= 1e-9
    # Saturated: every cell's p is its group's pooled rate b_g, exactly 0 or 1 at the edges.
    totals: dict[str, list[int]] = {}
    for _, group, e, o in rows:
        totals.setdefault(group, [0, 0])
        totals[group][0] += e
        totals[group][1] += o
    for fit in model.cells:
        e, o = totals[fit.cell.payment_group]
        assert abs(fit.probability - o / e) <= 1e-12
        if o in (0, e):
            assert fit.probability == o / e


# --- against a participant-level fit -------------------------------------------------------


def generated_cells(seed: int, providers: int = 6) -> list[RiskCell]:
    """Payment group, age band (with some missing: unknown) and health condition, with true
    effects, so the fit has something to find."""
    rng = random.Random(seed)
    group_effect = {G1: -0.4, G2: -1.5, G3: 0.2}
    age_effect = {"18-24": 0.4, "25-34": 0.1, "35-49": 0.0, "50+": -0.5, None: -0.2}
    cells = []
    for provider_id in range(1, providers + 1):
        for group, g_effect in group_effect.items():
            for age, a_effect in age_effect.items():
                for health, h_effect in (("yes", -0.7), ("no", 0.0)):
                    eligible = rng.randint(3, 40)
                    p = 1 / (1 + math.exp(-(g_effect + a_effect + h_effect + 0.05 * provider_id)))
                    outcomes = sum(rng.random() < p for _ in range(eligible))
                    cells.append(cell(provider_id, group, eligible, outcomes,
                                      {"age_band": age, "health_condition": health}))
    return cells


def participant_rows(model: RiskModel) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The design of the model's terms on one row per participant, y, and the model's p."""
    terms = [c.term for c in model.report.coefficients]
    rows, y, p = [], [], []
    for fit in model.cells:
        levels = {"payment_group": fit.cell.payment_group,
                  **{k: v or "unknown" for k, v in fit.cell.characteristics.items()}}
        x = [1.0] + [float(levels[t.split("=")[0]] == t.split("=", 1)[1]) for t in terms[1:]]
        for outcome in [1] * fit.cell.outcomes + [0] * (fit.cell.eligible - fit.cell.outcomes):
            rows.append(x)
            y.append(outcome)
            p.append(fit.probability)
    return terms, np.array(rows), np.array([y, p])


def test_fitted_values_match_a_participant_level_fit() -> None:
    model = fit_risk_model(
        generated_cells(seed=14),
        RiskModelParameters(characteristics=("age_band", "health_condition")),
    )
    report = model.report
    assert report.covariates == ("payment_group", "age_band", "health_condition")
    assert report.merged_levels == () and report.converged
    terms, design, (y, mine) = participant_rows(model)
    assert "age_band=unknown" in terms and len(y) == report.n > 1000

    participant_fit = sm.GLM(y, design, family=sm.families.Binomial()).fit(tol=1e-12)
    assert np.max(np.abs(participant_fit.fittedvalues - mine)) <= 1e-8
    logit = sm.Logit(y, design).fit(disp=0, tol=1e-12)
    assert np.max(np.abs(logit.predict(design) - mine)) <= 1e-8

    for c, estimate, error in zip(report.coefficients, logit.params, logit.bse, strict=True):
        assert c.estimate is not None and c.std_error is not None
        assert abs(c.estimate - estimate) <= 1e-7 and abs(c.std_error - error) <= 1e-7
        assert c.ci_low == c.estimate - 1.959964 * c.std_error
        assert c.ci_high == c.estimate + 1.959964 * c.std_error

    # Deviance at participant level; X_p and V_p as sums over participants.
    expected_deviance = -2 * sum(
        math.log(p) if outcome else math.log(1 - p) for outcome, p in zip(y, mine, strict=True))
    assert abs(report.deviance - expected_deviance) <= 1e-8
    assert abs(report.deviance - participant_fit.deviance) <= 1e-6
    assert sum(p.outcomes for p in model.providers) == report.outcomes
    # With an intercept, ML makes expected outcomes add up to observed ones.
    assert abs(sum(p.expected for p in model.providers) - report.outcomes) <= 1e-8
    for provider in model.providers:
        ps = [f.probability for f in model.cells if f.cell.provider_id == provider.provider_id
              for _ in range(f.cell.eligible)]
        assert abs(provider.expected - math.fsum(ps)) <= 1e-9
        assert abs(provider.variance - math.fsum(p * (1 - p) for p in ps)) <= 1e-9


def test_term_names_and_reference_levels() -> None:
    model = fit_risk_model(
        generated_cells(seed=3),
        RiskModelParameters(characteristics=("age_band", "health_condition")),
    )
    totals: dict[str, int] = {}
    for fit in model.cells:
        totals[fit.cell.payment_group] = totals.get(fit.cell.payment_group, 0) + fit.cell.eligible
    reference_group = min(totals, key=lambda g: (-totals[g], g))
    references = dict(model.report.reference_levels)
    assert references["payment_group"] == reference_group
    terms = [c.term for c in model.report.coefficients]
    assert terms[0] == "intercept"
    assert f"payment_group={reference_group}" not in terms
    assert "age_band=50+" in terms or references["age_band"] == "50+"


# --- sparse levels ------------------------------------------------------------------------


def test_sparse_rules_each_merge_into_other() -> None:
    final, merges = merge_sparse_levels(
        {
            "a": (100, 40),
            "b": (29, 10),  # fewer than 30 participants
            "c": (60, 4),  # fewer than 5 outcomes
            "d": (60, 56),  # fewer than 5 non-outcomes
            "e": (30, 5),  # exactly on every threshold: kept
            "unknown": (12, 6),  # unknown is a level like the others
        },
        min_level_n=30,
        characteristic="age_band",
    )
    assert final == {"a": "a", "b": "other", "c": "other", "d": "other", "e": "e",
                     "unknown": "other"}
    assert merges == [MergedLevel("age_band", level, "other") for level in ("b", "c", "d",
                                                                             "unknown")]


def test_a_sparse_other_goes_to_the_most_frequent_level_lowest_code_on_ties() -> None:
    # other = 10 + 12 participants < 30: into the most frequent, "x" and "y" tie at 50.
    final, merges = merge_sparse_levels(
        {"y": (50, 20), "x": (50, 25), "w": (40, 20), "b": (10, 5), "c": (12, 6)}, 30, "q")
    assert final == {"y": "y", "x": "x", "w": "w", "b": "x", "c": "x"}
    assert merges == [MergedLevel("q", "b", "x"), MergedLevel("q", "c", "x")]
    # other with enough participants but too few outcomes is sparse too.
    final, _ = merge_sparse_levels({"a": (80, 40), "b": (20, 1), "c": (20, 2)}, 30)
    assert final == {"a": "a", "b": "a", "c": "a"}
    # A non-sparse other stays.
    final, _ = merge_sparse_levels({"a": (80, 40), "b": (20, 5), "c": (20, 5)}, 30)
    assert final == {"a": "a", "b": "other", "c": "other"}


def test_characteristic_left_with_one_level_is_dropped() -> None:
    cells = [
        # health_condition: "no" 100, "yes" 20 -> other (20), sparse -> into "no": one level.
        cell(1, G1, 60, 20, {"health_condition": "no", "age_band": "18-24"}),
        cell(1, G1, 10, 4, {"health_condition": "yes", "age_band": "18-24"}),
        cell(2, G1, 40, 10, {"health_condition": "no", "age_band": "50+"}),
        cell(2, G1, 10, 3, {"health_condition": "yes", "age_band": "50+"}),
        # A tiny payment group is never merged, nor dropped.
        cell(2, G2, 3, 1, {"health_condition": "no", "age_band": "50+"}),
    ]
    model = fit_risk_model(cells, RiskModelParameters(("health_condition", "age_band")))
    report = model.report
    assert report.covariates == ("payment_group", "age_band")
    assert report.dropped_characteristics == ("health_condition",)
    assert report.merged_levels == (MergedLevel("health_condition", "yes", "no"),)
    terms = [c.term for c in report.coefficients]
    assert terms == ["intercept", f"payment_group={G2}", "age_band=50+"]
    assert coefficient(model, f"payment_group={G2}") is not None
    # Every level (no missing key here) dropped: only payment_group and age_band explain p.
    assert report.n == 123 and report.outcomes == 38


def test_all_levels_sparse_leaves_one_level_and_drops_the_characteristic() -> None:
    cells = [cell(1, G1, 20, 5, {"area": "E1"}), cell(1, G1, 20, 6, {"area": "E2"})]
    model = fit_risk_model(cells, RiskModelParameters(("area",)))
    assert model.report.covariates == ("payment_group",)
    assert model.report.dropped_characteristics == ("area",)
    assert [m.merged_into for m in model.report.merged_levels] == ["other", "other"]
    assert all(f.probability == pytest.approx(11 / 40, abs=1e-12) for f in model.cells)


def test_missing_and_null_characteristics_are_unknown() -> None:
    cells = [
        cell(1, G1, 70, 28, {"age_band": "18-24"}),
        cell(1, G1, 30, 6, {}),  # missing
        cell(2, G1, 30, 9, {"age_band": None}, prefix="null"),  # null
    ]
    model = fit_risk_model(cells, RiskModelParameters(("age_band",)))
    assert model.report.merged_levels == ()
    terms = {c.term: c for c in model.report.coefficients}
    assert set(terms) == {"intercept", "age_band=unknown"}
    # Two levels, payment group constant: saturated in age_band: p = 28/70 and 15/60.
    by_ref = {refs_of(f.cell)[0][0]: f.probability for f in model.cells}
    assert [pytest.approx(v, abs=1e-12) for v in (0.4, 0.25, 0.25)] == list(by_ref.values())


# --- separation and degenerate data --------------------------------------------------------


def test_a_group_without_outcomes_has_p_zero_and_a_null_coefficient() -> None:
    cells = generated_cells(seed=5, providers=3)
    cells += [cell(1, "ib_is", 12, 0, {"age_band": "50+", "health_condition": "yes"}),
              cell(2, "ib_is", 9, 0, {"age_band": "18-24", "health_condition": "no"})]
    parameters = RiskModelParameters(("age_band", "health_condition"))
    model = fit_risk_model(cells, parameters)
    ib_is = [f for f in model.cells if f.cell.payment_group == "ib_is"]
    assert [f.probability for f in ib_is] == [0.0, 0.0]
    null = next(c for c in model.report.coefficients if c.term == "payment_group=ib_is")
    assert (null.estimate, null.std_error, null.ci_low, null.ci_high) == (None,) * 4
    # The rest is the fit without those cells (the ML limit), and the deviance terms of the
    # separated cells count 0.
    without = fit_risk_model(cells[:-2], parameters)
    assert np.allclose([f.probability for f in model.cells[:-2]],
                       [f.probability for f in without.cells], atol=1e-10, rtol=0)
    assert model.report.deviance == pytest.approx(without.report.deviance, abs=1e-8)
    others = [c for c in model.report.coefficients if c.term != "payment_group=ib_is"]
    assert [(c.term, c.estimate) for c in others] == [
        (c.term, pytest.approx(c.estimate, abs=1e-8)) for c in without.report.coefficients]


def test_a_group_with_only_outcomes_has_p_one() -> None:
    cells = [cell(1, G1, 40, 10), cell(2, G1, 40, 20), cell(1, G3, 6, 6)]
    model = fit_risk_model(cells, NO_CHARACTERISTICS)
    assert model.cells[2].probability == 1.0
    assert model.cells[0].probability == pytest.approx(30 / 80, abs=1e-12)
    assert coefficient(model, f"payment_group={G3}") is None
    # The most frequent group is the reference; p = 1 terms count 0 in the deviance.
    assert dict(model.report.reference_levels)["payment_group"] == G1
    d = -2 * (30 * math.log(30 / 80) + 50 * math.log(50 / 80))
    assert model.report.deviance == pytest.approx(d, abs=1e-9)


def test_the_most_frequent_group_separated_leaves_the_reference_to_an_estimable_one() -> None:
    cells = [cell(1, G1, 100, 0), cell(1, G2, 40, 10), cell(2, G3, 30, 12)]
    model = fit_risk_model(cells, NO_CHARACTERISTICS)
    assert dict(model.report.reference_levels)["payment_group"] == G2
    assert [f.probability for f in model.cells][0] == 0.0
    assert coefficient(model, "intercept") == pytest.approx(math.log(10 / 30), abs=1e-9)
    assert coefficient(model, f"payment_group={G1}") is None


def test_no_outcomes_at_all() -> None:
    model = fit_risk_model([cell(1, G1, 50, 0), cell(2, G2, 40, 0)])
    assert [f.probability for f in model.cells] == [0.0, 0.0]
    assert all(c.estimate is None for c in model.report.coefficients)
    assert model.report.deviance == 0.0 and model.report.c_statistic is None
    assert [(p.expected, p.variance) for p in model.providers] == [(0.0, 0.0), (0.0, 0.0)]
    assert sum(g.n for g in calibration(model.cells, RefsFor())) == 90


def test_a_single_cell_and_no_cells() -> None:
    model = fit_risk_model([cell(1, G1, 20, 5, {"age_band": "50+"})])
    assert model.cells[0].probability == pytest.approx(0.25, abs=1e-12)
    assert model.report.covariates == ("payment_group",)
    assert coefficient(model, "intercept") == pytest.approx(math.log(1 / 3), abs=1e-9)
    empty = fit_risk_model([])
    assert (empty.cells, empty.providers, empty.report.n) == ((), (), 0)
    assert [g.n for g in calibration(empty.cells, RefsFor())] == [0] * 10
    # A cell without participants is ignored.
    assert fit_risk_model([cell(1, G1, 0, 0)]).cells == ()


def test_collinear_indicators_are_not_estimable_but_p_is_the_ml_fit() -> None:
    # Everybody aged 50+ is in G2 and only they are: the two indicators are one column.
    cells = [cell(1, G1, 60, 20, {"age_band": "18-24"}), cell(1, G2, 40, 8, {"age_band": "50+"}),
             cell(2, G1, 50, 25, {"age_band": "18-24"})]
    model = fit_risk_model(cells, RiskModelParameters(("age_band",)))
    assert coefficient(model, "age_band=50+") is None
    assert coefficient(model, f"payment_group={G2}") is not None
    assert [f.probability for f in model.cells] == [
        pytest.approx(v, abs=1e-12) for v in (45 / 110, 8 / 40, 45 / 110)]


@pytest.mark.parametrize("seed", range(20))
def test_independent_columns_are_the_greedy_rank_definition(seed: int) -> None:
    # The fit keeps a column only if it adds to the rank of those kept before it; the fast
    # one-pass form must keep exactly what a rank decomposition per column keeps, on
    # indicator designs with the collinearity real cells give (a level only in one group,
    # a level the same as another, an empty column).
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(3, 40))
    design = np.column_stack([np.ones(rows)] + [
        (rng.random(rows) < 0.4).astype(float) for _ in range(int(rng.integers(3, 9)))])
    design = np.column_stack([design, design[:, 1], design[:, 0] - design[:, 2],
                              np.zeros(rows), design[:, 1] + design[:, 3]])
    greedy: list[int] = []
    for column in range(design.shape[1]):
        if (np.linalg.matrix_rank(design[:, greedy + [column]])
                > np.linalg.matrix_rank(design[:, greedy]) if greedy else
                np.linalg.matrix_rank(design[:, [column]]) > 0):
            greedy.append(column)
    assert _independent_columns(design) == greedy


@pytest.mark.parametrize("characteristics", [("payment_group",), ("age_band", "age_band")])
def test_bad_configuration_is_refused(characteristics: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        fit_risk_model([], RiskModelParameters(characteristics))


# --- c-statistic and calibration against their definitions --------------------------------


def participants(fits: Sequence[CellFit]) -> list[tuple[float, str, int]]:
    return [(f.probability, ref, y) for f in fits
            for refs, y in zip(refs_of(f.cell), (1, 0), strict=True)
            for ref in refs]


def brute_force_c(people: list[tuple[float, str, int]]) -> float:
    ones = [p for p, _, y in people if y]
    zeros = [p for p, _, y in people if not y]
    score = sum(1.0 if p1 > p0 else 0.5 if p1 == p0 else 0.0 for p1 in ones for p0 in zeros)
    return score / (len(ones) * len(zeros))


def test_c_statistic_counts_ties_as_one_half() -> None:
    # p = 0.2 twice (two cells tie), 0.5 once.
    groups = [(4, 1, 0.2), (3, 2, 0.2), (5, 3, 0.5)]
    # outcomes at 0.2: 3, non-outcomes at 0.2: 4; at 0.5: 3 and 2. Pairs 6 x 6 = 36.
    # concordant = 3 x 4 (0.5 over 0.2) + halves 0.5 (3 x 4 + 3 x 2) = 12 + 9 = 21.
    assert c_statistic(groups) == 21 / 36
    assert c_statistic([(5, 0, 0.3)]) is None and c_statistic([]) is None
    rng = random.Random(8)
    for _ in range(20):
        fits = [CellFit(cell(i, G1, rng.randint(1, 6), 0, prefix=f"c{i}"), 0.0)
                for i in range(rng.randint(2, 9))]
        fits = [CellFit(cell(f.cell.provider_id, G1, f.cell.eligible,
                             rng.randint(0, f.cell.eligible), prefix=f"c{f.cell.provider_id}"),
                        rng.choice([0.1, 0.2, 0.2, 0.35, 0.5])) for f in fits]
        people = participants(fits)
        if 0 < sum(y for *_, y in people) < len(people):
            expected = brute_force_c(people)
            got = c_statistic((f.cell.eligible, f.cell.outcomes, f.probability) for f in fits)
            assert got == pytest.approx(expected, abs=1e-12)


def brute_force_calibration(fits: Sequence[CellFit]) -> list[tuple[int, int, float]]:
    people = sorted(participants(fits))  # by p, then participant_ref
    n = len(people)
    sizes, observed, expected = [0] * 10, [0] * 10, [Fraction(0)] * 10
    for rank, (p, _, y) in enumerate(people, 1):
        group = 10 * (rank - 1) // n
        sizes[group] += 1
        observed[group] += y
        expected[group] += Fraction(p)
    return [(sizes[g], observed[g], float(expected[g])) for g in range(10)]


@pytest.mark.parametrize(("sizes", "expected_sizes"), [
    ((7, 13, 20), [4] * 10),  # n = 40: equal groups
    # n = 23: group g holds the rank0 in [2.3 g, 2.3 (g + 1)): 0-2, 3-4, 5-6, 7-9, ...
    ((5, 9, 9), [3, 2, 2, 3, 2, 2, 3, 2, 2, 2]),
    ((3,), [1, 0, 0, 1, 0, 0, 1, 0, 0, 0]),  # n = 3 < 10: ranks 1, 2, 3 -> groups 0, 3, 6
])
def test_calibration_group_sizes(sizes: tuple[int, ...], expected_sizes: list[int]) -> None:
    fits = [CellFit(cell(i, G1, size, size // 2), 0.1 * (i + 1)) for i, size in enumerate(sizes)]
    assert [g.n for g in calibration(fits, RefsFor())] == expected_sizes
    assert [g.group for g in calibration(fits, RefsFor())] == list(range(10))


def test_calibration_orders_ties_by_participant_ref() -> None:
    rng = random.Random(21)
    for trial in range(30):
        fits = []
        for i in range(rng.randint(1, 8)):
            eligible = rng.randint(1, 15)
            refs = rng.sample(range(1000), eligible)  # interleaved across cells
            outcomes = rng.randint(0, eligible)
            refs_text = [f"r{r:04d}" for r in refs]
            fits.append(CellFit(
                with_refs(i, G1, {}, refs_text[:outcomes], refs_text[outcomes:]),
                rng.choice([0.05, 0.3, 0.3, 0.6])))
        refs_for = RefsFor()
        got = [(g.n, g.observed, g.expected) for g in calibration(fits, refs_for)]
        # Only cells whose run of equal p straddles a group boundary were asked about.
        n = sum(f.cell.eligible for f in fits)
        for asked in refs_for.asked:
            run = [f for f in fits if f.probability == next(
                g.probability for g in fits if g.cell is asked)]
            before = sum(f.cell.eligible for f in fits if f.probability < run[0].probability)
            size = sum(f.cell.eligible for f in run)
            assert 10 * before // n != 10 * (before + size - 1) // n
        expected = brute_force_calibration(fits)
        for (n, o, e), (n2, o2, e2) in zip(got, expected, strict=True):
            assert (n, o) == (n2, o2), trial
            assert e == pytest.approx(e2, abs=1e-9)


# --- docs/metrics.md, "Risk model", worked example -----------------------------------------

A, B = "jsa_25_plus", "esa_ex_ib"


def worked_example_cells() -> list[RiskCell]:
    """Alder (1) and Birch (2); refs <provider>-<group>-<level>-NN, outcomes numbered first."""
    rows = [(1, A, "yes", 30, 6), (1, A, "no", 40, 24), (1, B, "no", 10, 5),
            (2, A, "yes", 10, 4), (2, A, "no", 20, 6), (2, B, "yes", 40, 8), (2, B, "no", 60, 25)]
    return [cell(pid, group, n, o, {"health_condition": level},
                 prefix=f"{'ab'[pid - 1]}-{group}-{level}") for pid, group, level, n, o in rows]


def test_metrics_doc_risk_model_example() -> None:
    model = fit_risk_model(worked_example_cells(), RiskModelParameters(("health_condition",)))
    report = model.report
    # The counts fit the main-effects model exactly (odds ratio yes/no = 1/3 in both groups),
    # so the MLE is the observed rate of each pattern.
    rates: dict[tuple[str, str | None], float] = {
        (A, "yes"): 10 / 40, (A, "no"): 30 / 60, (B, "yes"): 8 / 40, (B, "no"): 30 / 70}
    for fit in model.cells:
        key = (fit.cell.payment_group, fit.cell.characteristics["health_condition"])
        assert fit.probability == pytest.approx(rates[key], abs=1e-12)
    assert report.reference_levels == (("payment_group", B), ("health_condition", "no"))
    estimates = {c.term: c.estimate for c in report.coefficients}
    assert estimates["intercept"] == pytest.approx(math.log(3 / 4), abs=1e-9)
    assert estimates[f"payment_group={A}"] == pytest.approx(math.log(4 / 3), abs=1e-9)
    assert estimates["health_condition=yes"] == pytest.approx(-math.log(3), abs=1e-9)

    alder, birch = model.providers
    assert (alder.eligible, alder.outcomes, birch.eligible, birch.outcomes) == (80, 35, 130, 43)
    assert alder.expected == pytest.approx(445 / 14, abs=1e-9)  # 31.7857142857
    assert birch.expected == pytest.approx(647 / 14, abs=1e-9)  # 46.2142857143
    # V: 30 x 3/16 + 40 x 1/4 + 10 x 12/49; 10 x 3/16 + 20 x 1/4 + 40 x 4/25 + 60 x 12/49.
    assert alder.variance == pytest.approx(30 * 3 / 16 + 10 + 120 / 49, abs=1e-9)
    assert birch.variance == pytest.approx(30 / 16 + 5 + 6.4 + 720 / 49, abs=1e-9)
    assert alder.variance == pytest.approx(18.0739795918, abs=1e-9)
    assert birch.variance == pytest.approx(27.9688775510, abs=1e-9)

    deviance = -2 * (10 * math.log(0.25) + 30 * math.log(0.75) + 60 * math.log(0.5)
                     + 8 * math.log(0.2) + 32 * math.log(0.8)
                     + 30 * math.log(3 / 7) + 40 * math.log(4 / 7))
    assert report.deviance == pytest.approx(deviance, abs=1e-9)
    assert report.deviance == pytest.approx(263.8038017778, abs=1e-9)
    assert report.c_statistic == pytest.approx(6568 / 10296, abs=1e-12)  # 0.6379176379

    groups = calibration(model.cells, RefsFor())
    assert [(g.n, g.observed) for g in groups] == [
        (21, 8), (21, 2), (21, 4), (21, 8), (21, 16), (21, 10), (21, 0), (21, 18), (21, 6),
        (21, 6)]
    expected = [4.2, 4.3, 5.25, 4.25 + 12 / 7, 9, 9, 9, 9 / 7 + 9, 10.5, 10.5]
    assert [g.expected for g in groups] == [
        pytest.approx(e, abs=1e-9) for e in expected]


def test_random_small_data_never_raises() -> None:
    """Empty cells, whole groups without outcomes or with only outcomes, tiny levels: always a
    result, probabilities in [0, 1], calibration covering everybody, and the overdispersion
    step accepts the providers."""
    rng = random.Random(99)
    for _ in range(200):
        cells = []
        for i in range(rng.randint(0, 12)):
            eligible = rng.randint(0, 60)
            outcomes = rng.choice([0, eligible, rng.randint(0, eligible)])
            characteristics = {"age_band": rng.choice(["18-24", "50+", "35-49", None]),
                               "health_condition": rng.choice(["yes", "no"])}
            cells.append(cell(rng.randint(1, 4), rng.choice([G1, G2, G3]), eligible, outcomes,
                              characteristics, prefix=f"c{i}"))
        model = fit_risk_model(cells, RiskModelParameters(
            ("age_band", "health_condition"), min_level_n=rng.choice([1, 5, 30])))
        assert all(0 <= f.probability <= 1 for f in model.cells)
        assert sum(g.n for g in calibration(model.cells, RefsFor())) == model.report.n
        assert math.isfinite(model.report.deviance)
        overdispersion(model.providers * 3)
