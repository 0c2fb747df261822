"""The risk model of DOMAIN.md section 10: expected outcomes from participants' characteristics.

Pure functions on cell counts: no database, no HTTP. A *cell* is the participants of one
provider who share a payment group and the same characteristics; the service builds them in
SQL and passes them here. The logistic regression is fitted by statsmodels on the distinct
covariate patterns with (outcomes, non-outcomes) counts, whose maximum-likelihood estimate is
the participant-level one (the binomial likelihood of a pattern is the product of its
participants' Bernoulli likelihoods up to a constant), so 2,000,000 participants in a few
thousand cells fit in milliseconds. Formulas and a worked example: docs/metrics.md, "Risk model".

**Participant order (calibration).** DOMAIN.md orders participants by fitted p, then by
participant_ref. A cell carries counts only (eligible, outcomes): the fit, X_p, V_p, the
deviance and the c-statistic need nothing else, and fetching 2,000,000 refs for a league table
would cost seconds. Every participant of a cell has the cell's p, so only a run of equal p that
straddles a calibration-group boundary (at most nine of them) needs its refs: ``calibration``
asks for those cells' refs through ``refs_for`` and adds up everything else cell by cell
(docs/decisions.md, 2026-12-05 and 2026-12-06).

**Separation.** A level (a payment group, or a characteristic level once those have been set
aside) whose remaining participants all lack an outcome (or all have one) has no finite
estimate: the log-likelihood keeps rising as its coefficient goes to -inf (+inf), its cells'
terms go to 0, their largest possible value, and the other coefficients are left to maximise
the rest. So the maximum-likelihood limit is p = 0 (1) for its cells and the ordinary fit on
the others; that is what is computed, and the coefficient is reported as null. Indicators
that the remaining data cannot tell apart (collinear columns) are left out and reported null
too: dropping a redundant column changes no fitted value.
"""

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

import numpy as np
import statsmodels.api as sm
from threadpoolctl import ThreadpoolController

from app.performance.league import Z_95

PAYMENT_GROUP = "payment_group"
UNKNOWN = "unknown"
OTHER = "other"
INTERCEPT = "intercept"
DEFAULT_CHARACTERISTICS = ("age_band", "health_condition", "claim_duration", "qualification")
MIN_LEVEL_OUTCOMES = 5  # and as many non-outcomes: DOMAIN.md's sparse-level rule
CALIBRATION_GROUPS = 10
# Matrices of a few thousand rows by a few dozen columns: BLAS threads only contend with the
# web workers and the database for the CPUs (docs/benchmarks.md, risk model fit).
_BLAS = ThreadpoolController()


@dataclass(frozen=True)
class RiskCell:
    """One provider's eligible participants sharing a payment group and characteristics.

    ``characteristics`` maps a characteristic to its level; a missing key or None is
    ``unknown``. ``outcomes`` of the ``eligible`` participants have a counted outcome.
    """

    provider_id: int
    payment_group: str
    characteristics: Mapping[str, str | None]
    eligible: int
    outcomes: int

    def __post_init__(self) -> None:
        if not 0 <= self.outcomes <= self.eligible:
            raise ValueError("need 0 <= outcomes <= eligible")


# What calibration asks for: each given cell's participant refs, (with a counted outcome,
# without), in any order.
RefsFor = Callable[[Sequence[RiskCell]], Sequence[tuple[Sequence[str], Sequence[str]]]]


@dataclass(frozen=True)
class RiskModelParameters:
    """The contract's ``risk_covariates`` (payment_group is always in) and
    ``risk_min_level_n``."""

    characteristics: tuple[str, ...] = DEFAULT_CHARACTERISTICS
    min_level_n: int = 30


@dataclass(frozen=True)
class CellFit:
    """A cell with its fitted probability (the same for each of its participants)."""

    cell: RiskCell
    probability: float


