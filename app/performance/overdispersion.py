"""Overdispersed funnel limits and shrunk performance indices (DOMAIN.md section 10).

Pure functions on per-provider figures: eligible E_p, outcomes O_p, and X_p, V_p from the risk
model (``risk_model.ProviderExpectation``). Spiegelhalter (2005), "Handling over-dispersion of
performance indicators": z-scores on the log scale, a 10% winsorised dispersion estimate phi,
an additive random-effects variance tau2, funnel limits widened by it, and empirical-Bayes
shrinkage of ln PI towards 0 (PI towards 1). Formulas and a worked example: docs/metrics.md,
"Overdispersion" and "Shrinkage". These figures sit beside section 5's, never instead of them.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from app.performance.league import Z_95, Z_998, LeagueRow, Rag, classify_rag, funnel_limits
from app.performance.risk_model import ProviderExpectation

WINSOR_PERCENTILES = (10.0, 90.0)


@dataclass(frozen=True)
class OverdispersionParameters:
    min_n: int = 30  # the league table's: a unit needs E_p >= min_n
    od_min_units: int = 8


@dataclass(frozen=True)
class ProviderLimits:
    """A provider's PI against limits widened by tau2, and its shrunk PI.

    Limits, RAG and high outlier are null when X_p = 0 or V_p = 0; the shrunk PI and its
    interval are null then too, and whenever tau2 was not estimated.
    """

    provider_id: int
    in_units: bool  # counted in phi and tau2
    performance_index: float | None  # O_p / X_p
    lower_95: float | None
    upper_95: float | None
    lower_998: float | None
    upper_998: float | None
    rag_od: Rag | None
    high_outlier_od: bool | None
    shrunk_performance_index: float | None
    shrunk_low: float | None
    shrunk_high: float | None


@dataclass(frozen=True)
class Overdispersion:
    units: int  # k
    phi: float | None  # null when k < od_min_units
    tau2: float | None  # null when k < od_min_units (the limits then use 0)
    providers: tuple[ProviderLimits, ...]  # in input order


def _assessable(provider: ProviderExpectation) -> bool:
    # V_p > 0 implies X_p > 0 (some p_i strictly between 0 and 1); both are checked anyway.
    return provider.expected > 0 and provider.variance > 0


def _relative_variance(provider: ProviderExpectation) -> float:
    """s_p^2 = V_p / X_p^2, the variance of O_p / X_p under the model (divided twice: X_p^2
    underflows to 0 for a provider whose p are all near 0)."""
    return provider.variance / provider.expected / provider.expected


def is_unit(provider: ProviderExpectation, min_n: int) -> bool:
    return provider.eligible >= min_n and provider.outcomes > 0 and _assessable(provider)


def dispersion(
    units: Sequence[ProviderExpectation],
) -> tuple[float, float]:
    """(phi, tau2) over the units (k >= 2): winsorised z-scores, then DerSimonian-Laird-like."""
    k = len(units)
    variances = [_relative_variance(unit) for unit in units]
    z = np.array(
        [
            math.log(unit.outcomes / unit.expected) / math.sqrt(s2)
            for unit, s2 in zip(units, variances, strict=True)
        ]
    )
    # numpy's default "linear" method is R's type 7, as DOMAIN.md asks.
    q10, q90 = np.percentile(z, WINSOR_PERCENTILES)
    phi = float(np.mean(np.clip(z, q10, q90) ** 2))
    if phi <= 1:
        return phi, 0.0
    weights = [1 / s2 for s2 in variances]
    sum_w = sum(weights)
    denominator = sum_w - sum(w * w for w in weights) / sum_w
    if denominator <= 0:  # k = 1 only; od_min_units keeps k larger in practice
        return phi, 0.0
    return phi, max(0.0, (k * phi - (k - 1)) / denominator)


def overdispersion(
    providers: Sequence[ProviderExpectation],
    parameters: OverdispersionParameters | None = None,
) -> Overdispersion:
    parameters = parameters or OverdispersionParameters()
    if parameters.min_n < 0 or parameters.od_min_units < 2:
        raise ValueError("need min_n >= 0 and od_min_units >= 2")
    units = [p for p in providers if is_unit(p, parameters.min_n)]
    phi: float | None = None
    tau2: float | None = None
    if len(units) >= parameters.od_min_units:
        phi, tau2 = dispersion(units)
    return Overdispersion(
        units=len(units),
        phi=phi,
        tau2=tau2,
        providers=tuple(
            _limits(p, is_unit(p, parameters.min_n), tau2) for p in providers
        ),
    )


@dataclass(frozen=True)
class PiLimits:
    """Funnel limits on the performance index's scale (PI = O_p / X_p, target 1)."""

    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


def overdispersed_pi_limits(expected: float, variance: float, tau2: float | None) -> PiLimits:
    """Section 10's limits exp(-/+ z sqrt(s^2 + tau2)), s^2 = V / X^2 (X > 0, V > 0); tau2
    not estimated counts as 0 (plain binomial on the log scale). The one definition, used per
    provider and for the funnel's curves (`funnel_curves`)."""
    s2 = variance / expected / expected  # divided twice: X^2 underflows for X near 0
    spread = math.sqrt(s2 + (tau2 or 0.0))
    return PiLimits(_exp(-Z_95 * spread), _exp(Z_95 * spread),
                    _exp(-Z_998 * spread), _exp(Z_998 * spread))


def binomial_pi_limits(expected: float, eligible: float) -> PiLimits:
    """Section 5's funnel limits around p0 = X / E (league.funnel_limits) divided by p0: the
    same limits on the PI's scale, since PI = rate / p0 (X > 0, E > 0)."""
    p0 = expected / eligible
    (l95, u95), (l998, u998) = (funnel_limits(p0, eligible, z)  # type: ignore[arg-type]
                                for z in (Z_95, Z_998))
    return PiLimits(l95 / p0, u95 / p0, l998 / p0, u998 / p0)


