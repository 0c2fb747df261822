"""The risk model's cells from the database: the banded characteristics travel as one
computed number (participants.characteristics_key) and must come back as exactly the cells a
GROUP BY of the columns themselves gives, for any choice of covariates, on both backends."""

import random
from collections import Counter
from datetime import date, timedelta
from itertools import combinations

from sqlalchemy import select

from app.models import Participant
from app.models.participants import BANDED, CHARACTERISTIC_LEVELS, decode_characteristics_key
from app.performance.queries import provider_group_counts
from tests.ingest.events import ev, journey

D = date(2024, 3, 1)
AS_OF = date(2025, 6, 1)


def test_cells_are_those_of_the_columns_for_every_choice_of_covariates(client, world, db):
    rng = random.Random(5)
    c = world.contract_a
    for who in ("s1", "s2"):
        events = []
        for i in range(150):
            ref = f"{who}-{i:03d}"
            group = rng.choice(["jsa_25_plus", "esa_ex_ib"])
            referred = D + timedelta(days=rng.randrange(0, 200))
            weeks = 26 if group == "jsa_25_plus" else 13
            history = (journey(c, ref, getattr(world, who), referred, group, weeks)
                       if rng.random() < 0.4 else
                       [ev(c, ref, "referral", referred, payment_group=group,
                           provider_id=getattr(world, who))])
            levels = {name: rng.choice(names) for name, names in CHARACTERISTIC_LEVELS.items()
                      if rng.random() < 0.8}  # some unknown
            if rng.random() < 0.5:
                levels["area"] = rng.choice(["E08000035", "E08000036"])
            if levels:
                history[0]["characteristics"] = levels
            events.extend(history)
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200 and response.json()["rejected"] == [], response.text

    rows = db.execute(select(Participant).where(Participant.contract_id == c)).scalars().all()
    assert len(rows) == 300
    for row in rows:  # the database's number decodes to the row's own columns
        assert decode_characteristics_key(row.characteristics_key) == tuple(
            getattr(row, name) for name in BANDED)

    cutoff = AS_OF - timedelta(days=365)
    for size in range(0, 6):
        for covariates in combinations((*BANDED, "area"), size):
            expected: Counter[tuple[object, ...]] = Counter()
            for row in rows:
                key = (row.provider_id, row.payment_group,
                       tuple(getattr(row, name) for name in covariates))
                expected[(*key, "referrals")] += 1
                expected[(*key, "eligible")] += row.referral_date <= cutoff
                expected[(*key, "outcomes")] += (
                    row.referral_date <= cutoff and row.outcome_date is not None
                    and row.outcome_date <= AS_OF and row.months_to_outcome <= 12)
            got: Counter[tuple[object, ...]] = Counter()
            for cell in provider_group_counts(db, c, D, AS_OF, AS_OF, cutoff, 12, covariates):
                key = (cell.provider_id, cell.payment_group, cell.characteristics)
                got[(*key, "referrals")] += cell.referrals
                got[(*key, "eligible")] += cell.eligible
                got[(*key, "outcomes")] += cell.outcomes
            assert +got == +expected, covariates
    assert sum(n for k, n in expected.items() if k[-1] == "outcomes") > 20
