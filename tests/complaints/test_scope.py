"""Who raises and who sees complaints: members raise and follow their own, the prime's managers
see those on their contracts, reviewers only escalated ones (across contracts), others nothing."""

import re

from tests.complaints.conftest import backdate, moved, raise_complaint
from tests.helpers import API, page_through, read_csv_export


def _ids(client, headers, **params) -> list[int]:
    response = client.get(f"{API}/complaints", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"rows", "next_cursor"}
    return [row["id"] for row in response.json()["rows"]]


def test_only_members_raise_complaints_on_their_contracts(client, db, world):
    payload = {"contract_id": world.contract_a, "principle": "commitment", "title": "Late pay",
               "description": "Invoices paid at 70 days.", "confidential": False}
    for who, status, detail in (
            ("manager_a", 403, "role 'prime_manager' may not raise complaints"),
            ("reviewer", 403, "role 'reviewer' may not raise complaints"),
            ("admin", 403, "role 'admin' may not raise complaints"),
            ("inhouse_a", 403, None),  # the prime's own staff: not against their prime
            ("sb", 404, f"contract {world.contract_a} not found"),  # not a member
    ):
        response = client.post(f"{API}/complaints", headers=world.headers[who], json=payload)
        assert response.status_code == status, (who, response.text)
        if detail:
            assert response.json() == {"detail": detail}
    missing = client.post(f"{API}/complaints", headers=world.headers["s1"],
                          json={**payload, "contract_id": 999})
    assert missing.status_code == 404
    for change, field in (({"principle": "fairness"}, "principle"), ({"title": ""}, "title"),
                          ({"contract_id": 0}, "contract_id"), ({"extra": 1}, "extra")):
        bad = client.post(f"{API}/complaints", headers=world.headers["s1"],
                          json={**payload, **change})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", field]
    assert _ids(client, world.headers["admin"]) == []


def test_each_principal_sees_only_its_complaints(client, db, world):
    by_s1 = raise_complaint(client, world.headers["s1"], world.contract_a)["id"]
    by_s2 = raise_complaint(client, world.headers["s2"], world.contract_a, confidential=True)["id"]
    by_sb = raise_complaint(client, world.headers["sb"], world.contract_b)["id"]
    assert _ids(client, world.headers["s1"]) == [by_s1]
    assert _ids(client, world.headers["s2"]) == [by_s2]
    assert _ids(client, world.headers["manager_a"]) == [by_s1, by_s2]
    assert _ids(client, world.headers["manager_b"]) == [by_sb]
    assert _ids(client, world.headers["inhouse_a"]) == []
    assert _ids(client, world.headers["reviewer"]) == []  # nothing escalated yet
    assert _ids(client, world.headers["admin"]) == [by_s1, by_s2, by_sb]
    assert _ids(client, world.headers["admin"], contract_id=world.contract_b) == [by_sb]

    for who, complaint_id in (("s2", by_s1), ("sb", by_s1), ("manager_b", by_s1),
                              ("inhouse_a", by_s1), ("reviewer", by_s1), ("manager_a", by_sb),
                              ("s1", by_sb)):
        url = f"{API}/complaints/{complaint_id}"
        not_found = {"detail": f"complaint {complaint_id} not found"}
        headers = world.headers[who]
        assert client.get(url, headers=headers).json() == not_found, who
        for path, body in (("/messages", {"body": "hello"}),
                           ("/transitions", {"to": "withdrawn", "note": "x"})):
            response = client.post(url + path, headers=headers, json=body)
            assert (response.status_code, response.json()) == (404, not_found), (who, path)

    # Escalated complaints become the reviewer's, on every contract.
    backdate(db, by_sb, 60)
    moved(client, world.headers["sb"], by_sb, "escalated")
    for step in ("acknowledged", "investigating", "resolved"):
        moved(client, world.headers["manager_a"], by_s2, step)
    moved(client, world.headers["s2"], by_s2, "escalated")
    assert _ids(client, world.headers["reviewer"]) == [by_s2, by_sb]
    assert _ids(client, world.headers["reviewer"], status="escalated",
                contract_id=world.contract_b) == [by_sb]
    assert client.get(f"{API}/complaints/{by_s1}", headers=world.headers["reviewer"]).status_code \
        == 404
    # Other primes still see nothing of contract A's complaints, escalated or not.
    assert _ids(client, world.headers["manager_b"]) == [by_sb]


