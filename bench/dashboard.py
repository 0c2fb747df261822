"""Dashboard latency at the Work Programme's scale: the median time, measured in headless
Chromium, from the request for a page to its content drawn (its grid's rows, its plot's
points, its tables), for every page of the dashboard.

For each backend it copies (once, cached under bench/out/dashboard/; PostgreSQL: databases
named chainboard_league_<n>_s<seed>_dashboard) bench/league.py's cached base database: the
generator's CPA of `--participants` (200,000 by default) ingested through the real ingestion
service (built first when missing), then serves it with `chainboard serve`, signs in through
the login page as the role that sees the most on each page (the prime's manager, or the
administrator on the administrators' pages) and loads each page `--repeat` times after one
warm-up. With `--scale N` (10 by default) the league, funnel and overview pages are measured
again on PostgreSQL at N times the participants (bench/league.py's replicated database,
copied). The time is the browser's own: `performance.now()` when the page's content is in
place, counted from the navigation's start. The baseline, measured in the same run, is the
league table service called in-process (the work the heaviest pages do at least once).

    .venv/bin/python bench/dashboard.py                     # both backends, 200,000 + 2,000,000
    .venv/bin/python bench/dashboard.py --backends postgresql --repeat 5
    .venv/bin/python bench/dashboard.py --participants 2000 --repeat 2 --scale 0 --no-write
    .venv/bin/python bench/dashboard.py --build-only
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
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
    copy_database,
    copy_of_base,
    database_exists,
    database_url,
    load_manifest,
    migration_head,
    save_manifest,
)
from league import (
    ensure_built as ensure_league_built,
)
from sqlalchemy.orm import sessionmaker

from app.auth.principal import Principal
from app.core.db import make_engine
from app.demo.generator import DemoCPA, generate_cpa
from app.demo.loader import finish_demo, set_up
from app.performance import service
from app.wiring import install_reactions

HEADING = "## Dashboard pages (bench/dashboard.py)"
OUT = PROJECT_ROOT / "bench" / "out" / "dashboard"
MANIFEST = OUT / "manifest.json"
CHROMIUM = "/usr/bin/chromium"
GOAL_SECONDS = 1.5  # every page, at --participants
SCALED_GOAL_SECONDS = 2.0  # league, funnel and overview at --scale times, PostgreSQL
SUFFIX = "_dashboard"  # its own databases: bench/league.py may rebuild its own at any time


# -- the cache -------------------------------------------------------------------------------------
def _cached(key: str, url: str, pg_server: str) -> Built | None:
    cached = load_manifest(MANIFEST).get(key)
    if (cached is not None and cached.url == url and cached.migration == migration_head()
            and database_exists(url, pg_server)):
        print(f"{key}: cached ({cached.built_on})", flush=True)
        return cached
    return None


def finished(built: Built, generated: int) -> Built:
    """The demo's complaints, payments, status changes and flags added to a database built
    from the participants' events alone (by the generator's CPA of `generated` participants):
    the pages that show them have them to show."""
    engine = make_engine(built.url)
    started = time.perf_counter()
    try:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        cpa = generate_cpa(generated, built.seed, built.as_of_date)
        finish_demo(factory, cpa, set_up(factory, cpa))
    finally:
        engine.dispose()
    return replace(built, build_seconds=built.build_seconds + time.perf_counter() - started,
                   how=f"{built.how}, with the demo's complaints, payments and flags added")


def _remember(key: str, built: Built) -> Built:
    manifest = load_manifest(MANIFEST)
    manifest[key] = built
    save_manifest(manifest, MANIFEST)
    print(f"{key}: built in {built.build_seconds:.0f} s, {built.events:,} events", flush=True)
    return built


def ensure_built(backend: str, participants: int, seed: int, pg_server: str) -> Built:
    key = f"{backend}-{participants}-s{seed}"
    url = database_url(backend, participants, seed, pg_server, suffix=SUFFIX)
    if backend == "sqlite":  # under bench/out/dashboard/, not bench/league.py's folder
        url = f"sqlite:///{OUT / f'sqlite-{participants}-s{seed}.db'}"
    found = _cached(key, url, pg_server)
    if found is not None:
        return found
    print(f"{key}: building", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    copied = copy_of_base(backend, participants, seed, pg_server, url)
    return _remember(key, finished(copied, participants))


def ensure_scaled(participants: int, scale: int, seed: int, pg_server: str) -> Built:
    """A copy of bench/league.py's replicated PostgreSQL database (built first when missing)."""
    key = f"postgresql-{participants * scale}-s{seed}"
    url = database_url("postgresql", participants * scale, seed, pg_server, suffix=SUFFIX)
    found = _cached(key, url, pg_server)
    if found is not None:
        return found
    print(f"{key}: building", flush=True)
    _, scaled = ensure_league_built("postgresql", participants, scale, seed, pg_server,
                                    rebuild=False)
    started = time.perf_counter()
    copy_database(scaled.url, url, pg_server)
    copied = Built(**{**asdict(scaled), "url": url,
                      "how": f"a copy of bench/league.py's {scaled.how}",
                      "build_seconds": time.perf_counter() - started})
    return _remember(key, finished(copied, participants))


