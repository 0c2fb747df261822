"""League-table maths (DOMAIN.md section 5): plain rows in, plain rows out.

No database, no HTTP. The service counts eligible participants and job outcomes per provider
and payment group in SQL and passes them here; every formula is in docs/metrics.md with a
worked example that a test reproduces.

The rational quantities (rates, pooled group rates, expected outcomes, performance index,
adjusted rate, shares) are computed exactly with ``Fraction`` and converted to ``float`` once,
at the end. Ranking compares the exact values, so two providers whose performance index is
mathematically equal are a tie, never separated by rounding noise. Only the intervals, which
need a square root, are computed in floating point.

With characteristics in the risk model (DOMAIN.md section 10) the caller passes the fitted
X_p instead (``fitted_expected``): a maximum-likelihood fit is a float to begin with, so PI,
adjusted rate and p0 follow in floating point, and ranks compare the PI to 12 significant
digits (the fit converges to 1e-10 on the coefficients: digits beyond are noise, and
mathematically equal indices must still tie). With payment group alone the model is saturated
and X_p is section 5's exactly: the caller passes nothing and this exact path is kept
(docs/decisions.md, 2026-12-06).
"""

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import sqrt
from typing import Literal

Z_95 = 1.959964
Z_998 = 3.090232

Rag = Literal["red", "amber", "green"]


@dataclass(frozen=True)
class GroupCounts:
    """Eligible participants and their counted job outcomes for one provider and group."""

    provider_id: int
    payment_group: str
    eligible: int
    outcomes: int


@dataclass(frozen=True)
class ProviderFacts:
    """One provider of the table. Everything after ``referrals`` is computed elsewhere."""

    provider_id: int
    name: str
    sector: str
    tier: int | None
    referrals: int
    contracted_share: Decimal | None
    job_starts: int
    check_compliance: float | None
    data_timeliness: float | None
    payments_earned: Decimal | None


@dataclass(frozen=True)
class LeagueParameters:
    min_n: int = 30


_WITHHELD = ("on anonymised rows, rounded to a band or null (withheld) unless at least k "
             "anonymised providers share the value (k-anonymity, docs/metrics.md)")


@dataclass(frozen=True)
class LeagueRow:
    """One provider's row; the fields and their order are API.md's. The API serves these rows
    as they are (app.performance.schemas.LeagueRowOut); a field's "description" metadata is its
    description there."""

    provider_id: int | None = field(metadata={"description": "null on anonymised rows"})
    provider_name: str
    sector: str | None = field(metadata={"description": _WITHHELD})
    tier: int | None = field(metadata={
        "description": "null for the prime's in-house delivery; " + _WITHHELD})
    referrals: int | None = field(metadata={"description": _WITHHELD})
    referral_share: float | None = field(metadata={"description": _WITHHELD})
    contracted_share: Decimal | None = field(metadata={"description": _WITHHELD})
    eligible: int
    outcomes: int
    rate: float | None
    expected: float
    performance_index: float | None
    adjusted_rate: float | None
    ci_low: float | None
    ci_high: float | None
    funnel_lower_95: float | None
    funnel_upper_95: float | None
    funnel_lower_998: float | None
    funnel_upper_998: float | None
    rag: Rag | None
    high_outlier: bool | None
    rank: int | None
    raw_rank: int | None
    job_starts: int | None = field(metadata={"description": _WITHHELD})
    check_compliance: float | None
    data_timeliness: float | None
    payments_earned: Decimal | None = field(metadata={"description": _WITHHELD})
    # DOMAIN.md section 10, beside section 5's figures (app.performance.overdispersion).
    pi_lower_95: float | None = field(default=None, metadata={
        "description": "performance-index limits widened for overdispersion: "
                       "exp(-z sqrt(V/X^2 + tau2)); null when X = 0 or V = 0"})
    pi_upper_95: float | None = None
    pi_lower_998: float | None = None
    pi_upper_998: float | None = None
    rag_od: Rag | None = field(default=None, metadata={
        "description": "RAG of the performance index against the overdispersed limits"})
    high_outlier_od: bool | None = None
    shrunk_pi: float | None = field(default=None, metadata={
        "description": "empirical-Bayes shrunk performance index (below min_n too); null "
                       "when tau2 was not estimated (fewer than od_min_units units)"})
    shrunk_pi_low: float | None = None
    shrunk_pi_high: float | None = None


