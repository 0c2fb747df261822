"""The `chainboard` command: migrate, create-user, users, deactivate-user, reactivate-user,
reset-password, serve, generate, demo, worker, and the scheduled jobs one by one."""

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.demo.generator import DemoCPA

cli = typer.Typer(help="chainboard: supply-chain performance management", no_args_is_help=True,
                  add_completion=False)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@cli.callback()
def _start() -> None:
    """Every command runs with the domains' reactions to changes installed (app.wiring)."""
    from app.wiring import install_reactions

    install_reactions()


def run_migrations(database_url: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, "head")


@cli.command()
def migrate() -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    from app.core.config import get_settings

    run_migrations()
    typer.echo(f"migrated {get_settings().database_url}")


@cli.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="login name")],
    password: Annotated[str, typer.Option(
        help="a passphrase of several unrelated words (8 characters or more, hard to guess)")],
    role: Annotated[str, typer.Option(help="admin | prime_manager | provider_user | reviewer")],
    org: Annotated[int | None, typer.Option(help="organisation id (not for admins)")] = None,
) -> None:
    """Create a user and print its id."""
    from pydantic import ValidationError

    from app.auth.schemas import UserCreate
    from app.auth.service import create_user as create
    from app.core.db import get_write_sessionmaker
    from app.core.errors import DomainError

    try:
        payload = UserCreate(username=username, password=password, role=role,  # type: ignore[arg-type]
                             organisation_id=org)
        with get_write_sessionmaker()() as session:
            user = create(session, None, payload)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    typer.echo(user.id)


def _fail(detail: str) -> "typer.Exit":
    typer.echo(detail, err=True)
    return typer.Exit(2)


@cli.command("users")
def users(
    inactive: Annotated[bool, typer.Option("--inactive", help="deactivated users only")] = False,
) -> None:
    """List the users: id, username, role, organisation, active or deactivated."""
    from app.auth.schemas import UserFilters
    from app.auth.service import list_users
    from app.core.db import get_sessionmaker
    from app.core.pagination import MAX_LIMIT, PageParams

    filters = UserFilters(is_active=False if inactive else None)
    with get_sessionmaker()() as session:
        cursor: str | None = None
        while True:
            rows, cursor = list_users(session, None, PageParams(limit=MAX_LIMIT, cursor=cursor),
                                      filters)
            for user in rows:
                typer.echo(f"{user.id}\t{user.username}\t{user.role}\t"
                           f"{user.organisation_id if user.organisation_id else '-'}\t"
                           f"{'active' if user.is_active else 'deactivated'}")
            if cursor is None:
                break


def _user_id(session: "Session", username: str) -> int:
    from app.auth.service import find_user

    user = find_user(session, username)
    if user is None:
        raise _fail(f"username: no user '{username.strip().lower()}'")
    return user.id


@cli.command("deactivate-user")
def deactivate_user(
    username: Annotated[str, typer.Option(help="login name")],
    reason: Annotated[str | None, typer.Option(help="kept in the audit log")] = None,
) -> None:
    """Deactivate a user at once: sessions and the API keys it created are revoked."""
    from app.auth.service import deactivate_user as deactivate
    from app.core.db import get_write_sessionmaker
    from app.core.errors import DomainError

    with get_write_sessionmaker()() as session:
        try:
            user = deactivate(session, None, _user_id(session, username), reason)
        except DomainError as exc:
            raise _fail(exc.detail) from exc
    typer.echo(f"deactivated {user.username} (user {user.id})")


@cli.command("reactivate-user")
def reactivate_user(username: Annotated[str, typer.Option(help="login name")]) -> None:
    """Let a deactivated user sign in again (revoked sessions and keys stay revoked)."""
    from app.auth.service import reactivate_user as reactivate
    from app.core.db import get_write_sessionmaker
    from app.core.errors import DomainError

    with get_write_sessionmaker()() as session:
        try:
            user = reactivate(session, None, _user_id(session, username))
        except DomainError as exc:
            raise _fail(exc.detail) from exc
    typer.echo(f"reactivated {user.username} (user {user.id})")


