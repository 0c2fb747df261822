"""What every figure chainboard shows means, in plain English: the one source of the words.

The dashboard's column headers, tile tooltips and glossary page all read these terms, so a
definition is changed here once and nowhere else. Written for a charity's manager, not a
statistician: what the figure says first, how it is worked out second (docs/metrics.md has
the formulas). Plain data, no imports from above: the API could serve it as it stands."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str  # stable: the glossary page's anchor and the key the dashboard asks for
    title: str
    meaning: str
    worked_out: str | None = None


TERMS: tuple[Term, ...] = (
    Term("referrals", "Referrals",
         "People sent to a provider to be helped into work during the referral period.",
         "Every referral dated in the period counts, however recent."),
    Term("referral-share", "Referral share",
         "The part of all the contract's referrals in the period that went to this provider.",
         "The provider's referrals divided by every provider's referrals in the period."),
    Term("contracted-share", "Contracted share",
         "The part of the contract's referrals the prime promised this provider in its "
         "contract. Compare it with the referral share to see whether the promise is kept."),
    Term("eligible", "Eligible",
         "People referred in the period who have had the whole horizon (for example 12 "
         "months) to find work by the as-of date. Only they count in the outcome rate, so "
         "newer referrals do not drag it down.",
         "Referred on or before the as-of date less the horizon."),
    Term("job-starts", "Job starts",
         "People referred in the period who had started a job by the as-of date."),
    Term("job-outcomes", "Job outcomes",
         "Eligible people who stayed in work long enough for the provider to be paid an "
         "outcome fee (13 or 26 weeks, by payment group), within the horizon."),
    Term("outcome-rate", "Outcome rate",
         "Of the people eligible, the share who reached a job outcome within the horizon.",
         "Job outcomes divided by eligible."),
    Term("pooled-rate", "Pooled rate",
         "The outcome rate of all the contract's providers taken together: the average "
         "every provider is compared with.",
         "All providers' job outcomes divided by all their eligible people."),
    Term("national-rate", "National two-year rate",
         "The job outcome rate the Department for Work and Pensions published for the whole "
         "country, counting outcomes within two years, weighted to this contract's mix of "
         "payment groups. It only compares fairly with a 24-month horizon.",
         "Each payment group's national rate, weighted by how many people here are in it."),
    Term("like-for-like-trend", "Like-for-like trend",
         "The outcome rate of two spells of referrals that have both had the whole horizon, "
         "the recent one against the one before. Comparing newer referrals with older ones "
         "would flatter the older, who have had longer to find work."),
    Term("payment-group", "Payment group",
         "The benefit group a person was referred from (for example JSA 18-24 or ESA ex-IB). "
         "Groups differ in how hard it is to find work and in what the provider is paid."),
    Term("case-mix", "Case mix",
         "The mix of people a provider was sent: how many in each payment group and, where "
         "recorded, their age band, health and time out of work. Hard-to-help groups lower "
         "a provider's outcome rate through no fault of its own."),
    Term("expected-outcomes", "Expected outcomes",
         "How many job outcomes a provider would have had if it did as well as the whole "
         "contract did with the same kind of people.",
         "Each eligible person's chance of an outcome from the contract's own results for "
         "people like them, added up."),
    Term("performance-index", "Performance index (PI)",
         "Job outcomes against expected outcomes. 1 means exactly what the provider's case "
         "mix predicts; 1.2 means 20% more; 0.8 means 20% fewer.",
         "Job outcomes divided by expected outcomes."),
    Term("adjusted-rate", "Adjusted rate",
         "The outcome rate the provider would have had with the contract's average mix of "
         "people: a fairer rate to compare providers by.",
         "Performance index times the pooled rate."),
    Term("confidence-interval", "95% confidence interval (CI)",
         "The range the provider's true outcome rate most likely lies in, given how few "
         "people it has: the fewer people, the wider the range. CI low and CI high are its "
         "ends.",
         "A Wilson score interval at 95%."),
    Term("funnel-limits", "Funnel limits (95% and 99.8%)",
         "The range of outcome rates a provider of this size and case mix could reach by "
         "chance alone. Below the 95% limit is unusual (1 in 40 by chance); below the 99.8% "
         "limit is very unusual (1 in 1,000). Small providers get wider limits, so they are "
         "not flagged for bad luck.",
         "Around the provider's expected rate, plus or minus 1.96 (95%) or 3.09 (99.8%) "
         "binomial standard errors."),
    Term("overdispersed-limits", "Overdispersed PI limits",
         "Limits on the performance index that also allow for providers naturally "
         "differing more than chance would explain. They are wider than the funnel limits, "
         "so fewer providers are flagged by accident.",
         "Spiegelhalter's method: the chance spread plus a between-provider spread, "
         "estimated from the providers with enough people."),
    Term("overdispersion", "Overdispersion",
         "Whether providers' results differ from each other by more than chance would "
         "explain. If they do, the limits are widened and the shrunk index is worked out; if "
         "not, there is no evidence of a real difference between providers."),
    Term("shrunk-pi", "Shrunk PI",
         "The performance index pulled towards 1, more so for providers with few expected "
         "outcomes, so that a small provider is not ranked top or bottom on luck. Shrunk 95% "
         "low and high are the ends of its likely range.",
         "An empirical Bayes estimate on the log scale, using the between-provider spread."),
    Term("adjusted-rank", "Adjusted rank",
         "The provider's place in the league table by performance index, so the case mix "
         "is allowed for. Providers with too few eligible people are not ranked."),
    Term("raw-rank", "Raw rank",
         "The provider's place by outcome rate alone, as primes used to publish it. Compare "
         "it with the adjusted rank to see how much the case mix matters."),
    Term("rag", "RAG rating",
         "Red, amber or green, shown with a shape and a word as well as a colour. Green: "
         "within the limits. Amber: below the 95% limit. Red: below the 99.8% limit. The "
         "compliance flags judge by the same rating."),
    Term("rag-basis", "RAG basis (binomial or overdispersed limits)",
         "Which limits the RAG rating is judged against, set per contract: the funnel "
         "(binomial) limits, or the wider overdispersed limits that allow for providers "
         "naturally differing."),
    Term("high-outlier", "High outlier",
         "A provider whose outcome rate is above its upper 95% funnel limit: better than "
         "chance alone would explain. Good practice worth learning from."),
    Term("min-eligible", "Minimum eligible to be ranked",
         "A provider needs at least this many eligible people (30 unless the contract says "
         "otherwise) to get a rank: below it, one or two outcomes would move it too far."),
    Term("in-work-check", "In-work check",
         "A check that a person who started a job is still in work, due at set days after "
         "the start (28, 91 and for some groups 182) and every 28 days after a job outcome."),
    Term("check-status", "Check status",
         "On time: checked within 7 days of the due date. Late: checked after that. Early: "
         "checked before it was due, which does not count. Overdue: not checked and the "
         "7 days have passed. Pending: not yet due or still within the 7 days. Cancelled: "
         "the job or the programme ended first."),
    Term("days-since-due", "Days since due",
         "How many days have passed since an in-work check fell due."),
    Term("overdue-check", "Overdue in-work check",
         "An in-work check that nobody has recorded and whose 7-day grace after the due "
         "date has passed."),
    Term("check-compliance", "Check compliance",
         "The share of in-work checks that were done on time. Contracts expect at least "
         "90%.",
         "On-time checks divided by the checks due in the period whose 7-day grace has "
         "passed, leaving out cancelled ones."),
    Term("data-timeliness", "Data timeliness",
         "The share of a provider's events reported within 5 days of happening (or the "
         "contract's own limit). Contracts expect at least 80%.",
         "Events reported in time divided by all events dated in the period."),
    Term("sustainment", "Sustainment",
         "A further payment for each 4 weeks a person stays in work after their job "
         "outcome, up to a limit set by their payment group."),
    Term("attachments", "Attachments",
         "People who started on the programme with the provider (their first meeting after "
         "referral). Each earns the provider an attachment fee."),
    Term("attachment-fee", "Attachment fee",
         "The fee for each attachment, from the tariff in force on the attachment's date "
         "(it tapers away in the contract's later years)."),
    Term("outcome-fee", "Outcome fee",
         "The fee for each job outcome, from the tariff in force on the outcome's date."),
    Term("sustainment-fee", "Sustainment fee",
         "The fee for each sustainment, from the tariff in force on its date."),
    Term("in-work-now", "In work, fees to come",
         "People in work on the as-of date who may still earn the provider an outcome fee or "
         "a sustainment fee: the people behind the forecast."),
    Term("member-payment", "Payment to a member",
         "Money the prime paid (or owes) a subcontractor against an invoice, for example its "
         "share of the fees. Each has payment terms: the days the prime has to pay it."),
    Term("payment-terms", "Payment terms",
         "The number of days after the invoice within which the prime should pay it "
         "(30 unless agreed otherwise). Paid on the last day is on time."),
    Term("days-beyond-terms", "Days beyond terms",
         "How many days after its terms ended a payment was made or, if still unpaid, has "
         "been waiting by the as-of date. Any day beyond the terms raises a late-payment flag "
         "(COM-1) about the prime.",
         "The paid date (or the as-of date) less the invoice date and the terms; 0 when on "
         "time."),
    Term("payments-earned", "Payments earned",
         "The fees a provider earned from the contract's tariff for events dated in the "
         "period: attachment fees when people join, outcome fees, and sustainment fees.",
         "Each event's fee from the tariff in force on its date, added up."),
    Term("forecast", "Forecast still expected",
         "Payments still likely to come from people in work now: outcome fees from those "
         "who have not reached an outcome yet, and sustainment fees from those who have.",
         "Each person's remaining fees times the chance of earning them, taken from the "
         "contract's own history for people in the same payment group."),
    Term("cohort", "Cohort curve",
         "Everyone referred in the same month, followed month by month: the share with a "
         "job outcome within 1, 2, 3... months of referral."),
    Term("cohort-life-table", "Cohort life table",
         "How the forecast estimates chances: from the contract's history, the share of "
         "people still in work at each week who go on to the next milestone, counting "
         "people still in work as not yet finished rather than as failures."),
    Term("horizon", "Horizon",
         "How long after referral a job outcome may come and still count: 12 months "
         "unless you choose another (3 to 24)."),
    Term("as-of-date", "As-of date",
         "The day the figures are worked out for: only what had happened by then counts. "
         "Today unless you choose an earlier day, to see the figures as they stood then."),
    Term("referral-period", "Referral period",
         "The dates people were referred between. Everyone in the figures was referred in "
         "this period."),
    Term("tier", "Tier",
         "Tier 1 providers help people from referral into work (end to end); tier 2 are "
         "specialists that tier 1 providers call on."),
    Term("sector", "Sector",
         "Whether the provider is a private company, a public body or a third-sector "
         "organisation such as a charity."),
    Term("compliance-flag", "Compliance flag",
         "A warning raised automatically when the data show a rule of the Merlin Standard "
         "or the contract may have been broken, with the figures that raised it."),
    Term("merlin-standard", "Merlin Standard",
         "The Department for Work and Pensions' standard for how a prime treats the "
         "organisations in its supply chain: fair design, commitment, conduct and review."),
    Term("flag-severity", "Flag severity",
         "How serious a compliance flag is: low, medium or high, as the rule that raised it "
         "sets."),
    Term("flag-status", "Flag status",
         "Open: nobody has responded yet. Acknowledged: someone has seen it and said so. "
         "Resolved: dealt with. Still detected says whether the data still show the "
         "problem."),
    Term("complaint-states", "Complaint states",
         "A complaint is submitted, acknowledged and investigated by the prime, which "
         "proposes a resolution. If the complainant rejects it, or the prime misses its "
         "deadlines, it is escalated to the Merlin route: triaged, independently reviewed "
         "and decided (upheld, partly upheld or not upheld), then closed."),
    Term("merlin-route", "Merlin route (escalated)",
         "The way a supply-chain partner takes a complaint beyond its prime: to the "
         "Department for Work and Pensions' Merlin team and on to an independent reviewer."),
    Term("risk-model", "Risk model",
         "A model that predicts each person's chance of a job outcome from their payment "
         "group and, where recorded, characteristics such as age band or health, fitted on "
         "every provider's people. It gives the expected outcomes.",
         "Logistic regression."),
    Term("odds-ratio", "Odds ratio",
         "How much more (above 1) or less (below 1) likely a job outcome is for people with "
         "this characteristic than for the reference group, everything else equal. The "
         "95% interval is its likely range.",
         "The exponential of the log odds."),
    Term("log-odds", "Log odds",
         "The model's estimate on the scale it is fitted on: 0 means no difference from "
         "the reference group, above 0 more likely, below 0 less likely."),
    Term("standard-error", "Standard error",
         "How uncertain an estimate is: the larger it is, the less the data pin the "
         "estimate down."),
    Term("c-statistic", "c-statistic",
         "How well the risk model sorts people: take one person who got a job outcome and "
         "one who did not; it is how often the model gave the first the higher chance. 0.5 "
         "is a coin toss, 1 a perfect sort."),
    Term("calibration", "Calibration",
         "Whether the model's predicted chances match what happened: people are put in ten "
         "groups by predicted chance, and each group's predicted outcome rate is drawn "
         "against its actual one. Points on the diagonal mean the model is right."),
    Term("published-rating", "Published rating",
         "A quarter's league table frozen as it stood when the prime published it, so a "
         "review meeting and everyone in the supply chain talk about the same figures. It is "
         "never changed: a mistake is put right by a correction that names the publication it "
         "replaces and says why.",
         "A quarter rates the people referred in the quarter that began one horizon earlier, "
         "counted on the quarter's last day: each of them has had the whole horizon."),
    Term("rating-trend", "Rating trend",
         "A member's published performance index quarter by quarter, drawn inside the "
         "overdispersed limits: a point outside them is more than chance; points inside them "
         "are ordinary ups and downs."),
    Term("minimum-performance-index", "Minimum performance index",
         "The performance index a member is expected to reach: the contract's (0.85 unless "
         "the prime changed it), or the member's own where the prime set one with a reason."),
    Term("significance-limit", "Significance limit",
         "How far below its minimum a member's index can fall by chance alone. Below this "
         "line the shortfall is more than chance.",
         "The minimum times the overdispersed 95% lower limit of the member's index."),
    Term("review-status", "Review status",
         "How a member stands in a published quarter: meets its minimum; below it but by no "
         "more than chance; or below expectation (more than chance, or below its minimum two "
         "published quarters running). Only below expectation can lead to an improvement "
         "plan or a cut without a written override."),
    Term("improvement-plan", "Improvement plan",
         "Targets, agreed actions, a review date and a remedy period the prime and a member "
         "work to. The member agrees it, may comment on it and may contest it; progress "
         "against each target is worked out from the data, not typed in."),
    Term("remedy-period", "Remedy period",
         "The time a member has, from agreeing a plan, to put things right (90 days unless "
         "the plan says otherwise). A plan cannot be judged failed before it has run, and "
         "only a failed plan can lead to suspension or exit."),
    Term("reallocation", "Reallocation",
         "The prime changing members' contracted shares of referrals. It is previewed with "
         "each member's projected referrals, outcomes and payments for a year, checked "
         "against the guard-rails, and applied only with a reason on record."),
    Term("guard-rail", "Guard-rail",
         "A check every reallocation must pass: no cut for a member whose shortfall could be "
         "chance; no cut within 90 days of a member's open complaint; tier-1 shares add up "
         "to no more than 1. The prime may go ahead only by writing why, and the reviewer "
         "reads it."),
    Term("reviewer-hold", "Reviewer's hold",
         "Every cut in a member's share waits a set number of working days (10 unless the "
         "contract says otherwise) before it takes effect, for every member alike. In that "
         "time the independent reviewer, who sees all complaints, may let it through or "
         "block it."),
    Term("specialist-referral", "Specialist referral",
         "A participant's provider (or the prime) sending the participant to a specialist "
         "member of the supply chain for one intervention, such as mental health support, "
         "basic skills, housing or debt advice, often for an agreed fee. The specialist sees "
         "that referral and reports how it went; nothing else of the person's journey."),
    Term("completion-rate", "Completion rate",
         "Of the specialist referrals that started, the share the specialist completed.",
         "Completed divided by started, for referrals made in the period."),
    Term("fees-owed", "Fees owed",
         "The agreed fees of the specialist referrals completed in the period: a fee is owed "
         "when the intervention is completed."),
    Term("fees-paid", "Fees paid",
         "What the prime's payments ledger records as paid to the specialist in the period. "
         "The ledger does not say what a payment is for, so for a specialist that also has "
         "participants of its own this includes payments for that work: compare it with fees "
         "owed only for a specialist that does nothing else."),
    Term("unused-specialist", "Specialist never used",
         "A specialist named in the supply chain that receives few or no referrals: named in "
         "the bid, then not sent the work (what the Work Programme's charities called bid "
         "candy). Rule SCD-2 flags it."),
    Term("distance-travelled", "Distance travelled",
         "How far people moved on the way to work, by their own scores (1 to 10) in areas "
         "such as confidence, health and stability: the last score minus the first, for "
         "people assessed at least twice, eight or more weeks apart. Shown per area as the "
         "mean change with its 95% interval. It is never part of the ranking.",
         "The mean of each person's last minus first score; the interval is the t interval "
         "of that mean."),
)

GLOSSARY: dict[str, Term] = {term.slug: term for term in TERMS}


def term(slug: str) -> Term:
    """The term of a slug; an unknown slug is a programming error, raised at once."""
    return GLOSSARY[slug]


def alphabetical() -> list[Term]:
    return sorted(TERMS, key=lambda t: t.title.casefold())
