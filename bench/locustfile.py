"""The simulated clients of bench/load.py (run by it through `locust --headless`; run as a
script it does nothing). LOAD_CONFIG names a JSON file bench/load.py writes: the contract,
and a bearer token for the prime manager and for each provider's staff.

- Subcontractors' systems (weight 1) POST batches of 100 new events (50 participants referred
  and attached) for their own organisation.
- People (weight 4) read: the overdue-checks list, the league table, cohorts and the dashboard
  page.
"""

import itertools
import json
import os
import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

CONFIG: dict[str, Any] = (json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
                          if "LOAD_CONFIG" in os.environ else {})
_serial = itertools.count()
_RUN = uuid.uuid4().hex[:6]


class CaseManagementSystem(HttpUser):
    """A subcontractor's system sending its day's referrals."""

    weight = 1
    wait_time = between(0.2, 0.5)

    def on_start(self) -> None:
        provider = random.choice(CONFIG["providers"])
        self.provider_id = provider["organisation_id"]
        self.client.headers["Authorization"] = f"Bearer {provider['token']}"

    @task
    def send_batch(self) -> None:
        batch: list[dict[str, Any]] = []
        referred = date.today() - timedelta(days=random.randint(1, 60))
        for _ in range(50):
            ref = f"LOAD-{_RUN}-{next(_serial)}"
            common = {"contract_id": CONFIG["contract_id"], "participant_ref": ref}
            batch.append({**common, "event_id": f"{ref}-ref", "type": "referral",
                          "event_date": referred.isoformat(), "payment_group": "jsa_25_plus",
                          "provider_id": self.provider_id})
            batch.append({**common, "event_id": f"{ref}-att", "type": "attachment",
                          "event_date": (referred + timedelta(days=1)).isoformat()})
        with self.client.post("/api/v1/events", json=batch, name="POST /events (100 events)",
                              catch_response=True) as response:
            if response.status_code != 200 or response.json()["accepted"] != len(batch):
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Person(HttpUser):
    """A prime manager or a provider's staff at the dashboard and the API."""

    weight = 4
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        who = random.choice([CONFIG["manager"], *CONFIG["providers"]])
        self.client.headers["Authorization"] = f"Bearer {who['token']}"
        self.contract = f"/api/v1/contracts/{CONFIG['contract_id']}"

    @task(3)
    def overdue_checks(self) -> None:
        self.client.get(f"{self.contract}/milestones", params={"status": "overdue"},
                        name="GET milestones?status=overdue")

    @task(2)
    def league_table(self) -> None:
        self.client.get(f"{self.contract}/league-table", name="GET league-table")

    @task(1)
    def cohorts(self) -> None:
        self.client.get(f"{self.contract}/cohorts", name="GET cohorts")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="GET /dashboard/")