@dataclass(frozen=True)
class ProviderExpectation:
    """X_p = sum of p_i and V_p = sum of p_i (1 - p_i) over p's eligible participants."""

    provider_id: int
    eligible: int
    outcomes: int
    expected: float
    variance: float


@dataclass(frozen=True)
class MergedLevel:
    """``level`` of ``characteristic`` was sparse and is counted as ``merged_into``
    (``other``, or the most frequent level when ``other`` was sparse too)."""

    characteristic: str
    level: str
    merged_into: str


@dataclass(frozen=True)
class Coefficient:
    """A term of the linear predictor (log odds); all four null when not estimable."""

    term: str
    estimate: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class CalibrationGroup:
    """Participants ``group`` = floor(10 (rank - 1) / n), ranked by p then participant_ref."""

    group: int
    n: int
    observed: int
    expected: float


@dataclass(frozen=True)
class RiskModelReport:
    covariates: tuple[str, ...]  # used: payment_group first, then the kept characteristics
    dropped_characteristics: tuple[str, ...]  # left with one level after merging
    reference_levels: tuple[tuple[str, str], ...]  # (covariate, level) without an indicator
    merged_levels: tuple[MergedLevel, ...]
    n: int
    outcomes: int
    deviance: float
    c_statistic: float | None  # null without both an outcome and a non-outcome
    coefficients: tuple[Coefficient, ...]
    converged: bool


@dataclass(frozen=True)
class RiskModel:
    cells: tuple[CellFit, ...]  # the input's cells with participants, in input order
    providers: tuple[ProviderExpectation, ...]  # by provider_id
    report: RiskModelReport


# --- sparse levels ------------------------------------------------------------------------


def _level(cell: RiskCell, characteristic: str) -> str:
    return cell.characteristics.get(characteristic) or UNKNOWN


def _is_sparse(n: int, outcomes: int, min_level_n: int) -> bool:
    return n < min_level_n or outcomes < MIN_LEVEL_OUTCOMES or n - outcomes < MIN_LEVEL_OUTCOMES


def _most_frequent(counts: Mapping[str, Sequence[int]]) -> str:
    """The level with the most participants; ties: the lowest code."""
    return min(counts, key=lambda level: (-counts[level][0], level))


def merge_sparse_levels(
    counts: Mapping[str, tuple[int, int]], min_level_n: int, characteristic: str = ""
) -> tuple[dict[str, str], list[MergedLevel]]:
    """One pass of DOMAIN.md's rule on a characteristic's (participants, outcomes) per level.

    Returns the final level of every level, and the merges made. Sparse levels go to
    ``other``; a sparse ``other`` goes to the most frequent remaining level (when there is
    one: with none left, ``other`` is the only level and the caller drops the characteristic).
    """
    sparse = sorted(level for level, (n, o) in counts.items() if _is_sparse(n, o, min_level_n))
    final = {level: level for level in counts}
    if not sparse:
        return final, []
    kept = {level: list(counts[level]) for level in counts if level not in sparse}
    other_n = sum(counts[level][0] for level in sparse)
    other_outcomes = sum(counts[level][1] for level in sparse)
    target = OTHER
    if _is_sparse(other_n, other_outcomes, min_level_n) and kept:
        target = _most_frequent(kept)
    for level in sparse:
        final[level] = target
    return final, [MergedLevel(characteristic, level, target) for level in sparse]


# --- the fit ------------------------------------------------------------------------------

Pattern = tuple[str, ...]  # (payment group, level of each kept characteristic)


@dataclass
class _PatternCounts:
    n: int = 0
    outcomes: int = 0


