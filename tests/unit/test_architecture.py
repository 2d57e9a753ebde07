"""The house rules, read from the code's imports (STYLE.md): the layer holds only what
runs in Lambda, only the store speaks pynamodb, handlers never touch AWS, the domain
never sees a Lambda event, and the layer's modules import one another without a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from cme_tools.local.checkout import Checkout

ROOT = Checkout.find(Path(__file__).parent).root
LAYER = ROOT / "layers" / "common"
TOOLS = ROOT / "tools"


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool = False) -> Iterator[str]:
    """The modules a file imports (relative imports are not used in this codebase)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_layer_holds_only_what_runs_in_lambda() -> None:
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files(LAYER / "cme")
        for name in imports(path)
        if under(name, "cme_tools", "argparse", "tqdm", "moto", "yaml.cyaml", "tests", "bench")
    }
    assert found == set()


def test_only_the_store_speaks_pynamodb_and_boto3() -> None:
    store = LAYER / "cme" / "store"
    everything = [*files(LAYER / "cme"), *files(ROOT / "functions"), *files(TOOLS)]
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in everything
        if store not in path.parents
        for name in imports(path)
        if under(name, "pynamodb", "cme.store.models", "cme.store.keys")
        or (under(name, "boto3", "botocore") and TOOLS not in path.parents)
    }
    assert found == set()


@pytest.mark.parametrize("handler", sorted((ROOT / "functions").glob("*/app.py")), ids=str)
def test_handlers_reach_the_domain_only_through_the_layer(handler: Path) -> None:
    allowed = ("cme", "aws_lambda_powertools", "pydantic", "__future__", "typing", "collections")
    assert {n for n in imports(handler) if not under(n, *allowed)} == set()
    assert {n for n in imports(handler) if under(n, "cme.store.repository", "cme.rules")} == set()


def test_the_domain_never_sees_a_lambda_event_or_http() -> None:
    domain = ("recording", "organising", "issuing", "records", "rules", "programme", "facts")
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files(LAYER / "cme")
        if under(module_name(path, LAYER), *(f"cme.{d}" for d in domain))
        for name in imports(path)
        if under(name, "aws_lambda_powertools.event_handler", "cme.api", "cme.store.repository")
    }
    assert found == set()


def test_the_layer_imports_without_a_cycle() -> None:
    """At module level (a function's own import, made for cold start, may go anywhere)."""
    modules = {module_name(path, LAYER): path for path in files(LAYER / "cme")}
    graph = {
        name: {
            target
            for imported in imports(path, top_level_only=True)
            for target in (imported, imported.rsplit(".", 1)[0])
            if target in modules and target != name
        }
        for name, path in modules.items()
    }
    # A package's __init__ re-exporting its modules is not a cycle through them.
    for name in graph:
        graph[name] -= {p for p in graph if name.startswith(p + ".")}

    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for target in sorted(graph[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
