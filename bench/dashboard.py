"""Dashboard latency at the Work Programme's scale: the median time, measured in headless
Chromium, from the request for a page to the league table (or the funnel plot) drawn on it.

For each backend it copies (once, cached under bench/out/dashboard/; PostgreSQL: databases
named chainboard_league_<n>_s<seed>_dashboard) bench/league.py's cached base database: the
generator's CPA of `--participants` (200,000 by default) ingested through the real ingestion
service (built first when missing), then serves it with `chainboard serve`, logs in as the
prime manager through the login page and loads each page `--repeat` times after one warm-up.
The time is the browser's own: `performance.now()` when the grid's rows (or the plot's points)
are in the page, counted from the navigation's start. The baseline, measured in the same run,
is the league table service called in-process (the work every page render has to do at least
once).

    .venv/bin/python bench/dashboard.py                     # PostgreSQL and SQLite, 200,000
    .venv/bin/python bench/dashboard.py --backends postgresql --repeat 5
    .venv/bin/python bench/dashboard.py --participants 2000 --repeat 2 --no-write
    .venv/bin/python bench/dashboard.py --build-only
"""

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from common import (
    PROJECT_ROOT,
    chainboard_server,
    code_version,
    machine_description,
    replace_section,
)
from league import (
    PG_SERVER,
    Built,
    copy_of_base,
    database_exists,
    database_url,
    load_manifest,
    migration_head,
    save_manifest,
)
from sqlalchemy.orm import sessionmaker

from app.auth.principal import Principal
from app.core.db import make_engine
from app.demo.generator import DemoCPA, generate_cpa
from app.performance import service

HEADING = "## Dashboard pages (bench/dashboard.py)"
OUT = PROJECT_ROOT / "bench" / "out" / "dashboard"
MANIFEST = OUT / "manifest.json"
CHROMIUM = "/usr/bin/chromium"
GOAL_SECONDS = 1.5
SUFFIX = "_dashboard"  # its own databases: bench/league.py may rebuild its own at any time


# -- the cache -------------------------------------------------------------------------------------
def ensure_built(backend: str, participants: int, seed: int, pg_server: str) -> Built:
    key = f"{backend}-{participants}-s{seed}"
    url = database_url(backend, participants, seed, pg_server, suffix=SUFFIX)
    if backend == "sqlite":  # under bench/out/dashboard/, not bench/league.py's folder
        url = f"sqlite:///{OUT / f'sqlite-{participants}-s{seed}.db'}"
    cached = load_manifest(MANIFEST).get(key)
    if (cached is not None and cached.url == url and cached.migration == migration_head()
            and database_exists(url, pg_server)):
        print(f"{backend}, {participants:,} participants: cached ({cached.built_on})",
              flush=True)
        return cached
    print(f"{backend}, {participants:,} participants: building", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    built = copy_of_base(backend, participants, seed, pg_server, url)
    manifest = load_manifest(MANIFEST)
    manifest[key] = built
    save_manifest(manifest, MANIFEST)
    print(f"{backend}: built in {built.build_seconds:.0f} s, {built.events:,} events", flush=True)
    return built


# -- measuring ---------------------------------------------------------------------------------
@dataclass
class Timing:
    backend: str
    participants: int
    what: str
    samples_ms: list[float]
    load: float
    # When the browser had the page's content from the server (the pages router callback's
    # answer), counted from the navigation's start: the rest is drawing in the browser.
    answered_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)


@contextmanager
def running_server(url: str) -> Iterator[str]:
    with chainboard_server({**os.environ, "DATABASE_URL": url}, "dashboard") as (base_url, _):
        yield base_url


def manager_login(cpa: DemoCPA) -> tuple[str, str]:
    user = next(u for u in cpa.users if u.role == "prime_manager")
    return user.username, user.password


# What "drawn" means on each page: the grid's provider rows, the plot's points.
PAGES = {
    "league table page": ("league", ".ag-center-cols-container .ag-row"),
    "funnel plot page": ("funnel", "#funnel-graph .scatterlayer .point"),
}


ANSWERED_AT = """(() => {
    const calls = performance.getEntriesByType("resource")
        .filter(entry => entry.name.includes("_dash-update-component"));
    return Math.max(0, ...calls.map(entry => entry.responseEnd));
})()"""


