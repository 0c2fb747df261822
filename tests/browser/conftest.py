"""Browser tests: a real chainboard server (uvicorn, in a thread of the test process, on a
free port) over the test database loaded with a small generated CPA (app.demo), driven by
headless Chromium through Playwright. Deselect locally with `-m "not browser"`; `make test`
runs them on both backends.

Debian's chromium is used (Playwright's own browser download is not available everywhere):
`apt-get install chromium`, which .ci/run does when /usr/bin/chromium is missing."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.timeutil import today
from app.demo.generator import DemoCPA, generate_cpa
from app.demo.loader import load_demo
from app.models import Organisation
from tests.conftest import _empty_all_tables

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PARTICIPANTS = 900  # enough for most providers to pass min_n; loads in seconds


@dataclass
class Demo:
    base: str  # http://127.0.0.1:<port>
    cpa: DemoCPA
    contract_id: int
    org_ids: dict[str, int]  # slug -> database id

    def password(self, username: str) -> str:
        return next(u.password for u in self.cpa.users if u.username == username)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="package")
def demo(engine: Engine) -> Iterator[Demo]:
    from app.core.db import get_sessionmaker
    from app.main import create_app

    _empty_all_tables(engine)
    cpa = generate_cpa(PARTICIPANTS, seed=11, as_of=today())
    summary = load_demo(get_sessionmaker(), cpa, progress=False)
    assert not summary.rejected, summary.rejected[:3]
    with Session(engine) as session:
        names = dict(session.execute(select(Organisation.name, Organisation.id)).all())
    org_ids = {org.slug: names[org.name] for org in cpa.organisations}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start within 30 s"
        time.sleep(0.05)
    try:
        yield Demo(f"http://127.0.0.1:{port}", cpa, summary.contract_id, org_ids)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _empty_all_tables(engine)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: apt-get install chromium (bash .ci/run does it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test."""
    context = browser.new_context(viewport={"width": 1440, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, demo: Demo, username: str, path: str = "") -> None:
    """Open a dashboard path signed out, get sent to the login page, sign in, come back."""
    page.goto(f"{demo.base}/dashboard/{path}")
    page.wait_for_url("**/dashboard/login?next=**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.password(username))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{demo.base}/dashboard/{path}")


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
