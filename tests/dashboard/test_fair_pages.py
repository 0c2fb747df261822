"""Issue 14 in the dashboard, on the demo supply chain: the funnel's points agree with the
limits it draws and with the league table's RAG, for every provider and both RAG bases; the
model page shows the API's report (the same numbers, anonymised the same way)."""

import math
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Contract, Organisation
from app.performance import schemas
from dashboard.app import create_dash
from tests.helpers import API
from tests.world import ADMIN, api_key


def page_module(name: str) -> Any:
    """A page's module as the Dash app loaded it (Dash imports dashboard/pages/x.py as
    `pages.x`; importing it again would register the page twice)."""
    create_dash()
    return sys.modules[f"pages.{name}"]


funnel, league, risk_model = (page_module(n) for n in ("funnel", "league", "risk_model"))


def components(tree: Any) -> Iterator[Any]:
    """Every Dash component of a layout, depth first."""
    yield tree
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from components(child)


def by_id(tree: Any, ident: str) -> Any:
    return next(c for c in components(tree) if getattr(c, "id", None) == ident)


def texts(tree: Any) -> str:
    found = []
    for c in components(tree):
        children = getattr(c, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str):
                found.append(child)
    return " ".join(found)


@pytest.fixture()
def demo(db: Session) -> tuple[int, str]:
    """The demo CPA (characteristics in the model; enough participants that its providers'
    real spread shows as phi > 1 whatever the day: 3,000 gave phi 0.78 on 2026-12-06); its
    contract id and the specialist provider's name."""
    cpa = generate_cpa(6000, 7, today())
    summary = load_demo(get_sessionmaker(), cpa, progress=False)
    assert summary.rejected == []
    specialist = next(o for o in cpa.organisations if o.key == cpa.specialist_key)
    return summary.contract_id, specialist.name


def judge(y: float, lower_95: float, lower_998: float) -> str:
    """Where a point sits against two drawn lower limits, as a RAG."""
    return "red" if y < lower_998 else "amber" if y < lower_95 else "green"


@pytest.mark.parametrize("basis", ["overdispersed", "binomial"])
def test_funnel_points_agree_with_the_drawn_limits_and_the_league_table(
        db: Session, demo: tuple[int, str], basis: str) -> None:
    contract_id, _ = demo
    contract = db.get_one(Contract, contract_id)
    contract.settings = {**contract.settings, "flag_rag_basis": basis}
    db.commit()
    query = {"contract": str(contract_id)}

    figure = by_id(funnel.render(db, ADMIN, query), "funnel-graph").figure
    grid = by_id(league.render(db, ADMIN, query), "league-grid")
    league_rag = {r["provider_id"]: r["judged_rag"] for r in grid.rowData}
    assert {r["provider_id"]: r["rag_display"] for r in grid.rowData} == {
        r["provider_id"]: f"{league.RAG[r['judged_rag']][1]} "
                          f"{(r['judged_rag'] or 'none').capitalize()}" for r in grid.rowData}
    header = next(c["headerName"] for c in league.columns(basis) if c["field"] == "rag_display")
    assert basis in header  # the league table names the limits its RAG is judged by

    curves = {(t.meta["basis"], t.meta["limit"]): t for t in figure.data
              if t.meta and "basis" in t.meta}
    assert {b for b, _ in curves} == {"overdispersed", "binomial"}  # both drawn ...
    names = {t.name for t in figure.data if t.showlegend is not False}
    assert any(n.startswith(f"{funnel.RAG_BASIS_WORDS[basis]} (the RAG's)") for n in names)
    other = "binomial" if basis == "overdispersed" else "overdispersed"
    assert any(n.startswith(funnel.RAG_BASIS_WORDS[other] + ":") for n in names)  # ... named

    checked = 0
    for trace in (t for t in figure.data if t.meta and "rag" in t.meta):
        rag = trace.meta["rag"]
        colour, _shape, symbol, meaning = funnel.RAG[rag]
        assert (trace.marker.color, trace.marker.symbol, trace.name) == (colour, symbol, meaning)
        for x, y, page, hover in zip(trace.x, trace.y, trace.customdata, trace.hovertext,
                                     strict=True):
            provider = int(page.split("/providers/")[1].split("?")[0])  # the point's page
            at = {}
            for limit in ("lower_95", "lower_998"):
                curve = curves[basis, limit]
                i = min(range(len(curve.x)), key=lambda j: abs(curve.x[j] - x))
                assert math.isclose(curve.x[i], x, rel_tol=1e-12)  # drawn at the point's X
                at[limit] = curve.y[i]
            assert judge(y, at["lower_95"], at["lower_998"]) == rag, (provider, x, y, at)
            assert league_rag[provider] == rag
            assert f"RAG: {meaning}" in hover
            checked += 1
    assessed = [r for r in grid.rowData if r["performance_index"] is not None]
    assert checked == len(assessed) >= 8
    # Every provider's upper limits are on the plot (up to PI 4), not cut off above it.
    top = figure.layout.yaxis.range[1]
    smallest = min(r["expected"] for r in assessed)
    for (_, limit), curve in curves.items():
        if limit.startswith("upper"):
            assert all(y <= top or y > funnel.UPPER_SHOWN
                       for x, y in zip(curve.x, curve.y, strict=True) if x >= smallest)