@dataclass(frozen=True)
class LeagueTable:
    pooled_rate: float | None
    rows: tuple[LeagueRow, ...]


def wilson_interval(outcomes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for ``outcomes / n`` (n > 0).

    centre = (r + z^2/2n) / (1 + z^2/n), half = z sqrt(r(1-r)/n + z^2/4n^2) / (1 + z^2/n).
    The bounds are mathematically 0 when outcomes = 0 and 1 when outcomes = n; they are set
    exactly there rather than left to rounding.
    """
    if n <= 0 or not 0 <= outcomes <= n:
        raise ValueError("need 0 <= outcomes <= n and n > 0")
    r = outcomes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (r + z2 / (2 * n)) / denominator
    half = z * sqrt(r * (1 - r) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if outcomes == 0 else max(0.0, centre - half)
    high = 1.0 if outcomes == n else min(1.0, centre + half)
    return low, high


def funnel_limits(p0: Fraction | float, n: int, z: float) -> tuple[float, float]:
    """``p0 -/+ z sqrt(p0 (1 - p0) / n)`` clipped to [0, 1] (n > 0)."""
    if n <= 0:
        raise ValueError("n must be > 0")
    spread = z * sqrt(float(p0 * (1 - p0) / n))
    centre = float(p0)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def classify_rag(rate: float, lower_95: float, lower_998: float) -> Rag:
    """Strictly below a limit is an alert; a rate exactly on the limit is not."""
    if rate < lower_998:
        return "red"
    if rate < lower_95:
        return "amber"
    return "green"


@dataclass
class _Totals:
    eligible: int = 0
    outcomes: int = 0


def _validate(
    providers: Sequence[ProviderFacts], groups: Iterable[GroupCounts], min_n: int
) -> dict[int, dict[str, GroupCounts]]:
    if min_n < 0:
        raise ValueError("min_n must be >= 0")
    by_provider: dict[int, dict[str, GroupCounts]] = {}
    for facts in providers:
        if facts.provider_id in by_provider:
            raise ValueError(f"provider {facts.provider_id} listed twice")
        if facts.referrals < 0:
            raise ValueError(f"provider {facts.provider_id}: negative referrals")
        by_provider[facts.provider_id] = {}
    for counts in groups:
        provider_groups = by_provider.get(counts.provider_id)
        if provider_groups is None:
            raise ValueError(f"counts for unknown provider {counts.provider_id}")
        if counts.payment_group in provider_groups:
            raise ValueError(
                f"provider {counts.provider_id}: group {counts.payment_group} counted twice"
            )
        if not 0 <= counts.outcomes <= counts.eligible:
            raise ValueError(
                f"provider {counts.provider_id}, group {counts.payment_group}: "
                "need 0 <= outcomes <= eligible"
            )
        provider_groups[counts.payment_group] = counts
    for facts in providers:
        eligible = sum(c.eligible for c in by_provider[facts.provider_id].values())
        # Eligible participants are some of the period's referrals (the horizon only removes).
        if eligible > facts.referrals:
            raise ValueError(f"provider {facts.provider_id}: more eligible than referrals")
    return by_provider


def _fraction(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def _as_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _provider_id(row: LeagueRow) -> int:
    """The id of a row built here (always set before anonymisation)."""
    if row.provider_id is None:
        raise ValueError("row has no provider_id")
    return row.provider_id


def _comparable(index: Fraction | float) -> Fraction | float:
    """An exact index as it is; a fitted one to 12 significant digits (module docstring)."""
    return index if isinstance(index, Fraction) else float(f"{index:.12g}")


def build_league_table(
    providers: Sequence[ProviderFacts],
    groups: Iterable[GroupCounts],
    parameters: LeagueParameters | None = None,
    fitted_expected: Mapping[int, float] | None = None,
) -> LeagueTable:
    """One row per provider: rates, case-mix adjustment, intervals, RAG and ranks.

    ``fitted_expected``: X_p of the risk model by provider (absent: 0), instead of section
    5's pooled group rates.

    Rows come ranked first (by ``rank``), then the unranked by eligible desc and name.
    Raises ValueError on inconsistent input (unknown or duplicate provider, a group counted
    twice, outcomes > eligible, more eligible than referrals): those are bugs upstream.
    """
    min_n = (parameters or LeagueParameters()).min_n
    by_provider = _validate(providers, groups, min_n)

    # Pooled over ALL providers of the table: b_g = sum O_g / sum E_g.
    group_totals: dict[str, _Totals] = {}
    for provider_groups in by_provider.values():
        for counts in provider_groups.values():
            totals = group_totals.setdefault(counts.payment_group, _Totals())
            totals.eligible += counts.eligible
            totals.outcomes += counts.outcomes
    all_eligible = sum(t.eligible for t in group_totals.values())
    all_outcomes = sum(t.outcomes for t in group_totals.values())
    pooled = _fraction(all_outcomes, all_eligible)
    all_referrals = sum(p.referrals for p in providers)

    # (row, PI as ranked, exact rate) so ranks compare exact values.
    scored: list[tuple[LeagueRow, Fraction | float | None, Fraction | None]] = []
    for facts in providers:
        provider_groups = by_provider[facts.provider_id]
        eligible = sum(c.eligible for c in provider_groups.values())
        outcomes = sum(c.outcomes for c in provider_groups.values())
        # A group with E_pg > 0 has sum E_g > 0, so b_g exists for every term that matters.
        expected: Fraction | float = sum(
            (
                Fraction(c.eligible * group_totals[g].outcomes, group_totals[g].eligible)
                for g, c in provider_groups.items()
                if c.eligible
            ),
            Fraction(0),
        ) if fitted_expected is None else fitted_expected.get(facts.provider_id, 0.0)
        rate = _fraction(outcomes, eligible)
        # X_p = 0 with E_p > 0 means every eligible participant is in groups where nobody in
        # the contract had an outcome, hence O_p = 0 too: PI = 0/0 is not estimable -> null.
        index = outcomes / expected if expected else None
        adjusted = index * pooled if index is not None and pooled is not None else None

        ci: tuple[float | None, float | None] = (None, None)
        funnel_95: tuple[float | None, float | None] = (None, None)
        funnel_998: tuple[float | None, float | None] = (None, None)
        rag: Rag | None = None
        high_outlier: bool | None = None
        if rate is not None:
            p0 = expected / eligible
            ci = wilson_interval(outcomes, eligible, Z_95)
            lower_95, upper_95 = funnel_limits(p0, eligible, Z_95)
            lower_998, upper_998 = funnel_limits(p0, eligible, Z_998)
            funnel_95, funnel_998 = (lower_95, upper_95), (lower_998, upper_998)
            rate_value = float(rate)
            rag = classify_rag(rate_value, lower_95, lower_998)
            high_outlier = rate_value > upper_95

        row = LeagueRow(
            provider_id=facts.provider_id,
            provider_name=facts.name,
            sector=facts.sector,
            tier=facts.tier,
            referrals=facts.referrals,
            referral_share=_as_float(_fraction(facts.referrals, all_referrals)),
            contracted_share=facts.contracted_share,
            eligible=eligible,
            outcomes=outcomes,
            rate=_as_float(rate),
            expected=float(expected),
            performance_index=None if index is None else float(index),
            adjusted_rate=None if adjusted is None else float(adjusted),
            ci_low=ci[0],
            ci_high=ci[1],
            funnel_lower_95=funnel_95[0],
            funnel_upper_95=funnel_95[1],
            funnel_lower_998=funnel_998[0],
            funnel_upper_998=funnel_998[1],
            rag=rag,
            high_outlier=high_outlier,
            rank=None,
            raw_rank=None,
            job_starts=facts.job_starts,
            check_compliance=facts.check_compliance,
            data_timeliness=facts.data_timeliness,
            payments_earned=facts.payments_earned,
        )
        scored.append((row, None if index is None else _comparable(index), rate))

    # The ranked set: enough eligible participants and an estimable PI. raw_rank uses the
    # same set so the two orders compare like with like.
    ranked: list[tuple[LeagueRow, Fraction | float, Fraction]] = [
        (row, index, rate)
        for row, index, rate in scored
        if row.eligible >= max(min_n, 1) and index is not None and rate is not None
    ]

    def tie_breaks(row: LeagueRow) -> tuple[int, str, str, int]:
        # Names are unique case-insensitively; the id only makes the order total regardless.
        return (-row.eligible, row.provider_name.casefold(), row.provider_name, _provider_id(row))

    by_index = sorted(ranked, key=lambda item: (-item[1], *tie_breaks(item[0])))
    by_rate = sorted(ranked, key=lambda item: (-item[2], *tie_breaks(item[0])))
    ranks = {_provider_id(row): position for position, (row, _, _) in enumerate(by_index, 1)}
    raw_ranks = {_provider_id(row): position for position, (row, _, _) in enumerate(by_rate, 1)}

    rows = [
        replace(row, rank=ranks.get(_provider_id(row)), raw_rank=raw_ranks.get(_provider_id(row)))
        for row, _, _ in scored
    ]
    rows.sort(
        key=lambda row: (
            row.rank is None,
            row.rank or 0,
            -row.eligible,
            row.provider_name.casefold(),
            row.provider_name,
            _provider_id(row),
        )
    )
    return LeagueTable(pooled_rate=_as_float(pooled), rows=tuple(rows))


def anonymous_name(position: int) -> str:
    """0 -> "Provider A", 25 -> "Provider Z", 26 -> "Provider AA" (spreadsheet columns)."""
    if position < 0:
        raise ValueError("position must be >= 0")
    letters = ""
    n = position + 1
    while n:
        n, remainder = divmod(n - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return f"Provider {letters}"


_HIDDEN = {"provider_id", "provider_name"}


def _visible(row: LeagueRow) -> tuple[object, ...]:
    return tuple(getattr(row, f.name) for f in fields(row) if f.name not in _HIDDEN)


# -- k-anonymity of anonymised rows (issue 13; docs/metrics.md, "Anonymisation") -------------
DEFAULT_K = 3

# What an outsider knows or can estimate of a provider, so what could single out an anonymised
# row: sector, tier and contracted share are procurement facts; referral volume (and its share
# of the total), job starts and payments follow from the share. The performance figures
# (eligible, outcomes, rate, expected, PI, intervals, funnel limits, RAG, ranks, check
# compliance, data timeliness) are what the table is for and are never changed.
QUASI_IDENTIFIERS = frozenset({"sector", "tier", "contracted_share", "referrals",
                               "referral_share", "job_starts", "payments_earned"})


@dataclass(frozen=True)
class _Dimension:
    """Columns generalised together: level 0 exact, level i rounded to ``steps[i - 1]``, the
    level after the last step withheld (null)."""

    column: str
    steps: tuple[Decimal, ...] = ()
    withheld_with: tuple[str, ...] = ()  # columns withheld as soon as this one is not exact

    @property
    def top(self) -> int:
        return len(self.steps) + 1


# In the order generalised first when two steps help equally: bands before withholding.
_DIMENSIONS = (
    _Dimension("contracted_share", (Decimal("0.05"), Decimal("0.1"), Decimal("0.25"))),
    # The exact share of the total (known from the viewer's own row) gives exact referrals.
    _Dimension("referrals", (Decimal(10), Decimal(50), Decimal(100)), ("referral_share",)),
    _Dimension("job_starts", (Decimal(10), Decimal(50))),
    _Dimension("payments_earned", (Decimal(1000), Decimal(10000))),
    _Dimension("tier"),
    _Dimension("sector"),
)


def _round_to(value: object, step: Decimal) -> object:
    """``value`` rounded to the nearest multiple of ``step`` (halves up); None stays None."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = (exact / step).to_integral_value(rounding=ROUND_HALF_UP) * step
    if isinstance(value, Decimal):
        return rounded.quantize(value) if value.is_finite() else value
    return int(rounded)


def _generalised(row: LeagueRow, levels: dict[str, int]) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(row, name) for name in QUASI_IDENTIFIERS}
    for dimension in _DIMENSIONS:
        level = levels[dimension.column]
        if level == 0:
            continue
        for name in dimension.withheld_with:
            values[name] = None
        values[dimension.column] = (None if level == dimension.top else
                                    _round_to(values[dimension.column],
                                              dimension.steps[level - 1]))
    return values


