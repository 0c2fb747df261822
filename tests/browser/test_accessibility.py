"""WCAG 2.1 AA on every dashboard page, for every role that may open it, checked by axe-core
(from the npm registry: package.json, `make node-deps`) injected into the drawn page, in the
light theme and in the dark one that follows prefers-color-scheme.

A violation of impact serious or critical fails its test, listed with its elements; the
minor and moderate ones are counted and printed (`pytest -s`), with the elements axe could not
decide (incomplete: for a person to look at), and the whole table is written to
var/accessibility.md. A page in Dash's registry without an entry in PAGES fails the first
test, naming it."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.complaints.service import list_complaints
from app.compliance.schemas import FlagFilters
from app.compliance.service import list_flags
from app.core.pagination import PageParams
from app.models import ImprovementPlan
from tests.browser.conftest import SCREENSHOTS, Demo, sign_in
from tests.browser.test_complaints_compliance import principal_of
from tests.dashboard.test_dashboard_matrix import registered_pages

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SUMMARY = ROOT / "var" / "accessibility.md"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
# One demo user per role (app.demo.generator); SIGNED_OUT opens the page with no session.
USERS = {"admin": "admin", "prime_manager": "ridgeway.manager",
         "provider_user": "calder.staff", "reviewer": "panel.reviewer"}
SIGNED_OUT = "signed out"
ALL_ROLES = tuple(USERS)
# The records a page with an id is opened on, per role (found by the `records` fixture).
Records = dict[str, dict[str, str]]


@dataclass(frozen=True)
class A11yPage:
    """A page's URL (from the demo and the role's records) and who opens it; roles None: the
    roles of its menu entry (`nav_roles` in Dash's registry)."""
    url: Callable[[Demo, dict[str, str]], str]
    roles: tuple[str, ...] | None = None


def _plain(path: str) -> A11yPage:
    return A11yPage(lambda demo, ids: f"{path}?contract={demo.contract_id}")


PAGES: dict[str, A11yPage] = {
    "/": _plain(""),
    "/league": _plain("league"),
    "/funnel": _plain("funnel"),
    "/risk-model": _plain("risk-model"),
    "/milestones": _plain("milestones"),
    "/compliance": _plain("compliance"),
    "/complaints": _plain("complaints"),
    "/upload": _plain("upload"),
    "/users": _plain("users"),
    "/api-keys": _plain("api-keys"),
    "/organisations": _plain("organisations"),
    "/invitations": _plain("invitations"),
    "/contracts": _plain("contracts"),
    "/members": _plain("members"),
    "/payments": _plain("payments"),
    "/views": A11yPage(lambda demo, ids: "views", ALL_ROLES),
    "/glossary": A11yPage(lambda demo, ids: "glossary"),
    "/providers/<provider_id>": A11yPage(
        lambda demo, ids: f"providers/{ids['provider']}?contract={demo.contract_id}",
        ALL_ROLES),
    "/complaints/<complaint_id>": A11yPage(lambda demo, ids: f"complaints/{ids['complaint']}",
                                           ALL_ROLES),
    "/compliance/flags/<flag_id>": A11yPage(lambda demo, ids: f"compliance/flags/{ids['flag']}",
                                            ALL_ROLES),
    "/ratings": _plain("ratings"),
    "/plans": _plain("plans"),
    "/reallocations": _plain("reallocations"),
    "/specialists": _plain("specialists"),
    # The demo's plan is Aire's: the provider's staff of the test (Calder's) cannot open it;
    # a member's own view of a plan is checked in its journey (test_regime.py).
    "/plans/<plan_id>": A11yPage(lambda demo, ids: f"plans/{ids['plan']}",
                                 ("admin", "prime_manager", "reviewer")),
    "/login": A11yPage(lambda demo, ids: "login", (SIGNED_OUT,)),
    "/404": A11yPage(lambda demo, ids: "no-such-page", (SIGNED_OUT, "prime_manager")),
}


def roles_of(path: str) -> tuple[str, ...]:
    entry = PAGES[path]
    if entry.roles is not None:
        return entry.roles
    import dash

    from dashboard.app import create_dash

    create_dash()
    [page] = [p for p in dash.page_registry.values()
              if (p.get("path_template") or p["path"]) == path]
    return tuple(page.get("nav_roles", ()))


def cases() -> list[tuple[str, str]]:
    return [(path, role) for path in PAGES for role in roles_of(path)]


# docs/screenshots/page-<module>.png: every page, light, as the first of these roles that may
# open it (the README's gallery; tests/dashboard/test_readme_gallery.py keeps it whole).
GALLERY_ROLES = ("prime_manager", "admin", "provider_user", "reviewer", SIGNED_OUT)


def gallery_shot(path: str, role: str) -> Path | None:
    """Where this page's screenshot goes when `role` is the one it is taken as, else None."""
    roles = roles_of(path)
    if next(r for r in GALLERY_ROLES if r in roles) != role:
        return None
    return SCREENSHOTS / gallery_name(path)


def gallery_name(path: str) -> str:
    import dash

    from dashboard.app import create_dash

    create_dash()
    [page] = [p for p in dash.page_registry.values()
              if (p.get("path_template") or p["path"]) == path]
    return f"page-{page['module'].split('.')[-1].replace('_', '-')}.png"


def test_every_page_is_checked() -> None:
    assert registered_pages() - set(PAGES) == set(), "a page without an entry in PAGES"
    assert set(PAGES) - registered_pages() == set()


@pytest.fixture(scope="module")
def records(demo: Demo, engine: Engine) -> Records:
    """For each role, a provider, a complaint and a compliance flag it may open."""
    found: Records = {}
    for role, username in USERS.items():
        principal = principal_of(engine, username)
        with Session(engine) as session:
            complaints, _ = list_complaints(session, principal, PageParams(limit=1000))
            flags, _ = list_flags(session, principal, FlagFilters(), PageParams(limit=1000))
        assert complaints and flags, (role, len(complaints), len(flags))
        with Session(engine) as session:
            plan = session.scalar(select(ImprovementPlan.public_id).limit(1))
        found[role] = {"provider": str(demo.org_ids["calder"]), "complaint": complaints[0].id,
                       "flag": flags[0].id, "plan": plan or ""}
    return found


@pytest.fixture(scope="module")
def sessions(browser: Any, demo: Demo) -> dict[str, Any]:
    """Signed-in browser states, one per user, made once (signing in is not what is checked)."""
    states: dict[str, Any] = {}
    for username in USERS.values():
        context = browser.new_context()
        try:
            sign_in(context.new_page(), demo, username)
            states[username] = context.storage_state()
        finally:
            context.close()
    return states


@pytest.fixture(scope="module")
def summary() -> Iterator[list[tuple[str, str, str, int, int, int]]]:
    """(page, role, scheme, serious or critical, others, incomplete) elements of every check;
    printed and written to var/accessibility.md when the module's tests are done."""
    rows: list[tuple[str, str, str, int, int, int]] = []
    yield rows
    if not rows:
        return
    lines = ["| page | role | scheme | serious or critical | others (minor, moderate) "
             "| incomplete (to review) |", "| --- | --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {' | '.join(str(cell) for cell in row)} |" for row in rows]
    table = "\n".join(lines)
    print(f"\naxe-core {', '.join(WCAG_21_AA)}:\n{table}")
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(f"# axe-core on every page and role ({', '.join(WCAG_21_AA)})\n\n"
                       f"{table}\n", encoding="utf-8")


DRAWN = """() => {
    const content = document.querySelector('#_pages_content');
    if (!content || !content.children.length) return false;
    if (document.querySelector('[data-dash-is-loading="true"], ._dash-loading-callback'))
        return false;
    for (const graph of document.querySelectorAll('.dash-graph')) {
        if (!graph.querySelector('.main-svg')) return false;
    }
    for (const grid of document.querySelectorAll('.ag-root-wrapper')) {
        if (!grid.querySelector('.ag-row, .ag-overlay-no-rows-center, .ag-overlay-no-rows-wrapper'))
            return false;
    }
    return true;
}"""


def wait_drawn(page: Any) -> None:
    """Until the page's layout, its figures and its grids are drawn and the DOM holds still."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(DRAWN, polling=100)
    size = -1
    for _ in range(40):  # still for 300 ms, within 12 s
        now = page.evaluate("() => document.body.innerHTML.length")
        if now == size:
            break
        size = now
        page.wait_for_timeout(300)


def run_axe(page: Any) -> dict[str, Any]:
    """axe's violations and incomplete results (passes and inapplicable left out)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations', 'incomplete']}).then(r => (
                                      {violations: r.violations, incomplete: r.incomplete}))""",
        WCAG_21_AA)
    return result


def described(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {json.dumps(node['target'])} {summary[:240]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize(("path", "role"), cases())
def test_no_serious_or_critical_wcag_violation(
        browser: Any, demo: Demo, records: Records, sessions: dict[str, Any],
        summary: list[tuple[str, str, str, int, int, int]], path: str, role: str) -> None:
    assert AXE.exists(), f"{AXE} is missing: npm ci (make node-deps; make test does it)"
    url = PAGES[path].url(demo, records.get(role, {}))
    state = None if role == SIGNED_OUT else sessions[USERS[role]]
    # bypass_csp: the page's Content-Security-Policy would refuse axe's injected script.
    context = browser.new_context(viewport={"width": 1440, "height": 900},
                                  color_scheme="light", storage_state=state, bypass_csp=True)
    context.set_default_timeout(30_000)
    failures = []
    try:
        page = context.new_page()
        page.goto(f"{demo.base}/dashboard/{url}")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.wait_for_function(  # theme.js follows the browser's setting
                "scheme => document.documentElement.dataset.bsTheme === scheme",
                arg=scheme, polling=100)
            wait_drawn(page)
            result = run_axe(page)
            violations = result["violations"]
            undecided = sum(len(v["nodes"]) for v in result["incomplete"])
            blocking = [v for v in violations if v["impact"] in BLOCKING]
            others = sum(len(v["nodes"]) for v in violations if v["impact"] not in BLOCKING)
            summary.append((path, role, scheme, sum(len(v["nodes"]) for v in blocking),
                            others, undecided))
            print(f"\n{path} as {role}, {scheme}: {len(blocking)} serious or critical rules, "
                  f"{others} minor or moderate elements, {undecided} for a person to review "
                  f"({', '.join(sorted({v['id'] for v in result['incomplete']}))})")
            if blocking:
                failures.append(f"{scheme} ({page.url}):\n{described(blocking)}")
            shot = gallery_shot(path, role)
            if scheme == "light" and shot is not None:
                page.screenshot(path=str(shot))
    finally:
        context.close()
    assert not failures, "\n".join(failures)