# -- the pages ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Records:
    """The records the pages with an id in their path are opened on."""
    contract_id: int
    provider_id: int  # the contract's largest provider: its page draws the most
    complaint_id: str
    flag_id: str
    plan_id: str  # the demo's improvement plan (app.demo.regime)


@dataclass(frozen=True)
class BenchPage:
    """A page's URL from the records, and what "drawn" means on it: every selector present
    (a grid's rows, a plot's points, a table). `role`: who opens it (the prime's manager sees
    the most on every page but the administrator's own)."""
    url: Callable[[Records], str]
    drawn: tuple[str, ...]
    role: str = "prime_manager"


def _plain(path: str, *drawn: str, role: str = "prime_manager") -> BenchPage:
    return BenchPage(lambda r: f"{path}?contract={r.contract_id}", ("#content h1", *drawn),
                     role)


GRID_ROW = " .ag-center-cols-container .ag-row"
PLOT = " .main-svg"
# Every page of Dash's registry but the sign-in and not-found pages
# (tests/bench/test_dashboard_bench.py checks that none is left out).
PAGES: dict[str, BenchPage] = {
    "/": _plain("", "#tile-rate"),
    "/league": _plain("league", "#league-grid" + GRID_ROW),
    "/funnel": _plain("funnel", "#funnel-graph .scatterlayer .point"),
    "/risk-model": _plain("risk-model", "#risk-model-providers" + GRID_ROW,
                          "#risk-model-calibration .scatterlayer .point"),
    "/milestones": _plain("milestones", "#milestones-grid" + GRID_ROW),
    "/compliance": _plain("compliance", "#compliance-chart" + PLOT,
                          "#compliance-grid" + GRID_ROW),
    "/complaints": _plain("complaints", "#complaints-list"),
    "/upload": _plain("upload"),
    "/users": _plain("users", "#users-list"),
    "/api-keys": _plain("api-keys", "#api-keys-list"),
    "/organisations": _plain("organisations", "#organisations-list", role="admin"),
    "/invitations": _plain("invitations", "#invitations-list"),
    "/contracts": _plain("contracts", "#contracts-list"),
    "/members": _plain("members", "#members-list"),
    "/payments": _plain("payments", "#payments-chart .scatterlayer .point",
                        "#payments-providers" + GRID_ROW),
    "/views": BenchPage(lambda r: "views", ("#content h1",)),
    "/glossary": BenchPage(lambda r: "glossary", ("#content h1", "#outcome-rate")),
    "/providers/<provider_id>": BenchPage(
        lambda r: f"providers/{r.provider_id}?contract={r.contract_id}",
        ("#content h1", "#provider-cohorts .scatterlayer .trace", "#provider-payments" + PLOT)),
    "/complaints/<complaint_id>": BenchPage(lambda r: f"complaints/{r.complaint_id}",
                                            ("#content h1",)),
    "/compliance/flags/<flag_id>": BenchPage(lambda r: f"compliance/flags/{r.flag_id}",
                                             ("#content h1",)),
    "/ratings": _plain("ratings", "#review-status-table",
                       "#rating-trend-chart .scatterlayer .trace"),
    "/plans": _plain("plans", "#plans-table"),
    "/plans/<plan_id>": BenchPage(lambda r: f"plans/{r.plan_id}",
                                  ("#content h1", "#plan-targets")),
    "/reallocations": _plain("reallocations", "#reallocations-list .reallocation"),
    "/specialists": _plain("specialists", "#specialists-chart" + PLOT,
                           "#specialists-specialists" + GRID_ROW),
}
NOT_MEASURED = {"/login", "/404"}  # no data behind them
SCALED_PAGES = ("/league", "/funnel", "/")


