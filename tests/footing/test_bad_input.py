"""A corpus of bad input across the API, one row each: every one answers a 4xx whose detail
names the problem, and none stores anything. (Event-by-event rules are tested in tests/ingest;
this is the request level: broken bodies, types, sizes, enums, files.) CSV exports neutralise
cells a spreadsheet would run as formulas."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.timeutil import today
from app.models import Event, Organisation, Payment
from tests.helpers import API, read_csv_export

FORMULA = "=cmd|' /C calc'!A0"


def _event(w: Any, **fields: Any) -> dict[str, Any]:
    return {"event_id": "bad-1", "contract_id": w.contract_a, "participant_ref": "BAD-1",
            "type": "referral", "event_date": "2024-03-01", "payment_group": "jsa_25_plus",
            "provider_id": w.s1, **fields}


def _csv(header: str, *rows: str, encoding: str = "utf-8") -> dict[str, Any]:
    return {"files": {"file": ("events.csv", "\n".join([header, *rows]).encode(encoding),
                               "text/csv")}}


CSV_HEADER = "event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id"


@dataclass
class Bad:
    name: str
    method: str
    path: Callable[[Any], str]
    request: Callable[[Any], dict[str, Any]]
    status: int
    names: str  # a fragment the answer's detail (or rejection) must contain
    who: str = "admin"
    extra_headers: dict[str, str] = field(default_factory=dict)


def _events_path(w: Any) -> str:
    return f"{API}/events"


def _csv_path(w: Any) -> str:
    return f"{API}/events/csv"


def _orgs_path(w: Any) -> str:
    return f"{API}/organisations"


def _payments_path(w: Any) -> str:
    return f"{API}/contracts/{w.contract_a}/payments"


JSON = {"Content-Type": "application/json"}

CORPUS = [
    # -- malformed JSON -----------------------------------------------------------------------
    Bad("events: truncated JSON", "POST", _events_path,
        lambda w: {"content": b'[{"event_id": "x", '}, 422, "body: not valid JSON",
        extra_headers=JSON),
    Bad("events: an object, not an array", "POST", _events_path,
        lambda w: {"json": _event(w)}, 422, "body: must be a JSON array of events"),
    Bad("events: JSON nested 100,000 deep", "POST", _events_path,
        lambda w: {"content": b"[" * 100_000 + b"]" * 100_000}, 422, "body: not valid JSON",
        extra_headers=JSON),
    Bad("events: not UTF-8", "POST", _events_path,
        lambda w: {"content": '[{"event_id": "é"}]'.encode("latin-1")}, 422,
        "body: not valid JSON", extra_headers=JSON),
    Bad("organisations: truncated JSON", "POST", _orgs_path,
        lambda w: {"content": b'{"name": "A'}, 422, "body", extra_headers=JSON),
    Bad("organisations: bytes that are not UTF-8", "POST", _orgs_path,
        lambda w: {"content": b'{"name": "\xff\xfe"}'}, 400, "body: cannot be read",
        extra_headers=JSON),
    Bad("organisations: a form, not JSON", "POST", _orgs_path,
        lambda w: {"data": {"name": "Form Ltd"}}, 422, "body"),
    Bad("payments: NaN amount", "POST", _payments_path,
        lambda w: {"content": json.dumps({"provider_id": w.s1, "amount": float("nan"),
                                          "invoice_date": "2026-01-31"}).encode()},
        422, "amount", extra_headers=JSON),
    # -- wrong types --------------------------------------------------------------------------
    Bad("organisations: name is a number", "POST", _orgs_path,
        lambda w: {"json": {"name": 5, "kind": "subcontractor", "sector": "private"}},
        422, "body.name"),
    Bad("events: contract_id is text", "POST", _events_path,
        lambda w: {"json": [_event(w, contract_id="one")]}, 422, "contract_id:"),
    Bad("events: an event that is a list", "POST", _events_path,
        lambda w: {"json": [[1, 2]]}, 422, "event: must be a JSON object"),
    Bad("payments: amount is a list", "POST", _payments_path,
        lambda w: {"json": {"provider_id": w.s1, "amount": [1],
                            "invoice_date": "2026-01-31"}}, 422, "body.amount"),
    Bad("contract id in the path is text", "GET", lambda w: f"{API}/contracts/abc",
        lambda w: {}, 422, "path.contract_id"),
    Bad("contract id beyond any key", "GET", lambda w: f"{API}/contracts/{2**63}/milestones",
        lambda w: {}, 422, "path.contract_id"),
    # -- huge strings -------------------------------------------------------------------------
    Bad("organisations: a 100,000-character name", "POST", _orgs_path,
        lambda w: {"json": {"name": "A" * 100_000, "kind": "subcontractor",
                            "sector": "private"}}, 422, "body.name"),
    Bad("events: a 100,000-character participant_ref", "POST", _events_path,
        lambda w: {"json": [_event(w, participant_ref="P" * 100_000)]}, 422,
        "participant_ref:"),
    Bad("events: a 10,000-character event_id", "POST", _events_path,
        lambda w: {"json": [_event(w, event_id="e" * 10_000)]}, 422, "event_id:"),
    Bad("events list: a 10,000-character participant_ref", "GET", _events_path,
        lambda w: {"params": {"participant_ref": "P" * 10_000}}, 422, "query.participant_ref"),
    Bad("organisations: a NUL character in the name", "POST", _orgs_path,
        lambda w: {"json": {"name": "Acme\u0000Ltd", "kind": "subcontractor",
                            "sector": "private"}}, 422, "name: contains a NUL character"),
    Bad("events list: a NUL character in participant_ref", "GET", _events_path,
        lambda w: {"params": {"participant_ref": "P\x00"}}, 422, "query.participant_ref"),
    # -- NINO-shaped references ---------------------------------------------------------------
    Bad("events: a National Insurance number as reference", "POST", _events_path,
        lambda w: {"json": [_event(w, participant_ref="P-AB123456C")]}, 422,
        "participant_ref: looks like a National Insurance number"),
    Bad("csv: a National Insurance number as reference", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER, f"n1,{w.contract_a},AB123456D,referral,2024-03-01,"
                                   f"jsa_25_plus,{w.s1}"), 422,
        "participant_ref: looks like a National Insurance number"),
    # -- future dates -------------------------------------------------------------------------
    Bad("events: dated next year", "POST", _events_path,
        lambda w: {"json": [_event(w, event_date=(today() + timedelta(days=366)).isoformat())]},
        422, "event_date: after today"),
    Bad("events: year 10000", "POST", _events_path,
        lambda w: {"json": [_event(w, event_date="10000-01-01")]}, 422, "event_date:"),
    Bad("payments: paid tomorrow", "POST", _payments_path,
        lambda w: {"json": {"provider_id": w.s1, "amount": "10.00",
                            "invoice_date": "2026-01-31",
                            "paid_date": (today() + timedelta(days=1)).isoformat()}},
        422, "paid_date:", who="manager_a"),
    # -- unknown enum values ------------------------------------------------------------------
    Bad("events: an unknown type", "POST", _events_path,
        lambda w: {"json": [_event(w, type="teleport")]}, 422, "type:"),
    Bad("organisations: an unknown kind", "POST", _orgs_path,
        lambda w: {"json": {"name": "Odd", "kind": "alien", "sector": "private"}}, 422,
        "body.kind"),
    Bad("milestones: an unknown status", "GET",
        lambda w: f"{API}/contracts/{w.contract_a}/milestones",
        lambda w: {"params": {"status": "sideways"}}, 422, "query.status"),
    Bad("league table: an unknown format", "GET",
        lambda w: f"{API}/contracts/{w.contract_a}/league-table",
        lambda w: {"params": {"format": "pdf"}}, 422, "query.format"),
    Bad("lists: a made-up cursor", "GET", _orgs_path,
        lambda w: {"params": {"cursor": "bm90IGEgY3Vyc29y"}}, 422, "cursor:"),
    # -- CSV files ----------------------------------------------------------------------------
    Bad("csv: Latin-1, not UTF-8", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER, f"é1,{w.contract_a},P-1,referral,2024-03-01,jsa_25_plus,"
                                   f"{w.s1}", encoding="latin-1"), 422,
        "file: line 2 is not UTF-8 text"),
    Bad("csv: UTF-16", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER, encoding="utf-16"), 422, "not UTF-8 text"),
    Bad("csv: missing columns", "POST", _csv_path,
        lambda w: _csv("event_id,contract_id,type", f"m1,{w.contract_a},referral"), 422,
        "columns: missing required column(s) participant_ref, event_date"),
    Bad("csv: an unknown column", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER + ",national_insurance_number",
                       f"x1,{w.contract_a},P-1,referral,2024-03-01,jsa_25_plus,"
                       f"{w.s1},QQ123456C"), 422,
        "columns: unknown column(s) 'national_insurance_number'"),
    Bad("csv: a row with more cells than columns", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER, f"x1,{w.contract_a},P-1,referral,2024-03-01,jsa_25_plus,"
                                   f"{w.s1},surplus"), 422,
        "line 2: more cells than columns"),
    Bad("csv: a formula cell", "POST", _csv_path,
        lambda w: _csv(CSV_HEADER, f"\"{FORMULA}\",{w.contract_a},P-1,referral,2024-03-01,"
                                   f"jsa_25_plus,{w.s1}"), 422,
        "event_id: must not start with = + - @"),
    Bad("csv: not a file field", "POST", _csv_path,
        lambda w: {"data": {"file": "event_id\n"}}, 422, "body.file"),
]


def _messages(body: Any) -> str:
    """Everything the answer says about what is wrong, as one string."""
    detail = body.get("detail") if isinstance(body, dict) else None
    parts = [detail] if isinstance(detail, str) else [
        f"{'.'.join(map(str, issue['loc']))}: {issue['msg']}" for issue in detail or []]
    for rejection in body.get("rejected", []) if isinstance(body, dict) else []:
        parts.extend(rejection["errors"])
    return " | ".join(parts)


def _stored(db: Any) -> tuple[int, int, int]:
    db.rollback()
    events, organisations, payments = (int(db.scalar(select(func.count()).select_from(model)) or 0)
                                       for model in (Event, Organisation, Payment))
    return events, organisations, payments


@pytest.mark.parametrize("bad", CORPUS, ids=[bad.name for bad in CORPUS])
def test_bad_input_gets_a_4xx_naming_the_problem_and_changes_nothing(client, world, db, bad):
    before = _stored(db)
    headers = {**world.keys[bad.who], **bad.extra_headers}
    response = client.request(bad.method, bad.path(world), headers=headers,
                              **bad.request(world))
    assert response.status_code == bad.status, response.text[:500]
    assert bad.names in _messages(response.json()), response.text[:500]
    assert _stored(db) == before


def test_csv_exports_neutralise_formula_cells(client, world, db):
    """An organisation named like a formula shows in the league table's CSV as text."""
    admin = world.keys["admin"]
    formula_org = client.post(f"{API}/organisations", headers=admin, json={
        "name": "=HYPERLINK(\"http://x\")", "kind": "subcontractor", "sector": "private"})
    assert formula_org.status_code == 201, formula_org.text
    org_id = formula_org.json()["id"]
    joined = client.post(f"{API}/contracts/{world.contract_a}/members", headers=admin,
                         json={"provider_id": org_id, "tier": 2, "contracted_share": "0.05"})
    assert joined.status_code == 201, joined.text
    referral = _event(world, event_id="f-1", participant_ref="F-1", provider_id=org_id)
    stored = client.post(f"{API}/events", headers=admin, json=[referral])
    assert stored.status_code == 200, stored.text
    answer = client.get(f"{API}/contracts/{world.contract_a}/league-table",
                        headers=admin, params={"format": "csv", "min_n": 1})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    _, rows = read_csv_export(answer.text)
    names = {row["provider_name"] for row in rows}
    assert "'=HYPERLINK(\"http://x\")" in names
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "@", "+") or
                (c[:1] == "-" and not c[1:2].isdigit())]


def test_a_value_the_database_refuses_answers_422_not_500(client, world, engine):
    """The safety net under the input models: PostgreSQL refuses a NUL in text (here a login
    name, which the form does not check); SQLite stores anything, so there it is a wrong login."""
    answer = client.post(f"{API}/auth/token", data={"username": "a\x00b", "password": "x" * 8})
    if engine.dialect.name == "postgresql":
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith("request: a value the database cannot store")
    else:
        assert answer.status_code == 401, answer.text
