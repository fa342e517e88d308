"""The layering rules of docs/architecture.md, checked on the source itself.

- `core` is a leaf: none of its modules (tests aside) imports a domain app, so every
  module can stand on it and it can never be part of an import cycle.
- A page never imports an API module (views call selectors and services; the API is
  another client of the same layer, not a library for pages).
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dangjian"
DOMAIN_APPS = sorted(
    p.name
    for p in PACKAGE.iterdir()
    if p.is_dir() and (p / "apps.py").exists() and p.name != "core"
)


def imported_modules(path: Path, package: str = "") -> set[str]:
    """Every module a file imports, absolute, at any depth of the file (lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = package or ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def source_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]


def test_the_rules_see_the_apps():
    assert {"orgs", "members", "accounts"} <= set(DOMAIN_APPS)


@pytest.mark.parametrize("path", source_files(PACKAGE / "core"), ids=str)
def test_core_imports_no_domain_app(path):
    domain = {f"dangjian.{app}" for app in DOMAIN_APPS}
    leaks = sorted(
        m for m in imported_modules(path) if any(m == d or m.startswith(d + ".") for d in domain)
    )
    assert not leaks, f"{path.relative_to(PACKAGE)} imports {leaks}"


def page_modules() -> list[Path]:
    pages = []
    for app in DOMAIN_APPS:
        pages += [p for p in source_files(PACKAGE / app) if p.stem == "views" or "views" in p.parts]
    return pages


@pytest.mark.parametrize("path", page_modules(), ids=str)
def test_pages_import_no_api_module(path):
    api = sorted(
        m for m in imported_modules(path) if m.startswith("dangjian.") and "api" in m.split(".")[1:]
    )
    assert not api, f"{path.relative_to(PACKAGE)} imports {api}"


def test_the_checker_sees_a_lazy_relative_import(tmp_path):
    """The rule must catch `from ..orgs import tree` inside a function, not only top-level."""
    fake = tmp_path / "probe.py"
    fake.write_text("def f():\n    from ..orgs import tree\n", encoding="utf-8")
    assert "dangjian.orgs.tree" in imported_modules(fake, package="dangjian.core")


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "dangjian" else None


def test_the_knowledge_base_never_imports_the_service_desk():
    """The bot hands off through ``knowledge.handoff`` (the desk registers its handler at
    start-up); the desk reads the base through its selectors and services. The knowledge
    app imports no desk module, not even inside a function."""
    leaks = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in imported_modules(path) if _app_of(m) == "desk"
        )
        for path in source_files(PACKAGE / "knowledge")
    }
    assert not {path: found for path, found in leaks.items() if found}


def test_no_import_cycle_between_the_knowledge_base_and_the_desk():
    """Top-level imports between the two apps' modules form no cycle (a module-level cycle
    breaks as soon as one side is imported first)."""
    graph: dict[str, set[str]] = {}
    for app in ("knowledge", "desk"):
        for path in source_files(PACKAGE / app):
            module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            top = ast.Module(
                body=[n for n in tree.body if isinstance(n, ast.ImportFrom | ast.Import)],
                type_ignores=[],
            )
            graph[module] = {
                m for m in _imports_of(top, module, path) if _app_of(m) in ("knowledge", "desk")
            }
    apps_graph = {
        (_app_of(a), _app_of(b))
        for a, deps in graph.items()
        for b in deps
        if _app_of(a) != _app_of(b)
    }
    assert ("knowledge", "desk") not in apps_graph
    assert ("desk", "knowledge") in apps_graph  # the one direction the rule allows


def _imports_of(tree: ast.Module, module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_starting_dangjian_loads_no_retrieval_or_spreadsheet_library():
    """Every management command, Celery worker and test subprocess starts the whole URL
    map; the bot's retrieval stack (jieba, pypinyin, numpy) and openpyxl load on first use,
    not at start-up (they cost ≈1.5 CPU-s a process, and a new module-level import brings
    that back silently)."""
    probe = (
        "import django, sys; django.setup(); import django.urls;"
        "django.urls.get_resolver().url_patterns;"
        "print(' '.join(sorted({'jieba', 'pypinyin', 'numpy', 'openpyxl'} & set(sys.modules))))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "dangjian.settings", "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in os.environ.items() if k.startswith(("DANGJIAN_", "HOME"))})
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert loaded == []
