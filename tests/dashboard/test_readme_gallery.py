"""The README shows every page of the dashboard: a screenshot per page, taken by the
accessibility browser test (docs/screenshots/page-<module>.png) and named in the README."""

from pathlib import Path

from tests.browser.test_accessibility import gallery_name
from tests.dashboard.test_dashboard_matrix import registered_pages

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_a_screenshot_of_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [path for path in sorted(registered_pages())
               if f"docs/screenshots/{gallery_name(path)}" not in readme
               or not (ROOT / "docs" / "screenshots" / gallery_name(path)).exists()]
    assert not missing, f"pages without a screenshot in the README: {missing}"
