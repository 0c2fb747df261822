"""Recomputing every compliance flag of a 200,000-participant contract, against a bare
GROUP BY over the same participants, on SQLite and PostgreSQL.

The database (cached under bench/out/compliance/; PostgreSQL: a database named
chainboard_compliance_*) is a copy of bench/league.py's cached base (built first when missing):
the generator's CPA (app.demo.generator), its events ingested in-process through ingest_events
as an admin's backfill; then the demo's status changes and payments through the supply-chain service
(as app.demo.loader does) and one complaint a month from a rotating member (inserted with the
ORM, the complaint API being another package's), so that every rule has rows to read.

Measured `--repeat` times after one warm-up (medians): `recompute_flags` for the contract
(every rule, the flags upserted and committed), each rule group's evaluation alone (its SQL and
its pure function, nothing written), and the baseline, one bare GROUP BY of referrals per
provider over the participants.

    .venv/bin/python bench/compliance.py                  # 200,000 participants, both backends
    .venv/bin/python bench/compliance.py --participants 3000 --repeat 3 --no-write
    .venv/bin/python bench/compliance.py --rebuild        # rebuild the cached databases
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from common import PROJECT_ROOT, code_version, machine_description, replace_section
from league import Built, copy_of_base, database_exists, drop_database, migration_head
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.auth.principal import Principal
from app.core.db import make_engine
from app.demo.generator import DemoCPA, generate_cpa
from app.models import Complaint, ComplianceFlag, Contract, Membership, Organisation, User
from app.performance import daily_totals, queries
from app.performance.dates import horizon_cutoff
from app.supply_chain import schemas
from app.supply_chain.service import change_member_status, contract_settings, record_payment
from app.wiring import install_reactions

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADING = "## Compliance flags (bench/compliance.py)"
OUT = PROJECT_ROOT / "bench" / "out" / "compliance"
MANIFEST = OUT / "manifest.json"
GOAL_SECONDS = 2.0
# The same baseline as bench/league.py: eligible participants and outcomes per provider.
BARE_GROUP_BY = """
SELECT provider_id,
       SUM(CASE WHEN referral_date <= :cutoff THEN 1 ELSE 0 END) AS eligible,
       SUM(CASE WHEN referral_date <= :cutoff AND outcome_date IS NOT NULL
                 AND outcome_date <= :as_of THEN 1 ELSE 0 END) AS outcomes
