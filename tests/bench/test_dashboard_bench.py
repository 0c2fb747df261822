"""bench/dashboard.py measures every page of the dashboard: a page added to Dash's registry
without an entry in its PAGES fails here, naming it."""

import importlib.util
import sys
from pathlib import Path

from tests.dashboard.test_dashboard_matrix import registered_pages

BENCH = Path(__file__).resolve().parents[2] / "bench"
# Loaded by its path under another name: as `dashboard` it would shadow the package. Its own
# imports (common, league) come from bench/, put last on the path for the same reason.
sys.path.append(str(BENCH))
_spec = importlib.util.spec_from_file_location("bench_dashboard", BENCH / "dashboard.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_every_page_is_measured() -> None:
    assert registered_pages() - bench.NOT_MEASURED - set(bench.PAGES) == set()
    assert set(bench.PAGES) - registered_pages() == set()
    assert set(bench.SCALED_PAGES) <= set(bench.PAGES)