def _set_aside_separated(patterns: Mapping[Pattern, _PatternCounts]) -> dict[Pattern, float]:
    """Patterns whose probability is a maximum-likelihood limit (0 or 1): those of a level
    whose remaining participants all lack an outcome (or all have one), until none is left.
    Their levels' indicators are then all zero in the fit, so their coefficients are null."""
    fixed: dict[Pattern, float] = {}
    width = len(next(iter(patterns))) if patterns else 0
    changed = True
    while changed:
        changed = False
        for position in range(width):
            totals: dict[str, _PatternCounts] = defaultdict(_PatternCounts)
            for pattern, counts in patterns.items():
                if pattern not in fixed:
                    totals[pattern[position]].n += counts.n
                    totals[pattern[position]].outcomes += counts.outcomes
            for level, total in totals.items():
                if total.outcomes in (0, total.n):
                    limit = 0.0 if total.outcomes == 0 else 1.0
                    for pattern in patterns:
                        if pattern[position] == level and pattern not in fixed:
                            fixed[pattern] = limit
                    changed = True
    return fixed


@dataclass(frozen=True)
class _Indicator:
    name: str
    position: int  # of the covariate in the pattern
    level: str


def _coefficient(term: str, estimate_and_error: tuple[float, float] | None) -> Coefficient:
    """The 95% Wald interval: estimate -/+ 1.959964 SE (SE from the inverse Fisher
    information, statsmodels' ``bse``)."""
    if estimate_and_error is None:
        return Coefficient(term, None, None, None, None)
    estimate, error = estimate_and_error
    return Coefficient(term, estimate, error, estimate - Z_95 * error, estimate + Z_95 * error)


def _independent_columns(design: np.ndarray) -> list[int]:
    """Columns kept in order, each only if it adds to the rank of those kept before it.

    Gram-Schmidt over the kept columns alone (projected out twice, which keeps the basis
    orthonormal to rounding): a column whose part outside their span is below 1e-9 of its
    norm adds nothing. One pass, instead of a rank decomposition per column."""
    kept: list[int] = []
    basis = np.empty((design.shape[0], 0))
    for column in range(design.shape[1]):
        vector = design[:, column].astype(float)
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            continue
        for _ in range(2):
            vector = vector - basis @ (basis.T @ vector)
        residual = float(np.linalg.norm(vector))
        if residual > 1e-9 * norm:
            kept.append(column)
            basis = np.column_stack([basis, vector / residual])
    return kept


@dataclass(frozen=True)
class _Merging:
    kept: tuple[str, ...]  # characteristics with two levels or more after merging
    dropped: tuple[str, ...]
    final_levels: Mapping[str, Mapping[str, str]]  # characteristic -> level -> final level
    merged: tuple[MergedLevel, ...]


def _merge_characteristics(
    raw: Mapping[Pattern, _PatternCounts], characteristics: Sequence[str], min_level_n: int
) -> _Merging:
    """DOMAIN.md's merging for each characteristic, from the participants and outcomes of
    the raw patterns (payment group, then each characteristic's reported level)."""
    kept: list[str] = []
    dropped: list[str] = []
    final_levels: dict[str, dict[str, str]] = {}
    merged: list[MergedLevel] = []
    for position, characteristic in enumerate(characteristics, start=1):
        counts: dict[str, tuple[int, int]] = {}
        for pattern, total in raw.items():
            n, o = counts.get(pattern[position], (0, 0))
            counts[pattern[position]] = (n + total.n, o + total.outcomes)
        final, merges = merge_sparse_levels(counts, min_level_n, characteristic)
        merged.extend(merges)
        if len(set(final.values())) > 1:
            kept.append(characteristic)
            final_levels[characteristic] = final
        else:
            dropped.append(characteristic)
    return _Merging(tuple(kept), tuple(dropped), final_levels, tuple(merged))