def _singled_out(released: list[dict[str, object]], k: int) -> int:
    """Rows whose visible quasi-identifiers are shared by fewer than k rows; none when every
    row shows the same (with fewer than k rows, all withheld). A null counts as a value: the
    prime's in-house row, the only one without a tier or share, would otherwise stand out."""
    keys = [tuple(values[name] for name in sorted(QUASI_IDENTIFIERS)) for values in released]
    sizes: dict[tuple[object, ...], int] = {}
    for key in keys:
        sizes[key] = sizes.get(key, 0) + 1
    if len(sizes) == 1:
        return 0
    return sum(1 for key in keys if sizes[key] < k)


def generalise(rows: Sequence[LeagueRow], k: int) -> list[LeagueRow]:
    """The rows, in their order, with the quasi-identifiers made k-anonymous: every
    combination of visible quasi-identifier values is shared by at least ``k`` of the rows.

    Full-domain generalisation (one level per column for all rows, so a band means the same
    on every row): while some row is singled out, coarsen the column whose next level singles
    out the fewest rows (ties: the order of ``_DIMENSIONS``, bands before withholding); then
    give back any column whose finer level keeps the rows k-anonymous. With fewer than ``k``
    rows every quasi-identifier ends withheld. Depends on the rows' values only, never their
    order or identity. The caller passes the anonymised rows only: the viewer knows its own
    row, so it hides nobody.
    """
    if k < 2:
        raise ValueError("k must be >= 2")
    rows = list(rows)
    if len(rows) < k:  # too few to hide among: none of their quasi-identifiers is shown
        withheld = {dimension.column: dimension.top for dimension in _DIMENSIONS}
        return [replace(row, **_generalised(row, withheld)) for row in rows]  # type: ignore[arg-type]
    levels = {dimension.column: 0 for dimension in _DIMENSIONS}

    def score(trial: dict[str, int]) -> int:
        return _singled_out([_generalised(row, trial) for row in rows], k)

    current = score(levels)
    while current:
        options = [(score({**levels, d.column: levels[d.column] + 1}), position, d.column)
                   for position, d in enumerate(_DIMENSIONS) if levels[d.column] < d.top]
        current, _, column = min(options)
        levels[column] += 1
    for dimension in reversed(_DIMENSIONS):
        while levels[dimension.column] and not score(
                {**levels, dimension.column: levels[dimension.column] - 1}):
            levels[dimension.column] -= 1
    if not any(levels.values()):
        return rows
    return [replace(row, **_generalised(row, levels)) for row in rows]  # type: ignore[arg-type]


