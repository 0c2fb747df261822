"""Mixed traffic against a served app with demo data, for a fixed time: ingestion batches,
overdue-check lists, league tables, cohorts and the dashboard page, from simulated clients
(bench/locustfile.py) driven by locust, headless, on loopback.

It loads the demo CPA into a fresh database (`chainboard generate --load`), starts
`chainboard serve` on a free port, logs the demo users in, runs locust for --seconds, then
prints per request type: requests, failures, requests/s, p50/p95/p99 latency, and writes the
same table to docs/benchmarks.md. Goals: no errors; p95 under 500 ms for reads.

    .venv/bin/python bench/load.py                       # SQLite, 10,000 participants, 60 s
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1/db
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from common import chainboard_server, code_version, machine_description, replace_section

from app.demo.generator import generate_cpa

HEADING = "## Mixed load (bench/load.py), {backend}"
BIN = Path(sys.executable).parent
READ_P95_GOAL_MS = 500
SEED = 7


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=10, help="simulated clients at once")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--no-write", action="store_true", help="do not touch benchmarks.md")
    return parser.parse_args()


def _login(base: str, username: str, password: str) -> str:
    answer = httpx.post(f"{base}/api/v1/auth/token",
                        data={"username": username, "password": password}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _client_config(base: str, participants: int) -> dict[str, Any]:
    """Bearer tokens for the prime manager and every provider's staff, and the contract."""
    cpa = generate_cpa(participants, SEED, date.today())
    manager = next(u for u in cpa.users if u.role == "prime_manager")
    manager_token = _login(base, manager.username, manager.password)
    as_manager = {"Authorization": f"Bearer {manager_token}"}
    contract = httpx.get(f"{base}/api/v1/contracts", timeout=30,
                         headers=as_manager).json()["rows"][0]
    members = httpx.get(f"{base}/api/v1/contracts/{contract['id']}/members", timeout=30,
                        headers=as_manager).json()["rows"]
    # Who may take new referrals: the prime in-house and members not suspended or terminated.
    open_to_referrals = {contract["prime_id"]} | {
        m["provider_id"] for m in members if m["status"] in ("active", "on_improvement_plan")}
    providers = []
    for user in cpa.users:
        if user.role != "provider_user":
            continue
        token = _login(base, user.username, user.password)
        me = httpx.get(f"{base}/api/v1/auth/me", timeout=30,
                       headers={"Authorization": f"Bearer {token}"}).json()
        if me["organisation_id"] in open_to_referrals:
            providers.append({"token": token, "organisation_id": me["organisation_id"]})
    return {"contract_id": contract["id"], "manager": {"token": manager_token},
            "providers": providers}


def _read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as file:
        return list(csv.DictReader(file))


def main() -> None:
    args = _arguments()
    workdir = Path(tempfile.mkdtemp(prefix="chainboard-load-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'load.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "development",
           # The limiter stays on (its cost is part of the figures), far above this traffic.
           "RATE_LIMIT": "1000000/minute", "LOG_LEVEL": "WARNING"}
    started = time.monotonic()
    subprocess.run([BIN / "chainboard", "generate", "--participants", str(args.participants),
                    "--seed", str(SEED), "--load"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"loaded {args.participants:,} participants in {time.monotonic() - started:.0f} s "
          f"into {database_url}")
    with chainboard_server(env, "load", args.workers) as (base, _):
        config_path = workdir / "clients.json"
        config_path.write_text(json.dumps(_client_config(base, args.participants)))
        prefix = workdir / "locust"
        subprocess.run([BIN / "locust", "-f", str(Path(__file__).with_name("locustfile.py")),
                        "--headless", "--users", str(args.users),
                        "--spawn-rate", str(args.users), "--run-time", f"{args.seconds}s",
                        "--host", base, "--csv", str(prefix), "--only-summary",
                        "--loglevel", "WARNING"],
                       env={**os.environ, "LOAD_CONFIG": str(config_path)}, check=False)
        stats = _read_stats(prefix)
    _report(args, database_url, stats)


def _report(args: argparse.Namespace, database_url: str, stats: list[dict[str, str]]) -> None:
    header = ("| request | requests | failures | req/s | p50 ms | p95 ms | p99 ms |\n"
              "|---|---:|---:|---:|---:|---:|---:|")
    lines = []
    slow_reads = []
    for row in stats:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        lines.append(f"| {name} | {int(row['Request Count']):,} | {row['Failure Count']} | "
                     f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | "
                     f"{row['99%']} |")
        if row["Name"].startswith("GET") and float(row["95%"]) >= READ_P95_GOAL_MS:
            slow_reads.append(f"{row['Name']} (p95 {row['95%']} ms)")
    total = next(row for row in stats if row["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    verdict = (f"Goals: no errors ({'met' if failures == 0 else 'NOT met'}: {failures} failed "
               f"requests); every read's p95 under {READ_P95_GOAL_MS} ms ("
               + (f"NOT met by {', '.join(slow_reads)}" if slow_reads else "met") + ").")
    table = "\n".join([header, *lines])
    print(table)
    print(verdict)
    if args.no_write:
        return
    body = f"""
Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine_description()};
{code_version()}. The machine is shared with other work: the load average above says how
busy it was. {backend}, demo CPA with {args.participants:,} participants (seed {SEED}),
`chainboard serve --workers {args.workers}` on loopback, {args.users} locust users for
{args.seconds} s: one in five a subcontractor's system posting 100-event batches (50 new
referrals with attachments), the rest people reading the overdue checks (3), the league table
(2), cohorts (1) and the dashboard page (1). Rate limiting on (1,000,000/minute per user).
Reproduce: `.venv/bin/python bench/load.py --participants {args.participants} --seconds
{args.seconds} --users {args.users} --workers {args.workers}` (with `--database-url` for
PostgreSQL).

{table}

{verdict}
"""
    heading = HEADING.format(backend=backend)
    replace_section(heading, body)
    print(f"wrote the figures to docs/benchmarks.md ({heading})")


if __name__ == "__main__":
    main()
