"""Ingestion throughput end to end, against a plain insert of the same rows.

For each backend (a fresh SQLite file, then a fresh PostgreSQL database) it sets up the demo
CPA through the services, starts `chainboard serve` as a subprocess on a free loopback port,
POSTs the generated events to /api/v1/events with an API key in 5,000-event batches (each
participant's history whole inside one batch), and measures events/s and the server process's
peak RSS. Then, on another fresh database of the same kind, the baseline: the same rows written
with a plain SQLAlchemy Core executemany (participants, then events), with no validation.
Each measurement is repeated (--repeats, in turns: ours for each setup, then the baseline) and
the medians are compared: one run of either moves by a fifth on a shared machine.

Request bodies and baseline rows are built before the clock starts: the figures are the
server's and the database's, not the client's JSON encoding.

    .venv/bin/python bench/ingest.py                  # ~1,000,000 events, both backends
    .venv/bin/python bench/ingest.py --events 50000 --repeats 1   # a quick run
    .venv/bin/python bench/ingest.py --setups 1x1     # one worker, one client only
    .venv/bin/python bench/ingest.py --section-12     # also the mix with section 12's events,
                                                      # in turns with the journeys alone
"""

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import httpx
import psutil
from common import chainboard_server, code_version, machine_description, replace_section
from sqlalchemy import Table, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from app.auth.schemas import ApiKeyCreate
from app.auth.service import create_api_key
from app.cli import run_migrations
from app.core.db import make_engine
from app.core.timeutil import today
from app.demo.generator import DemoCPA, generate_cpa
from app.demo.loader import ADMIN, DemoIds, event_batches, set_up
from app.models import Event, Participant
from app.wiring import install_reactions

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADING = "## Ingestion (bench/ingest.py)"
BATCH_EVENTS = 5_000
GOAL_RATE = 10_000  # events/s end to end
GOAL_RATIO = 1 / 3  # of the plain insert


@dataclass
class Run:
    """One measured ingestion: events accepted in `seconds`."""

    events: int
    seconds: float
    peak_rss_bytes: int = 0
    rejected: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class Figures:
    """One backend and setup: its runs and the backend's plain insert runs."""

    backend: str
    workers: int
    clients: int
    runs: list[Run]
    plain: list[Run]
    mix: str = "journeys"

    @property
    def rate(self) -> float:
        return statistics.median(run.rate for run in self.runs)

    @property
    def plain_rate(self) -> float:
        return statistics.median(run.rate for run in self.plain)

    @property
    def ratio(self) -> float:
        return self.rate / self.plain_rate


