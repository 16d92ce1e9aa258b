"""The import rules of docs/ARCHITECTURE.md, read from the source with ``ast``.

- No import cycles among coordinator modules, counting every import: at the top of a
  module, inside functions and under ``if TYPE_CHECKING``.
- No imports inside functions, except in the CLI (which loads what each command needs).
- Pure modules import no database and no HTTP, directly or through another module.
- Route modules import no tables and no database: they call services.
- Optimistic locking is written once: outside ``coordinator.db`` no table UPDATE names a
  ``version`` column (in its values or its WHERE), nor does any SQL text; every versioned
  write goes through ``db.update_versioned``. A plain ``update`` of a table with a
  ``version`` column writes only the columns ``UNVERSIONED_COLUMNS`` lists for it.
- One statement runner: hand-written SQL goes through ``db.fetch``, never ``Table.raw``.
- Settings are read from the environment by ``settings.py`` and handed to what needs them:
  no other module reads ``os.environ`` or ``os.getenv`` (the named exceptions below read no
  setting), and only the invite mails read the process's ``settings.current()``.

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
    "coordinator.audit.wording",
    "coordinator.auth.passwords",
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
    "coordinator.meetings.place",
    "coordinator.meetings.planner",
    "coordinator.meetings.protected",
    "coordinator.meetings.safety",
    "coordinator.meetings.workspace",
    "coordinator.method.goals",
    "coordinator.method.sos",
    "coordinator.navigation",
    "coordinator.refusal",
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

# Who may use the process environment: settings.py reads every option, the CLI the password
# of create-user (a command's input, no setting). Two read no setting: the package's
# __init__ tells Piccolo where its configuration module is (Piccolo reads PICCOLO_CONF
# itself) and backup.py hands the environment on to pg_dump and pg_restore with PGPASSWORD.
ENVIRONMENT_ALLOWED = frozenset({"coordinator.settings", "coordinator.cli", "coordinator",
                                 "coordinator.backup"})
_ENVIRONMENT_NAMES = frozenset({"environ", "environb", "getenv", "getenvb"})

# Who may read ``settings.current()``: the invite mails every meeting change queues inside
# its transaction (settings.py says why); everything else is handed its settings.
CURRENT_SETTINGS_ALLOWED = frozenset({"coordinator.invites.service"})

# Columns of a versioned table (one with a ``version`` column) written by a plain ``update``,
# outside optimistic locking: no page shows them and no versioned form edits them, so a
# write of them must not make a form of the row that is open somewhere conflict. Any other
# plain update of a versioned table is a finding: it goes through ``db.update_versioned``
# (``db.ANY_VERSION`` for a write the system makes as a step of a use case).
UNVERSIONED_COLUMNS: Mapping[str, frozenset[str]] = {
    # The credentials: a login's rehash, an admin's reset, one's own new password
    # (auth.service.reset_password says why).
    "User": frozenset({"password_hash", "must_change_password"}),
    # An agenda point's title, part and place in the order are the meeting's agenda: a change
    # raises the meeting's version in the same transaction (meetings.service._bump_agenda);
    # the point's own version guards its minutes.
    "AgendaPoint": frozenset({"title", "part_key", "position"}),
}

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


def table_classes(sources: Mapping[str, str]) -> set[str]:
    """The names of the Piccolo tables declared in the ``tables`` modules."""
    names = set()
    for name, source in sources.items():
        if name.endswith(".tables"):
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.ClassDef) and any(
                        (isinstance(b, ast.Name) and b.id == "Table")
                        or (isinstance(b, ast.Attribute) and b.attr == "Table")
                        for b in node.bases):
                    names.add(node.name)
    return names


def _tables_held(module: str, sources: Mapping[str, str], tables: set[str]) -> set[str]:
    """The table classes ``module`` holds as its own names (imported or declared)."""
    held = set()
    for node in ast.walk(ast.parse(sources.get(module, ""))):
        if isinstance(node, ast.ImportFrom):
            held |= {alias.asname or alias.name for alias in node.names if alias.name in tables}
        elif isinstance(node, ast.ClassDef) and node.name in tables:
            held.add(node.name)
    return held


def route_table_uses(sources: Mapping[str, str]) -> list[tuple[str, str]]:
    """(route module, table) where a route module reaches a table through another module:
    ``from x.service import SomeTable`` or ``service.SomeTable`` (a pure module's dataclass
    of the same name is not a table)."""
    tables = table_classes(sources)
    found = []
    for name, source in sorted(sources.items()):
        if not name.endswith(".routes"):
            continue
        modules: dict[str, str] = {}  # local name -> module of ours
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    target = _ours(f"{node.module}.{alias.name}", sources)
                    if target and target == f"{node.module}.{alias.name}":
                        modules[alias.asname or alias.name] = target
                    elif alias.name in tables:
                        found.append((name, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in sources:
                        modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules
                    and node.attr in _tables_held(modules[node.value.id], sources, tables)):
                found.append((name, node.attr))
    return found


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


def _text_of(node: ast.AST) -> str | None:
    """The text of a string expression: a literal, an f-string (each value as ``{}``) or
    a sum of those; None for anything else."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}"
                       for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text_of(node.left), _text_of(node.right)
        return None if left is None or right is None else left + right
    return None


