"""The ``klbot`` command: a click group whose subcommands live with their features and
are imported only when called (``klbot ask`` loads no feature's shell commands)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from bot.cli.support import fail
from bot.runtime.config import ConfigError, load_config

COMMANDS = {
    "chat": "bot.cli.console:chat",
    "ask": "bot.cli.console:ask",
    "run": "bot.cli.console:run",
    "db": "bot.cli.database:db",
    "kb": "handlers.questions.cli:kb",
    "feedback": "handlers.feedback.cli:feedback",
    "announce": "handlers.announcements.cli:announce",
    "deliveries": "handlers.announcements.cli:deliveries",
    "invite": "handlers.roles.cli:invite",
    "roles": "handlers.roles.cli:roles_command",
    "web": "handlers.web.cli:web",
}
"""Every subcommand and where it lives (``module:attribute``)."""


class LazyGroup(click.Group):
    """A group that imports a subcommand's module when the subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KLBOT_CONFIG",
    help="TOML configuration file (default: $KLBOT_CONFIG, else built-in defaults).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """klbot: KL.digital's chatbot for citizens, staff and the board."""
    try:
        ctx.obj = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))


def main() -> None:
    cli(prog_name="klbot")