FROM participants WHERE contract_id = :contract_id GROUP BY provider_id
"""


def database_url(backend: str, participants: int, seed: int, pg_server: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{OUT / f'sqlite-{participants}-s{seed}.db'}"
    name = f"chainboard_compliance_{participants}_s{seed}"
    return make_url(pg_server).set(database=name).render_as_string(hide_password=False)


def add_story(url: str, cpa: DemoCPA, contract_id: int) -> int:
    """The demo's status changes and payments (through the service, as the prime manager)
    and one complaint a month; returns the number of complaints."""
    engine = make_engine(url)
    try:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory() as session:
            contract = session.get_one(Contract, contract_id)
            names = {o.key: o.name for o in cpa.organisations}
            ids = {key: session.scalars(select(Organisation.id)
                                        .where(Organisation.name == name)).one()
                   for key, name in names.items()}
            manager = session.scalar(select(User).where(User.role == "prime_manager"))
            assert manager is not None
            principal = Principal(role="prime_manager", organisation_id=contract.prime_id,
                                  user_id=manager.id, username=manager.username)
            for change in cpa.status_changes:
                change_member_status(session, principal, contract_id,
                                     ids[change.provider_key], schemas.StatusChangeIn(
                                         status=change.status, reason=change.reason,
                                         effective_date=change.effective_date))
            for payment in cpa.payments:
                record_payment(session, principal, contract_id, schemas.PaymentCreate(
                    provider_id=ids[payment.provider_key], invoice_date=payment.invoice_date,
                    amount=payment.amount, paid_date=payment.paid_date,
                    terms_days=payment.terms_days))
            members = list(session.scalars(select(Membership.provider_id).where(
                Membership.contract_id == contract_id).order_by(Membership.provider_id)))
            day, count = contract.start_date + timedelta(days=20), 0
            while day < cpa.as_of:
                submitted = datetime.combine(day, clock_time(10), UTC)
                session.add(Complaint(
                    contract_id=contract_id, complainant_org_id=members[count % len(members)],
                    principle="conduct", title=f"Complaint {count + 1}",
                    description="Referrals stopped after we raised concerns.",
                    confidential=count % 3 == 0, status="acknowledged",
                    submitted_at=submitted,
                    acknowledged_at=submitted + timedelta(days=3 + count % 6),
                    updated_at=submitted))
                day += timedelta(days=30)
                count += 1
            session.commit()
            return count
    finally:
        engine.dispose()


def ensure_built(backend: str, participants: int, seed: int, pg_server: str,
                 rebuild: bool) -> Built:
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    key = f"{backend}-{participants}-s{seed}"
    url = database_url(backend, participants, seed, pg_server)
    cached = manifest.get(key)
    if (not rebuild and cached is not None and cached["migration"] == migration_head()
            and database_exists(url, pg_server)):
        print(f"{backend}, {participants:,} participants: cached ({cached['built_on']})",
              flush=True)
        return Built(**cached)
    print(f"{backend}, {participants:,} participants: building", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    drop_database(url, pg_server)
    built = copy_of_base(backend, participants, seed, pg_server, url)
    cpa = generate_cpa(participants, seed, built.as_of_date)
    complaints = add_story(url, cpa, built.contract_id)
    built.how += (f"; then {len(cpa.status_changes)} status changes, {len(cpa.payments)} "
                  f"payments and {complaints} complaints")
    manifest[key] = asdict(built)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{backend}: built in {built.build_seconds:.0f} s, {built.events:,} events", flush=True)
    return built


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(built: Built, repeat: int) -> dict[str, Any]:
    from app.compliance import service as compliance

    engine = make_engine(built.url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    as_of = built.as_of_date
    now = datetime.combine(as_of, clock_time(12), UTC)
    timings: dict[str, list[float]] = {}
    load = os.getloadavg()[0]
    try:
        with factory() as session:
            contract = session.get_one(Contract, built.contract_id)
            settings = contract_settings(contract)
        cutoff = horizon_cutoff(as_of, settings.default_horizon_months)

        def bare() -> Any:
            with engine.connect() as conn:
                return conn.execute(text(BARE_GROUP_BY), {"contract_id": built.contract_id,
                                                          "cutoff": cutoff,
                                                          "as_of": as_of}).all()

        def recompute() -> Any:
            with factory() as session:
                return compliance.recompute_flags(session, built.contract_id, now=now)

        def evaluate(group: str) -> Callable[[], Any]:
            def run() -> Any:
                with factory() as session:
                    contract = session.get_one(Contract, built.contract_id)
                    return compliance.evaluate_group(session, contract, group, as_of)
            return run

        def league_query(call: Callable[[Session], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with factory() as session:
                    return call(session)
            return run

        period_from, horizon = contract.start_date, settings.default_horizon_months
        # The league table's queries one at a time, as app.performance.service calls them
        # (bench/league.py measures the same): which part of the `league` group is slow.
        league_queries: dict[str, Callable[[Session], Any]] = {
            "provider_group_counts": lambda s: queries.provider_group_counts(
                s, built.contract_id, period_from, as_of, as_of, cutoff, horizon),
            "daily_totals.period_totals": lambda s: daily_totals.period_totals(
                s, built.contract_id, period_from, as_of, as_of),
        }
        timings["bare GROUP BY (baseline)"] = timed(bare, repeat)
        timings["recompute_flags (all rules)"] = timed(recompute, repeat)
        for group in compliance.RULE_GROUPS:
            timings[f"rules {group}"] = timed(evaluate(group), repeat)
        for name, call in league_queries.items():
            timings[f"league query {name}"] = timed(league_query(call), repeat)
        with factory() as session:
            flags = dict(session.execute(
                select(ComplianceFlag.rule, func.count()).where(
                    ComplianceFlag.contract_id == built.contract_id,
                    ComplianceFlag.cleared_at.is_(None))
                .group_by(ComplianceFlag.rule)).all())
    finally:
        engine.dispose()
    for name, samples in timings.items():
        print(f"  {built.backend} {name}: median {statistics.median(samples):,.1f} ms",
              flush=True)
    return {"built": asdict(built), "timings": timings, "load": load, "flags": flags}


def report(results: list[dict[str, Any]], repeat: int, command: str) -> str:
    lines = [
        f"Run on {datetime.now(UTC).date()} on {machine_description()}; {code_version()}.",
        "",
        f"Command: `{command}`; each figure the median of {repeat} runs after one warm-up.",
        "",
        "| backend | participants | events | measured | median ms | min-max ms "
        "| x bare GROUP BY |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for result in results:
        built, timings = result["built"], result["timings"]
        baseline = statistics.median(timings["bare GROUP BY (baseline)"])
        for name, samples in timings.items():
            median = statistics.median(samples)
            lines.append(f"| {built['backend']} | {built['participants']:,} | "
                         f"{built['events']:,} | {name} | {median:,.1f} | "
                         f"{min(samples):,.0f}-{max(samples):,.0f} | "
                         f"{median / baseline:,.1f} |")
    lines += ["", f"Against the goal (every flag of the contract recomputed in under "
              f"{GOAL_SECONDS:g} s):", ""]
    for result in results:
        built = result["built"]
        median = statistics.median(result["timings"]["recompute_flags (all rules)"]) / 1000
        verdict = "met" if median < GOAL_SECONDS else "**not met**"
        slowest = max((n for n in result["timings"] if n.startswith("rules ")),
                      key=lambda n: statistics.median(result["timings"][n]))
        lines.append(f"- {built['backend']}: {median:.2f} s: {verdict}; the slowest part is "
                     f"{slowest.removeprefix('rules ')} "
                     f"({statistics.median(result['timings'][slowest]):,.0f} ms). Live flags "
                     f"after the run: " + ", ".join(f"{rule} {n}" for rule, n in
                                                    sorted(result["flags"].items())) + ".")
    for result in results:
        medians = {n: statistics.median(v) for n, v in result["timings"].items()}
        rest = sum(m for n, m in medians.items()
                   if n.startswith("rules ") and n != "rules league")
        unused = next((m for n, m in medians.items() if "unused by the flags" in n), 0.0)
        league = medians["rules league"]
        lines.append(f"- {result['built']['backend']}: the rules other than the league table's "
                     f"take {rest:,.0f} ms together; the league table {league:,.0f} ms, of "
                     f"which its payments-earned query ({unused:,.0f} ms alone) feeds no flag.")
    lines += [
        "",
        "How it is measured:",
        "",
        "- **recompute_flags**: `app.compliance.service.recompute_flags(session, contract_id, "
        "now=...)` in-process: every rule's SQL and pure function, then the upsert of the "
        "flags and the commit (after the warm-up the flags exist, so the runs update them, as "
        "the scheduled recomputation does).",
        "- **rules X**: `evaluate_group` for one rule group alone: its queries and its pure "
        "function, nothing written. `league` is REV-1 and the contract flags, which read the "
        "league table (app.performance.service.league_table). **league query X**: that "
        "table's SQL one statement at a time (as bench/league.py times it): the participants "
        "per provider and group, and the per-day provider totals (check compliance, data "
        "timeliness and payments earned, which no flag reads).",
        "- **bare GROUP BY**: eligible participants and job outcomes per provider over the "
        "whole contract, one hand-written statement on the same participants (bench/league.py's "
        "baseline).",
        f"- The database: {results[0]['built']['how'] if results else ''}.",
        "- Other agents' processes share the machine's 2 CPUs (load average above).",
    ]
    return "\n".join(lines)


def main() -> None:
    install_reactions()  # the services below publish their changes (app.core.changes)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    built = [ensure_built(b, args.participants, args.seed, args.pg_server, args.rebuild)
             for b in backends]
    if args.build_only:
        return
    results = [measure(b, args.repeat) for b in built]
    body = report(results, args.repeat, " ".join(["python bench/compliance.py", *sys.argv[1:]]))
    print(body)
    if not args.no_write:
        replace_section(HEADING, body)


if __name__ == "__main__":
    main()