def _texts(tree: ast.AST) -> Iterable[tuple[int, str]]:
    """(line, text) of every outermost string expression of a module."""
    for child in ast.iter_child_nodes(tree):
        text = _text_of(child)
        if text is None:
            yield from _texts(child)
        else:
            yield child.lineno, text


# An UPDATE statement that names a version column anywhere after its SET.
_SQL_VERSION_UPDATE = re.compile(r"\bUPDATE\s+\S+\s+SET\b.*\bversion\b", re.S | re.I)


def sql_version_updates(sources: Mapping[str, str],
                        allowed: Iterable[str] = ("coordinator.db",)) -> list[tuple[str, int]]:
    """(module, line) of every SQL text outside ``allowed`` that updates a table and names
    a ``version`` column: a version check or bump written by hand, past the ORM."""
    return [(name, line) for name, source in sorted(sources.items()) if not _within(name, allowed)
            for line, text in _texts(ast.parse(source)) if _SQL_VERSION_UPDATE.search(text)]


def table_columns(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """The names assigned in each class body of the ``*.tables`` modules: its columns."""
    return {node.name: {target.id for statement in node.body
                        if isinstance(statement, (ast.Assign, ast.AnnAssign))
                        for target in (statement.targets if isinstance(statement, ast.Assign)
                                       else [statement.target]) if isinstance(target, ast.Name)}
            for name, source in sources.items() if name.endswith(".tables")
            for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}


def versioned_tables(sources: Mapping[str, str]) -> set[str]:
    """The names of the table classes with a ``version`` column."""
    return {table for table, columns in table_columns(sources).items() if "version" in columns}


def _table_name(node: ast.AST) -> str | None:
    """``T`` for ``T`` and ``module.T``."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _written_columns(call: ast.Call) -> set[str] | None:
    """The columns an ``update({...})`` call writes; None when they are not spelt out."""
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Dict):
        return None
    names = set()
    for key in call.args[0].keys:
        if isinstance(key, ast.Attribute):
            names.add(key.attr)
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
        else:
            return None
    return names


def plain_versioned_updates(sources: Mapping[str, str],
                            unversioned: Mapping[str, frozenset[str]] = UNVERSIONED_COLUMNS,
                            allowed: Iterable[str] = ("coordinator.db",)) -> list[tuple[str, int]]:
    """(module, line) of every ``T.update(...)`` outside ``allowed`` where ``T`` has a
    ``version`` column and the update writes more than ``unversioned`` lists for ``T``:
    a write that leaves the version as it was, so a form opened before overwrites it."""
    versioned = versioned_tables(sources)
    found = []
    for name, source in sorted(sources.items()):
        if _within(name, allowed):
            continue
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "update"):
                continue
            table = _table_name(node.func.value)
            if table not in versioned:
                continue
            columns = _written_columns(node)
            if columns is None or not columns <= unversioned.get(table, frozenset()):
                found.append((name, node.lineno))
    return sorted(found)


def raw_statements(sources: Mapping[str, str],
                   allowed: Iterable[str] = ("coordinator.db",)) -> list[tuple[str, int]]:
    """(module, line) of every ``….raw(...)`` call outside ``allowed``: hand-written SQL
    run past ``db.fetch``, the one statement runner."""
    return [(name, node.lineno) for name, source in sorted(sources.items())
            if not _within(name, allowed) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "raw"]


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


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes, else ''."""
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return node.id if isinstance(node, ast.Name) else ""


def environment_reads(sources: Mapping[str, str], allowed: Iterable[str] = ENVIRONMENT_ALLOWED
                      ) -> list[tuple[str, int]]:
    """(module, line) of every use of the process environment outside ``allowed``:
    ``os.environ``, ``os.getenv`` (also through an alias of ``os``) or either imported by
    name. Configuration is read by ``Settings`` and handed to what needs it."""
    allowed = set(allowed)
    found = []
    for name, source in sorted(sources.items()):
        if name in allowed:
            continue
        tree = ast.parse(source)
        names_of_os = {alias.asname or "os" for node in ast.walk(tree) if isinstance(node, ast.Import)
                       for alias in node.names if alias.name == "os"
                       or (alias.name.startswith("os.") and not alias.asname)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                    alias.name in _ENVIRONMENT_NAMES for alias in node.names):
                found.append((name, node.lineno))
            elif (isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT_NAMES
                  and _dotted(node.value) in names_of_os):
                found.append((name, node.lineno))
    return found


def current_settings_reads(sources: Mapping[str, str],
                           allowed: Iterable[str] = CURRENT_SETTINGS_ALLOWED,
                           settings: str = "coordinator.settings") -> list[tuple[str, int]]:
    """(module, line) of every call of ``settings.current()`` outside ``allowed``, however
    the settings module or the function was imported."""
    allowed = set(allowed)
    parent, _, leaf = settings.rpartition(".")
    found = []
    for name, source in sorted(sources.items()):
        if name in allowed or name == settings:
            continue
        tree = ast.parse(source)
        modules, functions = {settings}, set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.asname for alias in node.names
                            if alias.name == settings and alias.asname}
            elif isinstance(node, ast.ImportFrom) and node.module == parent:
                modules |= {alias.asname or alias.name for alias in node.names if alias.name == leaf}
            elif isinstance(node, ast.ImportFrom) and node.module == settings:
                functions |= {alias.asname or alias.name for alias in node.names
                              if alias.name == "current"}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "current"
                    and _dotted(func.value) in modules) or (
                    isinstance(func, ast.Name) and func.id in functions):
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
    assert len(table_classes(sources)) > 20
    assert route_table_uses(sources) == []


