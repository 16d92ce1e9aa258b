"""The import rules of docs/ARCHITECTURE.md, read from the source with ``ast``.

- No import cycles among coordinator modules, counting every import: at the top of a
  module, inside functions and under ``if TYPE_CHECKING``.
- No imports inside functions, except in the CLI (which loads what each command needs).
- Pure modules import no database and no HTTP, directly or through another module.
- Route modules import no tables and no database: they call services.
- Optimistic locking is written once: outside ``coordinator.db`` no table UPDATE names a
  ``version`` column (in its values or its WHERE); every versioned write goes through
  ``db.update_versioned``.

The checks are plain functions over ``{module name: source}``, so the tests at the end
show that each one fails on a violation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "coordinator"

# Modules that take plain data and return plain data: no DB, no HTTP (DESIGN.md, Layout).
PURE_MODULES = (
    "coordinator.agreements.cadence",
    "coordinator.auth.policy",
    "coordinator.auth.roles",
    "coordinator.cache",
    "coordinator.clock",
    "coordinator.errors",
    "coordinator.followup.agenda",
    "coordinator.followup.charts",
    "coordinator.followup.criteria",
    "coordinator.followup.trend",
    "coordinator.gdpr.redaction",
    "coordinator.invites.ical",
    "coordinator.invites.imip",
    "coordinator.invites.redact",
    "coordinator.meetings.agenda",
    "coordinator.meetings.kinds",
    "coordinator.meetings.offers",
    "coordinator.meetings.participants",
    "coordinator.meetings.planner",
    "coordinator.meetings.protected",
    "coordinator.meetings.safety",
    "coordinator.method.goals",
    "coordinator.method.sos",
    "coordinator.navigation",
    "coordinator.network.directory",
    "coordinator.network.ecomap",
    "coordinator.network.graph",
    "coordinator.network.validation",
    "coordinator.network.vocab",
    "coordinator.reminders.digest",
    "coordinator.reminders.mail",
    "coordinator.satisfaction.rules",
    "coordinator.trappe.rules",
    "coordinator.trappe.timeline",
)

# Third-party packages that are the database or HTTP.
DB_AND_HTTP_PACKAGES = frozenset({"piccolo", "asyncpg", "aiosqlite", "sqlite3", "litestar",
                                  "httpx", "uvicorn", "jinja2"})
# Coordinator modules that are the database or HTTP (tables, services, routes are by suffix).
DB_AND_HTTP_MODULES = frozenset({"coordinator.db", "coordinator.piccolo_conf",
                                 "coordinator.pagecache", "coordinator.web", "coordinator.app",
                                 "coordinator.asgi"})
DB_AND_HTTP_SUFFIXES = (".tables", ".service", ".routes", ".piccolo_app")

# Where imports inside functions are allowed: the CLI loads each command's modules.
FUNCTION_IMPORTS_ALLOWED = frozenset({"coordinator.cli"})

# Known exceptions (none left: keep the names for the next refactoring that needs them).
PENDING_CYCLES: tuple[frozenset[str], ...] = ()
PENDING_FUNCTION_IMPORTS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target as a module name, and whether it sits in a function."""

    target: str
    in_function: bool
    line: int


def module_name(path: Path, root: Path) -> str:
    """The dotted module name of a file under ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_package(root: Path = ROOT, package: str = PACKAGE) -> dict[str, str]:
    """Every module of the package (generated migrations left out) and its source."""
    return {module_name(path, root): path.read_text(encoding="utf-8")
            for path in sorted((root / package).rglob("*.py"))
            if "piccolo_migrations" not in path.parts}


def _is_package(name: str, sources: Mapping[str, str]) -> bool:
    return any(other.startswith(name + ".") for other in sources)


def imports_of(name: str, source: str, sources: Mapping[str, str]) -> list[Import]:
    """The imports of one module: ``from a.b import c`` is ``a.b.c`` when that is a module
    of ours, else ``a.b``; relative imports are resolved against the module's package."""
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, inside, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = name.split(".")
                    if not _is_package(name, sources):
                        package = package[:-1]
                    package = package[:len(package) - (child.level - 1)]
                    base = ".".join([*package, base] if base else package)
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    found.append(Import(candidate if candidate in sources else base, inside,
                                        child.lineno))
            visit(child, inside)

    visit(tree, False)
    return found


def _ours(target: str, sources: Mapping[str, str]) -> str | None:
    """The module of ours an import names (a name inside a module counts as the module)."""
    while target and target not in sources:
        target = target.rpartition(".")[0]
    return target or None


