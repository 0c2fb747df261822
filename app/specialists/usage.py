"""Specialist usage and fees (DOMAIN.md section 12; docs/metrics.md, "Specialist usage"): pure
functions over the referral counts the service's one GROUP BY returns.

Every figure is of the referrals made in the period (by referral date), whatever the date of
their outcomes: a referral's outcomes belong to it. `started` counts referrals the specialist
started, or completed without reporting a start; the completion rate is completed / started
(of the help begun, the share finished: a declined or missed first appointment is not the
specialist's to finish). A referral's agreed fee is owed once it is completed
(docs/decisions.md, "Specialist fees").
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class UsageCounts:
    """One (provider, specialist) pair's referrals in the period."""

    provider_id: int
    specialist_id: int
    referrals: int
    started: int
    completed: int
    declined: int
    did_not_attend: int
    open: int
    fees_agreed: Decimal
    fees_owed: Decimal


@dataclass
class UsageTotals:
    referrals: int = 0
    started: int = 0
    completed: int = 0
    declined: int = 0
    did_not_attend: int = 0
    open: int = 0
    fees_agreed: Decimal = Decimal(0)
    fees_owed: Decimal = Decimal(0)
    providers: set[int] = field(default_factory=set)

    def add(self, counts: UsageCounts) -> None:
        self.referrals += counts.referrals
        self.started += counts.started
        self.completed += counts.completed
        self.declined += counts.declined
        self.did_not_attend += counts.did_not_attend
        self.open += counts.open
        self.fees_agreed += counts.fees_agreed
        self.fees_owed += counts.fees_owed
        if counts.referrals:
            self.providers.add(counts.provider_id)

    @property
    def completion_rate(self) -> float | None:
        return completion_rate(self.completed, self.started)


def completion_rate(completed: int, started: int) -> float | None:
    return completed / started if started else None


def totals_by(rows: Iterable[UsageCounts], key: str,
              keep: Iterable[int] = ()) -> dict[int, UsageTotals]:
    """The rows summed per `key` ("specialist_id" or "provider_id"); ids in `keep` appear
    with zeros when they have no referrals (a named specialist never used shows as such)."""
    totals: dict[int, UsageTotals] = {k: UsageTotals() for k in keep}
    for row in rows:
        totals.setdefault(getattr(row, key), UsageTotals()).add(row)
    return totals