def test_versioned_writes_go_through_update_versioned(sources):
    assert hand_written_version_updates(sources) == []


def test_no_sql_text_checks_or_raises_a_version(sources):
    assert sql_version_updates(sources) == []


def test_versioned_tables_are_updated_through_update_versioned(sources):
    assert {"Family", "Meeting", "FgcCase", "User"} <= versioned_tables(sources)
    assert plain_versioned_updates(sources) == []


def test_unversioned_columns_name_real_columns_of_versioned_tables(sources):
    columns = table_columns(sources)
    assert set(UNVERSIONED_COLUMNS) <= versioned_tables(sources)
    assert {table: names - columns[table] for table, names in UNVERSIONED_COLUMNS.items()
            if names - columns[table]} == {}


def test_hand_written_sql_goes_through_db_fetch(sources):
    assert raw_statements(sources) == []


def test_no_statement_leaves_state_on_a_pooled_connection(sources):
    assert session_state_statements(sources) == []


def test_only_the_settings_read_the_environment(sources):
    assert environment_reads(sources) == []


def test_only_the_invite_mails_read_the_process_settings(sources):
    assert current_settings_reads(sources) == []
    assert current_settings_reads(sources, allowed=()) != [], (
        "nothing reads settings.current() any more: remove it and CURRENT_SETTINGS_ALLOWED")


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
    "from pkg.dom.service import Thing\n",
    "from pkg.dom import service\nasync def page():\n    return await service.Thing.select()\n",
])
def test_a_route_module_reaching_a_table_through_a_service_is_found(body):
    sources = _package(dom__routes=body, dom__service="from pkg.dom.tables import Thing\n",
                       dom__tables="from piccolo.table import Table\nclass Thing(Table):\n    pass\n")
    assert route_table_uses(sources) == [("pkg.dom.routes", "Thing")]


_ORM, _SQL = hand_written_version_updates, sql_version_updates


@pytest.mark.parametrize("check,body", [
    (_ORM, "async def f():\n    await T.update({T.x: 1}).where((T.id == 1) & (T.version == v))\n"),
    (_ORM, "async def f():\n    await T.update({T.x: 1, T.version: T.version + 1}).where(T.id == 1)\n"),
    (_ORM, "async def f():\n    await T.update({T.x: 1}).where(T.version == v).returning(T.id)\n"),
    (_SQL, "async def f():\n    await db.fetch('UPDATE \"t\" SET \"x\" = {}, \"version\" = \"version\" + 1', x)\n"),
    (_SQL, "async def f():\n    await db.fetch('UPDATE t SET x = {} WHERE id = {} AND version = {}', x, i, v)\n"),
    (_SQL, "SQL = None\nSQL = ('UPDATE \"t\" SET \"x\" = {} '\n       'WHERE \"version\" = {}')\n"),
    (_SQL, "async def f():\n    await db.fetch(f'UPDATE \"{t}\" SET \"x\" = {{}} WHERE \"version\" = {{}}', x, v)\n"),
    (_SQL, "async def f():\n    await db.fetch('UPDATE \"t\" SET \"x\" = {} ' + 'WHERE \"version\" = {}', x, v)\n"),
])
def test_a_hand_written_version_check_is_found(check, body):
    """In the ORM's values or WHERE, or in SQL text (a literal, an f-string, a sum)."""
    assert check(_package(dom__service=body)) == [("pkg.dom.service", 2)]