def _indicators(
    covariates: Sequence[str],
    patterns: Mapping[Pattern, _PatternCounts],
    fitted_patterns: Sequence[Pattern],
) -> tuple[list[_Indicator], list[tuple[str, str]]]:
    """Per covariate an indicator for every level but the reference, levels by code; and the
    references: the most frequent level (ties: lowest code) still in the fit, since a level
    set aside for separation has no finite estimate to be measured against."""
    totals: list[dict[str, list[int]]] = [defaultdict(lambda: [0]) for _ in covariates]
    for pattern, counts in patterns.items():
        for position, level in enumerate(pattern):
            totals[position][level][0] += counts.n
    indicators: list[_Indicator] = []
    references: list[tuple[str, str]] = []
    for position, covariate in enumerate(covariates):
        if not totals[position]:  # nobody at all
            continue
        in_fit = {pattern[position] for pattern in fitted_patterns}
        reference = _most_frequent(
            {level: totals[position][level] for level in in_fit} if in_fit else totals[position]
        )
        references.append((covariate, reference))
        indicators.extend(
            _Indicator(f"{covariate}={level}", position, level)
            for level in sorted(totals[position])
            if level != reference
        )
    return indicators, references


def _fit(
    patterns: Mapping[Pattern, _PatternCounts],
    fitted_patterns: Sequence[Pattern],
    indicators: Sequence[_Indicator],
) -> tuple[dict[Pattern, float], dict[str, tuple[float, float]], bool]:
    """The binomial GLM on the patterns: fitted p per pattern, (estimate, SE) per estimable
    term, and whether it converged."""
    term_names = [INTERCEPT] + [indicator.name for indicator in indicators]
    design = np.array(
        [[1.0] + [float(pattern[t.position] == t.level) for t in indicators]
         for pattern in fitted_patterns]
    )
    columns = _independent_columns(design)
    successes = np.array([patterns[p].outcomes for p in fitted_patterns], dtype=float)
    failures = np.array([patterns[p].n for p in fitted_patterns], dtype=float) - successes
    model = sm.GLM(
        np.column_stack([successes, failures]), design[:, columns], family=sm.families.Binomial()
    )
    with warnings.catch_warnings():
        # Quasi-separation by a combination of levels: the fit tends to its limit and says so
        # through `converged`; it is reported, not raised.
        warnings.simplefilter("ignore")
        # Converged when no coefficient moves by 1e-10 (IRLS converges quadratically); a
        # deviance criterion that tight is below rounding for 2,000,000 participants.
        result = model.fit(tol=1e-10, tol_criterion="params", maxiter=100)
    probabilities = {
        pattern: float(p) for pattern, p in zip(fitted_patterns, result.fittedvalues, strict=True)
    }
    estimates: dict[str, tuple[float, float]] = {}
    for index, column in enumerate(columns):
        estimate, error = float(result.params[index]), float(result.bse[index])
        if math.isfinite(estimate) and math.isfinite(error):
            estimates[term_names[column]] = (estimate, error)
    return probabilities, estimates, bool(result.converged)