def import_graph(sources: Mapping[str, str]) -> nx.DiGraph:
    """Module → module edges for every import between our modules, wherever it is."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sources)
    for name, source in sources.items():
        for imp in imports_of(name, source, sources):
            target = _ours(imp.target, sources)
            if target is not None and target != name:
                graph.add_edge(name, target)
    return graph


def cycles(sources: Mapping[str, str]) -> list[frozenset[str]]:
    """The groups of modules that import each other, directly or around a loop."""
    return sorted((frozenset(group) for group in nx.strongly_connected_components(
        import_graph(sources)) if len(group) > 1), key=sorted)


def function_imports(sources: Mapping[str, str],
                     allowed: Iterable[str] = FUNCTION_IMPORTS_ALLOWED) -> set[tuple[str, str]]:
    """(module, imported) for every import inside a function outside the allowed modules."""
    allowed = set(allowed)
    return {(name, imp.target) for name, source in sources.items() if name not in allowed
            for imp in imports_of(name, source, sources) if imp.in_function}


def _is_db_or_http(target: str, sources: Mapping[str, str]) -> bool:
    if target.split(".")[0] in DB_AND_HTTP_PACKAGES:
        return True
    ours = _ours(target, sources)
    return ours is not None and (_within(ours, DB_AND_HTTP_MODULES)
                                 or ours.endswith(DB_AND_HTTP_SUFFIXES))


def _within(module: str, names: Iterable[str]) -> bool:
    """Whether ``module`` is one of ``names`` or inside one of them (``coordinator.db.*``)."""
    return any(module == name or module.startswith(name + ".") for name in names)


def impure_imports(sources: Mapping[str, str],
                   pure: Iterable[str] = PURE_MODULES) -> list[tuple[str, str]]:
    """(pure module, import) where a pure module reaches the DB or HTTP, itself or through
    another module of ours that is not pure."""
    pure = set(pure)
    wrong = []
    for name in sorted(pure):
        for imp in imports_of(name, sources[name], sources):
            ours = _ours(imp.target, sources)
            if _is_db_or_http(imp.target, sources) or (
                    ours is not None and ours not in pure and _reaches_db_or_http(ours, sources)):
                wrong.append((name, imp.target))
    return wrong


def _reaches_db_or_http(start: str, sources: Mapping[str, str]) -> bool:
    graph = import_graph(sources)
    reached = {start} | nx.descendants(graph, start)
    return any(_is_db_or_http(module, sources) or any(
        _is_db_or_http(imp.target, sources) for imp in imports_of(module, sources[module], sources))
        for module in reached)


def route_table_imports(sources: Mapping[str, str]) -> list[tuple[str, str]]:
    """(route module, import) where a route module imports tables or the database."""
    return [(name, imp.target) for name, source in sorted(sources.items())
            if name.endswith(".routes")
            for imp in imports_of(name, source, sources)
            if imp.target.split(".")[0] == "piccolo"
            or (_ours(imp.target, sources) or "").endswith(".tables")
            or _within(_ours(imp.target, sources) or "",
                       {"coordinator.db", "coordinator.piccolo_conf"})]


def _names_version(nodes: Iterable[ast.AST]) -> bool:
    return any(isinstance(sub, ast.Attribute) and sub.attr == "version"
               for node in nodes for sub in ast.walk(node))


def _chain_updates(node: ast.AST) -> bool:
    """Whether a call chain (``T.update(...).where(...)``) starts with an ``update``."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "update":
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def hand_written_version_updates(sources: Mapping[str, str],
                                 allowed: Iterable[str] = ("coordinator.db",)
                                 ) -> list[tuple[str, int]]:
    """(module, line) of every table UPDATE outside ``allowed`` whose values or WHERE name
    a ``version`` column: a version check or bump written by hand."""
    found = []
    for name, source in sorted(sources.items()):
        if _within(name, allowed):
            continue
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            updating = node.func.attr == "update" or (
                node.func.attr == "where" and _chain_updates(node.func.value))
            if updating and _names_version([*node.args, *(k.value for k in node.keywords)]):
                found.append((name, node.lineno))
    return found


# SQL keywords as the project writes them (upper case, so prose such as "Set the …" in a
# docstring is no statement); the advisory-lock functions in any case.
_SESSION_STATE = re.compile(
    r"^\s*(SET\s+(?!LOCAL\b)|RESET\s|LISTEN\s|DECLARE\s)|(?i:pg_(try_)?advisory_lock)\s*\(")


def session_state_statements(sources: Mapping[str, str]) -> list[tuple[str, int]]:
    """(module, line) of every string that sets state on a database session and would
    outlive its statement: SET (not SET LOCAL), LISTEN, a cursor, a session advisory lock.
    The PostgreSQL pool gives connections back without resetting them
    (``db.lifecycle.keep_session``), so such state would reach the next request."""
    found = []
    for name, source in sorted(sources.items()):
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and _SESSION_STATE.search(node.value)):
                found.append((name, node.lineno))
    return found


# --------------------------------------------------------------------- the project

@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return read_package()


def test_no_import_cycles(sources):
    found = cycles(sources)
    assert [sorted(c) for c in found if c not in PENDING_CYCLES] == []
    assert [sorted(c) for c in PENDING_CYCLES if c not in found] == [], (
        "a pending cycle is gone: remove it from PENDING_CYCLES")


def test_no_imports_inside_functions(sources):
    found = function_imports(sources)
    assert sorted(found - PENDING_FUNCTION_IMPORTS) == []
    assert sorted(PENDING_FUNCTION_IMPORTS - found) == [], (
        "a pending function-level import is gone: remove it from PENDING_FUNCTION_IMPORTS")


