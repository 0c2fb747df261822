"""CSV uploads: the same rules as JSON, errors by CSV line, whole-file problems refused."""

from sqlalchemy import func, select

from app.models import Event

HEADER = ("event_id,contract_id,participant_ref,type,event_date,payment_group,provider_id,"
          "milestone,result,number,reason")


def upload(client, world, text, who="s1", partial=False, encoding="utf-8"):
    url = "/api/v1/events/csv" + ("?partial=true" if partial else "")
    files = {"file": ("events.csv", text.encode(encoding), "text/csv")}
    return client.post(url, files=files, headers=world.keys[who])


def rows(world, *lines):
    return "\n".join([HEADER, *(line.format(c=world.contract_a, p=world.s1)
                                for line in lines)]) + "\n"


def test_a_csv_of_events_is_stored(client, world, db):
    text = rows(world,
                "e1,{c},C-1,referral,2024-03-01,jsa_25_plus,{p},,,,",
                "e2,{c},C-1,attachment,2024-03-04,,,,,,",
                "e3,{c},C-1,job_start,2024-03-11,,,,,,")
    response = upload(client, world, text)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}


def test_a_bad_row_is_reported_by_its_line_and_nothing_is_stored(client, world, db):
    text = rows(world,
                "e1,{c},C-2,referral,2024-03-01,jsa_25_plus,{p},,,,",
                "e2,{c},C-2,attachment,2024-02-28,,,,,,",
                "e3,{c},C-2,job_start,2024-03-11,,,,,,")
    response = upload(client, world, text)
    assert response.status_code == 422
    rejected = response.json()["rejected"]
    assert rejected[0] == {"index": 1, "line": 3, "event_id": "e2", "errors": [
        "event_date: before the participant's referral on 2024-03-01"]}
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_partial_upload_stores_the_good_lines(client, world, db):
    text = rows(world,
                "e1,{c},C-3,referral,2024-03-01,jsa_25_plus,{p},,,,",
                "e2,{c},C-3,exit,2024-03-02,,,,,,",
                "e3,{c},C-3,attachment,2024-03-04,,,,,,")
    response = upload(client, world, text, partial=True)
    assert response.status_code == 200
    assert response.json()["accepted"] == 2
    assert response.json()["rejected"] == [{"index": 1, "line": 3, "event_id": "e2",
                                            "errors": ["reason: required for exit events"]}]


def test_a_quoted_cell_with_a_newline_keeps_line_numbers_right(client, world):
    text = rows(world,
                'e1,{c},C-4,referral,2024-03-01,jsa_25_plus,{p},,,,',
                '"e\n2",{c},C-4,attachment,2024-03-04,,,,,,',
                'e3,{c},C-4,exit,2024-03-09,,,,,,')
    response = upload(client, world, text, partial=True)
    assert [(r["line"], r["event_id"]) for r in response.json()["rejected"]] == [
        (3, "e\n2"), (5, "e3")]


def test_whole_file_problems_are_refused_naming_them(client, world):
    latin1 = rows(world, "é1,{c},C-5,referral,2024-03-01,jsa_25_plus,{p},,,,")
    response = upload(client, world, latin1, encoding="latin-1")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("file: line 2 is not UTF-8 text")

    response = upload(client, world, "event_id,contract_id,participant_ref,type\n")
    assert response.json()["detail"] == "columns: missing required column(s) event_date"

    response = upload(client, world, HEADER + ",colour\n")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("columns: unknown column(s) 'colour'")

    response = upload(client, world, rows(world, "e1,{c},C-6,referral,2024-03-01,x,1,,,,,extra"))
    assert response.json() == {"detail": "line 2: more cells than columns"}

    response = upload(client, world, "")
    assert response.json() == {"detail": "file: empty; the first line must name the columns"}


def test_a_formula_cell_is_refused(client, world):
    text = rows(world, "=cmd|' /C calc'!A0,{c},C-7,referral,2024-03-01,jsa_25_plus,{p},,,,")
    response = upload(client, world, text)
    assert response.json()["rejected"][0]["errors"] == [
        "event_id: must not start with = + - @ or whitespace, nor hold control characters"]