def measure_pages(built: Built, repeat: int) -> list[Timing]:
    from playwright.sync_api import sync_playwright

    cpa = generate_cpa(built.participants, built.seed, built.as_of_date)
    username, password = manager_login(cpa)
    query = f"?contract={built.contract_id}&as_of={built.as_of}"
    timings = []
    with running_server(built.url) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/dashboard/login")
        page.fill("#login-username", username)
        page.fill("#login-password", password)
        page.click("#login-submit")
        page.wait_for_url("**/dashboard/**")
        for what, (path, selector) in PAGES.items():
            samples, answered = [], []
            for attempt in range(repeat + 1):  # the first is a warm-up
                page.goto(f"{base}/dashboard/{path}{query}")
                # Polled on a timer: polling on animation frames can lag Plotly's drawing.
                page.wait_for_function("selector => document.querySelector(selector) !== null",
                                       arg=selector, polling=50, timeout=120_000)
                elapsed = page.evaluate("performance.now()")
                answer = page.evaluate(ANSWERED_AT)
                if attempt:
                    samples.append(float(elapsed))
                    answered.append(float(answer))
            print(f"  {built.backend}: {what}: median {statistics.median(samples):,.0f} ms",
                  flush=True)
            timings.append(Timing(built.backend, built.participants, what, samples,
                                  os.getloadavg()[0], answered))
        browser.close()
    return timings


def measure_service(built: Built, repeat: int) -> Timing:
    """The baseline: the league table service in-process, as the page's callback calls it."""
    engine = make_engine(built.url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    admin = Principal(role="admin", organisation_id=None)
    samples = []
    try:
        for attempt in range(repeat + 1):
            with factory() as session:
                started = time.perf_counter()
                service.league_table(session, admin, built.contract_id, as_of=built.as_of_date)
                if attempt:
                    samples.append((time.perf_counter() - started) * 1000)
    finally:
        engine.dispose()
    print(f"  {built.backend}: league table service in-process: median "
          f"{statistics.median(samples):,.0f} ms", flush=True)
    return Timing(built.backend, built.participants, "league table service (in-process)",
                  samples, os.getloadavg()[0])


def report(timings: list[Timing], machine: str, code: str, repeat: int) -> str:
    lines = [
        f"Measured {date.today().isoformat()} on {machine}; {code}. Each figure is the median "
        f"of {repeat} page loads after one warm-up, in headless Chromium on the same machine, "
        "from the navigation's start to the rows (points) drawn; the ratio is against the "
        "league table service called in-process in the same run; \"answer received\" is when "
        "the browser had the page's content from the server (the rest is drawing it). Goal: "
        "under "
        f"{GOAL_SECONDS} s. The load column is the 1-minute load average as the figure was "
        "taken: above the 2 CPUs, other work shared the machine and every figure here is "
        "slower than on a quiet one.",
        "",
        "| backend | participants | what | median ms | range ms | ratio to service | "
        "answer received, median ms | goal met | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for timing in timings:
        base = next(t for t in timings if t.backend == timing.backend
                    and t.what.startswith("league table service"))
        answered = (f"{statistics.median(timing.answered_ms):,.0f}" if timing.answered_ms
                    else "")
        goal = ("" if timing is base
                else ("yes" if timing.median < GOAL_SECONDS * 1000 else "no"))
        lines.append(
            f"| {timing.backend} | {timing.participants:,} | {timing.what} | "
            f"{timing.median:,.0f} | {min(timing.samples_ms):,.0f}-"
            f"{max(timing.samples_ms):,.0f} | {timing.median / base.median:.2f} | "
            f"{answered} | {goal} | {timing.load:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    machine, code = machine_description(), code_version()
    built = [ensure_built(backend, args.participants, args.seed, args.pg_server)
             for backend in args.backends.split(",")]
    if args.build_only:
        return
    timings: list[Timing] = []
    for b in built:
        timings.append(measure_service(b, args.repeat))
        timings += measure_pages(b, args.repeat)
    body = report(timings, machine, code, args.repeat)
    print(body)
    if not args.no_write:
        replace_section(HEADING, body)
        print(f"written to {PROJECT_ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()