@cli.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Option(help="login name")],
    password: Annotated[str, typer.Option(
        help="a passphrase of several unrelated words (8 characters or more, hard to guess)")],
) -> None:
    """Set a user's password; every session of the user is signed out."""
    from app.auth.service import reset_password as reset
    from app.core.db import get_write_sessionmaker
    from app.core.errors import DomainError

    if not 8 <= len(password) <= 256:
        raise _fail("password: 8 to 256 characters")
    with get_write_sessionmaker()() as session:
        try:
            reset(session, None, _user_id(session, username), password)
        except DomainError as exc:
            raise _fail(exc.detail) from exc
    typer.echo(f"password of {username.strip().lower()} reset; its sessions are signed out")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Serve the API (/api/v1), the dashboard (/dashboard/) and the OpenAPI docs (/docs)."""
    import uvicorn

    from app.core.logs import logging_config

    # JSON lines with the request id (LOG_FORMAT=text for people); the app logs each request
    # itself (chainboard.access), so uvicorn's own access log is off. proxy_headers=False:
    # uvicorn would otherwise take the client from X-Forwarded-For of any local peer; the app
    # decides who the client is in one place, against TRUSTED_PROXIES (app.core.http).
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=logging_config(), access_log=False, proxy_headers=False)


AsOfOption = Annotated[
    datetime | None,
    typer.Option("--as-of", formats=["%Y-%m-%d"], help="the data's 'today' (default: today)"),
]


def _as_of_date(as_of: datetime | None) -> date:
    from app.core.timeutil import today

    return as_of.date() if as_of is not None else today()


@cli.command()
def generate(
    participants: Annotated[int, typer.Option(min=1, help="participants referred")] = 30_000,
    seed: Annotated[int, typer.Option(help="random seed: the same seed, the same data")] = 7,
    as_of: AsOfOption = None,
    out: Annotated[Path | None, typer.Option(
        help="directory to write setup.json and events.jsonl into")] = None,
    load: Annotated[bool, typer.Option("--load", help="load into DATABASE_URL")] = False,
) -> None:
    """Generate a demo Contract Package Area: write it out, load it, or both."""
    import json

    from app.demo.generator import generate_cpa
    from app.demo.progress import progress_bar

    if out is None and not load:
        typer.echo("give --out PATH, --load, or both", err=True)
        raise typer.Exit(2)
    as_of_day = _as_of_date(as_of)
    if load and as_of_day > _as_of_date(None):
        typer.echo("--as-of: after today; the service refuses events dated in the future",
                   err=True)
        raise typer.Exit(2)
    cpa = generate_cpa(participants, seed, as_of_day)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "setup.json").write_text(json.dumps(cpa.setup_document(), indent=2) + "\n")
        events = 0
        with (out / "events.jsonl").open("w") as file, \
                progress_bar(True, participants, "writing participants") as advance:
            for history in cpa.histories():
                file.writelines(json.dumps(event) + "\n" for event in history)
                events += len(history)
                advance(1)
        typer.echo(f"wrote {out / 'setup.json'} and {events} events to {out / 'events.jsonl'}")
    if load:
        _load_demo_data(cpa)


def _load_demo_data(cpa: "DemoCPA") -> None:
    from app.core.config import get_settings
    from app.core.db import get_sessionmaker
    from app.demo.loader import load_demo

    run_migrations()
    summary = load_demo(get_sessionmaker(), cpa)
    url = get_settings().database_url
    if not summary.loaded:
        typer.echo(f"contract {cpa.cpa_code} is loaded already in {url}; nothing changed")
        return
    typer.echo(f"loaded contract {summary.contract_id} ({cpa.cpa_code}) into {url}: "
               f"{summary.participants} participants, {summary.accepted} events accepted, "
               f"{summary.duplicates} duplicates, {len(summary.rejected)} rejected, "
               f"{summary.complaints} complaints")
    for rejection in summary.rejected[:10]:
        typer.echo(f"  rejected {rejection['event_id']}: {'; '.join(rejection['errors'])}",
                   err=True)


@cli.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    participants: Annotated[int, typer.Option(min=1, help="participants referred")] = 30_000,
    seed: Annotated[int, typer.Option(help="random seed: the same seed, the same data")] = 7,
) -> None:
    """Migrate, load the demo data (once), print the demo logins, and serve with the worker
    (the scheduled jobs) beside the server."""
    from app.core.db import get_engine
    from app.core.logs import configure_logging
    from app.core.timeutil import today, utcnow
    from app.demo.generator import generate_cpa
    from app.worker.jobs import JOBS
    from app.worker.runner import run_due_jobs
    from app.worker.scheduler import make_scheduler

    cpa = generate_cpa(participants, seed, today())
    _load_demo_data(cpa)
    # The worker's first round here, so that what it logs (the demo's queued notifications,
    # the first time) comes before the logins, not after them.
    configure_logging()
    ran = run_due_jobs(get_engine(), utcnow(), JOBS)
    # Then the worker in a daemon thread of this process: Ctrl-C stops the server, then it.
    scheduler = make_scheduler(get_engine(), JOBS, background=True)
    scheduler.start()
    typer.echo(f"chainboard worker: {', '.join(job.name for job in JOBS)} "
               f"({len(ran)} ran now)")
    typer.echo(f"chainboard demo: http://{host}:{port}/dashboard/  (API docs: "
               f"http://{host}:{port}/docs)")
    for user in cpa.users:
        typer.echo(f"login: {user.username} password: {user.password} role: {user.role}")
    try:
        serve(host=host, port=port)
    finally:
        scheduler.shutdown(wait=False)


@cli.command("complaints-sweep")
def complaints_sweep() -> None:
    """Record and notify complaint SLA breaches (run it on a schedule, e.g. hourly)."""
    from app.complaints.service import sweep_breaches
    from app.core.db import get_write_sessionmaker

    with get_write_sessionmaker()() as session:
        found = sweep_breaches(session)
    for complaint_id, breach in found:
        typer.echo(f"complaint {complaint_id}: {breach} SLA breached")
    typer.echo(f"{len(found)} new SLA breach(es) recorded")


@cli.command("send-notifications")
def send_notifications(
    limit: Annotated[int, typer.Option(min=1, help="at most this many per run")] = 500,
) -> None:
    """Deliver queued notifications: by SMTP when SMTP_HOST is set, else to the log."""
    import logging

    from app.complaints.notifications import send_pending
    from app.core.config import get_settings
    from app.core.db import get_write_sessionmaker

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with get_write_sessionmaker()() as session:
        report = send_pending(session, get_settings(), limit)
    typer.echo(f"{report.emailed} e-mailed, {report.logged} logged, {report.failed} failed")
    if report.failed:
        raise typer.Exit(1)


@cli.command("notification-address")
def notification_address(
    org: Annotated[int, typer.Option(help="organisation id")],
    email: Annotated[str, typer.Option(help="where its notifications are e-mailed")],
) -> None:
    """Set the address an organisation's notifications are e-mailed to."""
    from email.headerregistry import Address

    from app.complaints.notifications import set_notification_address
    from app.core.db import get_write_sessionmaker
    from app.models import Organisation

    try:
        Address(addr_spec=email.strip())
    except (ValueError, IndexError) as exc:
        typer.echo(f"email: not an e-mail address: {email!r}", err=True)
        raise typer.Exit(2) from exc
    with get_write_sessionmaker()() as session:
        if session.get(Organisation, org) is None:
            typer.echo(f"org: organisation {org} does not exist", err=True)
            raise typer.Exit(2)
        set_notification_address(session, org, email.strip())
    typer.echo(f"notifications for organisation {org} go to {email.strip()}")
