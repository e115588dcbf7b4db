"""No argument breaks the ``klbot`` shell: every value of every command's arguments and
options ends in a result or one clear line, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import cli
from tests.shell import klbot

INTERACTIVE = {("chat",), ("run",)}
"""Commands that read a terminal or run until stopped."""
WRITES_FILES = {"output"}
FILLED = {
    "text": "Hallo",
    "audience": "all",
    "role": "staff",
    "question": "Wer ist der CDO?",
    "entry_id": "cdo",
}
"""A valid value for each required parameter that is not the one under test."""


def parameters() -> Iterator[tuple[tuple[str, ...], click.Parameter, click.Command]]:
    """Every command path with each parameter that takes a value."""
    ctx = click.Context(cli)

    def walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                yield from walk(sub, (*path, name))
        elif path not in INTERACTIVE:
            yield path

    for path in walk(cli, ()):
        command: click.Command = cli
        for name in path:
            found = command.get_command(ctx, name) if isinstance(command, click.Group) else None
            assert found is not None
            command = found
        for param in command.params:
            flag = isinstance(param, click.Option) and param.is_flag
            if param.name not in WRITES_FILES and param.name != "help" and not flag:
                yield path, param, command


def invocation(
    path: tuple[str, ...], tested: click.Parameter, command: click.Command, value: str
) -> list[str]:
    """``klbot PATH …`` with ``value`` for ``tested`` and valid values for the rest."""
    args = list(path)
    for param in command.params:
        given_value = value if param is tested else FILLED.get(param.name or "")
        if given_value is None:
            continue
        values = [given_value, "staff"][: param.nargs] if param.nargs > 1 else [given_value]
        if isinstance(param, click.Option):
            args += [param.opts[0], *values]
        else:
            args += values
    if isinstance(tested, click.Argument):
        args.insert(len(path), "--")  # a value starting with "-" is still the argument
    return args


PARAMETERS = list(parameters())
values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
    st.sampled_from(["99999999999999999999", "-1", "0", "#5", "1w", "morgen 9 Uhr", "🦄"]),
)


@pytest.mark.parametrize(
    ("path", "param", "command"),
    PARAMETERS,
    ids=[f"{' '.join(path)} {param.name}" for path, param, _ in PARAMETERS],
)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=values)
@example(value="99999999999999999999")
def test_any_value_of_any_argument(
    env: dict[str, str],
    path: tuple[str, ...],
    param: click.Parameter,
    command: click.Command,
    value: str,
) -> None:
    done = klbot(env, *invocation(path, param, command, value))  # raises on a traceback
    assert done.returncode in (0, 1, 2)
    assert "Traceback" not in done.stdout + done.stderr
    if done.returncode != 0:
        assert done.stderr.strip() != "", "a failure says why"
