"""The `chainboard` command: migrate, create-user, serve, generate, demo."""

from pathlib import Path
from typing import Annotated

import typer

cli = typer.Typer(help="chainboard: supply-chain performance management", no_args_is_help=True,
                  add_completion=False)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    password: Annotated[str, typer.Option(help="password (8 characters or more)")],
    role: Annotated[str, typer.Option(help="admin | prime_manager | provider_user | reviewer")],
    org: Annotated[int | None, typer.Option(help="organisation id (not for admins)")] = None,
) -> None:
    """Create a user and print its id."""
    from pydantic import ValidationError

    from app.auth.schemas import UserCreate
    from app.auth.service import create_user as create
    from app.core.db import get_sessionmaker
    from app.core.errors import DomainError

    try:
        payload = UserCreate(username=username, password=password, role=role,  # type: ignore[arg-type]
                             organisation_id=org)
        with get_sessionmaker()() as session:
            user = create(session, None, payload)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from exc
    typer.echo(user.id)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API (/api/v1), the dashboard (/dashboard/) and the OpenAPI docs (/docs)."""
    import uvicorn

    from app.main import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def main() -> None:
    cli()
