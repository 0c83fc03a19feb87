"""Imports run down, `requests` -> `acknowledgements` -> `portal`, and never in a circle.

Both checks read the import graph of the three packages in this checkout (grimp, the library
under import-linter), counting imports inside functions as well as at the top of a module. The
portal's own `requests` app is the one on the path: the PyPI library of that name is never
installed (tests/portal/test_project.py).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp

from tests.conftest import ROOT

PACKAGES = ("portal", "acknowledgements", "requests")


def import_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def circles(graph: grimp.ImportGraph) -> list[str]:
    """Each circle once, as the chain of imports that leads from a module back to itself."""
    found: dict[frozenset[str], tuple[str, ...]] = {}
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                found.setdefault(frozenset(back), (module, *back))
    return sorted(" -> ".join(chain) for chain in found.values())


def test_the_graph_is_read_from_this_checkout() -> None:
    graph = import_graph()

    assert "requests.workflow" in graph.modules
    assert Path(sys.modules["requests"].__file__).parent == ROOT / "requests"


def test_the_apps_import_downwards_only() -> None:
    # The contract is in pyproject.toml ([tool.importlinter]): `portal` imports neither app,
    # `acknowledgements` does not import `requests`. The output names each offending chain.
    run = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-logo", "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_no_module_imports_itself_back() -> None:
    found = circles(import_graph())

    assert found == [], "Import circles:\n" + "\n".join(found)


def test_a_circle_is_named_by_its_chain() -> None:
    graph = grimp.ImportGraph()
    graph.add_import(importer="portal.a", imported="portal.b", line_number=1, line_contents="")
    graph.add_import(importer="portal.b", imported="portal.c", line_number=1, line_contents="")
    graph.add_import(importer="portal.c", imported="portal.a", line_number=1, line_contents="")
    graph.add_import(importer="portal.c", imported="portal.d", line_number=1, line_contents="")

    assert circles(graph) == ["portal.a -> portal.b -> portal.c -> portal.a"]


# No production function is longer than this: past it, a function holds steps that want names.
LONGEST_FUNCTION = 80


def long_functions(source: str, filename: str) -> list[str]:
    """Each function or method of ``source`` over ``LONGEST_FUNCTION`` lines, as file:line name."""
    return [
        f"{filename}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source, filename))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]


def production_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def test_no_production_function_is_over_80_lines() -> None:
    found = [
        finding
        for path in production_modules()
        for finding in long_functions(path.read_text(), str(path.relative_to(ROOT)))
    ]

    assert found == [], "Functions to split into named steps:\n" + "\n".join(found)


def test_a_long_function_is_named_with_its_length() -> None:
    body = "\n".join(f"    x = {n}" for n in range(LONGEST_FUNCTION))
    source = f"def short():\n    return 1\n\n\ndef long():\n{body}\n"

    assert long_functions(source, "m.py") == [f"m.py:5 long ({LONGEST_FUNCTION + 1} lines)"]
