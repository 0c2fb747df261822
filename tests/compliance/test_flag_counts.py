"""What the dashboard asks of the flags besides the list: counts by status for the overview's
tile (scoped like the list) and which status changes a principal may make on one flag (the
actions the page shows), both agreeing with what the service then accepts."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.compliance.schemas import FlagStatusChange
from app.compliance.service import change_flag_status, flag_counts, flag_status_changes
from app.core.errors import Forbidden, NotFound
from tests.compliance.test_flags_api import _late_payment, flags
from tests.world import ADMIN


def _principals(world: Any) -> dict[str, Principal]:
    return {"admin": ADMIN,
            "prime": Principal(role="prime_manager", organisation_id=world.prime_a),
            "inhouse": Principal(role="provider_user", organisation_id=world.prime_a),
            "private": Principal(role="provider_user", organisation_id=world.s2),
            "third": Principal(role="provider_user", organisation_id=world.s1),
            "other_prime": Principal(role="prime_manager",
                                     organisation_id=world.prime_b),
            "reviewer": Principal(role="reviewer", organisation_id=None)}


def test_counts_by_status_follow_the_scope_and_the_status(client: TestClient, db: Session,
                                                          world: Any) -> None:
    # COM-1 about `private`; CON-2 about `suspended`; SCD-2 about `third` (a tier-2 member
    # never sent specialist work).
    flag = _late_payment(client, world)
    who = _principals(world)
    assert flag_counts(db, who["admin"], world.contract_a) == {
        "open": 3, "acknowledged": 0, "resolved": 0}
    assert flag_counts(db, who["reviewer"]) == flag_counts(db, who["prime"],
                                                           world.contract_a)
    assert flag_counts(db, who["private"])["open"] == 1  # only the flag about itself
    assert flag_counts(db, who["third"])["open"] == 1
    assert flag_counts(db, who["other_prime"])["open"] == 0
    assert flag_counts(db, who["admin"], world.contract_b)["open"] == 0
    # The counts agree with the list the API answers.
    assert len(flags(client, world.keys["s2"])) == 1

    change_flag_status(db, who["prime"], flag["id"],
                       FlagStatusChange(status="acknowledged", note="seen"))
    assert flag_counts(db, who["prime"], world.contract_a) == {
        "open": 2, "acknowledged": 1, "resolved": 0}


def test_status_changes_offered_are_those_the_service_accepts(client: TestClient, db: Session,
                                                              world: Any) -> None:
    flag = _late_payment(client, world)
    who = _principals(world)
    assert flag_status_changes(db, who["prime"], flag["id"]) == ["acknowledged", "resolved"]
    assert flag_status_changes(db, who["admin"], flag["id"]) == ["acknowledged", "resolved"]
    for name, refusal in (("reviewer", Forbidden), ("private", Forbidden),
                          ("inhouse", Forbidden), ("other_prime", NotFound)):
        assert flag_status_changes(db, who[name], flag["id"]) == [], name
        with pytest.raises(refusal):
            change_flag_status(db, who[name], flag["id"],
                               FlagStatusChange(status="resolved", note="x"))
    change_flag_status(db, who["prime"], flag["id"],
                       FlagStatusChange(status="acknowledged", note="seen"))
    assert flag_status_changes(db, who["prime"], flag["id"]) == ["resolved"]
    change_flag_status(db, who["prime"], flag["id"],
                       FlagStatusChange(status="resolved", note="paid"))
    assert flag_status_changes(db, who["prime"], flag["id"]) == []
    assert flag_status_changes(db, who["admin"], "9" * 22) == []
