"""The review pack: rendered through HTTP, turned into page images (pdftoppm) and text
(pdftotext), and read: the member's name, both ranks, the chart pages; the bulk download
holds one pack per member; a member reads its own pack only."""

import io
import subprocess
import zipfile
from pathlib import Path

from tests.performance.test_ratings_api import API, load, publish


def pdf_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page."""
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    return [page for page in pages if page.strip()]


def pdf_images(pdf: bytes, tmp_path: Path) -> list[Path]:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "page")],
                   check=True)
    return sorted(tmp_path.glob("page-*.png"))


def test_a_members_pack_names_it_shows_both_ranks_and_draws_its_charts(client, world,
                                                                       tmp_path):
    load(client, world)
    published = publish(client, world)
    row = next(r for r in published["table"]["rows"] if r["provider_id"] == world.s2)
    response = client.get(f"{API}/contracts/{world.contract_a}/review-pack",
                          params={"provider_id": world.s2, "quarter": "2025Q1"},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages = pdf_text(response.content, tmp_path)
    assert len(pages) == 3
    first = " ".join(pages[0].split())
    assert "S2 Employment Ltd" in first and "2025Q1" in first
    # Unranked below min_n (30 eligible) in this small world: both ranks say so.
    assert f"Adjusted rank {row['rank'] or '–'}" in first
    assert f"Raw rank {row['raw_rank'] or '–'}" in first
    assert f"Performance index {row['performance_index']:.2f}" in first
    assert "Why two ranks." in first
    assert "Funnel plot" in pages[1] and "Rating trend" in pages[1]
    assert "Cohort curve" in pages[2] and "Improvement plan" in pages[2]
    images = pdf_images(response.content, tmp_path)
    assert len(images) == 3
    # The chart pages carry pictures: their images are far larger than text alone makes.
    assert images[1].stat().st_size > 2 * images[0].stat().st_size / 3


def test_every_members_pack_in_one_zip_and_a_member_reads_its_own(client, world):
    load(client, world)
    publish(client, world)
    response = client.get(f"{API}/contracts/{world.contract_a}/review-packs",
                          params={"quarter": "2025Q1"}, headers=world.keys["manager_a"])
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "review-pack_2025Q1_s2-employment-ltd.pdf" in names
    assert "review-pack_2025Q1_s1-community-trust.pdf" in names
    own = client.get(f"{API}/contracts/{world.contract_a}/review-pack",
                     params={"provider_id": world.s1, "quarter": "2025Q1"},
                     headers=world.keys["s1"])
    assert own.status_code == 200
    other = client.get(f"{API}/contracts/{world.contract_a}/review-pack",
                       params={"provider_id": world.s2, "quarter": "2025Q1"},
                       headers=world.keys["s1"])
    assert other.status_code == 404
    theirs = client.get(f"{API}/contracts/{world.contract_a}/review-packs",
                        params={"quarter": "2025Q1"}, headers=world.keys["s1"])
    assert zipfile.ZipFile(io.BytesIO(theirs.content)).namelist() == [
        "review-pack_2025Q1_s1-community-trust.pdf"]
    unpublished = client.get(f"{API}/contracts/{world.contract_a}/review-pack",
                             params={"provider_id": world.s2, "quarter": "2025Q2"},
                             headers=world.keys["manager_a"])
    assert unpublished.status_code == 404


def test_the_pack_shows_the_specialist_help_a_member_bought_and_its_distance_travelled(
        client, world, tmp_path):
    """DOMAIN.md section 12 in the pack: S2 referred its participant V1 to S1 (tier 2) for
    mental-health support in the quarter reviewed, S1 completed it; V1's confidence rose from
    3 to 7 over twelve weeks."""
    from datetime import date

    from tests.ingest.events import ev

    load(client, world)
    published = publish(client, world)
    assert published["quarter"] == "2025Q1"
    c = world.contract_a
    sent = client.post(f"{API}/events", headers=world.keys["s2"], json=[
        ev(c, "V1", "specialist_referral", date(2025, 2, 3), specialist_id=world.s1,
           intervention="mental_health", fee="350.00"),
        ev(c, "V1", "assessment", date(2025, 1, 6), scores={"confidence": 3}),
        ev(c, "V1", "assessment", date(2025, 3, 31), scores={"confidence": 7})])
    assert sent.status_code == 200, sent.text
    done = client.post(f"{API}/events", headers=world.keys["s1"], json=[
        ev(c, "V1", "specialist_outcome", date(2025, 3, 3), specialist_id=world.s1,
           intervention="mental_health", result="completed")])
    assert done.status_code == 200, done.text
    response = client.get(f"{API}/contracts/{c}/review-pack",
                          params={"provider_id": world.s2, "quarter": "2025Q1"},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    first = " ".join(pdf_text(response.content, tmp_path)[0].split())
    assert "Specialist help and distance travelled" in first
    assert "1 to 1 specialist(s); 1 completed; fees owed £350.00" in first
    assert "Confidence (1 person) +4.00" in first


def test_the_packs_plan_targets_read_as_the_plan_page_shows_them(client, world, tmp_path):
    """A rate target in percentages, the index to two places: the plan page's figures."""
    from tests.regime.test_plans import REVIEW, open_for_s2

    load(client, world)
    publish(client, world)
    plan = open_for_s2(client, world, targets=[
        {"metric": "rate", "threshold": 0.25, "by_date": str(REVIEW)},
        {"metric": "performance_index", "threshold": 0.9, "by_date": str(REVIEW)}])
    rate, index = plan["targets"]
    response = client.get(f"{API}/contracts/{world.contract_a}/review-pack",
                          params={"provider_id": world.s2, "quarter": "2025Q1"},
                          headers=world.keys["manager_a"])
    assert response.status_code == 200, response.text
    words = " ".join(" ".join(pdf_text(response.content, tmp_path)).split())
    assert "Target: outcome rate ≥ 25.0%" in words
    assert "Target: performance index ≥ 0.90" in words
    shown = "–" if rate["value"] is None else f"{rate['value']:.1%}"
    assert f"{shown} on" in words
    if index["value"] is not None:
        assert f"{index['value']:.2f} on" in words
