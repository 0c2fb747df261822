"""Distance travelled against the hand-computed example of docs/metrics.md ("Distance
travelled: worked example")."""

from datetime import date, timedelta

import pytest

from app.specialists.progress import (
    Assessment,
    mean_interval,
    participant_changes,
    provider_progress,
)

AREAS = ("job_search", "confidence", "health", "skills")
START = date(2026, 1, 5)
P, Q = 10, 20  # two providers


def a(participant, day, provider=P, **scores):
    return Assessment(participant_id=participant, provider_id=provider,
                      assessed_on=START + timedelta(days=day), scores=scores)


EXAMPLE = [
    a(1, 0, confidence=3, health=4), a(1, 84, confidence=6, health=7),  # +3, +3
    a(2, 0, confidence=2), a(2, 56, confidence=5),  # +3: exactly 8 weeks apart
    a(3, 0, confidence=4), a(3, 30, confidence=9), a(3, 70, confidence=5),  # +1: last, not max
    a(4, 7, confidence=1), a(4, 100, confidence=6),  # +5
    a(5, 0, confidence=2), a(5, 55, confidence=9),  # 55 days: not counted
    a(6, 0, confidence=8),  # one assessment: not counted
    a(7, 0, provider=Q, confidence=5, happiness=9), a(7, 60, provider=Q, confidence=4),
]


def test_participant_changes_follow_the_example():
    changes = {(c.participant_id, c.area): c.change for c in participant_changes(EXAMPLE,
                                                                                   AREAS)}
    assert changes == {(1, "confidence"): 3, (1, "health"): 3, (2, "confidence"): 3,
                       (3, "confidence"): 1, (4, "confidence"): 5, (7, "confidence"): -1}


def test_provider_progress_follows_the_example():
    rows = provider_progress(participant_changes(EXAMPLE, AREAS), AREAS)
    assert [(r.provider_id, r.area, r.participants) for r in rows] == [
        (P, "confidence", 4), (P, "health", 1), (Q, "confidence", 1)]
    confidence = rows[0]
    # changes 3, 3, 1, 5: mean 3; sd = sqrt(8 / 3) = 1.632993; se = 0.816497;
    # t(0.975, 3) = 3.182446; half-width 2.598457
    assert confidence.mean_change == 3
    assert (confidence.mean_first, confidence.mean_last) == (2.5, 5.5)
    assert confidence.ci_low == pytest.approx(0.401543, abs=1e-6)
    assert confidence.ci_high == pytest.approx(5.598457, abs=1e-6)
    assert (rows[1].mean_change, rows[1].ci_low, rows[1].ci_high) == (3, None, None)


def test_the_same_change_for_everyone_has_a_zero_width_interval():
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_a_provider_change_counts_for_the_provider_of_the_last_assessment():
    moved = [a(1, 0, provider=P, skills=2), a(1, 60, provider=Q, skills=4)]
    rows = provider_progress(participant_changes(moved, ("skills",)), ("skills",))
    assert [(r.provider_id, r.mean_change) for r in rows] == [(Q, 2)]
