"""The rules of ../shared/ARCHITECTURE.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PLATFORM_LIBRARIES = {"telegram", "nio"}
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func"}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import in ``path``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", sources("handlers"), ids=lambda p: p.name)
def test_handlers_import_no_platform_library_and_no_sqlalchemy(path: Path) -> None:
    for module, _ in imports(path):
        root = module.split(".")[0]
        assert root not in PLATFORM_LIBRARIES | {"sqlalchemy"}, f"{path.name} imports {module}"


@pytest.mark.parametrize("path", sources("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_storage_builds_sql(path: Path) -> None:
    for module, names in imports(path):
        if module.split(".")[0] == "sqlalchemy":
            assert not SQL_NAMES & set(names), f"{path.name} builds SQL ({module}: {names})"
            assert module in {"sqlalchemy.ext.asyncio"}, f"{path.name} imports {module}"
