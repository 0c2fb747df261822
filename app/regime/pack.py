"""The review pack (DOMAIN.md section 11): one PDF per member and quarter for the performance
review meeting, from the records the meeting discusses: the published rating (adjusted
beside raw, with the words that explain the difference), the funnel, the trend of published
ratings against the member's limits (a control chart), the cohort curve, checks, timeliness,
payments, flags, and the improvement plan with its progress.

Charts are drawn by matplotlib (static, no browser) and laid out with fpdf2 (pure Python, no
system libraries); docs/decisions.md says why. Every figure comes from the function that
computes it elsewhere: the publication, `review.review_status`, `service.cohorts`, the flag
list and `plans.plan_out`. The reader's scope applies throughout: a member reading its own
pack sees the other providers as anonymous points.
"""

import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.compliance.schemas import FlagFilters
from app.compliance.service import list_flags
from app.core.errors import NotFound
from app.core.glossary import term
from app.core.pagination import PageParams
from app.models import ImprovementPlan, Membership, Organisation
from app.performance import ratings, review, service
from app.performance import schemas as performance_schemas
from app.performance.dates import add_months
from app.regime import plans, schemas
from app.specialists import service as specialists
from app.supply_chain.service import get_contract

matplotlib.use("Agg")  # no display: figures straight to PNG bytes
from matplotlib import pyplot  # noqa: E402  (after choosing the backend)

FONT = f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf"
FONT_BOLD = f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans-Bold.ttf"
# Okabe-Ito, as the dashboard's charts: the member in vermillion, others in grey.
MEMBER_COLOUR, OTHERS_COLOUR, LIMIT_COLOUR, MINIMUM_COLOUR = (
    "#D55E00", "#999999", "#0072B2", "#009E73")
Z95, Z998 = 1.959964, 3.090232
LABEL_WIDTH = 88  # mm: the longest label of the pack's tables on one line


@dataclass(frozen=True)
class PackData:
    contract_name: str
    member_name: str
    quarter: str
    rating: performance_schemas.RatingOut
    row: performance_schemas.LeagueRowOut
    status: performance_schemas.MemberReviewOut | None
    history: list[ratings.RatingPoint]
    cohorts: performance_schemas.CohortsOut
    flags: list[tuple[str, str, str]]  # rule, status, summary
    plan: schemas.PlanOut | None
    # DOMAIN.md section 12, for the quarter reviewed: specialist help bought and received,
    # and distance travelled (never part of the rating).
    specialist_help: list[tuple[str, str]]
    progress: list[tuple[str, str]]


def gather(session: Session, principal: Principal, contract_id: int, provider_id: int,
           quarter: str) -> PackData:
    """Everything the pack shows, each through the service the rest of chainboard uses."""
    contract = get_contract(session, principal, contract_id)
    service.check_provider(session, principal, contract, provider_id)
    in_force = ratings.in_force(session, principal, contract_id)
    rating = next((r for r in in_force if r.quarter == quarter), None)
    if rating is None:
        raise NotFound(f"quarter {quarter} of contract {contract_id} is not published")
    row = next((r for r in rating.table.rows if r.provider_id == provider_id), None)
    if row is None:
        raise NotFound(f"provider {provider_id} is not in {quarter}'s rating")
    statuses = review.review_status(session, principal, contract_id, quarter).rows
    flags, _ = list_flags(session, principal, FlagFilters(contract_id=contract_id,
                                                          subject_org_id=provider_id),
                          PageParams(limit=1000))
    plan_id = session.scalar(select(ImprovementPlan.public_id).where(
        ImprovementPlan.contract_id == contract_id, ImprovementPlan.provider_id == provider_id)
        .order_by(ImprovementPlan.id.desc()).limit(1))
    name = session.scalar(select(Organisation.name).where(Organisation.id == provider_id))
    return PackData(
        contract_name=f"{contract.cpa_code} {contract.cpa_name}", member_name=name or "",
        quarter=quarter, rating=rating, row=row,
        status=next((s for s in statuses if s.provider_id == provider_id), None),
        history=ratings.rating_history(in_force, provider_id, up_to=quarter),
        cohorts=service.cohorts(session, principal, contract_id, provider_id=provider_id,
                                as_of=rating.as_of),
        flags=[(f.rule, f.status, f.summary) for f in flags],
        plan=plans.get_plan(session, principal, plan_id) if plan_id else None,
        specialist_help=specialist_help(session, principal, contract_id, provider_id, quarter),
        progress=[(f"{r.area.replace('_', ' ').capitalize()} ({r.participants} "
                   f"{'person' if r.participants == 1 else 'people'})",
                   f"{r.mean_change:+.2f}" + (f" (95% interval {r.ci_low:+.2f} to "
                                              f"{r.ci_high:+.2f})"
                                              if r.ci_low is not None and r.ci_high is not None
                                              else ""))
                  for r in specialists.progress(session, principal, contract_id,
                                                provider_id=provider_id).rows])