@dataclass(frozen=True)
class FunnelCurves:
    expected: list[float]  # X along the curves, every provider's X_p among them
    binomial: list[PiLimits]
    overdispersed: list[PiLimits]


def funnel_curves(providers: Sequence[tuple[float, int, float]], tau2: float | None,
                  points: int = 200) -> FunnelCurves:
    """Both sets of limits across X, for drawing, from (X_p, E_p, V_p) of the assessable
    providers (X_p > 0, V_p > 0).

    The limits depend on a provider's case mix, not on X alone (V_p / X_p and E_p / X_p vary),
    so a curve in X alone would disagree with some provider's own limits and RAG. These curves
    pass through every provider's own limits: they are the functions above at each X, with
    V / X and E / X interpolated linearly in X between the providers (constant beyond them),
    evaluated at every X_p exactly and at `points` X's between."""
    assessable = sorted((x, e, v) for x, e, v in providers if x > 0 and v > 0 and e > 0)
    if not assessable:
        return FunnelCurves([], [], [])
    known_x = np.array([x for x, _, _ in assessable])
    variance_ratio = np.array([v / x for x, _, v in assessable])
    eligible_ratio = np.array([e / x for x, e, _ in assessable])
    grid = np.geomspace(known_x[0] * 0.8, known_x[-1] * 1.2, points)
    xs = sorted({float(x) for x in (*known_x, *grid)})
    binomial, overdispersed = [], []
    for x in xs:
        exact = [p for p in assessable if p[0] == x]  # a provider's X: its own figures
        v = exact[0][2] if exact else x * float(np.interp(x, known_x, variance_ratio))
        e = exact[0][1] if exact else x * float(np.interp(x, known_x, eligible_ratio))
        binomial.append(binomial_pi_limits(x, e))
        overdispersed.append(overdispersed_pi_limits(x, v, tau2))
    return FunnelCurves(xs, binomial, overdispersed)


RagBasis = Literal["overdispersed", "binomial"]


def rag_basis(flag_rag_basis: str, phi: float | None) -> RagBasis:
    """The RAG a contract judges by: the overdispersed one (rag_od) when its flag_rag_basis
    asks for it and phi was estimated; otherwise section 5's (DOMAIN.md section 10). Flags,
    the league page and the funnel all ask here."""
    return "overdispersed" if flag_rag_basis == "overdispersed" and phi is not None \
        else "binomial"


def judged_rag(row: LeagueRow, basis: RagBasis) -> Rag | None:
    return row.rag_od if basis == "overdispersed" else row.rag


def _limits(provider: ProviderExpectation, in_units: bool, tau2: float | None) -> ProviderLimits:
    if not _assessable(provider):
        index = provider.outcomes / provider.expected if provider.expected > 0 else None
        return ProviderLimits(provider.provider_id, in_units, index,
                              None, None, None, None, None, None, None, None, None)
    index = provider.outcomes / provider.expected
    limits = overdispersed_pi_limits(provider.expected, provider.variance, tau2)
    shrunk = shrink(provider, tau2) if tau2 is not None else (None, None, None)
    return ProviderLimits(
        provider_id=provider.provider_id,
        in_units=in_units,
        performance_index=index,
        lower_95=limits.lower_95,
        upper_95=limits.upper_95,
        lower_998=limits.lower_998,
        upper_998=limits.upper_998,
        rag_od=classify_rag(index, limits.lower_95, limits.lower_998),
        high_outlier_od=index > limits.upper_95,
        shrunk_performance_index=shrunk[0],
        shrunk_low=shrunk[1],
        shrunk_high=shrunk[2],
    )


def _exp(x: float) -> float:
    """exp, infinite instead of OverflowError (a provider with X_p near 0 has s_p huge)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def shrink(provider: ProviderExpectation, tau2: float) -> tuple[float, float, float]:
    """Empirical Bayes on ln PI with tau2 taken as known: (shrunk PI, 95% low, high).

    y_p = ln((O_p + 0.5) / (X_p + 0.5)) (the halves keep O_p = 0 finite), v_p = s_p^2,
    w_p = tau2 / (tau2 + v_p); tau2 = 0 gives w_p = 0: PI 1 with the interval [1, 1].
    """
    y = math.log((provider.outcomes + 0.5) / (provider.expected + 0.5))
    v = _relative_variance(provider)
    w = tau2 / (tau2 + v)
    half = Z_95 * math.sqrt(w * v)
    return math.exp(w * y), math.exp(w * y - half), math.exp(w * y + half)


def with_limits(rows: Iterable[LeagueRow], result: Overdispersion) -> list[LeagueRow]:
    """League rows with their overdispersed limits, RAG and shrunk PI (API.md's fields); a
    provider without eligible participants keeps them null."""
    by_provider = {limits.provider_id: limits for limits in result.providers}
    filled = []
    for row in rows:
        limits = by_provider.get(row.provider_id) if row.provider_id is not None else None
        if limits is None:
            filled.append(row)
            continue
        filled.append(replace(
            row, pi_lower_95=limits.lower_95, pi_upper_95=limits.upper_95,
            pi_lower_998=limits.lower_998, pi_upper_998=limits.upper_998,
            rag_od=limits.rag_od, high_outlier_od=limits.high_outlier_od,
            shrunk_pi=limits.shrunk_performance_index, shrunk_pi_low=limits.shrunk_low,
            shrunk_pi_high=limits.shrunk_high))
    return filled
