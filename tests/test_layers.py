"""The layers of docs/architecture.md, read without import-linter: every `import` in app/ and
dashboard/, at module level or inside a function, goes down the layers of pyproject.toml's
contract (or stays in its own package), so no two domain packages import each other."""

import ast
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS: list[list[str]] = [
    [name.strip() for name in layer.split("|")]
    for layer in tomllib.loads((ROOT / "pyproject.toml").read_text())
    ["tool"]["importlinter"]["contracts"][0]["layers"]]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[tuple[str, int]]:
    """Every module the file imports, anywhere in it, with the line."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package, up level - 1
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno
            elif node.module:
                yield node.module, node.lineno


def component(module: str) -> str | None:
    """The package of the layers that holds the module (the longest that matches)."""
    found = [name for layer in LAYERS for name in layer
             if module == name or module.startswith(name + ".")]
    return max(found, key=len) if found else None


def dependency_graph() -> dict[str, dict[str, str]]:
    """component -> {component it imports: where (file:line)}, from every file of the code."""
    graph: dict[str, dict[str, str]] = {}
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("dashboard/**/*.py")]):
        source = component(_module_name(path))
        if source is None:
            continue
        for imported, line in imports_of(path):
            target = component(imported)
            if target is not None and target != source:
                graph.setdefault(source, {}).setdefault(
                    target, f"{path.relative_to(ROOT)}:{line}")
    return graph


def cycles(graph: Mapping[str, Mapping[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one component (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"app.core": {}, "app.models": {"app.core": "x"}, "app.ingest": {"app.models": "x"},
             "app.supply_chain": {"app.ingest": "x"}, "app.auth": {"app.supply_chain": "x"}}
    assert cycles(graph) == []
    graph["app.ingest"]["app.supply_chain"] = "x"
    assert cycles(graph) == [["app.ingest", "app.supply_chain"]]


def test_every_file_of_the_code_belongs_to_a_layer():
    unplaced = [path for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("dashboard/**/*.py")]
                if component(_module_name(path)) is None and path.name != "__init__.py"]
    assert unplaced == []


def test_no_two_domain_packages_import_each_other():
    assert cycles(dependency_graph()) == []


def test_every_import_goes_down_the_layers():
    level = {name: depth for depth, layer in enumerate(LAYERS) for name in layer}
    upward = [f"{source} imports {target} ({where})"
              for source, targets in dependency_graph().items()
              for target, where in targets.items() if level[target] <= level[source]]
    assert upward == []
