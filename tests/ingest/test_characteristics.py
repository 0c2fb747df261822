"""A referral's characteristics (DOMAIN.md section 10): taken by JSON and CSV, validated level
by level, kept on the event as sent and on the participant (null: unknown), and part of the
event's content for idempotency."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from app.ingest.schemas import EventIn
from app.ingest.service import content_hash
from app.models import Event, Participant
from app.models.participants import CHARACTERISTICS
from tests.ingest.events import ev
from tests.ingest.test_csv_upload import upload
from tests.ingest.test_ingest_http import post

D = date(2024, 3, 1)
FULL = {"age_band": "50+", "health_condition": "yes", "claim_duration": "over_24m",
        "qualification": "none", "area": "E08000035"}


def referral(world, ref, characteristics=None, **fields):
    extra = {} if characteristics is None else {"characteristics": characteristics}
    return ev(world.contract_a, ref, "referral", D, payment_group="jsa_25_plus",
              provider_id=world.s1, **extra, **fields)


def characteristics_of(db, ref):
    participant = db.scalar(select(Participant).where(Participant.participant_ref == ref))
    event = db.scalar(select(Event).where(Event.participant_id == participant.id))
    return ({name: getattr(participant, name) for name in CHARACTERISTICS},
            {name: getattr(event, name) for name in CHARACTERISTICS})


def test_characteristics_sent_are_stored_on_the_participant_and_the_event(client, world, db):
    response = post(client, world, "s1", [referral(world, "CH-1", FULL)])
    assert response.status_code == 200, response.text
    assert characteristics_of(db, "CH-1") == (FULL, FULL)
    read = client.get("/api/v1/events", params={"participant_ref": "CH-1"},
                      headers=world.keys["s1"]).json()["rows"]
    assert read[0]["characteristics"] == FULL


def test_missing_and_null_keys_are_unknown(client, world, db):
    events = [referral(world, "CH-2", {"age_band": "18-24", "qualification": None}),
              referral(world, "CH-3"), referral(world, "CH-4", {})]
    assert post(client, world, "s1", events).status_code == 200
    unknown = dict.fromkeys(CHARACTERISTICS)
    assert characteristics_of(db, "CH-2")[0] == {**unknown, "age_band": "18-24"}
    assert characteristics_of(db, "CH-3") == (unknown, unknown)
    assert characteristics_of(db, "CH-4") == (unknown, unknown)


@pytest.mark.parametrize(("characteristics", "error"), [
    ({"age_band": "60+"}, "characteristics.age_band: '60+' is not one of 18-24, 25-34, 35-49, 50+"),
    ({"age_band": 52}, "characteristics.age_band: 52 is not one of 18-24, 25-34, 35-49, 50+"),
    ({"health_condition": "maybe"},
     "characteristics.health_condition: 'maybe' is not one of yes, no"),
    ({"claim_duration": "3y"}, "characteristics.claim_duration: '3y' is not one of under_6m, "
                               "6_12m, 12_24m, over_24m"),
    ({"qualification": "degree"}, "characteristics.qualification: 'degree' is not one of none, "
                                  "level_1_2, level_3_plus"),
    ({"area": "e08000035"}, "characteristics.area: 'e08000035' is not 1-16 upper-case letters "
                            "and digits (e.g. the local authority code E08000035)"),
    ({"area": "LS1 4AP"}, "characteristics.area: 'LS1 4AP' is not 1-16 upper-case letters and "
                          "digits (e.g. the local authority code E08000035)"),
    ({"area": "E" * 17}, f"characteristics.area: '{'E' * 17}' is not 1-16 upper-case letters "
                         "and digits (e.g. the local authority code E08000035)"),
    ({"date_of_birth": "1970-01-01"}, "characteristics.date_of_birth: not a characteristic (the "
                                      "known ones: age_band, health_condition, claim_duration, "
                                      "qualification, area)"),
    ("50+", "characteristics: must be an object with any of age_band, health_condition, "
            "claim_duration, qualification, area"),
])
def test_an_invalid_characteristic_is_refused_naming_key_and_levels(client, world, db,
                                                                    characteristics, error):
    good = referral(world, "CH-5")
    bad = referral(world, "CH-6", characteristics)
    response = post(client, world, "s1", [good, bad])
    assert response.status_code == 422
    assert response.json()["rejected"] == [
        {"index": 1, "event_id": bad["event_id"], "errors": [error]}]
    assert db.scalar(select(Participant.id)) is None


def test_characteristics_belong_to_referrals_only(client, world):
    events = [referral(world, "CH-7"),
              ev(world.contract_a, "CH-7", "attachment", D, characteristics={"age_band": "50+"})]
    response = post(client, world, "s1", events)
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"] == [
        "characteristics: not a field of attachment events"]


def test_an_identical_referral_is_a_duplicate_and_other_characteristics_are_a_reuse(client,
                                                                                    world, db):
    sent = referral(world, "CH-8", {"age_band": "35-49", "area": "E08000032"})
    assert post(client, world, "s1", [sent]).json()["accepted"] == 1
    # The same content, keys in another order and a null key spelled out: a duplicate.
    again = {**sent, "characteristics": {"area": "E08000032", "age_band": "35-49",
                                         "qualification": None}}
    assert post(client, world, "s1", [again]).json() == {
        "accepted": 0, "duplicates": 1, "rejected": []}
    for other in ({"age_band": "50+", "area": "E08000032"}, {"age_band": "35-49"}, None):
        changed = {**sent, "characteristics": other}
        response = post(client, world, "s1", [changed])
        assert response.status_code == 422
        assert response.json()["rejected"][0]["errors"] == [
            "event_id: reused with different content"]
    assert characteristics_of(db, "CH-8")[0]["age_band"] == "35-49"


def test_a_referral_without_characteristics_hashes_as_before_they_existed():
    """Events stored before characteristics existed keep their content hash: sent again, they
    are duplicates (the digest below is the one the code before them computed)."""
    event = EventIn.model_validate({
        "event_id": "old-1", "contract_id": 1, "participant_ref": "OLD-1", "type": "referral",
        "event_date": "2024-03-01", "payment_group": "jsa_25_plus", "provider_id": 2})
    fields = ("old-1", 1, "OLD-1", "referral", date(2024, 3, 1), "jsa_25_plus", 2, None, None,
              None, None, None, None)
    assert content_hash(event) == hashlib.sha256(repr(fields).encode()).hexdigest()


CSV_HEADER = ("event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id,"
              "age_band,health_condition,claim_duration,qualification,area")


def test_characteristics_by_csv_columns_empty_cells_unknown(client, world, db):
    text = "\n".join([
        CSV_HEADER,
        f"c1,{world.contract_a},CSV-1,referral,2024-03-01,jsa_25_plus,{world.s1},"
        "50+,yes,over_24m,none,E08000035",
        f"c2,{world.contract_a},CSV-2,referral,2024-03-01,jsa_25_plus,{world.s1},25-34,,,,",
    ]) + "\n"
    response = upload(client, world, text)
    assert response.status_code == 200, response.text
    assert characteristics_of(db, "CSV-1") == (FULL, FULL)
    assert characteristics_of(db, "CSV-2")[0] == {**dict.fromkeys(CHARACTERISTICS),
                                                  "age_band": "25-34"}


def test_an_invalid_csv_characteristic_is_refused_by_line(client, world):
    text = "\n".join([
        CSV_HEADER,
        f"c3,{world.contract_a},CSV-3,referral,2024-03-01,jsa_25_plus,{world.s1},,,,,",
        f"c4,{world.contract_a},CSV-4,referral,2024-03-01,jsa_25_plus,{world.s1},"
        "60+,no,,,e08000035",
        f"c5,{world.contract_a},CSV-3,attachment,2024-03-02,,,,yes,,,",
    ]) + "\n"
    response = upload(client, world, text)
    assert response.status_code == 422
    assert response.json()["rejected"] == [
        {"index": 1, "line": 3, "event_id": "c4", "errors": [
            "characteristics.age_band: '60+' is not one of 18-24, 25-34, 35-49, 50+",
            "characteristics.area: 'e08000035' is not 1-16 upper-case letters and digits "
            "(e.g. the local authority code E08000035)"]},
        {"index": 2, "line": 4, "event_id": "c5", "errors": [
            "characteristics: not a field of attachment events"]}]
