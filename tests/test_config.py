"""Configuration: defaults, environment overrides, and one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "klbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_runs_on_the_defaults() -> None:
    config = load_config(None, env={})
    assert config.storage.resolved_url().startswith("sqlite+aiosqlite:///")
    assert not config.telegram.enabled and not config.matrix.enabled
    assert config.telegram.base_url == "https://api.telegram.org/bot"


def test_the_example_file_is_valid_and_complete() -> None:
    example = Path(__file__).parent.parent / "config.example.toml"
    config = load_config(example, env={})
    assert config.bot.default_language == "de"
    text = example.read_text(encoding="utf-8")
    for section, model in config:
        for key in type(model).model_fields:
            assert f"{key} =" in text, f"config.example.toml does not document [{section}] {key}"


def test_config_file_from_the_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\ndefault_language = "en"\n')
    assert load_config(None, env={"KLBOT_CONFIG": str(path)}).bot.default_language == "en"


def test_environment_overrides_secrets_and_database_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\nenabled = true\ntoken = "from-file"\n')
    env = {"KLBOT_TELEGRAM_TOKEN": "from-env", "KLBOT_DATABASE_URL": "sqlite+aiosqlite:///x"}
    config = load_config(path, env=env)
    assert config.telegram.token == "from-env"
    assert config.storage.resolved_url() == "sqlite+aiosqlite:///x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[storage]\nurl = 3\n", "[storage] url: Input should be a valid string"),
        ('[telegram]\ntokn = "x"\n', "[telegram] tokn: unknown key"),
        ("[bogus]\nx = 1\n", "[bogus]: unknown section"),
        ("storage = 5\n", "[storage]: must be a table"),
        ("[telegram]\nenabled = true\n", "[telegram] token: required"),
        ('[telegram]\nmode = "push"\n', "[telegram] mode: Input should be 'polling' or 'webhook'"),
        ('[roles]\nstaff = ["ana"]\n', "[roles] staff[0]: 'ana' is not of the form"),
        ('[roles]\nadmin = ["irc:ana"]\n', "unknown platform 'irc'"),
        ("[matrix]\nenabled = true\n", "[matrix] homeserver: required"),
        ("[bot\n", "not valid TOML"),
        ('[storage]\nurl = "mysql://root@localhost/klbot"\n', "[storage] url: 'mysql' is not"),
        ('[storage]\nurl = "klbot.sqlite3"\n', "[storage] url: 'klbot.sqlite3' is not"),
        (
            '[telegram]\nenabled = true\ntoken = "1:x"\nmode = "webhook"\n'
            'webhook_url = "https://bot.example.org/tg"\nwebhook_secret = "short"\n',
            "[telegram] webhook_secret: at least 16 characters",
        ),
    ],
)
def test_mistakes_are_one_line_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///data/klbot.db", "sqlite+aiosqlite:///data/klbot.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://klbot@db/klbot", "postgresql+asyncpg://klbot@db/klbot"),
        ("postgres://klbot@db/klbot", "postgresql+asyncpg://klbot@db/klbot"),
        ("postgresql+psycopg://klbot@db/klbot", "postgresql+asyncpg://klbot@db/klbot"),
        ("sqlite+aiosqlite:///x", "sqlite+aiosqlite:///x"),
    ],
)
def test_plain_database_urls_get_the_async_driver(written: str, used: str) -> None:
    config = load_config(None, env={"KLBOT_DATABASE_URL": written})
    assert config.storage.resolved_url() == used


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml: file not found"):
        load_config(tmp_path / "missing.toml", env={})


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "klbot.toml"
    path.write_bytes(b"[bot]\nname = '\xff'\n")
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(path, env={})