def anonymise(rows: Iterable[LeagueRow], viewer_provider_id: int | None,
              k: int = DEFAULT_K) -> list[LeagueRow]:
    """The rows as a provider sees them: its own named and exact, every other one "Provider
    A", ... with its quasi-identifiers made k-anonymous among the anonymised rows
    (``generalise``).

    Letters follow an order computed from the rows' *visible* fields only (after
    generalisation): rank, then the unranked by eligible desc and referrals desc, then the
    remaining visible values. The input order and the hidden id and name never decide it, so
    a letter says nothing the row does not already show. Rows that tie on every visible field
    are indistinguishable once anonymised, so their relative order cannot leak anything
    either. The letters are per table: "Provider A" of one period is not linked to "Provider
    A" of another. The rows are returned in that order (the input order may itself reflect
    identity, e.g. by id).
    """
    rows = list(rows)

    def is_own(row: LeagueRow) -> bool:
        return viewer_provider_id is not None and row.provider_id == viewer_provider_id

    own = [row for row in rows if is_own(row)]
    others = generalise([row for row in rows if not is_own(row)], k)

    def order(row: LeagueRow) -> tuple[object, ...]:
        return (
            row.rank is None,
            row.rank or 0,
            -row.eligible,
            row.referrals is None,
            -(row.referrals or 0),
            repr(_visible(row)),
        )

    result: list[LeagueRow] = []
    letters_used = 0
    for row in sorted([*own, *others], key=order):
        if is_own(row):
            result.append(row)
            continue
        result.append(replace(row, provider_id=None, provider_name=anonymous_name(letters_used)))
        letters_used += 1
    return result