def test_pure_modules_exist(sources):
    assert [name for name in PURE_MODULES if name not in sources] == []


def test_pure_modules_import_no_db_or_http(sources):
    assert impure_imports(sources) == []


def test_routes_import_no_tables(sources):
    assert any(name.endswith(".routes") for name in sources)
    assert route_table_imports(sources) == []


def test_versioned_writes_go_through_update_versioned(sources):
    assert hand_written_version_updates(sources) == []


def test_no_statement_leaves_state_on_a_pooled_connection(sources):
    assert session_state_statements(sources) == []


# ------------------------------------------------------------ the checks themselves

def _package(**modules: str) -> dict[str, str]:
    return {"pkg": "", "pkg.dom": "", **{f"pkg.{k.replace('__', '.')}": v for k, v in modules.items()}}


def test_a_cycle_through_a_function_level_import_is_found():
    sources = _package(dom__a="from pkg.dom import b\n",
                       dom__b="def f():\n    from pkg.dom.a import x\n")
    assert cycles(sources) == [frozenset({"pkg.dom.a", "pkg.dom.b"})]


def test_a_relative_import_cycle_is_found():
    sources = _package(dom__a="from . import b\n", dom__b="from .a import x\n")
    assert cycles(sources) == [frozenset({"pkg.dom.a", "pkg.dom.b"})]


def test_an_import_inside_a_method_is_found():
    sources = _package(dom__a="class C:\n    async def m(self):\n        import json\n")
    assert function_imports(sources, allowed=()) == {("pkg.dom.a", "json")}
    assert function_imports(sources, allowed={"pkg.dom.a"}) == set()


@pytest.mark.parametrize("body", [
    "from piccolo.columns import Varchar\n",
    "def f():\n    from litestar import Request\n",
    "from pkg.dom.tables import T\n",
    "from pkg.dom import service\n",
    "from pkg.dom.helper import h\n",  # a module of ours that reaches the database
])
def test_a_pure_module_reaching_the_db_or_http_is_found(body):
    sources = _package(dom__pure=body, dom__tables="from piccolo.table import Table\n",
                       dom__service="", dom__helper="from pkg.dom.tables import T\n")
    assert impure_imports(sources, pure={"pkg.dom.pure"}) != []


def test_a_pure_module_importing_pure_modules_passes():
    sources = _package(dom__pure="import networkx\nfrom pkg.dom import other\n",
                       dom__other="from datetime import date\n")
    assert impure_imports(sources, pure={"pkg.dom.pure", "pkg.dom.other"}) == []


@pytest.mark.parametrize("body", [
    "from pkg.dom.tables import T\n",
    "from pkg.dom import tables as t\n",
    "def page():\n    from pkg.dom.tables import T\n",
    "from piccolo.columns import Varchar\n",
])
def test_a_route_module_importing_tables_is_found(body):
    sources = _package(dom__routes=body, dom__tables="")
    assert route_table_imports(sources) == [("pkg.dom.routes", next(
        imp.target for imp in imports_of("pkg.dom.routes", body, sources)))]


@pytest.mark.parametrize("body", [
    "async def f():\n    await T.update({T.x: 1}).where((T.id == 1) & (T.version == v))\n",
    "async def f():\n    await T.update({T.x: 1, T.version: T.version + 1}).where(T.id == 1)\n",
    "async def f():\n    await T.update({T.x: 1}).where(T.version == v).returning(T.id)\n",
])
def test_a_hand_written_version_check_is_found(body):
    sources = _package(dom__service=body)
    assert hand_written_version_updates(sources) == [("pkg.dom.service", 2)]


@pytest.mark.parametrize("sql", [
    "SET statement_timeout = 0", "SET search_path TO x", "RESET ALL", "LISTEN changes",
    "DECLARE c CURSOR FOR SELECT 1", "SELECT pg_advisory_lock(1)",
    "SELECT PG_TRY_ADVISORY_LOCK({})",
])
def test_a_statement_leaving_session_state_is_found(sql):
    sources = _package(dom__service=f"async def f():\n    await db.fetch({sql!r})\n")
    assert session_state_statements(sources) == [("pkg.dom.service", 2)]


def test_transaction_scoped_state_and_updates_pass():
    sources = _package(dom__service=(
        "A = 'SET LOCAL lock_timeout = 1'\nB = 'UPDATE \"t\" SET \"x\" = {}'\n"
        "C = 'SELECT pg_advisory_xact_lock(1)'\nD = 'Set the version'\nE = 'reset'\n"))
    assert session_state_statements(sources) == []


def test_updates_without_a_version_and_the_db_package_pass():
    sources = _package(dom__service="async def f():\n    await T.update({T.x: 1}).where(T.id == 1)\n",
                       db="async def f():\n    await T.update({T.version: T.version + 1})\n")
    assert hand_written_version_updates(sources, allowed={"pkg.db"}) == []