def find_records(built: Built, manager: str) -> Records:
    """The largest provider, and a complaint and a flag the prime's manager may open."""
    from sqlalchemy import select

    from app.complaints.service import list_complaints
    from app.compliance.schemas import FlagFilters
    from app.compliance.service import list_flags
    from app.core.pagination import PageParams
    from app.models import ImprovementPlan, User

    engine = make_engine(built.url)
    try:
        with sessionmaker(bind=engine)() as session:
            user = session.scalars(select(User).where(User.username == manager)).one()
            principal = Principal(role=user.role, organisation_id=user.organisation_id,
                                  user_id=user.id, username=user.username)
            table = service.league_table(session, principal, built.contract_id,
                                         as_of=built.as_of_date)
            largest = max(table.rows, key=lambda row: row.referrals or 0)
            complaints, _ = list_complaints(session, principal, PageParams(limit=1))
            flags, _ = list_flags(session, principal, FlagFilters(), PageParams(limit=1))
            plan_id = session.scalar(select(ImprovementPlan.public_id).limit(1))
    finally:
        engine.dispose()
    assert largest.provider_id is not None and complaints and flags and plan_id
    return Records(built.contract_id, largest.provider_id, str(complaints[0].id),
                   str(flags[0].id), plan_id)


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
    goal_seconds: float | None = None
    # The warm-up load: the first of this page since the server started, so with the
    # per-data-version caches (app.performance.fit_cache) it alone fills still cold.
    first_ms: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)


@contextmanager
def running_server(url: str) -> Iterator[str]:
    with chainboard_server({**os.environ, "DATABASE_URL": url}, "dashboard") as (base_url, _):
        yield base_url


def login_of(cpa: DemoCPA, role: str) -> tuple[str, str]:
    user = next(u for u in cpa.users if u.role == role)
    return user.username, user.password


ANSWERED_AT = """(() => {
    const calls = performance.getEntriesByType("resource")
        .filter(entry => entry.name.includes("_dash-update-component"));
    return Math.max(0, ...calls.map(entry => entry.responseEnd));
})()"""
DRAWN = "selectors => selectors.every(selector => document.querySelector(selector) !== null)"


def measure_pages(built: Built, repeat: int, paths: Collection[str],
                  goal_seconds: float) -> list[Timing]:
    from playwright.sync_api import sync_playwright

    cpa = generate_cpa(built.participants, built.seed, built.as_of_date)
    records = find_records(built, login_of(cpa, "prime_manager")[0])
    timings = []
    with running_server(built.url) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for role in sorted({PAGES[path].role for path in paths}):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            username, password = login_of(cpa, role)
            page.goto(f"{base}/dashboard/login")
            page.fill("#login-username", username)
            page.fill("#login-password", password)
            page.click("#login-submit")
            page.wait_for_url("**/dashboard/**")
            for path in (p for p in paths if PAGES[p].role == role):
                bench_page = PAGES[path]
                url = f"{base}/dashboard/{bench_page.url(records)}"
                samples, answered, first = [], [], 0.0
                for attempt in range(repeat + 1):  # the first is a warm-up
                    page.goto(url)
                    # Polled on a timer: polling on animation frames can lag Plotly's drawing.
                    page.wait_for_function(DRAWN, arg=list(bench_page.drawn), polling=50,
                                           timeout=120_000)
                    elapsed = page.evaluate("performance.now()")
                    answer = page.evaluate(ANSWERED_AT)
                    if attempt:
                        samples.append(float(elapsed))
                        answered.append(float(answer))
                    else:
                        first = float(elapsed)
                print(f"  {built.backend} {built.participants:,}: {path}: median "
                      f"{statistics.median(samples):,.0f} ms", flush=True)
                timings.append(Timing(built.backend, built.participants, f"page {path}",
                                      samples, os.getloadavg()[0], answered, goal_seconds,
                                      first))
            page.close()
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
    print(f"  {built.backend} {built.participants:,}: league table service in-process: "
          f"median {statistics.median(samples):,.0f} ms", flush=True)
    return Timing(built.backend, built.participants, "league table service (in-process)",
                  samples, os.getloadavg()[0])


