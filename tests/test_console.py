"""The `klbot` command as a script runs it: in this process through click, and as a real
process where that matters (smoke tests, signals, a terminal)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from storage.db import head_revision
from tests.shell import KLBOT, klbot, klbot_process


def test_scripted_chat_in_a_real_process_answers_every_line(env: dict[str, str]) -> None:
    done = klbot_process(env, "chat", stdin=b"Hallo\n/help\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    first, _, rest = done.stdout.partition("\n\n")
    assert "Frag mich" in first  # a greeting gets an introduction with example questions
    assert "/start" in rest and "/language" in rest


def test_ask_in_a_real_process_prints_the_reply(env: dict[str, str]) -> None:
    done = klbot_process(env, "ask", "/help")
    assert done.returncode == 0
    assert "/privacy" in done.stdout and done.stderr == ""


def test_numbered_choices_across_separate_asks_and_users(env: dict[str, str]) -> None:
    shown = klbot(env, "ask", "--user", "ana", "/language")
    assert "1) Deutsch" in shown.stdout and "2) English" in shown.stdout
    assert "English" in klbot(env, "ask", "--user", "ana", "2").stdout
    assert klbot(env, "ask", "--user", "ana", "/start").stdout.startswith("Hello")
    assert klbot(env, "ask", "--user", "ben", "/start").stdout.startswith("Hallo")


def test_bad_input_gets_clear_replies_and_no_traceback(env: dict[str, str]) -> None:
    lines = [
        b"",
        b"   \t ",
        b"\x01\x02\x1b[31m",
        b"Gr\xfc\xdfe",  # Latin-1, not UTF-8
        b"x" * 100_000,
        b"/help extra words",
        b"/nonsense",
        b"\xc3\xa4 \x00 still here",
    ]
    done = klbot(env, "chat", stdin=b"\n".join(lines) + b"\n")
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and done.stderr == ""
    out = done.stdout
    assert out.count("Deine Nachricht war leer") == 2
    assert "nicht lesen" in out
    assert "100000 Zeichen zu lang" in out
    assert "Zu /extra habe ich keine Hilfe" in out
    assert "Den Befehl /nonsense kenne ich nicht" in out
    # the escape-code line and the last one ("still here", English) are answered as questions
    assert out.count("Frag mich") + out.count("keine Informationen") == 1
    assert out.count("Ask me") + out.count("no information") == 1


def test_missing_config_file_exits_2_with_one_line(env: dict[str, str]) -> None:
    done = klbot(env, "--config", "missing.toml", "ask", "hi")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "klbot: missing.toml: file not found\n"


def test_invalid_config_exits_2_naming_the_key(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[telegram]\nenabeld = true\n")
    env["KLBOT_CONFIG"] = str(path)
    done = klbot(env, "ask", "hi")
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"klbot: {path}: [telegram] enabeld: unknown key "
        "(config.example.toml lists every key)"
    )


def test_db_commands(env: dict[str, str]) -> None:
    assert "empty database" in klbot(env, "db", "current").stdout
    assert klbot(env, "db", "upgrade").returncode == 0
    assert klbot(env, "db", "current").stdout.strip() == f"{head_revision()} (head)"


def test_run_without_adapters_is_the_console_and_stops_at_end_of_input(
    env: dict[str, str],
) -> None:
    done = klbot(env, "run", stdin=b"/start\n")
    assert done.returncode == 0
    assert "Hallo" in done.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_cleanly_on_a_signal(env: dict[str, str], sig: signal.Signals) -> None:
    process = subprocess.Popen(
        [*KLBOT, "run"],
        env=os.environ | env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"/start\n")
    process.stdin.flush()
    assert process.stdout.readline().startswith(b"Hallo")  # running and answering
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert b"Traceback" not in stderr


def test_interactive_terminal_shows_a_prompt_and_numbered_choices(env: dict[str, str]) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*KLBOT, "chat", "--user", "ana"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=os.environ | env,
    )
    os.close(slave)

    def read_until_prompt() -> str:
        seen = b""
        deadline = time.monotonic() + 20
        while not seen.endswith(b"du> ") and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        return seen.decode()

    try:
        assert "Strg-D" in read_until_prompt()
        os.write(master, b"/language\r")
        shown = read_until_prompt()
        assert "klbot> Welche Sprache" in shown and "2) English" in shown
        os.write(master, b"2\r")
        assert "English" in read_until_prompt()
        os.write(master, b"\x04")  # Ctrl-D ends the chat
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        os.close(master)


def test_announce_from_the_shell(env: dict[str, str]) -> None:
    klbot(env, "ask", "--user", "ana", "/subscribe alle")
    sent = klbot(env, "announce", "--audience", "all", "--text", "Hallo zusammen", "--no-wait")
    assert sent.returncode == 0 and "announcement #1 to 1 recipient: sending…\n" in sent.stdout
    assert "pending 1" in klbot(env, "deliveries", "1").stdout
    assert "Hallo zusammen" in klbot(env, "ask", "--user", "ana", "/start").stdout
    assert "sent 1, failed 0, pending 0" in klbot(env, "deliveries", "1").stdout
    later = klbot(env, "announce", "--audience", "all", "--text", "x", "--at", "2099-01-01 09:00")
    assert "announcement #2 planned: Thu 1 Jan 2099 at 09:00" in later.stdout
    for wrong, message in [
        (["--audience", "nobody", "--text", "x"], "is not all, board, staff"),
        (["--audience", "all", "--text", "x", "--at", "2001-01-01 09:00"], "has passed"),
        (["--audience", "all", "--text", "x", "--every", "bogus"], "did not understand the rule"),
        (["--audience", "all"], "exactly one of --text and --file"),
    ]:
        done = klbot(env, "announce", *wrong)
        assert done.returncode == 2 and message in done.stderr, done.stderr


def test_kb_gaps_lists_unanswered_questions_with_what_the_base_lacks(env: dict[str, str]) -> None:
    assert "no unanswered questions" in klbot(env, "kb", "gaps").stdout
    for _ in range(2):
        klbot(env, "ask", "Wie wird das Wetter in Mainz?")
    done = klbot(env, "kb", "gaps")
    assert done.returncode == 0, done.stderr
    first, unknown, *_ = done.stdout.splitlines()
    assert first.endswith("  2× Wie wird das Wetter in Mainz?")
    assert unknown == "   → words the knowledge base does not know: Wetter, Mainz"
    assert "klbot kb check" in done.stdout


def test_numbers_no_row_can_have_get_one_line(env: dict[str, str]) -> None:
    done = klbot(env, "deliveries", "99999999999999999999")
    assert done.returncode == 2
    assert done.stderr == "klbot: there is no announcement #99999999999999999999\n"
    forgot = klbot(env, "kb", "forget", "99999999999999999999")
    assert forgot.returncode == 2 and "is not in the range" in forgot.stderr


def test_announce_to_a_topic_by_its_name(env: dict[str, str]) -> None:
    klbot(env, "ask", "--user", "ana", "/subscribe #Smart City")
    klbot(env, "ask", "--user", "ben", "/subscribe Digitale Stadt")
    sent = klbot(
        env, "announce", "--audience", "topic:Smart City", "--text", "Sensoren", "--no-wait"
    )
    assert sent.returncode == 0, sent.stderr
    assert "Sensoren" in klbot(env, "ask", "--user", "ana", "/start").stdout
    assert "Sensoren" not in klbot(env, "ask", "--user", "ben", "/start").stdout
    unknown = klbot(env, "announce", "--audience", "topic:Verkehr", "--text", "x", "--no-wait")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("klbot: --audience: no topic 'Verkehr'; topics: all, ")
    assert "Smart City" in unknown.stderr and unknown.stderr.count("\n") == 1