def test_the_model_page_shows_the_api_report(client: TestClient, db: Session,
                                             demo: tuple[int, str]) -> None:
    contract_id, specialist = demo
    provider_id = db.query(Organisation.id).filter(Organisation.name == specialist).scalar()
    for principal in (ADMIN, Principal(role="provider_user", organisation_id=provider_id)):
        headers = api_key(db, principal.organisation_id, principal.role)
        answer = client.get(f"{API}/contracts/{contract_id}/risk-model", headers=headers)
        assert answer.status_code == 200, answer.text
        report = schemas.RiskModelOut.model_validate(answer.json())
        page = risk_model.render(db, principal, {"contract": str(contract_id)})
        words = texts(page)

        assert f"c-statistic {report.c_statistic:.2f}" in words
        assert f"{report.n:,} eligible participants" in words
        for characteristic in report.covariates[1:]:
            assert risk_model.covariate(characteristic) in words
        coefficients = by_id(page, "risk-model-coefficients").rowData
        assert [c["term"] for c in coefficients] == [c.term for c in report.coefficients]
        for row, c in zip(coefficients, report.coefficients, strict=True):
            if c.estimate is None:
                assert row["odds_ratio_text"] == "not estimable"
            else:
                assert row["odds_ratio"] == math.exp(c.estimate)
                assert row["odds_ratio_text"].startswith(f"{math.exp(c.estimate):.2f} (")
        shown = {r["provider_name"]: r for r in by_id(page, "risk-model-providers").rowData}
        assert set(shown) == {p.provider_name for p in report.providers}
        for p in report.providers:
            row = shown[p.provider_name]
            assert (row["raw_rank"], row["rank"], row["shrunk_pi"], row["shrunk_pi_low"],
                    row["shrunk_pi_high"], row["expected"]) == (
                p.raw_rank, p.rank, p.shrunk_pi, p.shrunk_pi_low, p.shrunk_pi_high,
                p.expected)
        if principal.role == "provider_user":  # its own row named, the others anonymised
            assert specialist in shown
            assert sum(r["provider_id"] is not None for r in shown.values()) == 1
        calibration = by_id(page, "risk-model-calibration").figure.data[1]
        groups = [g for g in report.calibration if g.n]
        assert list(calibration.x) == [g.expected / g.n for g in groups]
        assert list(calibration.y) == [g.observed / g.n for g in groups]
        note = texts(by_id(page, "risk-model-shrinkage"))
        assert report.overdispersion.tau2 is not None and report.overdispersion.tau2 > 0
        assert "differ by more than chance" in note


def test_the_model_page_words_when_tau2_is_zero_or_not_estimated(
        db: Session, demo: tuple[int, str]) -> None:
    contract_id, _ = demo
    from app.performance.service import risk_model_report

    report = risk_model_report(db, ADMIN, contract_id)
    none = report.model_copy(update={"overdispersion": schemas.OverdispersionOut(
        units=12, phi=0.8, tau2=0.0)})
    note = texts(risk_model.shrinkage_note(none))
    assert "no evidence of differences between providers beyond chance" in note
    assert "equal" not in note
    unestimated = report.model_copy(update={"overdispersion": schemas.OverdispersionOut(
        units=3, phi=None, tau2=None)})
    note = texts(risk_model.shrinkage_note(unestimated))
    assert "Too few providers" in note and "not estimated" in note
    row = report.providers[0]
    assert "Allowing for chance" not in risk_model.adjustment_words(row, "no_difference")
