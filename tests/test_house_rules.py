"""The house plan's rules that a reader can check at a glance (docs/ARCHITECTURE.md): short functions,
Gradio handlers that update components by name rather than by position, and a layout that matches
the architecture page. Import direction is checked by import-linter (`make lint`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["cli", "errors", "web", "ui", "orchestration", "evaluation", "settings", "interchange", "analysis"]
PACKAGES += ["judge_runtime", "annotation_store"]
MAX_FUNCTION_LINES = 100
MAX_HANDLER_TUPLE = 3


def _sources() -> Iterator[Path]:
    yield ROOT / "app.py"
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _functions(path: Path) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_function_is_longer_than_100_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({(fn.end_lineno or fn.lineno) - fn.lineno + 1} lines)"
        for path in _sources()
        for fn in _functions(path)
        if (fn.end_lineno or fn.lineno) - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, "split these functions:\n" + "\n".join(long)


def test_gradio_handlers_return_updates_by_component_not_long_tuples() -> None:
    found = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for fn in _functions(path):
            for node in ast.walk(fn):
                value = getattr(node, "value", None)
                too_long = isinstance(value, ast.Tuple) and len(value.elts) > MAX_HANDLER_TUPLE
                if isinstance(node, ast.Return | ast.Yield) and too_long:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {fn.name}: {len(value.elts)} values")
    assert not found, "return {component: value} updates instead:\n" + "\n".join(sorted(set(found)))


def test_architecture_page_names_every_package_and_the_readme_layout_matches() -> None:
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package
        assert re.search(rf"^{package}/", architecture, re.MULTILINE), f"docs/ARCHITECTURE.md does not place {package}/"
        assert re.search(rf"^{package}/", layout, re.MULTILINE), f"README's Layout does not list {package}/"
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    undocumented = on_disk - set(PACKAGES) - {"tests", "bench", "docs"}
    assert not undocumented, f"packages missing from this page: {undocumented}"


#: Where web/ or ui/ code may still read ``.store`` (file, the stripped source line): each with its reason. The rule
#: (docs/ARCHITECTURE.md): web and ui call orchestration's ``Studio`` or its desks, never the store.
STORE_EXCEPTIONS = {
    ("web/sessions.py", "self.store = store"): "the login's own signing secret and logouts, through the narrow "
    "SessionStore protocol SigningKey and RevokedSessions are given (no use case to orchestrate)",
    ("web/sessions.py", 'secret = self.store.shared_secret(SECRET_NAME).encode("utf-8")'): "as above",
    ("web/sessions.py", "if not self.store.browser_session_revoked(session_id):"): "as above",
    (
        "web/sessions.py",
        "if not self.store.browser_session_ended(found.session_id, found.name, issued, found.account_id):",
    ): "as above",
    ("web/sessions.py", "found = self.store.account(name)"): "as above (the id for a cookie issued without one)",
    (
        "web/sessions.py",
        "self.store.revoke_browser_sessions({session_id: _utc(until)}, forget_before=_utc(self.clock()))",
    ): "as above",
    ("web/sessions.py", "self.store.revoke_browser_sessions(expiries, forget_before=_utc(self.clock()))"): "as above",
    (
        "web/server.py",
        "signer = SessionSigner(Path(settings.home), hours=settings.session_hours, store=studio.store)",
    ): "hands the SessionSigner above its SessionStore (the browser-session tables)",
}


def _store_reads() -> Iterator[tuple[str, str, int]]:
    """Every ``<something>.store`` in the code of web/ and ui/ (not in comments or docstrings): file, line, number."""
    for package in ("web", "ui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for node in ast.walk(ast.parse("\n".join(lines))):
                if isinstance(node, ast.Attribute) and node.attr == "store":
                    yield path.relative_to(ROOT).as_posix(), lines[node.lineno - 1].strip(), node.lineno


def test_web_and_ui_reach_the_store_only_through_orchestration() -> None:
    found = list(_store_reads())
    unexplained = [f"{path}:{number} {line}" for path, line, number in found if (path, line) not in STORE_EXCEPTIONS]
    assert not unexplained, "call the Studio or one of its desks instead of the store:\n" + "\n".join(unexplained)
    stale = set(STORE_EXCEPTIONS) - {(path, line) for path, line, _ in found}
    assert not stale, f"these exceptions are gone from the code: drop them from STORE_EXCEPTIONS: {sorted(stale)}"


#: Libraries imported only inside the functions that use them (docs/ARCHITECTURE.md): each takes from a tenth of a
#: second (networkx) to seconds (torch, scikit-learn with SciPy) to load, and ``users list``, ``gold list``, every
#: ``--help`` and each of the tests' hundreds of CLI subprocesses use none of them (s16 lazyimports: ``users list``
#: spent 1.5 s of its 2.5 s importing scikit-learn and SciPy through ``analysis.agreement``).
HEAVY_LIBRARIES = {"torch", "transformers", "bitsandbytes", "sklearn", "scipy", "statsmodels", "networkx"}
HEAVY_LIBRARIES |= {"krippendorff", "crowdkit", "ppi_py"}


def _module_level_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every import run when the module is imported: not in a function, and not under
    ``if TYPE_CHECKING:`` (its ``else`` does run)."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        pending.extend(ast.iter_child_nodes(node))


def test_heavy_libraries_are_imported_inside_the_functions_that_use_them() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name} at module level"
        for path in _sources()
        for line, name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name in HEAVY_LIBRARIES
    ]
    assert not found, "import these inside the functions that use them:\n" + "\n".join(sorted(found))


def test_the_heavy_import_rule_sees_a_module_level_import_and_not_a_functions() -> None:
    source = (
        "from typing import TYPE_CHECKING\nimport sklearn.metrics\nif TYPE_CHECKING:\n    import scipy\n"
        "else:\n    import torch\nclass A:\n    from scipy import stats\ndef f():\n    import networkx\n"
    )
    assert sorted(_module_level_imports(ast.parse(source))) == [
        (1, "typing"),
        (2, "sklearn"),
        (6, "torch"),
        (8, "scipy"),
    ]
