"""What the CLI says when it cannot do what was asked: no warehouse yet, a bad option, a bad setting.

One clear line on stderr and exit code 2, never a traceback; nothing is written. No warehouse is
built here: every case fails before a run would start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_trustloop, trustloop_env


def _one_error_line(proc) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("args", [["quarantine"], ["quarantine", "--set-aside"], ["ledger"], ["quality"],
                                  ["quality", "--validate"], ["controls"],
                                  ["set-aside", "agent_logs", "--key", "ev-1", "--reason", "resent"]])
def test_reading_commands_without_a_warehouse_say_so(tmp_path, args):
    env = trustloop_env(tmp_path)
    proc = run_trustloop(args, env, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert _one_error_line(proc) == (
        f"trustloop: error: no warehouse at {env['TRUSTLOOP_WAREHOUSE']}: run `trustloop run` first"
    )
    assert not Path(env["TRUSTLOOP_WAREHOUSE"]).exists()


@pytest.mark.parametrize("tickets", ["0", "-5", "abc"])
def test_demo_refuses_a_ticket_count_below_one_as_a_usage_error(tmp_path, tickets):
    out = tmp_path / "landing"
    proc = run_trustloop(
        ["demo", "--out", str(out), f"--tickets={tickets}"], trustloop_env(tmp_path), check=False
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("usage: trustloop demo ")
    assert proc.stderr.rstrip().endswith(
        f"trustloop demo: error: argument --tickets: must be a whole number of at least 1, got '{tickets}'"
    )
    assert "Traceback" not in proc.stderr and not out.exists()


BAD_SETTINGS = [
    ("TRUSTLOOP_DEMO_TICKETS", "abc", "must be a whole number (at least 1)"),
    ("TRUSTLOOP_DEMO_TICKETS", "0", "must be a whole number (at least 1)"),
    ("TRUSTLOOP_LOCK_TIMEOUT", "1.5", "must be a whole number of seconds (at least 0)"),
    ("TRUSTLOOP_LOCK_TIMEOUT", "abc", "must be a whole number of seconds (at least 0)"),
    ("TRUSTLOOP_RETRAIN_SHARE", "-0.1", "must be a number (at least 0)"),
    ("TRUSTLOOP_RETRAIN", "bogus", "must be one of auto, always"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_SETTINGS)
@pytest.mark.parametrize("args", [["verify"], ["run"]])
def test_a_bad_setting_stops_every_command_with_one_line(tmp_path, name, value, expected, args):
    env = trustloop_env(tmp_path, **{name: value})
    proc = run_trustloop(args, env, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert _one_error_line(proc) == f"trustloop: error: {name} {expected}, got '{value}'"
    # stopped before anything was written (a run would have generated the demo landing folder in it)
    assert not (tmp_path / "output").exists()


def test_settings_accept_what_they_document(tmp_path):
    env = trustloop_env(
        tmp_path, TRUSTLOOP_RETRAIN="Always", TRUSTLOOP_LOCK_TIMEOUT="0", TRUSTLOOP_DEMO_TICKETS="1"
    )
    proc = run_trustloop(["verify"], env, check=False)
    # past the settings: the command's own answer, that there is no warehouse
    assert proc.returncode == 2 and _one_error_line(proc).startswith("trustloop: error: no warehouse at ")


def _usage_error(args: list[str], command: str, message: str, capsys) -> None:
    """argparse refuses ``args`` before any work: run in-process, one usage line and the message, exit 2."""
    from trustloop.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(args)
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == "", err
    assert err.startswith(f"usage: trustloop {command}")
    assert err.rstrip().endswith(f"trustloop {command}: error: {message}"), err


@pytest.mark.parametrize(("args", "command"), [
    (["metrics", "export"], "metrics export"),
    (["recommendations"], "recommendations"),
])
def test_a_file_to_write_that_is_a_folder_is_a_usage_error(tmp_path, args, command, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    _usage_error([*args, "--out", str(folder)], command,
                 f"argument --out: {folder} is a folder: name the file to write, e.g. {folder / 'out.csv'}", capsys)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("args", "command"), [
    (["report"], "report"), (["controls"], "controls"), (["evidence", "TCK-1"], "evidence"),
    (["demo"], "demo"), (["docs"], "docs"),
])
def test_a_folder_to_write_that_is_a_file_is_a_usage_error(tmp_path, args, command, capsys):
    afile = tmp_path / "metrics.csv"
    afile.write_text("kept\n")
    _usage_error([*args, "--out", str(afile)], command,
                 f"argument --out: {afile} is a file: name a folder to write into", capsys)
    # and a folder below a file
    below = afile / "sub"
    _usage_error([*args, "--out", str(below)], command, f"argument --out: {below}: {afile} is a file, not a folder",
                 capsys)
    assert afile.read_text() == "kept\n"


def test_a_negative_quarantine_limit_is_a_usage_error(capsys):
    _usage_error(["quarantine", "--limit", "-1"], "quarantine",
                 "argument --limit: must be a whole number of at least 0, got '-1'", capsys)


def test_a_reader_that_goes_away_stops_the_output_quietly(tmp_path):
    """`trustloop ... | head`: no BrokenPipeError traceback when the reader closes the pipe."""
    import subprocess
    import sys

    env = trustloop_env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustloop.cli", "demo", "--out", str(tmp_path / "landing"), "--tickets", "3",
         "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdout.close()  # before the command prints anything
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_every_command_describes_itself_in_its_help():
    import argparse

    from trustloop.cli import build_parser

    def commands(parser, prefix=""):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield f"{prefix}{name}", sub
                    yield from commands(sub, f"{prefix}{name} ")

    found = dict(commands(build_parser()))
    assert {"run", "serve", "evidence", "verify", "verify-packet", "metrics export", "quarantine", "ledger"} <= set(found)
    assert [name for name, sub in found.items() if not (sub.description or "").strip()] == []
    assert "/api/v1/health" in found["serve"].description