def specialist_help(session: Session, principal: Principal, contract_id: int,
                    provider_id: int, quarter: str) -> list[tuple[str, str]]:
    """The member's specialist referrals made and received in the quarter reviewed, with
    the figures of `specialists.specialist_usage` (the Specialists page's)."""
    first = ratings.quarter_start(quarter)
    usage = specialists.specialist_usage(session, principal, contract_id, period_from=first,
                                         period_to=add_months(first, 3) - timedelta(days=1))
    facts = []
    made = next((p for p in usage.providers if p.provider_id == provider_id), None)
    if made is not None and made.referrals:
        facts.append(("Referred to specialists", f"{made.referrals} to {made.specialists} "
                      f"specialist(s); {made.completed} completed; fees owed "
                      f"£{made.fees_owed:,.2f}"))
    received = next((s for s in usage.specialists if s.specialist_id == provider_id), None)
    if received is not None:
        facts.append(("Referred to it as a specialist",
                      f"{received.referrals} from {received.providers} provider(s); "
                      f"completion rate {_pct(received.completion_rate)}; fees owed "
                      f"£{received.fees_owed:,.2f}"))
    return facts


# -- charts ------------------------------------------------------------------------------------
def _png(figure: "pyplot.Figure") -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    pyplot.close(figure)
    return buffer.getvalue()


def funnel_chart(data: PackData) -> bytes:
    """Performance index against expected outcomes, with the overdispersed 95% and 99.8%
    limits around 1 drawn with s^2 = (1 - pooled rate) / X + tau2 (the rows' own limits use
    each provider's exact variance: docs/metrics.md)."""
    table = data.rating.table
    points = [(r.expected, r.performance_index, r.provider_id == data.row.provider_id)
              for r in table.rows if r.performance_index is not None and r.expected > 0]
    figure, axes = pyplot.subplots(figsize=(7.5, 4.2))
    top = max((x for x, _, _ in points), default=10.0) * 1.1
    xs = [top * i / 200 for i in range(2, 201)]
    pooled = table.pooled_rate or 0.0
    tau2 = table.overdispersion.tau2 or 0.0
    for z, style in ((Z95, "--"), (Z998, ":")):
        spread = [z * math.sqrt((1 - pooled) / x + tau2) for x in xs]
        axes.plot(xs, [math.exp(s) for s in spread], style, color=LIMIT_COLOUR, linewidth=1,
                  label=f"{'95%' if z == Z95 else '99.8%'} limits")
        axes.plot(xs, [math.exp(-s) for s in spread], style, color=LIMIT_COLOUR, linewidth=1)
    axes.axhline(1.0, color="black", linewidth=0.8)
    others = [(x, y) for x, y, mine in points if not mine]
    axes.scatter([x for x, _ in others], [y for _, y in others], color=OTHERS_COLOUR, s=30,
                 label="other providers")
    mine = [(x, y) for x, y, is_mine in points if is_mine]
    axes.scatter([x for x, _ in mine], [y for _, y in mine], color=MEMBER_COLOUR, s=70,
                 marker="D", label=data.member_name, zorder=3)
    axes.set_xlabel("Expected job outcomes (the risk model's X)")
    axes.set_ylabel("Performance index (outcomes / expected)")
    axes.set_ylim(0, max([2.0, *(y * 1.1 for _, y, _ in points)]))
    axes.legend(fontsize=8, loc="upper right")
    axes.set_title(f"Funnel plot, {data.quarter}", fontsize=11)
    return _png(figure)