def fit_risk_model(
    cells: Iterable[RiskCell], parameters: RiskModelParameters | None = None
) -> RiskModel:
    """Merge sparse levels, fit the logistic regression, and report it (DOMAIN.md section 10).

    Raises ValueError only on a bad configuration (payment_group or a duplicate among the
    characteristics, min_level_n < 1); any data gives a result.
    """
    parameters = parameters or RiskModelParameters()
    characteristics = parameters.characteristics
    if PAYMENT_GROUP in characteristics or len(set(characteristics)) != len(characteristics):
        raise ValueError("characteristics must be distinct and exclude payment_group")
    if parameters.min_level_n < 1:
        raise ValueError("min_level_n must be >= 1")
    # Cells without participants carry nothing to fit or to expect.
    fitting_cells = [cell for cell in cells if cell.eligible]

    # Cells of different providers share their covariate patterns: everything up to the fit
    # works on the distinct raw patterns, a few hundred where there are thousands of cells.
    levels_of: dict[int, tuple[str, ...]] = {}  # by the identity of a cell's mapping:
    for cell in fitting_cells:                   # callers share one per set of levels
        if id(cell.characteristics) not in levels_of:
            levels_of[id(cell.characteristics)] = tuple(_level(cell, c) for c in characteristics)
    raw_of_cell = [(cell.payment_group, *levels_of[id(cell.characteristics)])
                   for cell in fitting_cells]
    raw: dict[Pattern, _PatternCounts] = defaultdict(_PatternCounts)
    for cell, raw_pattern in zip(fitting_cells, raw_of_cell, strict=True):
        raw[raw_pattern].n += cell.eligible
        raw[raw_pattern].outcomes += cell.outcomes
    merging = _merge_characteristics(raw, characteristics, parameters.min_level_n)
    covariates = (PAYMENT_GROUP, *merging.kept)
    positions = [characteristics.index(c) + 1 for c in merging.kept]
    final_of_raw = {
        raw_pattern: (raw_pattern[0], *(merging.final_levels[c][raw_pattern[i]]
                                        for c, i in zip(merging.kept, positions, strict=True)))
        for raw_pattern in raw
    }
    cell_patterns = [final_of_raw[raw_pattern] for raw_pattern in raw_of_cell]
    patterns: dict[Pattern, _PatternCounts] = defaultdict(_PatternCounts)
    for raw_pattern, total in raw.items():
        patterns[final_of_raw[raw_pattern]].n += total.n
        patterns[final_of_raw[raw_pattern]].outcomes += total.outcomes

    probabilities = _set_aside_separated(patterns)
    fitted_patterns = [pattern for pattern in sorted(patterns) if pattern not in probabilities]
    indicators, references = _indicators(covariates, patterns, fitted_patterns)
    estimates: dict[str, tuple[float, float]] = {}
    converged = True
    if fitted_patterns:
        with _BLAS.limit(limits=1, user_api="blas"):
            fitted, estimates, converged = _fit(patterns, fitted_patterns, indicators)
        probabilities.update(fitted)

    cell_fits = tuple(
        CellFit(cell, probabilities[pattern])
        for cell, pattern in zip(fitting_cells, cell_patterns, strict=True)
    )
    by_pattern = [(c.n, c.outcomes, probabilities[pattern]) for pattern, c in patterns.items()]
    report = RiskModelReport(
        covariates=covariates,
        dropped_characteristics=merging.dropped,
        reference_levels=tuple(references),
        merged_levels=merging.merged,
        n=sum(c.n for c in patterns.values()),
        outcomes=sum(c.outcomes for c in patterns.values()),
        deviance=deviance(by_pattern),
        c_statistic=c_statistic(by_pattern),
        coefficients=tuple(
            _coefficient(name, estimates.get(name))
            for name in [INTERCEPT] + [indicator.name for indicator in indicators]
        ),
        converged=converged,
    )
    return RiskModel(cells=cell_fits, providers=expected_by_provider(cell_fits), report=report)


# --- what follows from the fitted probabilities ------------------------------------------


def expected_by_provider(cell_fits: Iterable[CellFit]) -> tuple[ProviderExpectation, ...]:
    """X_p and V_p, unrounded, one row per provider, by provider_id."""
    totals: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for fit in cell_fits:
        row = totals[fit.cell.provider_id]
        n, p = fit.cell.eligible, fit.probability
        row[0] += n
        row[1] += fit.cell.outcomes
        row[2] += n * p
        row[3] += n * p * (1 - p)
    return tuple(
        ProviderExpectation(provider_id, int(e), int(o), x, v)
        for provider_id, (e, o, x, v) in sorted(totals.items())
    )


def deviance(groups: Iterable[tuple[int, int, float]]) -> float:
    """-2 sum of [y ln p + (1 - y) ln(1 - p)] over (n, outcomes, p) groups of participants;
    terms with p = y count 0 (and p = 1 - y makes the deviance infinite)."""
    total = 0.0
    for n, outcomes, p in groups:
        for count, q in ((outcomes, p), (n - outcomes, 1 - p)):
            if count:
                total += count * math.log(q) if q > 0 else -math.inf
    return -2 * total


