"""The glossary is the one source of what the dashboard's figures mean: every figure column of
every grid carries its term's words as the header tooltip, every headline figure has its "i"
with the same words and a link to the glossary page, which lists every term at its slug."""

import ast
import re
from pathlib import Path
from typing import Any

import dash_bootstrap_components as dbc
import pytest
from dash import html
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.glossary import GLOSSARY, TERMS, alphabetical, term
from dashboard.components.explain import GLOSSARY_PATH
from tests.dashboard.test_fair_pages import by_id, components, page_module
from tests.world import ADMIN, World

PAGES_DIR = Path(__file__).resolve().parents[2] / "dashboard" / "pages"
# Number columns that are no figure: the line of an uploaded file a rejection is about.
NOT_FIGURES = {("upload", "line")}
# Columns of words that still name a figure or a state the glossary explains.
EXPLAINED_WORDS = {("league", "rag_display"), ("league", "high_outlier_display"),
                   ("league", "sector"), ("risk_model", "odds_ratio_text"),
                   ("milestones", "status"), ("milestones", "milestone"),
                   ("compliance", "severity_display"), ("compliance", "status_display")}
MEANINGS = {t.meaning: t.slug for t in TERMS}


def column_sets() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(page, function, columns) for every `*columns` function of every page module."""
    found = []
    for path in sorted(PAGES_DIR.glob("*.py")):
        module = page_module(path.stem) if path.stem != "__init__" else None
        if module is None:
            continue
        for name in dir(module):
            if name.endswith("columns") and callable(getattr(module, name)):
                found.append((path.stem, name, getattr(module, name)()))
    return found


def test_every_grid_takes_its_columns_from_a_columns_function() -> None:
    """So the walk below sees every grid: a grid built from a list written in place would
    escape it."""
    def from_columns_function(node: ast.expr) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id.endswith("columns"))

    for path in PAGES_DIR.glob("*.py"):
        calls = [node for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
        for call in calls:
            if call.func.id == "grid":  # type: ignore[attr-defined]
                columns = call.args[2]
                if isinstance(columns, ast.Attribute) and columns.attr == "columns":
                    # The grid state's columns (sort from the URL): grid_state(query, <these>)
                    states = [c for c in calls if c.func.id == "grid_state"]  # type: ignore[attr-defined]
                    assert states and all(from_columns_function(c.args[1]) for c in states), (
                        path.name, call.lineno)
                    continue
                assert from_columns_function(columns), (path.name, call.lineno)


def test_every_figure_column_has_its_glossary_words_as_header_tooltip() -> None:
    sets = column_sets()
    assert {page for page, _, _ in sets} >= {"league", "risk_model", "milestones",
                                              "compliance", "upload"}
    checked = set()
    for page, function, columns in sets:
        for column in columns:
            key = (page, column["field"])
            figure = column.get("type") == "numericColumn" and key not in NOT_FIGURES
            if figure or key in EXPLAINED_WORDS:
                tooltip = column.get("headerTooltip")
                assert tooltip in MEANINGS, (page, function, column["field"], tooltip)
                checked.add(key)
    assert checked >= EXPLAINED_WORDS
    assert len(checked) >= 40


def test_a_figure_column_header_is_its_terms_title_unless_worded_for_its_table() -> None:
    league = page_module("league")
    by_field = {c["field"]: c for c in league.columns()}
    assert by_field["rate"]["headerName"] == term("outcome-rate").title
    assert by_field["rate"]["headerTooltip"] == term("outcome-rate").meaning
    assert by_field["ci_low"]["headerName"] == "95% CI low"
    assert by_field["ci_low"]["headerTooltip"] == term("confidence-interval").meaning


def test_the_terms_are_plain_and_stable() -> None:
    assert len(GLOSSARY) == len(TERMS)
    assert len({t.title.casefold() for t in TERMS}) == len(TERMS)
    for t in TERMS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", t.slug), t.slug
        assert t.meaning.endswith(".") and len(t.meaning.split()) <= 70, t.slug
        assert t.worked_out is None or t.worked_out.endswith("."), t.slug
    for needed in ("referrals", "referral-share", "contracted-share", "eligible", "job-starts",
                   "job-outcomes", "outcome-rate", "pooled-rate", "expected-outcomes",
                   "performance-index", "adjusted-rate", "confidence-interval",
                   "funnel-limits", "overdispersed-limits", "shrunk-pi", "raw-rank",
                   "adjusted-rank", "rag", "rag-basis", "high-outlier", "check-compliance",
                   "data-timeliness", "payments-earned", "forecast", "national-rate",
                   "horizon", "as-of-date", "referral-period", "overdue-check",
                   "compliance-flag", "complaint-states", "c-statistic", "calibration",
                   "odds-ratio", "cohort-life-table", "sustainment"):
        assert needed in GLOSSARY, needed


def explained_cards(tree: Any) -> list[tuple[Any, str]]:
    """Every card of a page, with the glossary slug its "i" links to ('' when none)."""
    found = []
    for card in components(tree):
        if not isinstance(card, dbc.Card):
            continue
        links: list[Any] = [c for c in components(card) if isinstance(c, html.A)
                            and getattr(c, "className", "") == "what-is"]
        slug = links[0].href.removeprefix(f"{GLOSSARY_PATH}#") if links else ""
        tips = [c for c in components(card) if getattr(c, "role", None) == "tooltip"]
        if slug:
            assert [tip.children for tip in tips] == [term(slug).meaning], slug
            assert getattr(links[0], "aria-label") == f"What is {term(slug).title}? Glossary"
        found.append((card, slug))
    return found


@pytest.mark.parametrize("role", ["admin", "provider_user"])
def test_every_overview_tile_and_provider_figure_explains_itself(
        db: Session, world: World, role: str) -> None:
    principal = ADMIN if role == "admin" else Principal(role="provider_user",
                                                        organisation_id=world.s1)
    overview = page_module("overview").render(db, principal,
                                              {"contract": str(world.contract_a)})
    cards = explained_cards(overview)
    assert len(cards) >= 8 and all(slug for _, slug in cards), cards
    assert by_id(overview, "tile-rate-what").href.endswith(
        "#outcome-rate" if role == "provider_user" else "#pooled-rate")
    provider = page_module("provider").render(
        db, principal, {"provider_id": str(world.s1), "contract": str(world.contract_a)})
    cards = explained_cards(provider)
    assert len(cards) == 8 and all(slug for _, slug in cards), cards


def test_the_glossary_page_lists_every_term_alphabetically_at_its_slug(
        db: Session) -> None:
    tree = page_module("glossary").render(db, ADMIN, {})
    entries = [c for c in components(tree) if getattr(c, "className", "")
               and "glossary-entry" in c.className]
    assert [e.id for e in entries] == [t.slug for t in alphabetical()]
    assert [e.id for e in entries] != [t.slug for t in TERMS]  # sorted, not as written
    for entry in entries:
        assert term(entry.id).meaning in [getattr(c, "children", None)
                                          for c in components(entry)]