def trend_chart(data: PackData) -> bytes:
    """Each published quarter's performance index with its overdispersed limits around 1,
    and the member's minimum: a control chart of the published ratings."""
    figure, axes = pyplot.subplots(figsize=(7.5, 3.6))
    quarters = [p.quarter for p in data.history]
    xs = list(range(len(quarters)))
    for attribute_low, attribute_high, alpha, label in (
            ("lower_998", "upper_998", 0.12, "99.8% limits"),
            ("lower_95", "upper_95", 0.22, "95% limits")):
        lows = [getattr(p, attribute_low) for p in data.history]
        highs = [getattr(p, attribute_high) for p in data.history]
        known = [i for i in xs if lows[i] is not None and highs[i] is not None]
        axes.fill_between([xs[i] for i in known], [lows[i] for i in known],
                          [highs[i] for i in known], color=LIMIT_COLOUR, alpha=alpha,
                          label=label, step="mid")
    values = [p.performance_index for p in data.history]
    axes.plot([x for x, v in zip(xs, values, strict=True) if v is not None],
              [v for v in values if v is not None], "-o", color=MEMBER_COLOUR,
              label="performance index")
    if data.status is not None:
        axes.axhline(data.status.minimum, color=MINIMUM_COLOUR, linestyle="--",
                     label=f"minimum {data.status.minimum:.2f}")
    axes.set_xticks(xs, quarters)
    axes.set_ylabel("Performance index")
    axes.legend(fontsize=8, loc="upper left")
    axes.set_title("Published ratings, quarter by quarter", fontsize=11)
    return _png(figure)


def cohort_chart(data: PackData) -> bytes:
    """The member's cumulative job-outcome rate by months since referral (life table)
    beside the contract's."""
    figure, axes = pyplot.subplots(figsize=(7.5, 3.4))
    for points, colour, label in (
            (data.cohorts.life_table, MEMBER_COLOUR, data.member_name),
            (data.cohorts.contract_life_table or [], OTHERS_COLOUR, "whole contract")):
        known = [(p.month_since_referral, p.rate) for p in points if p.rate is not None]
        axes.plot([month for month, _ in known], [rate for _, rate in known], "-",
                  color=colour, label=label, linewidth=2)
    axes.set_xlabel("Months since referral")
    axes.set_ylabel("Job-outcome rate")
    axes.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.legend(fontsize=8)
    axes.set_title(f"Cohort curve as of {data.rating.as_of:%d %b %Y}", fontsize=11)
    return _png(figure)


# -- the document ------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _day(value: date | None) -> str:
    return "–" if value is None else f"{value.day} {value:%b %Y}"