def report(timings: list[Timing], machine: str, code: str, repeat: int) -> str:
    lines = [
        f"Measured {date.today().isoformat()} on {machine}; {code}. Each figure is the median "
        f"of {repeat} page loads after one warm-up, in headless Chromium on the same machine, "
        "from the navigation's start to the page's content drawn (its grid's rows, its plot's "
        "points, its tables), as the prime's manager (the administrator on the "
        "organisations page); the ratio is against the league table service called "
        "in-process in the same run, on the same database; \"answer received\" is when the "
        "browser had the page's content from the server (the rest is drawing it); \"first "
        "load\" is the warm-up, the page's first since the server started, with the caches "
        "kept per data version that it alone fills still empty (what the first reader after "
        "a batch of events waits). Goals: "
        f"every page under {GOAL_SECONDS} s at the smaller size; the league, funnel and "
        f"overview pages under {SCALED_GOAL_SECONDS} s at the larger, on PostgreSQL. The load "
        "column is the 1-minute load average as the figure was taken: above the 2 CPUs, "
        "other work shared the machine.",
        "",
        "| backend | participants | what | median ms | range ms | ratio to service | "
        "answer received, median ms | first load ms | goal met | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for timing in timings:
        base = next(t for t in timings if t.backend == timing.backend
                    and t.participants == timing.participants
                    and t.what.startswith("league table service"))
        answered = (f"{statistics.median(timing.answered_ms):,.0f}" if timing.answered_ms
                    else "")
        first = "" if timing.first_ms is None else f"{timing.first_ms:,.0f}"
        goal = ("" if timing.goal_seconds is None
                else ("yes" if timing.median < timing.goal_seconds * 1000 else "**no**"))
        lines.append(
            f"| {timing.backend} | {timing.participants:,} | {timing.what} | "
            f"{timing.median:,.0f} | {min(timing.samples_ms):,.0f}-"
            f"{max(timing.samples_ms):,.0f} | {timing.median / base.median:.2f} | "
            f"{answered} | {first} | {goal} | {timing.load:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--scale", type=int, default=10,
                        help="also the league, funnel and overview pages on PostgreSQL at "
                             "this many times the participants (0: not)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pages", default="",
                        help="comma-separated page paths as in PAGES (default: every page)")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    install_reactions()  # building a database publishes its changes (app.core.changes)
    paths = [p for p in args.pages.split(",") if p] or list(PAGES)
    machine, code = machine_description(), code_version()
    built = [ensure_built(backend, args.participants, args.seed, args.pg_server)
             for backend in args.backends.split(",")]
    scaled = (ensure_scaled(args.participants, args.scale, args.seed, args.pg_server)
              if args.scale > 1 and "postgresql" in args.backends else None)
    if args.build_only:
        return
    timings: list[Timing] = []
    for b in built:
        timings.append(measure_service(b, args.repeat))
        timings += measure_pages(b, args.repeat, paths, GOAL_SECONDS)
    if scaled is not None:
        timings.append(measure_service(scaled, args.repeat))
        timings += measure_pages(scaled, args.repeat,
                                 [p for p in SCALED_PAGES if p in paths], SCALED_GOAL_SECONDS)
    body = report(timings, machine, code, args.repeat)
    print(body)
    if not args.no_write:
        replace_section(HEADING, body)
        print(f"written to {PROJECT_ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