@cli.command("recompute-flags")
def recompute_flags_command(
    contract_id: Annotated[int | None, typer.Option(
        "--contract-id", min=1, help="one contract (default: every contract)")] = None,
    stale_only: Annotated[bool, typer.Option(
        "--stale-only", help="only contracts whose data changed since their last run")] = False,
) -> None:
    """Recompute the compliance flags (run it on a schedule, e.g. nightly: deadlines and
    windows move with the calendar even when no data changes)."""
    from app.compliance.service import recompute_all, recompute_stale
    from app.core.db import get_sessionmaker
    from app.core.errors import DomainError

    try:  # its reads stay deferred; it takes the write lock itself for each contract's writes
        with get_sessionmaker()() as session:
            results = (recompute_stale(session, [contract_id] if contract_id else None)
                       if stale_only else recompute_all(session, contract_id))
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    for result in results:
        typer.echo(f"contract {result.contract_id}: {result.raised} raised, "
                   f"{result.refreshed} still holding, {result.cleared} cleared")


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(
        "--once", help="run the jobs that are due now, then exit (for cron and tests)")] = False,
    interval: Annotated[int, typer.Option(
        min=1, help="seconds between looks at which jobs are due")] = 30,
) -> None:
    """Run the scheduled jobs (complaint SLA sweep, flag recompute, notifications), each once
    per period however many workers run: start it beside the app processes."""
    import logging
    import signal

    from app.core.db import get_engine
    from app.core.logs import configure_logging
    from app.core.timeutil import utcnow
    from app.worker.jobs import JOBS
    from app.worker.runner import run_due_jobs
    from app.worker.scheduler import make_scheduler

    if once:
        ran = run_due_jobs(get_engine(), utcnow(), JOBS)
        for run in ran:
            typer.echo(f"{run.job}: {run.outcome}: {run.detail}")
        typer.echo(f"{len(ran)} job(s) ran")
        if any(run.outcome == "failed" for run in ran):
            raise typer.Exit(1)
        return
    configure_logging()
    scheduler = make_scheduler(get_engine(), JOBS, interval_seconds=interval)
    # Ctrl-C, or the SIGTERM of `docker compose stop`: no new runs; a running job finishes
    # (the executor's threads are joined at exit) and records its outcome.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: scheduler.shutdown(wait=False))
    logging.getLogger("chainboard.worker").info(
        "worker started: %s, every %d s", ", ".join(job.name for job in JOBS), interval)
    scheduler.start()


def main() -> None:
    cli()