class _Pack(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_text = title
        self.add_font("DejaVu", fname=FONT)
        self.add_font("DejaVu", style="B", fname=FONT_BOLD)
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 8, f"{self.title_text} · page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.set_font("DejaVu", "B", 13)
        self.ln(2)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", size=10)

    def words(self, text: str) -> None:
        self.set_font("DejaVu", size=10)
        self.multi_cell(0, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def facts(self, rows: list[tuple[str, str]]) -> None:
        self.set_font("DejaVu", size=10)
        for label, value in rows:
            self.set_font("DejaVu", "B", 10)
            self.cell(LABEL_WIDTH, 6, label, border="B")
            self.set_font("DejaVu", size=10)
            self.multi_cell(0, 6, value, border="B", align="L", new_x="LMARGIN", new_y="NEXT")

    def chart(self, png: bytes) -> None:
        self.image(io.BytesIO(png), w=self.epw)
        self.ln(2)


def render(data: PackData) -> bytes:
    row, status = data.row, data.status
    title = f"Review pack: {data.member_name}, {data.quarter}"
    pdf = _Pack(title)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, data.member_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, f"Performance review, {data.quarter} · {data.contract_name}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.words(f"The rating published for {data.quarter} judges the referrals of "
              f"{_day(data.rating.period_from)} to {_day(data.rating.period_to)}, counted on "
              f"{_day(data.rating.as_of)}, when every one of them had had its "
              f"{data.rating.horizon_months}-month horizon.")
    pdf.heading("The rating")
    pdf.facts([
        ("Adjusted rank", f"{row.rank or '–'}"),
        ("Raw rank", f"{row.raw_rank or '–'}"),
        ("Performance index", _num(row.performance_index)),
        ("Shrunk performance index", _num(row.shrunk_pi)),
        ("Job-outcome rate", f"{_pct(row.rate)} ({row.outcomes} of {row.eligible})"),
        ("Adjusted rate", _pct(row.adjusted_rate)),
        ("Expected outcomes", _num(row.expected, 1)),
        ("Lower 95% limit (overdispersed)", _num(row.pi_lower_95)),
    ])
    pdf.ln(2)
    pdf.words(f"Why two ranks. {term('raw-rank').meaning} {term('adjusted-rank').meaning} "
              f"{term('performance-index').meaning}")
    if status is not None:
        pdf.heading("Against expectations")
        pdf.words(" ".join(status.reasons))
    pdf.heading("Checks, timeliness and payments")
    pdf.facts([
        ("In-work check compliance", _pct(row.check_compliance)
         + (f" (expected {status.check_compliance_min:.0%})" if status else "")),
        ("Data timeliness", _pct(row.data_timeliness)
         + (f" (expected {status.data_timeliness_min:.0%})" if status else "")),
        ("Payments earned", "–" if row.payments_earned is None
         else f"£{row.payments_earned:,.2f}"),
    ])
    pdf.heading("Specialist help and distance travelled")
    if data.specialist_help:
        pdf.facts(data.specialist_help)
    else:
        pdf.words("No specialist referral made or received in the quarter.")
    if data.progress:
        pdf.words("Distance travelled, by area: the mean change in the participants' own "
                  f"scores. {term('distance-travelled').meaning}")
        pdf.facts(data.progress)
    pdf.add_page()
    pdf.heading("Funnel plot")
    pdf.words("Each point is a provider; a point between the dashed lines is within what "
              "chance allows, once providers' real differences (overdispersion) are allowed "
              "for.")
    pdf.chart(funnel_chart(data))
    pdf.heading("Rating trend")
    pdf.chart(trend_chart(data))
    pdf.add_page()
    pdf.heading("Cohort curve")
    pdf.chart(cohort_chart(data))
    pdf.heading("Compliance flags about this member")
    if data.flags:
        pdf.facts([(f"{rule} ({state})", summary) for rule, state, summary in data.flags])
    else:
        pdf.words("None.")
    pdf.heading("Improvement plan")
    if data.plan is None:
        pdf.words("None.")
    else:
        plan = data.plan
        pdf.facts([("State", plan.state), ("Review date", _day(plan.review_date)),
                   ("Remedy period ends", _day(plan.remedy_ends))]
                  + [(f"Target: {schemas.METRIC_NAMES[t.metric].lower()} "
                      f"≥ {schemas.target_figure(t.metric, t.threshold)} by {_day(t.by_date)}",
                      f"{schemas.target_figure(t.metric, t.value, '–')} on {_day(t.as_of)}: "
                      + ("met" if t.met else "not met" if t.met is False else "no figure"))
                     for t in plan.targets]
                  + [("Action", action) for action in plan.actions])
    return bytes(pdf.output())


def review_pack(session: Session, principal: Principal, contract_id: int, provider_id: int,
                quarter: str) -> bytes:
    return render(gather(session, principal, contract_id, provider_id, quarter))


def review_packs(session: Session, principal: Principal, contract_id: int,
                 quarter: str) -> bytes:
    """A zip of every member's pack the principal may read, for one quarter."""
    contract = get_contract(session, principal, contract_id)
    members = session.execute(
        select(Membership.provider_id, Organisation.name)
        .join(Organisation, Organisation.id == Membership.provider_id)
        .where(Membership.contract_id == contract.id).order_by(Organisation.name)).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for provider_id, name in members:
            try:
                pdf = review_pack(session, principal, contract_id, provider_id, quarter)
            except NotFound:  # not the reader's, or not in that quarter's rating
                continue
            slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
            archive.writestr(f"review-pack_{quarter}_{slug}.pdf", pdf)
    return buffer.getvalue()
