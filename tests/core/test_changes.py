"""The change registry (app.core.changes): reactions inside the writer's transaction share its
fate; after-commit reactions run only once it has committed, and never after a rollback."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import changes
from app.core.changes import Change, Kind
from app.core.timeutil import today
from app.models import ComplianceContractState, ComplianceFlag, Organisation, Payment
from app.wiring import install_reactions
from tests.world import World


@pytest.fixture()
def probes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Change]]]:
    """An empty registry for this test (the wired one comes back after it), and a log of the
    probe reactions' calls."""
    monkeypatch.setattr(changes, "_registry", [])
    yield []


def _late_payment(db: Session, world: World) -> None:
    """A payment whose 30-day terms ended 20 days ago, written without the service."""
    db.add(Payment(contract_id=world.contract_a, provider_id=world.s2,
                   invoice_date=today() - timedelta(days=50), amount=Decimal("1200.00"),
                   paid_date=None, terms_days=30))
    db.flush()


def _com1_flags(db: Session, world: World) -> int:
    db.rollback()  # a fresh snapshot
    return db.scalar(select(func.count()).select_from(ComplianceFlag).where(
        ComplianceFlag.contract_id == world.contract_a, ComplianceFlag.rule == "COM-1")) or 0


def test_the_wired_flags_follow_a_published_payment_only_once_it_commits(db, world):
    changes.publish(db, world.contract_a, Kind.PAYMENT)
    db.rollback()  # the recomputation queued above is dropped with the change
    _late_payment(db, world)
    db.commit()  # stored, but unpublished: nothing recomputes the flags
    assert _com1_flags(db, world) == 0

    _late_payment(db, world)
    changes.publish(db, world.contract_a, Kind.PAYMENT)
    assert _com1_flags_in_another_session(db, world) == 0  # nothing before the commit
    db.commit()
    assert _com1_flags(db, world) == 2


def _com1_flags_in_another_session(db: Session, world: World) -> int:
    with Session(bind=db.get_bind()) as other:
        return other.scalar(select(func.count()).select_from(ComplianceFlag).where(
            ComplianceFlag.contract_id == world.contract_a,
            ComplianceFlag.rule == "COM-1")) or 0


def test_marking_flags_stale_commits_or_rolls_back_with_the_change(db, world):
    def stale_since() -> object:
        db.rollback()
        return db.scalar(select(ComplianceContractState.stale_since).where(
            ComplianceContractState.contract_id == world.contract_a))

    from app.compliance.service import recompute_flags

    recompute_flags(db, world.contract_a)  # computed now: not stale
    assert stale_since() is None
    changes.publish(db, world.contract_a, Kind.EVENTS)
    db.rollback()
    assert stale_since() is None
    changes.publish(db, world.contract_a, Kind.EVENTS)
    db.commit()
    assert stale_since() is not None


def test_an_in_transaction_reaction_writes_with_the_writer(db, probes):
    def add_org(session: Session, change: Change) -> None:
        probes.append(("in", change))
        session.add(Organisation(name=f"Made by {change.contract_id}",
                                 name_key=f"made by {change.contract_id}", kind="subcontractor",
                                 sector="third"))

    changes.on(Kind.PAYMENT, add_org)
    changes.publish(db, 7, Kind.PAYMENT)
    assert probes == [("in", Change(7, frozenset({Kind.PAYMENT})))]  # at once
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Organisation)) == 0
    changes.publish(db, 8, Kind.PAYMENT)
    db.commit()
    assert db.scalars(select(Organisation.name)).all() == ["Made by 8"]


def test_after_commit_reactions_run_once_per_contract_in_their_own_session(db, probes):
    def record(session: Session, change: Change) -> None:
        assert session is not db
        probes.append(("after", change))

    changes.on({Kind.PAYMENT, Kind.COMPLAINT}, record, after_commit=True)
    changes.on(Kind.TARIFF, lambda s, c: probes.append(("unrelated", c)), after_commit=True)
    changes.publish(db, 2, Kind.COMPLAINT)
    changes.publish(db, 1, Kind.PAYMENT)
    changes.publish(db, 2, Kind.PAYMENT)
    assert probes == []  # not before the commit
    db.commit()
    assert probes == [("after", Change(1, frozenset({Kind.PAYMENT}))),
                      ("after", Change(2, frozenset({Kind.PAYMENT, Kind.COMPLAINT})))]
    db.commit()  # a later commit with nothing published runs nothing again
    assert len(probes) == 2


def test_a_rolled_back_or_closed_transaction_drops_what_it_queued(db, probes):
    changes.on(Kind.PAYMENT, lambda s, c: probes.append(("after", c)), after_commit=True)
    changes.publish(db, 1, Kind.PAYMENT)
    db.rollback()
    db.commit()
    changes.publish(db, 2, Kind.PAYMENT)
    db.close()
    db.commit()
    assert probes == []


def test_a_failing_after_commit_reaction_is_logged_and_the_change_stands(db, probes, caplog):
    def fail(session: Session, change: Change) -> None:
        raise RuntimeError("the flags could not be recomputed")

    changes.on(Kind.PAYMENT, fail, after_commit=True)
    changes.on(Kind.PAYMENT, lambda s, c: probes.append(("after", c)), after_commit=True)
    db.add(Organisation(name="Kept", name_key="kept", kind="subcontractor", sector="third"))
    changes.publish(db, 3, Kind.PAYMENT)
    with caplog.at_level(logging.ERROR, logger="app.core.changes"):
        db.commit()
    assert "the flags could not be recomputed" in caplog.text
    assert len(probes) == 1  # the next reaction still ran
    assert db.scalars(select(Organisation.name)).all() == ["Kept"]


def test_publishing_with_no_reactions_installed_is_refused(db, probes):
    with pytest.raises(RuntimeError, match="install_reactions"):
        changes.publish(db, 1, Kind.EVENTS)


# What each kind of change sets off, in order: the contract of app.wiring.
INSTALLED = {
    Kind.SCHEDULE: (["_reschedule", "_mark_stale"], []),
    Kind.TARIFF: (["_reschedule", "_rebuild_daily_totals", "_mark_stale"], []),
    Kind.TIMELINESS: (["_rebuild_daily_totals", "_mark_stale"], []),
    Kind.SETTINGS: (["_mark_stale"], []),
    Kind.MEMBER_ADDED: (["_mark_stale"], []),
    Kind.MEMBER_STATUS: (["_mark_stale"], ["_recompute_now"]),
    Kind.PAYMENT: (["_mark_stale"], ["_recompute_now"]),
    Kind.COMPLAINT: (["_mark_stale"], ["_recompute_now"]),
    Kind.EVENTS: (["renew_on_change", "_mark_stale"], []),
    # A publication is announced to the members it rates (app.regime.reactions).
    Kind.RATING: (["_mark_stale", "announce_rating"], []),
}


def test_every_kind_of_change_has_its_reactions_installed():
    install_reactions()
    install_reactions()  # installing twice (app and CLI in one process) doubles nothing
    found = {kind: ([r.__name__ for r in changes.reactions(kind, after_commit=False)],
                    [r.__name__ for r in changes.reactions(kind, after_commit=True)])
             for kind in Kind}
    assert found == INSTALLED