def main() -> None:
    install_reactions()  # the services below publish their changes (app.core.changes)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--setups", default="1x1,2x2",
                        help="server worker processes x concurrent HTTP clients, each measured")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each setup and of the plain insert; medians are compared")
    parser.add_argument("--pg-server", default=PG_SERVER,
                        help="PostgreSQL server URL; bench databases are created and dropped")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument("--section-12", action="store_true",
                        help="measure a second mix in turns with the first: the journeys "
                             "plus the demo's specialist referrals, outcomes and assessments "
                             "(DOMAIN.md section 12, about a tenth of the events)")
    args = parser.parse_args()

    machine, code = machine_description(), code_version()
    mixes = {"journeys": sized_cpa(args.events, args.seed)}
    if args.section_12:
        mixes["journeys + section 12"] = sized_cpa(args.events, args.seed, section_12=True)
    for mix, cpa in mixes.items():
        print(f"{mix}: {cpa.participants} participants (seed {args.seed}, as of {cpa.as_of})",
              flush=True)
    setups = [(int(setup.split("x")[0]), int(setup.split("x")[1]))
              for setup in args.setups.split(",")]
    results = []
    for backend in args.backends.split(","):
        runs: dict[tuple[str, int, int], list[Run]] = {
            (mix, *setup): [] for mix in mixes for setup in setups}
        plain: dict[str, list[Run]] = {mix: [] for mix in mixes}
        for repeat in range(1, args.repeats + 1):
            for mix, cpa in mixes.items():  # in turns, so a slow spell falls on each mix
                for workers, clients in setups:
                    with fresh_database(backend, args.pg_server) as ours_url:
                        run = run_server_ingest(cpa, ours_url, workers, clients)
                        runs[(mix, workers, clients)].append(run)
                        print(f"{backend}, {mix}, {workers} worker(s), {clients} client(s), "
                              f"run {repeat}: ours {run.events} events in {run.seconds:.1f} s "
                              f"= {run.rate:,.0f} events/s, server peak RSS "
                              f"{run.peak_rss_bytes / 2**20:,.0f} MiB, {run.rejected} rejected",
                              flush=True)
                        if len(plain[mix]) < repeat:  # the baseline copies what this stored
                            with fresh_database(backend, args.pg_server) as plain_url:
                                plain[mix].append(run_plain_insert(cpa, ours_url, plain_url))
                            print(f"{backend}, {mix}, run {repeat}: plain insert "
                                  f"{plain[mix][-1].rate:,.0f} events/s", flush=True)
        results += [Figures(backend, workers, clients, runs[(mix, workers, clients)],
                            plain[mix], mix) for mix in mixes for workers, clients in setups]
    table, verdict = results_table(results), goals_verdict(results)
    print(table, verdict, sep="\n\n")
    if not args.no_write:
        command = "python bench/ingest.py " + " ".join(sys.argv[1:])
        replace_section(HEADING, section_body(table, verdict, machine, code, command.strip(),
                                              mixes, args.repeats))
        print("updated docs/benchmarks.md")


def sized_cpa(events: int, seed: int, section_12: bool = False) -> DemoCPA:
    """A CPA with about `events` events: participants from the events a sample yields. Without
    `section_12`, the journeys' events alone (the mix the figures were first taken on); with
    it, the demo's specialist referrals, outcomes and assessments too (about a tenth of the
    events)."""
    sample = generate_cpa(2_000, seed, today(), specialist_help=section_12)
    per_participant = sum(len(h) for h in sample.histories()) / sample.participants
    return generate_cpa(max(1, math.ceil(events / per_participant)), seed, today(),
                        specialist_help=section_12)


@contextmanager
def fresh_database(backend: str, pg_server: str) -> Iterator[str]:
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="chainboard-bench-")
        try:
            yield f"sqlite:///{directory}/bench.db"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    if backend != "postgresql":
        raise SystemExit(f"unknown backend {backend!r}: sqlite or postgresql")
    name = f"chainboard_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(cpa: DemoCPA, url: str) -> DemoIds:
    """Migrate and set up the CPA through the services (reusing what is there already)."""
    run_migrations(url)
    engine = make_engine(url)
    try:
        return set_up(sessionmaker(bind=engine, expire_on_commit=False), cpa)
    finally:
        engine.dispose()


