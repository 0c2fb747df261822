"""On the demo supply chain, fair ranking changes the specialist's place (issue: a
specialist charity with the hardest case mix comes bottom on raw rates, not once adjusted)."""

from app.core.db import get_sessionmaker
from app.core.timeutil import today
from app.demo.generator import generate_cpa
from app.demo.loader import load_demo
from app.models import Contract
from app.performance.schemas import LeagueRowOut
from app.performance.service import league_table
from app.supply_chain.defaults import DEFAULT_RISK_COVARIATES
from tests.world import ADMIN


def test_the_specialists_raw_and_adjusted_ranks_differ(db):
    cpa = generate_cpa(6000, 7, today())
    summary = load_demo(get_sessionmaker(), cpa, progress=False)
    assert summary.rejected == []
    specialist = next(o for o in cpa.organisations if o.key == cpa.specialist_key)

    table = league_table(db, ADMIN, summary.contract_id)
    row = next(r for r in table.rows if r.provider_name == specialist.name)
    ranked = [r for r in table.rows if r.rank is not None]
    assert row.rank is not None and len(ranked) >= 6
    assert row.raw_rank == len(ranked)  # bottom on raw outcome rates ...
    assert row.rank < row.raw_rank  # ... but not once its case mix is allowed for
    assert row.performance_index is not None and row.performance_index > 1
    assert row.rate is not None and table.pooled_rate is not None
    assert row.rate < table.pooled_rate


def test_characteristics_move_the_specialist_and_overdispersion_does_not_flag_it(db):
    """Issue 14: with the demo's characteristics in the risk model the specialist's adjusted
    rank differs from its payment-group-only one, and its RAG under overdispersion is not
    red; on the demo of any day (its draws depend on the as-of date)."""
    story_day = today()
    cpa = generate_cpa(6000, 7, story_day)
    summary = load_demo(get_sessionmaker(), cpa, progress=False)
    specialist = next(o for o in cpa.organisations if o.key == cpa.specialist_key)

    def specialist_row(covariates: list[str]) -> LeagueRowOut:
        contract = db.get_one(Contract, summary.contract_id)
        contract.settings = {**contract.settings, "risk_covariates": covariates}
        db.commit()
        table = league_table(db, ADMIN, summary.contract_id, as_of=story_day)
        assert table.risk_model.covariates[1:] == covariates
        return next(r for r in table.rows if r.provider_name == specialist.name)

    with_characteristics = specialist_row(list(DEFAULT_RISK_COVARIATES))
    group_only = specialist_row([])
    assert with_characteristics.rank is not None and group_only.rank is not None
    assert with_characteristics.rank != group_only.rank
    assert with_characteristics.rag_od is not None and with_characteristics.rag_od != "red"
