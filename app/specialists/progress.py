"""Distance travelled (DOMAIN.md section 12; docs/metrics.md, "Distance travelled"): pure
functions over plain assessment rows, no database.

Per participant and area: the change from its first score to its last (by date), counted when
the two are at least `min_gap_days` (8 weeks) apart. Per provider and area: the mean change
over those participants with its 95% Student t interval (scipy), mean -/+ t(0.975, n - 1) x
sd / sqrt(n); no interval for one participant.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from math import sqrt
from statistics import fmean, stdev

from scipy import stats

MIN_GAP_DAYS = 56  # 8 weeks
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Assessment:
    participant_id: int
    provider_id: int
    assessed_on: date
    scores: Mapping[str, int]
    order: int = 0  # the event's id: two assessments of one day apply in the order received


@dataclass(frozen=True)
class ParticipantChange:
    participant_id: int
    provider_id: int
    area: str
    first_on: date
    first_score: int
    last_on: date
    last_score: int

    @property
    def change(self) -> int:
        return self.last_score - self.first_score


@dataclass(frozen=True)
class ProviderProgress:
    provider_id: int
    area: str
    participants: int  # with a first and a last score at least min_gap_days apart
    mean_first: float
    mean_last: float
    mean_change: float
    ci_low: float | None  # None for a single participant
    ci_high: float | None


def participant_changes(assessments: Iterable[Assessment], areas: Iterable[str],
                        min_gap_days: int = MIN_GAP_DAYS) -> list[ParticipantChange]:
    """Each participant's distance travelled per area: last score minus first, where the two
    are `min_gap_days` or more apart. The provider is the participant's on its last
    assessment."""
    wanted = set(areas)
    by_participant: dict[int, list[Assessment]] = {}
    for assessment in assessments:
        by_participant.setdefault(assessment.participant_id, []).append(assessment)
    changes = []
    for participant_id in sorted(by_participant):
        ordered = sorted(by_participant[participant_id], key=lambda a: (a.assessed_on, a.order))
        for area in sorted({a for assessment in ordered for a in assessment.scores} & wanted):
            scored = [a for a in ordered if area in a.scores]
            first, last = scored[0], scored[-1]
            if (last.assessed_on - first.assessed_on).days < min_gap_days:
                continue
            changes.append(ParticipantChange(
                participant_id=participant_id, provider_id=last.provider_id, area=area,
                first_on=first.assessed_on, first_score=first.scores[area],
                last_on=last.assessed_on, last_score=last.scores[area]))
    return changes


def mean_interval(values: list[float], confidence: float = CONFIDENCE
                  ) -> tuple[float, float | None, float | None]:
    """The mean with its Student t interval (scipy.stats.t); no interval for one value, and
    the mean itself at both ends when every value is the same."""
    mean = fmean(values)
    if len(values) < 2:
        return mean, None, None
    sem = stdev(values) / sqrt(len(values))
    if sem == 0:
        return mean, mean, mean
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


def provider_progress(changes: Iterable[ParticipantChange],
                      areas: Iterable[str]) -> list[ProviderProgress]:
    """Per provider and area (in the contract's order of areas): the mean change and its 95%
    interval over the participants whose change counts."""
    order = {area: i for i, area in enumerate(areas)}
    grouped: dict[tuple[int, str], list[ParticipantChange]] = {}
    for change in changes:
        if change.area in order:
            grouped.setdefault((change.provider_id, change.area), []).append(change)
    rows = []
    for (provider_id, area), group in sorted(grouped.items(),
                                             key=lambda item: (item[0][0], order[item[0][1]])):
        mean, low, high = mean_interval([float(c.change) for c in group])
        rows.append(ProviderProgress(
            provider_id=provider_id, area=area, participants=len(group),
            mean_first=fmean(c.first_score for c in group),
            mean_last=fmean(c.last_score for c in group), mean_change=mean,
            ci_low=low, ci_high=high))
    return rows
