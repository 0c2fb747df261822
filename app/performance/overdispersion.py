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

import numpy as np

from app.performance.league import Z_95, Z_998, LeagueRow, Rag, classify_rag
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


def _limits(provider: ProviderExpectation, in_units: bool, tau2: float | None) -> ProviderLimits:
    if not _assessable(provider):
        index = provider.outcomes / provider.expected if provider.expected > 0 else None
        return ProviderLimits(provider.provider_id, in_units, index,
                              None, None, None, None, None, None, None, None, None)
    s2 = _relative_variance(provider)
    index = provider.outcomes / provider.expected
    # Not estimated: tau2 = 0 for the limits (plain binomial on the log scale).
    spread = math.sqrt(s2 + (tau2 or 0.0))
    lower_95, upper_95 = _exp(-Z_95 * spread), _exp(Z_95 * spread)
    lower_998, upper_998 = _exp(-Z_998 * spread), _exp(Z_998 * spread)
    shrunk = shrink(provider, tau2) if tau2 is not None else (None, None, None)
    return ProviderLimits(
        provider_id=provider.provider_id,
        in_units=in_units,
        performance_index=index,
        lower_95=lower_95,
        upper_95=upper_95,
        lower_998=lower_998,
        upper_998=upper_998,
        rag_od=classify_rag(index, lower_95, lower_998),
        high_outlier_od=index > upper_95,
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
