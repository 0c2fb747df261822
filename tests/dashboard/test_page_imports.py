"""Dash loads dashboard/pages/ itself. A test that imports a page module directly registers the
page a second time, before its layout exists, and the pages router then serves that empty
entry: /dashboard/login went blank for every browser test run after such an import. Pages are
reached through the router (tests/dashboard/test_flag_pages.py's Dashboard.page)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_test_imports_a_dashboard_page_module() -> None:
    found = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [])
            found += [f"{path.relative_to(TESTS)}: {name}" for name in names
                      if name.startswith("dashboard.pages")]
    assert found == []
