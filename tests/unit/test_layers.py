"""The package's layers import one way: every ``import`` of every module of ``lampdesk/``.

Each top-level module or package of ``lampdesk/`` sits in one layer of :data:`LAYERS` (lowest
first). A module may import its own package, its own layer and the layers below; never a layer
above, and never in a circle with another package (circles inside one package are its own
business). Imports inside functions and under ``TYPE_CHECKING`` count like any other: a lazy
import is still a dependency. A new top-level module fails this test until it is placed here
(and in the README's "How it works").
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import lampdesk

#: Lowest first. A name is a top-level module or package of ``lampdesk/`` ("" is
#: ``lampdesk/__init__.py``).
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(names.split())
    for names in (
        "'' errors paths hardening text",  # base: no other LampDesk import
        "vault",  # encrypted store, keys, migrations, backups, recovery, doctor
        "profile refusals",  # the profile's data (memories, rules, feedback, ...)
        "inference",  # the model: engine, catalog, downloads, prompt-state cache
        "retrieval",  # FTS5 + dense index, fusion, token counting
        "prompting",  # templates, budget, segment order, grounded quotes, rules filter
        "memory constraints",  # the feedback loop that learns facts; constraints kept
        "sources",  # imports of notes, documents, chats, LoCoMo files
        "assistant conversations profile_edit settings sessions app resident",  # use cases, root
        "api",  # the OpenAI-compatible server
        "ui",  # the PySide6 window
        "cli __main__",  # the lampdesk command: dispatch for every front end
        "evals",  # benchmarks and evaluations (a CLI plugin): may import everything
    )
)
PACKAGE = Path(lampdesk.__file__).parent


def _name(unit: str) -> str:
    return "" if unit == "''" else unit


LEVEL = {_name(unit): level for level, units in enumerate(LAYERS) for unit in units}


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``'s name)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["lampdesk", *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: Iterable[str]) -> Iterator[tuple[str, int]]:
    """The LampDesk modules *name* imports anywhere in its file, with the line of each."""
    known = set(modules)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from lampdesk.retrieval import sparse`` imports the module lampdesk.retrieval.sparse
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def unit_of(module: str) -> str:
    """The top-level module or package a module belongs to ("" for ``lampdesk`` itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, int]]:
    modules = module_names(root)
    return {name: dict(imports_of(name, path, modules)) for name, path in modules.items()}


def against_the_layers(graph: dict[str, dict[str, int]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        for target, line in sorted(targets.items()):
            low, high = unit_of(module), unit_of(target)
            if low != high and LEVEL[high] > LEVEL[low]:
                problems.append(
                    f"{module}:{line} imports {target}: {high or 'lampdesk'} is above "
                    f"{low or 'lampdesk'} in LAYERS"
                )
    return problems


def cycles_across_packages(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components (Tarjan) that hold modules of more than one unit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len({unit_of(m) for m in component}) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_top_level_module_has_its_place_in_the_layers() -> None:
    units = {unit_of(module) for module in module_names()}
    assert units - LEVEL.keys() == set(), "place these in LAYERS (and in the README)"
    assert LEVEL.keys() - units == set(), "LAYERS names modules that no longer exist"


def test_no_import_runs_up_the_layers() -> None:
    assert against_the_layers(import_graph()) == []


def test_no_import_cycle_between_packages() -> None:
    assert cycles_across_packages(import_graph()) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A synthetic package with a bad edge (the vault importing the window) and a circle."""
    root = tmp_path / "lampdesk"
    for name, text in {
        "__init__.py": "",
        "errors.py": "",
        "vault/__init__.py": "",
        "vault/store.py": "def f():\n    from lampdesk.ui import main_window\n",
        "ui/__init__.py": "",
        "ui/main_window.py": "from lampdesk.vault.store import f\n",
        "profile.py": "from . import errors\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    graph = import_graph(root)
    assert graph["lampdesk.profile"] == {"lampdesk.errors": 1}  # relative imports resolve
    assert against_the_layers(graph) == [
        "lampdesk.vault.store:2 imports lampdesk.ui.main_window: ui is above vault in LAYERS"
    ]
    assert cycles_across_packages(graph) == [["lampdesk.ui.main_window", "lampdesk.vault.store"]]


def test_the_window_starts_without_the_api_stack_or_the_cli() -> None:
    """The API is off by default: FastAPI, pydantic and uvicorn load only when it is switched on."""
    probe = (
        "import sys, lampdesk.ui.main_window\n"
        "loaded = [m for m in ('fastapi', 'pydantic', 'uvicorn', 'lampdesk.cli', 'lampdesk.api',"
        " 'lampdesk.evals') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def readme_units(readme: Path = PACKAGE.parent / "README.md") -> set[str]:
    """The modules and packages named in the first column of "How it works"'s table."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("## How it works", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            for part in first.split(","):
                name = part.strip().strip("`").removesuffix("/").removesuffix(".py")
                names.add("''" if name == "__init__" else name)
    return names


def test_the_readme_says_what_each_package_owns() -> None:
    named = {unit for units in LAYERS for unit in units}
    assert named - readme_units() == set(), "give these a line in README's 'How it works'"
    assert readme_units() - named == set(), "README names modules LAYERS does not"