def c_statistic(groups: Iterable[tuple[int, int, float]]) -> float | None:
    """Share of (outcome, non-outcome) pairs with p1 > p0, ties one half, from (n, outcomes,
    p) groups: sorted by p once, so O(groups log groups), not O(n^2)."""
    by_p: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for n, outcomes, p in groups:
        by_p[p][0] += outcomes
        by_p[p][1] += n - outcomes
    concordant = 0.0
    non_outcomes_below = 0
    for p in sorted(by_p):
        outcomes, non_outcomes = by_p[p]
        concordant += outcomes * non_outcomes_below + 0.5 * outcomes * non_outcomes
        non_outcomes_below += non_outcomes
    all_outcomes = sum(counts[0] for counts in by_p.values())
    pairs = all_outcomes * non_outcomes_below
    return concordant / pairs if pairs else None


def calibration(cell_fits: Sequence[CellFit], refs_for: RefsFor
                ) -> tuple[CalibrationGroup, ...]:
    """Ten groups of participants ranked by p then participant_ref (always ten; some are
    empty when n < 10). Cells are taken whole unless their run of equal p straddles a group
    boundary; only then are that run's refs asked for (one ``refs_for`` call with all such
    cells) and sorted."""
    n = sum(fit.cell.eligible for fit in cell_fits)
    sizes = [0] * CALIBRATION_GROUPS
    observed = [0] * CALIBRATION_GROUPS
    expected = [0.0] * CALIBRATION_GROUPS

    def group_of(rank0: int) -> int:  # rank0 = rank - 1
        return CALIBRATION_GROUPS * rank0 // n

    def run_size(run: Sequence[CellFit]) -> int:
        return sum(fit.cell.eligible for fit in run)

    ordered = sorted(cell_fits, key=lambda fit: fit.probability)
    runs: list[tuple[int, list[CellFit]]] = []  # (rank0 of the run's first participant, run)
    start = 0
    for _, run_fits in groupby(ordered, key=lambda fit: fit.probability):
        run = list(run_fits)
        runs.append((start, run))
        start += sum(fit.cell.eligible for fit in run)
    straddling = [(start, run) for start, run in runs if run_size(run)
                  and group_of(start) != group_of(start + run_size(run) - 1)]
    answered = refs_for([fit.cell for _, run in straddling for fit in run]) if straddling else []
    refs = {id(fit.cell): answer for fit, answer in zip(
        [fit for _, run in straddling for fit in run], answered, strict=True)}

    for start, run in runs:
        size = run_size(run)
        if not size:
            continue
        p = run[0].probability
        first, last = group_of(start), group_of(start + size - 1)
        if first == last:
            sizes[first] += size
            observed[first] += sum(fit.cell.outcomes for fit in run)
            expected[first] += size * p
            continue
        participants = sorted(
            [(ref, 1) for fit in run for ref in refs[id(fit.cell)][0]]
            + [(ref, 0) for fit in run for ref in refs[id(fit.cell)][1]]
        )
        if len(participants) != size:
            raise ValueError("refs_for answered other counts than the cells'")
        for offset, (_, y) in enumerate(participants):
            group = group_of(start + offset)
            sizes[group] += 1
            observed[group] += y
        for group in range(first, last + 1):
            in_group = min(start + size, _group_start(group + 1, n)) - max(
                start, _group_start(group, n)
            )
            expected[group] += in_group * p
    return tuple(
        CalibrationGroup(group, sizes[group], observed[group], expected[group])
        for group in range(CALIBRATION_GROUPS)
    )


def _group_start(group: int, n: int) -> int:
    """The first rank0 in ``group``: the least r with floor(10 r / n) >= group."""
    return -(-group * n // CALIBRATION_GROUPS)
