"""The rules of docs/architecture.md, checked on the source."""

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


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", sources("handlers"), ids=name)
def test_features_import_no_platform_library_and_no_sqlalchemy(path: Path) -> None:
    for module, _ in imports(path):
        root = module.split(".")[0]
        assert root not in PLATFORM_LIBRARIES | {"sqlalchemy"}, f"{name(path)} imports {module}"


@pytest.mark.parametrize("path", sources("bot/core", "bot/runtime", "bot/knowledge"), ids=name)
def test_the_core_imports_no_platform_library_and_no_feature(path: Path) -> None:
    """Only the adapters know a platform; features hang below the core, not inside it
    (``bot/runtime`` wires them together and may name them)."""
    for module, _ in imports(path):
        root = module.split(".")[0]
        assert root not in PLATFORM_LIBRARIES, f"{name(path)} imports {module}"
        if "runtime" not in path.parts:
            assert root != "handlers", f"{name(path)} imports the feature {module}"


@pytest.mark.parametrize("path", sources("bot/adapters"), ids=name)
def test_adapters_keep_their_state_through_a_store_not_the_database(path: Path) -> None:
    for module, _ in imports(path):
        assert module.split(".")[0] not in {"storage", "sqlalchemy"}, f"{name(path)}: {module}"


@pytest.mark.parametrize("path", sources("bot"), ids=name)
def test_only_storage_builds_sql(path: Path) -> None:
    for module, names in imports(path):
        if module.split(".")[0] == "sqlalchemy":
            assert not SQL_NAMES & set(names), f"{name(path)} builds SQL ({module}: {names})"
            assert module in {"sqlalchemy.ext.asyncio"}, f"{name(path)} imports {module}"


@pytest.mark.parametrize("path", sources("handlers", "bot/core"), ids=name)
def test_features_and_the_core_know_nothing_of_the_web_console(path: Path) -> None:
    """The web console (``bot/web``, aiohttp) calls the features, never the other way."""
    for module, _ in imports(path):
        assert module.split(".")[0] != "aiohttp", f"{name(path)} imports {module}"
        assert not module.startswith("bot.web"), f"{name(path)} imports {module}"