def prime_manager_key(url: str, prime_id: int | None) -> str:
    """A prime manager's key; with no prime, an admin's (a CPA with section 12's events: only
    the specialist sends its outcomes, or an admin's backfill, DOMAIN.md section 12)."""
    engine = make_engine(url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            _, key = create_api_key(session, ADMIN, ApiKeyCreate(
                name="bench", organisation_id=prime_id,
                role="prime_manager" if prime_id is not None else "admin"))
            return key
    finally:
        engine.dispose()


def batches(cpa: DemoCPA, ids: DemoIds) -> Iterator[list[dict[str, Any]]]:
    for batch, _ in event_batches(cpa, ids, backfill=False, batch_events=BATCH_EVENTS):
        yield batch


_encoded: list[tuple[DemoCPA, DemoIds, list[tuple[bytes, int]]]] = []  # the last encoded


def request_bodies(cpa: DemoCPA, ids: DemoIds) -> list[tuple[bytes, int]]:
    """The JSON request bodies and their event counts, encoded again only when the CPA or its
    set-up's ids differ from the last call's."""
    if not _encoded or _encoded[0][0] is not cpa or _encoded[0][1] != ids:
        _encoded[:] = [(cpa, ids, [(json.dumps(batch).encode(), len(batch))
                                   for batch in batches(cpa, ids)])]
    return _encoded[0][2]


def run_server_ingest(cpa: DemoCPA, url: str, workers: int, clients: int) -> Run:
    ids = prepare(cpa, url)
    key = prime_manager_key(url, None if cpa.specialist_help
                            else ids.organisations[cpa.prime_key])
    bodies = request_bodies(cpa, ids)
    with chainboard_server({**os.environ, "DATABASE_URL": url}, "ingest",
                           workers) as (base, server):
        sampler = RssSampler(server.pid)
        sampler.start()
        try:
            seconds, events, rejected = post_batches(base, key, bodies, clients)
        finally:
            sampler.stop()
    return Run(events, seconds, sampler.peak, rejected)


def post_batches(base: str, key: str, bodies: list[tuple[bytes, int]],
                 clients: int) -> tuple[float, int, int]:
    """POST the bodies from `clients` concurrent clients: seconds from the first request to the
    last answer, events accepted, events rejected."""
    def post(body: bytes, count: int) -> tuple[int, int]:
        response = http.post("/api/v1/events", content=body)
        answer = response.json()
        rejected = 0
        if response.status_code != 200 or answer["rejected"]:
            rejected = len(answer.get("rejected", [])) or count
            print(f"  batch refused ({response.status_code}): {json.dumps(answer)[:500]}",
                  file=sys.stderr)
        return answer.get("accepted", 0), rejected

    with httpx.Client(base_url=base, timeout=600, limits=httpx.Limits(max_connections=clients),
                      headers={"X-API-Key": key, "Content-Type": "application/json"}) as http, \
            ThreadPoolExecutor(max_workers=clients) as pool:
        started = time.perf_counter()
        answers = list(pool.map(lambda item: post(*item), bodies))
        seconds = time.perf_counter() - started
    return seconds, sum(a for a, _ in answers), sum(r for _, r in answers)


def run_plain_insert(cpa: DemoCPA, ours_url: str, plain_url: str) -> Run:
    """The participant and event rows the service stored in `ours_url` (every column), written
    to `plain_url` with a Core executemany, one transaction per 5,000 events: seconds inserting
    and events inserted. Copying the stored rows keeps the baseline's columns the service's."""
    if prepare(cpa, plain_url) != prepare(cpa, ours_url):  # the latter only looks them up
        raise SystemExit("the two fresh databases gave the set-up different ids")
    participants_table = cast(Table, Participant.__table__)
    events_table = cast(Table, Event.__table__)
    source, target = make_engine(ours_url), make_engine(plain_url)
    # Every column the service stored, less those the database computes itself.
    written = [column for column in participants_table.columns if column.computed is None]
    copied: set[int] = set()
    last_event_id, seconds, events = 0, 0.0, 0
    try:
        with source.connect() as read:
            while True:
                event_rows = [dict(row._mapping) for row in read.execute(
                    select(events_table).where(events_table.c.id > last_event_id)
                    .order_by(events_table.c.id).limit(BATCH_EVENTS))]
                if not event_rows:
                    break
                last_event_id = event_rows[-1]["id"]
                new_ids = sorted({row["participant_id"] for row in event_rows} - copied)
                participant_rows = [dict(row._mapping) for row in read.execute(
                    select(*written).where(participants_table.c.id.in_(new_ids)))]
                copied.update(new_ids)
                started = time.perf_counter()
                with target.begin() as conn:
                    if participant_rows:  # an empty list would insert one row of defaults
                        conn.execute(insert(participants_table), participant_rows)
                    conn.execute(insert(events_table), event_rows)
                seconds += time.perf_counter() - started
                events += len(event_rows)
    finally:
        source.dispose()
        target.dispose()
    return Run(events, seconds)


class RssSampler:
    """Peak resident set size of a process and its children, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in processes))
            except psutil.Error:
                return
            self._stop.wait(0.1)


def results_table(results: list[Figures]) -> str:
    def spread(runs: list[Run]) -> str:
        rates = sorted(run.rate for run in runs)
        return f" ({rates[0]:,.0f}-{rates[-1]:,.0f})" if len(rates) > 1 else ""

    lines = ["| backend | mix | workers x clients | events | ours: events/s | "
             "server peak RSS | plain insert: events/s | ours / plain | rejected |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.mix} | {r.workers} x {r.clients} | {r.runs[0].events:,} | "
            f"{r.rate:,.0f}{spread(r.runs)} | "
            f"{max(run.peak_rss_bytes for run in r.runs) / 2**20:,.0f} MiB | "
            f"{r.plain_rate:,.0f}{spread(r.plain)} | {r.ratio:.2f} | "
            f"{sum(run.rejected for run in r.runs)} |")
    return "\n".join(lines)


def goals_verdict(results: list[Figures]) -> str:
    def verdict(met: bool) -> str:
        return "met" if met else "**not met**"

    return "\n".join(
        f"- {r.backend}, {r.mix}, {r.workers} worker(s) x {r.clients} client(s): "
        f"{r.rate:,.0f} events/s "
        f"against the goal of {GOAL_RATE:,}: "
        f"{verdict(r.rate >= GOAL_RATE)}; {r.ratio:.2f} of the plain insert "
        f"against {GOAL_RATIO:.2f}: {verdict(r.ratio >= GOAL_RATIO)}."
        for r in results)


def section_body(table: str, verdict: str, machine: str, code: str, command: str,
                 mixes: dict[str, DemoCPA], repeats: int) -> str:
    sizes = "; ".join(f"{mix}: {cpa.participants:,} generated participants"
                      for mix, cpa in mixes.items())
    seed = next(iter(mixes.values())).seed
    return f"""
Run on {date.today().isoformat()} on {machine}; {code}.

Command: `{command}` ({sizes}; seed {seed}). The "journeys" mix is the participants' own
events (referrals to outcomes), the mix these figures were first taken on; "journeys +
section 12" adds the demo's specialist referrals, specialist outcomes and progress
assessments (DOMAIN.md section 12), about a tenth of its events, measured in turns with it.
Events/s are the median of {repeats} runs (lowest-highest in brackets); the ratio compares
the medians.

{table}

Against the goals (at least {GOAL_RATE:,} events/s end to end, at least 1/3 of the plain insert):

{verdict}

How it is measured:

- **ours**: `chainboard serve --workers W` as a subprocess on a fresh database, events POSTed
  to `/api/v1/events` with a prime manager's API key by C concurrent clients (the table's
  "workers x clients"; with two workers one batch is validated while another is written),
  5,000 events per request (each participant's whole history in one request); wall time from
  the first request to the last answer. The bodies are JSON-encoded before the clock starts.
  The clients, the server and PostgreSQL share the machine's CPUs.
- **server peak RSS**: the server process with its workers, sampled every 0.1 s.
- **plain insert**: the participant and event rows the service stored, every column, copied
  with a SQLAlchemy Core `executemany`, one transaction per 5,000 events, into another fresh
  database of the same kind; no validation, no HTTP. Rows are read before the clock starts, so
  this is the database's raw insert speed for the same rows. (The service also writes other
  rows, such as the milestone table; the baseline does not.) On PostgreSQL, psycopg runs an
  `executemany` as one pipelined INSERT per row, while the service writes with COPY, so there
  the service can beat this baseline.
- **runs in turns**: for each repeat, ours for each setup, then the plain insert (copying
  what the first setup's run stored), so that a slow spell of the shared machine falls on
  both sides; other processes may share it (see the load average above).
{HISTORY}"""


# What earlier runs found, kept below each new run's figures (markdown, in its own file).
HISTORY = "\n" + (Path(__file__).parent / "ingest-history.md").read_text()



if __name__ == "__main__":
    main()
