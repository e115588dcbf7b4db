"""Running the ``klbot`` command in tests: in this process with click's runner (fast), or
as a real process where the process itself matters (signals, a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.runtime.config import CONFIG_ENV, ENV_OVERRIDES

KLBOT = [sys.executable, "-m", "bot"]
ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class Done:
    """How a ``klbot`` command ended."""

    returncode: int
    stdout: str
    stderr: str


def klbot(env: dict[str, str], *args: str, stdin: bytes = b"") -> Done:
    """``klbot ARGS`` in this process, as the shell would run it."""
    unset: dict[str, str | None] = dict.fromkeys([CONFIG_ENV, *ENV_OVERRIDES.values()])
    result = CliRunner().invoke(
        cli, list(args), input=stdin, env={**unset, **env}, prog_name="klbot"
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


def klbot_process(
    env: dict[str, str], *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    """``klbot ARGS`` as a real process."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("KLBOT_")} | env
    done = subprocess.run(
        [*KLBOT, *args],
        input=stdin,
        env=full,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )
