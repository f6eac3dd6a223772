"""The package's floors: imports only point down, and SQL is spoken only in storage.

  common/ (pure)  <  checklist/ (the core)  <  storage/  <  capability folders  <  web/, cli/, demo/

Read from the source (AST), so a violation fails here with the file and line, before anyone
has to notice a slow import or a query hidden in a view.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "inspect_app"
CAPABILITIES = ("inspections", "rectification", "bureau", "documents", "directory", "surveys")
TOP = ("web", "cli", "demo")
FRAMEWORKS = ("flask", "flask_wtf", "werkzeug", "click", "sqlite_utils", "sqlite3")
PDF_STACK = ("weasyprint", "pyhanko", "pypdf")
# Pure rules inside the capability folders: no framework, no database, no I/O layer above.
PURE = (
    "bureau/figures.py",
    "bureau/charts.py",
    "bureau/xlsx.py",
    "rectification/rules.py",
    "rectification/followup_rules.py",
    "rectification/evidence.py",
    "inspections/images.py",
    "directory/school_import.py",
    "directory/passwords.py",
    "surveys/answers.py",
    "surveys/results.py",
)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = package[:-1]  # a module's own package (``__init__`` included)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from inspect_app import web`` imports the web package itself.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _floor(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "inspect_app" or len(parts) < 2:
        return None
    return parts[1]


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _violations(paths, forbidden_floors=(), forbidden_libs=()) -> list[str]:
    out = []
    for path in paths:
        for line, module in _imports(path):
            floor = _floor(module)
            root = module.split(".")[0]
            if floor in forbidden_floors or root in forbidden_libs:
                out.append(f"{_rel(path)}:{line} imports {module}")
    return sorted(set(out))


def _under(*folders: str) -> list[Path]:
    return [p for p in _modules() if _rel(p).split("/")[0] in folders]


def test_common_imports_nothing_of_the_package_and_no_framework():
    others = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "common"}
    others |= {"app", "config"}
    assert _violations(_under("common"), others, FRAMEWORKS + PDF_STACK) == []


def test_the_core_imports_only_itself_and_common():
    floors = {p.name for p in PACKAGE.iterdir() if p.is_dir()} - {"checklist", "common"}
    floors |= {"app", "config"}
    assert _violations(_under("checklist"), floors, FRAMEWORKS + PDF_STACK) == []


def test_storage_imports_no_layer_above_it():
    assert _violations(_under("storage"), CAPABILITIES + TOP + ("app",), PDF_STACK) == []


def test_capabilities_import_no_web_cli_or_demo():
    assert _violations(_under(*CAPABILITIES), TOP + ("app",)) == []


def test_pure_rules_import_no_framework_storage_or_web():
    paths = [PACKAGE / rel for rel in PURE]
    assert all(p.exists() for p in paths), [str(p) for p in paths if not p.exists()]
    assert _violations(paths, ("storage",) + TOP + ("app",), FRAMEWORKS + PDF_STACK) == []


SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)|PRAGMA\s+\w+|BEGIN\s+IMMEDIATE)\b",
    re.S,
)
# A transaction (``atomic``) may span several storage calls, so it is not counted here.
DB_CALLS = {"execute", "executescript", "executemany", "query", "table"}


DB_NAMES = ("db", "conn", "database")


def _sql_uses(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
        return "SQL text"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
        if node.func.attr in DB_CALLS and isinstance(target, ast.Name) and target.id in DB_NAMES:
            return f"{target.id}.{node.func.attr}()"
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in DB_NAMES
    ):
        return f"{node.value.id}[...]"
    return None


def test_sql_is_spoken_only_in_storage():
    found = []
    for path in _modules():
        if _rel(path).startswith("storage/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if use := _sql_uses(node):
                found.append(f"{_rel(path)}:{getattr(node, 'lineno', 0)} {use}")
    assert found == []


@pytest.mark.parametrize("module", ["inspect_app.checklist", "inspect_app.common.periods"])
def test_importing_a_pure_layer_loads_no_framework_or_pdf_stack(module):
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        f"{FRAMEWORKS + PDF_STACK + ('pydyf', 'fontTools')!r}]\n"
        "print(','.join(sorted(heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_app_starts_without_weasyprint_or_pyhanko_and_loads_them_for_a_document(tmp_path):
    # Every CLI command and the serving supervisor build the app and never lay out a page:
    # WeasyPrint and pyHanko (about a second to import) wait for the first document.
    code = (
        "import sys\n"
        "from inspect_app import create_app\n"
        "from inspect_app.documents import issuing, render, signing\n"
        "from tests.sample_report import sample_notice_context\n"
        "def loaded():\n"
        "    return sorted({m.split('.')[0] for m in sys.modules} & {'weasyprint', 'pyhanko'})\n"
        f"app = create_app({{'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})\n"
        "print('started', *loaded())\n"
        "pdf = render.render_notice(sample_notice_context())\n"
        "keys = issuing.key_paths(app.config)\n"
        "signer = signing.load_signer(keys['key'], keys['cert'], keys['ca_cert'])\n"
        "signed = signing.sign_pdf(pdf, signer, reason='r', location='l')\n"
        "outcome = signing.verify_pdf(signed, [keys['ca_cert']])\n"
        "print('document', *loaded(), outcome.ok)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=PACKAGE.parent,
    )  # fmt: skip
    assert result.stdout.splitlines() == ["started", "document pyhanko weasyprint True"]
