"""GET /contracts/{id}/milestones: statuses on as_of, the overdue list, scoping."""

from datetime import date, timedelta

from tests.ingest.events import ev, journey

D = date(2024, 3, 1)
START = D + timedelta(days=10)
D28, D91 = START + timedelta(days=28), START + timedelta(days=91)


def load(client, world):
    third = journey(world.contract_a, "T-1", world.s1, D)[:3]  # job start, no checks
    private = [*journey(world.contract_a, "V-1", world.s2, D)[:4],
               ev(world.contract_a, "V-1", "job_end", START + timedelta(days=60))]
    for who, events in (("s1", third), ("s2", private)):
        response = client.post("/api/v1/events", json=events, headers=world.keys[who])
        assert response.status_code == 200, response.text


def get(client, world, who, **params):
    response = client.get(f"/api/v1/contracts/{world.contract_a}/milestones", params=params,
                          headers=world.keys[who])
    assert response.status_code == 200, response.text
    return response.json()


def test_statuses_on_as_of_for_the_prime(client, world):
    load(client, world)
    body = get(client, world, "manager_a", as_of=str(START + timedelta(days=60)))  # the job end
    got = {(r["participant_ref"], r["milestone"]): r["status"] for r in body["rows"]}
    assert got == {("T-1", "D28"): "overdue", ("T-1", "D91"): "pending",
                   ("V-1", "D28"): "on_time", ("V-1", "D91"): "cancelled"}
    assert body["counts"] == {"on_time": 1, "late": 0, "early": 0, "overdue": 1, "pending": 1,
                              "cancelled": 1}
    # The day before the job ended, V-1's D91 was still owed.
    before = get(client, world, "manager_a", as_of=str(START + timedelta(days=59)))
    assert {(r["participant_ref"], r["milestone"]): r["status"]
            for r in before["rows"]}[("V-1", "D91")] == "pending"


def test_on_the_last_day_of_grace_a_missing_check_is_still_pending(client, world):
    load(client, world)
    body = get(client, world, "manager_a", as_of=str(D28 + timedelta(days=7)), status="overdue")
    assert body["rows"] == []


def test_the_overdue_list_a_provider_works_from_holds_only_its_own(client, world):
    load(client, world)
    body = get(client, world, "s1", status="overdue", as_of=str(D91 + timedelta(days=30)))
    assert [(r["participant_ref"], r["milestone"], r["due_date"]) for r in body["rows"]] == [
        ("T-1", "D28", str(D28)), ("T-1", "D91", str(D91))]
    assert get(client, world, "s2", status="overdue",
               as_of=str(D91 + timedelta(days=30)))["rows"] == []


def test_pages_follow_the_due_date(client, world):
    load(client, world)
    first = get(client, world, "manager_a", limit=3)
    rest = get(client, world, "manager_a", limit=3, cursor=first["next_cursor"])
    dues = [r["due_date"] for r in first["rows"] + rest["rows"]]
    assert len(dues) == 4 and dues == sorted(dues) and rest["next_cursor"] is None
    # The tallies come with the first page only.
    assert sum(first["counts"].values()) == 4 and rest["counts"] is None


def test_another_primes_contract_answers_404(client, world):
    load(client, world)
    response = client.get(f"/api/v1/contracts/{world.contract_a}/milestones",
                          headers=world.keys["manager_b"])
    assert response.status_code == 404


def test_editing_the_schedule_reschedules_every_participants_checks(client, world):
    load(client, world)
    schedule = {"spell_checks": [{"milestone": "D14", "days": 14},
                                 {"milestone": "D91", "days": 91}]}
    response = client.patch(f"/api/v1/contracts/{world.contract_a}",
                            json={"milestone_schedule": schedule},
                            headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    rows = get(client, world, "manager_a", as_of=str(START + timedelta(days=100)))["rows"]
    assert {(r["participant_ref"], r["milestone"], r["due_date"]) for r in rows} == {
        ("T-1", "D14", str(START + timedelta(days=14))), ("T-1", "D91", str(D91)),
        ("V-1", "D14", str(START + timedelta(days=14))), ("V-1", "D91", str(D91))}
    # V-1's D28 check is no milestone of the new schedule; its D91 is still cancelled.
    assert {r["participant_ref"]: r["status"] for r in rows if r["milestone"] == "D91"} == {
        "T-1": "overdue", "V-1": "cancelled"}


def test_checks_due_in_a_window(client, world):
    """due_from and due_to keep the checks due in [due_from, due_to], in the JSON, the counts
    and the file; a window that ends before it starts is refused naming the field."""
    load(client, world)
    as_of = str(START + timedelta(days=60))
    body = get(client, world, "manager_a", as_of=as_of, due_from=str(D28), due_to=str(D28))
    assert {(r["participant_ref"], r["milestone"]) for r in body["rows"]} == {
        ("T-1", "D28"), ("V-1", "D28")}
    assert sum(body["counts"].values()) == 2
    later = get(client, world, "manager_a", as_of=as_of, due_from=str(D28 + timedelta(days=1)))
    assert {r["milestone"] for r in later["rows"]} == {"D91"}
    response = client.get(f"/api/v1/contracts/{world.contract_a}/milestones",
                          params={"as_of": as_of, "due_to": str(D91), "format": "csv"},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200
    refused = client.get(f"/api/v1/contracts/{world.contract_a}/milestones",
                         params={"due_from": str(D91), "due_to": str(D28)},
                         headers=world.keys["manager_a"])
    assert refused.status_code == 422 and "due_to" in refused.text
