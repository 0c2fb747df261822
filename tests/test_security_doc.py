"""docs/security.md names the test that holds each promise: every test file and test it names
exists, so the document cannot drift into promises nothing checks."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"


def _named() -> list[tuple[str, str | None]]:
    refs = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", DOC.read_text())
    return [(path, test or None) for path, test in refs]


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_document_names_exists() -> None:
    named = _named()
    assert len(named) > 20
    missing = [f"{path}::{test}" if test else path for path, test in named
               if not (ROOT / path).is_file()
               or (test is not None and test not in _tests_in(ROOT / path))]
    assert missing == []


def test_every_promise_names_a_test() -> None:
    """Each row of the promise tables ends with at least one test."""
    rows = [line for line in DOC.read_text().splitlines()
            if line.startswith("| ") and not line.startswith(("| Promise", "| Who", "|---"))
            and line.count("|") == 3]
    assert rows
    assert [row for row in rows if "`tests/" not in row.rsplit("|", 2)[1]] == []
