"""The performance regime at the Work Programme's scale: publishing a quarter's rating and
rendering review packs for a 200,000-participant contract.

On bench/dashboard.py's cached databases (the generator's CPA ingested through the real
ingestion service, with the demo's complaints, payments and flags; built first when missing),
in-process through the services an API call runs, each measured `--repeat` times after one
warm-up (median reported):

- **publish**: `ratings.publish` of the last finished quarter (the publication is deleted
  again after each sample, with SQL: the service never deletes one);
- **one pack**: `pack.review_pack` for the contract's largest member;
- **every pack**: `pack.review_packs` for the quarter, the zip of every member's pack;
- the baseline, measured in the same run: the league table service for the same window.

Goals (issue 16): publication under 2 s, a pack under 3 s, all packs of ten members under
20 s (the generator's contract has eight members: ten renders are its eight packs and the two
largest members' again).

    .venv/bin/python bench/regime.py
    .venv/bin/python bench/regime.py --backends sqlite --repeat 3 --no-write
"""

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from common import PROJECT_ROOT, code_version, machine_description, replace_section
from league import PG_SERVER, Built
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import Principal
from app.core.db import make_engine
from app.models import Membership, RatingPublication
from app.performance import fit_cache, ratings, service
from app.performance.schemas import RatingIn
from app.regime import pack
from app.wiring import install_reactions

# bench/dashboard.py's databases: loaded by path, since the name `dashboard` is the project's
# dashboard package.
_spec = importlib.util.spec_from_file_location("bench_dashboard",
                                               Path(__file__).with_name("dashboard.py"))
assert _spec is not None and _spec.loader is not None
bench_dashboard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_dashboard)

HEADING = "## The performance regime (bench/regime.py)"
GOALS_SECONDS = {"publish a quarter": 2.0, "one review pack": 3.0,
                 "ten members' packs": 20.0}
TEN = 10


@dataclass
class Timing:
    backend: str
    what: str
    samples_ms: list[float]
    note: str = ""
    first_ms: float | None = None  # the warm-up: caches kept per data version still empty

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)


def timed(call: Callable[[], object], repeat: int, reset: Callable[[], None] | None = None
          ) -> tuple[list[float], float]:
    """The samples after one warm-up, and the warm-up's own time."""
    samples, first = [], 0.0
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000
        if reset is not None:
            reset()
        if attempt:
            samples.append(elapsed)
        else:
            first = elapsed
    return samples, first


def measure(built: Built, repeat: int) -> list[Timing]:
    engine = make_engine(built.url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    admin = Principal(role="admin", organisation_id=None)
    quarter = ratings.quarter_of(ratings.quarter_start(ratings.quarter_of(built.as_of_date))
                                 - timedelta(days=1))
    contract_id = built.contract_id

    def unpublish() -> None:
        with engine.begin() as connection:  # the bench's own clean-up, not a service
            connection.execute(delete(RatingPublication).where(
                RatingPublication.contract_id == contract_id,
                RatingPublication.quarter == quarter))

    def session() -> Session:
        return factory()

    unpublish()
    timings = []
    try:
        with session() as s:
            publication = ratings.publish(s, None, contract_id, RatingIn(quarter=quarter))
        window = (publication.period_from, publication.period_to, publication.as_of,
                  publication.horizon_months)
        unpublish()

        def baseline() -> None:
            with session() as s:
                service.league_table(s, admin, contract_id, period_from=window[0],
                                     period_to=window[1], as_of=window[2],
                                     horizon_months=window[3])

        def publish() -> None:
            with session() as s:
                ratings.publish(s, None, contract_id, RatingIn(quarter=quarter))

        def measured(what: str, call: Callable[[], object], times: int,
                     reset: Callable[[], None] | None = None, note: str = "") -> Timing:
            samples, first = timed(call, times, reset)
            return Timing(built.backend, what, samples, note, first)

        fit_cache.clear()  # the first publication computes its league table, as after new data
        timings.append(measured("publish a quarter", publish, repeat, unpublish, quarter))
        timings.append(measured("league table service (baseline)", baseline, repeat))
        publish()  # the packs read it
        with session() as s:
            members = s.execute(select(Membership.provider_id).where(
                Membership.contract_id == contract_id)
                .order_by(Membership.contracted_share.desc())).scalars().all()

        def one_pack() -> None:
            with session() as s:
                pack.review_pack(s, admin, contract_id, members[0], quarter)

        def every_pack() -> None:
            with session() as s:
                pack.review_packs(s, admin, contract_id, quarter)

        timings.append(measured("one review pack", one_pack, repeat,
                                note="the largest member"))
        def ten_packs() -> None:
            # The generator's contract has fewer than ten members: its members' packs, then
            # the largest members' again, to ten renders (each its own session, as ten
            # requests would be).
            for i in range(TEN):
                with session() as s:
                    pack.review_pack(s, admin, contract_id, members[i % len(members)], quarter)

        timings.append(measured("every member's pack (zip)", every_pack,
                                max(1, repeat // 2), note=f"{len(members)} members"))
        timings.append(measured("ten members' packs", ten_packs, max(1, repeat // 2),
                                note=f"{len(members)} members' packs, then the largest "
                                     f"{TEN - len(members)} again"))
        unpublish()
    finally:
        engine.dispose()
    for timing in timings:
        print(f"  {timing.backend}: {timing.what}: median {timing.median:,.0f} ms", flush=True)
    return timings


def report(timings: list[Timing], machine: str, code: str, repeat: int) -> str:
    lines = [
        f"Measured on {machine}; {code}. 200,000 participants (bench/dashboard.py's "
        f"databases); medians of {repeat} runs after one warm-up (the zip: half as many), "
        "in-process through the services an API call runs; the ratio is against the league "
        "table service for the same window, in the same run. \"First\" is the warm-up: for "
        "the publication, with the league table's cached fit cleared (the first publication "
        "after new data computes it; the worker's daily publication usually does).",
        "",
        "| backend | what | median ms | range ms | first ms | ratio to league table | goal | "
        "note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for timing in timings:
        base = next(t for t in timings if t.backend == timing.backend
                    and t.what.startswith("league table"))
        goal = GOALS_SECONDS.get(timing.what)
        verdict = "" if goal is None else (
            f"under {goal:g} s: " + ("yes" if timing.median < goal * 1000 else "**no**"))
        first = "" if timing.first_ms is None else f"{timing.first_ms:,.0f}"
        lines.append(f"| {timing.backend} | {timing.what} | {timing.median:,.0f} | "
                     f"{min(timing.samples_ms):,.0f}-{max(timing.samples_ms):,.0f} | {first} | "
                     f"{timing.median / base.median:.1f} | {verdict} | {timing.note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    install_reactions()
    timings = []
    for backend in args.backends.split(","):
        built = bench_dashboard.ensure_built(backend, args.participants, args.seed, args.pg_server)
        timings += measure(built, args.repeat)
    body = report(timings, machine_description(), code_version(), args.repeat)
    print(body)
    if not args.no_write:
        replace_section(HEADING, body)
        print(f"written to {PROJECT_ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
