"""The layering rules of docs/architecture.md, checked on the source itself.

- `core` is a leaf: none of its modules (tests aside) imports a domain app, so every
  module can stand on it and it can never be part of an import cycle.
"""

import ast
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


def test_the_checker_sees_a_lazy_relative_import(tmp_path):
    """The rule must catch `from ..orgs import tree` inside a function, not only top-level."""
    fake = tmp_path / "probe.py"
    fake.write_text("def f():\n    from ..orgs import tree\n", encoding="utf-8")
    assert "dangjian.orgs.tree" in imported_modules(fake, package="dangjian.core")
