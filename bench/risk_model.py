"""Risk model fit time at the Work Programme's size: 2,000,000 participants in cells.

Generates participants with a payment group and four characteristics (five covariates: the
default `risk_covariates`), true effects on the log odds, and a provider each; counts them
into cells (provider x covariate pattern) and times `fit_risk_model` on the cells, which is
what the league table calls: merging, the GLM on the distinct patterns, X_p and V_p, the
deviance and c-statistic; then `calibration` as the model report calls it (refs asked for, and
sorted, only where a run of equal p straddles a group boundary; here from memory, in the app
from one query). Prints the median of --repeat runs after one warm-up.

    .venv/bin/python bench/risk_model.py
    .venv/bin/python bench/risk_model.py --participants 200000 --providers 12 --repeat 5
    .venv/bin/python bench/risk_model.py --write   # also replace the section of docs/benchmarks.md
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import code_version, machine_description, replace_section  # noqa: E402

from app.performance.risk_model import (  # noqa: E402
    DEFAULT_CHARACTERISTICS,
    RiskCell,
    RiskModelParameters,
    calibration,
    fit_risk_model,
)

CellRefs = dict[int, tuple[list[str], list[str]]]  # id(cell) -> (outcome refs, the others)

GROUPS = ("jsa_18_24", "jsa_25_plus", "jsa_early_access", "jsa_ex_ib", "esa_volunteers",
          "esa_new", "esa_ex_ib", "ib_is", "jsa_prison_leavers")
LEVELS = {
    "age_band": ("18-24", "25-34", "35-49", "50+", None),
    "health_condition": ("yes", "no", None),
    "claim_duration": ("under_6m", "6_12m", "12_24m", "over_24m", None),
    "qualification": ("none", "level_1_2", "level_3_plus", None),
}


def generate_cells(participants: int, providers: int, seed: int
                   ) -> tuple[list[RiskCell], CellRefs]:
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, len(GROUPS), participants)]
    log_odds = np.linspace(-0.4, -2.8, len(GROUPS))[columns[0]]
    for characteristic in DEFAULT_CHARACTERISTICS:
        levels = LEVELS[characteristic]
        # Unknown (the last level) rarer than the others.
        weights = np.array([1.0] * (len(levels) - 1) + [0.2])
        codes = rng.choice(len(levels), participants, p=weights / weights.sum())
        columns.append(codes)
        log_odds = log_odds + rng.normal(0, 0.4, len(levels))[codes]
    provider = rng.integers(0, providers, participants)
    provider_effect = rng.normal(0, 0.15, providers)[provider]
    outcome = rng.random(participants) < 1 / (1 + np.exp(-(log_odds + provider_effect)))

    keys = np.stack([provider, *columns], axis=1)
    order = np.lexsort((~outcome, *keys.T[::-1]))  # by cell, outcomes first within a cell
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.any(np.diff(sorted_keys, axis=0) != 0, axis=1)) + 1
    bounds = [0, *starts.tolist(), participants]
    refs = np.char.add("P", np.char.zfill(order.astype(str), 7))
    cells = []
    cell_refs: CellRefs = {}
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        key = sorted_keys[begin]
        outcomes = int(outcome[order[begin:end]].sum())
        these = refs[begin:end].tolist()
        made = RiskCell(
            provider_id=int(key[0]) + 1,
            payment_group=GROUPS[key[1]],
            characteristics={c: LEVELS[c][key[2 + i]]
                             for i, c in enumerate(DEFAULT_CHARACTERISTICS)},
            eligible=end - begin,
            outcomes=outcomes,
        )
        cells.append(made)
        cell_refs[id(made)] = (these[:outcomes], these[outcomes:])
    return cells, cell_refs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2_000_000)
    parser.add_argument("--providers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    cells, cell_refs = generate_cells(args.participants, args.providers, args.seed)
    print(f"{len(cells):,} cells, {args.participants:,} participants, "
          f"{args.providers} providers (generated in {time.perf_counter() - started:.1f} s)")
    parameters = RiskModelParameters(DEFAULT_CHARACTERISTICS)
    model = fit_risk_model(cells, parameters)  # warm-up
    timings, calibration_timings = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        model = fit_risk_model(cells, parameters)
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        calibration(model.cells, lambda asked: [cell_refs[id(c)] for c in asked])
        calibration_timings.append(time.perf_counter() - started)
    report = model.report
    median = statistics.median(timings)
    lines = [
        f"- {args.participants:,} participants, {len(cells):,} cells ({args.providers} providers"
        f" x covariate patterns), covariates {', '.join(report.covariates)}: "
        f"{len(report.coefficients)} terms, converged {report.converged}, "
        f"c-statistic {report.c_statistic:.3f}.",
        f"- `fit_risk_model`, median of {args.repeat} after a warm-up: **{median * 1000:.0f} ms**"
        f" (min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}); `calibration` "
        f"(refs in memory) {statistics.median(calibration_timings) * 1000:.0f} ms.",
        f"- {machine_description()}; {code_version()}.",
    ]
    print("\n".join(lines))
    if args.write:
        replace_section("## Risk model fit (bench/risk_model.py)", "\n".join(lines))


if __name__ == "__main__":
    main()