def test_lists_page_by_cursor_and_filter_by_status(client, db, world):
    raised = [raise_complaint(client, world.headers["s1"], world.contract_a,
                              title=f"Issue {n}")["id"] for n in range(5)]
    moved(client, world.headers["s1"], raised[1], "withdrawn")
    pages = page_through(client, f"{API}/complaints", world.headers["manager_a"], limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row["id"] for page in pages for row in page] == raised
    assert _ids(client, world.headers["s1"], status="withdrawn") == [raised[1]]
    bad = client.get(f"{API}/complaints", headers=world.headers["s1"], params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "status"]
    bad_cursor = client.get(f"{API}/complaints", headers=world.headers["s1"],
                            params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422
    assert client.get(f"{API}/complaints").status_code == 401


def test_filtering_by_complainant_never_reveals_a_confidential_one(client, db, world):
    """`complainant_org_id` matches only complaints whose complainant the reader may see: the
    prime's manager filtering by a member gets its open complaints, never its confidential one,
    and an answer it cannot tell from a member that raised nothing."""
    s1, manager = world.headers["s1"], world.headers["manager_a"]
    open_one = raise_complaint(client, s1, world.contract_a)["id"]
    secret = raise_complaint(client, s1, world.contract_a, confidential=True)["id"]
    s2_secret = raise_complaint(client, world.headers["s2"], world.contract_a,
                                confidential=True)["id"]
    backdate(db, secret, 60)
    moved(client, s1, secret, "escalated")

    assert _ids(client, manager, complainant_org_id=world.s1) == [open_one]
    assert _ids(client, manager, complainant_org_id=world.s1, contract_id=world.contract_a) == [
        open_one]
    # S2 raised only a confidential complaint: the same answer as for an organisation that
    # raised none (the prime itself), in JSON and in CSV.
    for format in ("json", "csv"):
        answers = [client.get(f"{API}/complaints", headers=manager,
                              params={"complainant_org_id": org, "format": format})
                   for org in (world.s2, world.prime_a)]
        assert [a.status_code for a in answers] == [200, 200]
        if format == "json":
            assert answers[0].content == answers[1].content
        else:  # the file echoes the id asked about and its export time: set those aside
            files = [read_csv_export(a.text) for a in answers]
            for (block, _), org in zip(files, (world.s2, world.prime_a), strict=True):
                assert block.pop("Complainant org ID") == str(org)
                block.pop("Exported at (UTC)")
            assert files[0] == files[1]
        same_headers = [{k: re.sub(rf"complainant-org-({world.s2}|{world.prime_a})\b",
                                   "complainant-org-ID", v)
                         for k, v in a.headers.items()
                         if k not in ("x-request-id", "content-length")} for a in answers]
        assert same_headers[0] == same_headers[1]
    assert _ids(client, manager, complainant_org_id=world.s2) == []
    assert _ids(client, s1, complainant_org_id=world.s1) == [open_one, secret]
    assert _ids(client, world.headers["s2"], complainant_org_id=world.s2) == [s2_secret]
    assert _ids(client, world.headers["reviewer"], complainant_org_id=world.s1) == [secret]
    assert _ids(client, world.headers["admin"], complainant_org_id=world.s2) == [s2_secret]

    # Everyone: the filter selects exactly the rows whose complainant the unfiltered list shows.
    for who in ("admin", "manager_a", "inhouse_a", "s1", "s2", "manager_b", "sb", "reviewer"):
        rows = client.get(f"{API}/complaints", headers=world.headers[who]).json()["rows"]
        for org in (world.s1, world.s2, world.sb):
            shown = [row["id"] for row in rows if row["complainant_org_id"] == org]
            assert _ids(client, world.headers[who], complainant_org_id=org) == shown, (who, org)

    bad = client.get(f"{API}/complaints", headers=manager, params={"complainant_org_id": 0})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "complainant_org_id"]