def test_sql_without_a_version_update_and_the_db_package_pass():
    sources = _package(dom__service=(
        "A = 'UPDATE \"t\" SET \"x\" = {} WHERE \"id\" = {}'\n"
        "B = 'SELECT \"version\" FROM \"t\"'\nC = 'Update the version of the row'\n"
        "D = 'INSERT INTO \"s\" VALUES ({}) ON CONFLICT (\"k\") DO UPDATE SET \"n\" = 1'\n"
        "E = 'UPDATE \"t\" SET \"agreement_version\" = {}'\n"),
        db="A = 'UPDATE \"t\" SET \"version\" = \"version\" + 1'\n")
    assert sql_version_updates(sources, allowed={"pkg.db"}) == []


_VERSIONED = "class T(Table):\n    x = Integer()\n    version = Integer(default=1)\n" \
             "class U(Table):\n    x = Integer()\n"


@pytest.mark.parametrize("body", [
    "async def f():\n    await T.update({T.x: 1}).where(T.id == 1)\n",
    "async def f():\n    await tables.T.update({tables.T.x: 1}).where(tables.T.id == 1)\n",
    "async def f():\n    await T.update({'x': 1}).where(T.id == 1)\n",
    "async def f():\n    await T.update(values).where(T.id == 1)\n",
    "async def f():\n    await T.update({T.secret: '', T.x: 1}).where(T.id == 1)\n",
])
def test_a_plain_update_of_a_versioned_table_is_found(body):
    sources = _package(dom__tables=_VERSIONED, dom__service=body)
    assert plain_versioned_updates(sources, unversioned={"T": frozenset({"secret"})}) == [
        ("pkg.dom.service", 2)]


def test_unversioned_columns_other_tables_and_the_db_package_pass():
    sources = _package(dom__tables=_VERSIONED, dom__service=(
        "async def f():\n    await T.update({T.secret: ''}).where(T.id == 1)\n"
        "    await U.update({U.x: 1}).where(U.id == 1)\n    context.update({'x': 1})\n"),
        db="async def f(table):\n    await T.update({T.x: 1})\n")
    assert plain_versioned_updates(sources, unversioned={"T": frozenset({"secret"})},
                                   allowed={"pkg.db"}) == []


def test_a_raw_statement_outside_the_db_package_is_found():
    sources = _package(dom__service="async def f():\n    await T.raw('SELECT 1')\n",
                       db="async def f():\n    await T.raw('SELECT 1')\n")
    assert raw_statements(sources, allowed={"pkg.db"}) == [("pkg.dom.service", 2)]


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


@pytest.mark.parametrize("body", [
    "import os\nURL = os.environ['DATABASE_URL']\n",
    "import os\n\n\ndef url():\n    return os.getenv('DATABASE_URL', '')\n",
    "import os as system\nURL = system.environ.get('DATABASE_URL')\n",
    "import os.path\nURL = os.environ.get('DATABASE_URL')\n",
    "from os import environ\n",
    "from os import getenv as read\n",
])
def test_reading_the_environment_outside_the_settings_is_found(body):
    sources = _package(dom__service=body, settings="import os\nURL = os.environ.get('X')\n")
    found = environment_reads(sources, allowed={"pkg.settings"})
    assert [name for name, _ in found] == ["pkg.dom.service"]


def test_other_uses_of_os_pass():
    sources = _package(dom__service="import os\nPID = os.getpid()\nP = os.path.join('a', 'b')\n"
                                    "environ = {}\nX = environ.get('a')\n")
    assert environment_reads(sources, allowed=()) == []


@pytest.mark.parametrize("body", [
    "from pkg import settings as config\n\n\ndef f():\n    return config.current()\n",
    "from pkg import settings\nS = settings.current()\n",
    "import pkg.settings\nS = pkg.settings.current()\n",
    "from pkg.settings import current\nS = current()\n",
    "from pkg.settings import current as now_settings\nS = now_settings()\n",
])
def test_reading_the_process_settings_is_found(body):
    sources = _package(dom__service=body, settings="def current():\n    pass\n")
    found = current_settings_reads(sources, allowed=(), settings="pkg.settings")
    assert [name for name, _ in found] == ["pkg.dom.service"]
    assert current_settings_reads(sources, allowed={"pkg.dom.service"}, settings="pkg.settings") == []


def test_a_current_of_something_else_passes():
    sources = _package(dom__service="from pkg import clock\nT = clock.current()\n",
                       settings="def current():\n    pass\n", clock="")
    assert current_settings_reads(sources, allowed=(), settings="pkg.settings") == []
