"""Shared test helpers: organisations, contracts, members and users, and logging in through HTTP.

Users are stored directly with a *low-cost* argon2id hash (m=1 MiB, t=1, computed once per run):
logging in still goes through `POST /api/v1/auth/token` and the production verifier, which reads
the cost from the hash, so a login takes ~1 ms instead of ~200 ms. Users created through
`POST /api/v1/users` (tests/auth) pay the full production cost.
"""

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, User

API = "/api/v1"
PASSWORD = "correct horse battery staple"


@cache
def _low_cost_hash(password: str) -> str:
    hasher = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHash((hasher,)).hash(password)


def add_user(db: Session, username: str, role: str, organisation_id: int | None = None,
             password: str = PASSWORD) -> int:
    """A user row with a low-cost hash (see the module docstring); returns its id."""
    user = User(username=username.lower(), password_hash=_low_cost_hash(password), role=role,
                organisation_id=organisation_id, is_active=True)
    db.add(user)
    db.commit()
    return user.id


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the token endpoint; the headers that authenticate later requests."""
    response = client.post(f"{API}/auth/token",
                           data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_org(client: TestClient, headers: dict[str, str], name: str,
               kind: str = "subcontractor", sector: str = "private") -> int:
    body = created(client.post(f"{API}/organisations", headers=headers,
                               json={"name": name, "kind": kind, "sector": sector}))
    return int(body["id"])


def create_contract(client: TestClient, headers: dict[str, str], prime_id: int,
                    cpa_code: str = "CPA1", cpa_name: str = "Testshire",
                    start_date: date = date(2024, 4, 1), end_date: date = date(2029, 3, 31),
                    **extra: Any) -> int:
    payload = {"prime_id": prime_id, "cpa_code": cpa_code, "cpa_name": cpa_name,
               "start_date": start_date.isoformat(), "end_date": end_date.isoformat(), **extra}
    return int(created(client.post(f"{API}/contracts", headers=headers, json=payload))["id"])


def add_member(client: TestClient, headers: dict[str, str], contract_id: int, provider_id: int,
               tier: int = 1, contracted_share: str = "0.2") -> dict[str, Any]:
    return created(client.post(
        f"{API}/contracts/{contract_id}/members", headers=headers,
        json={"provider_id": provider_id, "tier": tier, "contracted_share": contracted_share}))


def record_payment(client: TestClient, headers: dict[str, str], contract_id: int,
                   provider_id: int, invoice_date: date = date(2026, 1, 31),
                   amount: str = "1000.00", **extra: Any) -> dict[str, Any]:
    payload = {"provider_id": provider_id, "invoice_date": invoice_date.isoformat(),
               "amount": amount, **extra}
    return created(client.post(f"{API}/contracts/{contract_id}/payments", headers=headers,
                               json=payload))


def audit_entries(db: Session, action: str) -> list[AuditEntry]:
    """Audit rows of one action, oldest first, as committed by the requests so far."""
    db.rollback()  # end any earlier read snapshot (SQLite) so the requests' commits are seen
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                           .order_by(AuditEntry.id)))


def page_through(client: TestClient, url: str, headers: dict[str, str],
                 limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a list endpoint, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) >= {"rows", "next_cursor"}
        pages.append(body["rows"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "next_cursor never ends"


class Logins(dict[str, dict[str, str]]):
    """Auth headers by user key, logging each user in through HTTP on first use (so a test pays
    only for the users it acts as, each once)."""

    def __init__(self, client: TestClient, usernames: dict[str, str]) -> None:
        super().__init__()
        self._client = client
        self._usernames = usernames

    def __missing__(self, who: str) -> dict[str, str]:
        self[who] = login(self._client, self._usernames[who])
        return self[who]


@contextmanager
def settings_env(**settings: str) -> Iterator[None]:
    """These settings (environment variables) in force, with the cached settings and rate
    limiters rebuilt on entry and on exit (tests that need rate limits turn them on here)."""
    from app.core.config import get_settings
    from app.core.ratelimit import global_login_limiter, login_limiter, principal_limiter

    cached = (get_settings, principal_limiter, login_limiter, global_login_limiter)
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    for function in cached:
        function.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for function in cached:
            function.cache_clear()


def read_csv_export(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A CSV export (app.core.export): its header block as {label: value} and its rows. The
    first line says on which line the table starts; the block's lines begin with "# "."""
    lines = text.lstrip("\ufeff").splitlines()
    first = lines[0]
    assert first.startswith("# chainboard export: the table starts on line "), first
    start = int(first.rsplit(" ", 1)[1])
    block = {label.removeprefix("# "): value
             for label, value in csv.reader(lines[1:start - 2])}
    assert lines[start - 2] == ""
    return block, list(csv.DictReader(io.StringIO("\n".join(lines[start - 1:]) + "\n")))
