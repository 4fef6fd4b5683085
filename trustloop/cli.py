"""The `trustloop` command line.

Each capability registers its own sub-commands from a module in
trustloop/commands/ (a ``register(subparsers)`` function); this file only
lists those modules.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMAND_MODULES = [
    "trustloop.commands.pipeline",  # demo, run
    "trustloop.commands.inspect",  # metrics export, quarantine, ledger
    "trustloop.commands.trust",  # lookup, serve, evidence, verify, verify-packet, erase
    "trustloop.commands.report",  # report (scorecard, memos, finance export)
    "trustloop.commands.quality",  # quality (latest Great Expectations results, Data Docs)
    "trustloop.commands.recommendations",  # recommendations (autonomy: promote / hold / demote)
    "trustloop.commands.controls",  # controls (the control map: pact -> tables -> checks)
    "trustloop.commands.dev",  # docs (dbt docs site), ui (Dagster UI)
    "trustloop.commands.spark",  # spark build (the dbt project on Apache Spark; needs the spark extra)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustloop",
        description="Trust-evidence warehouse for AI customer-support agents.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _describe(sub)
    return parser


def _describe(sub: argparse._SubParsersAction) -> None:
    """A command registered with a one-line help and no description shows that line atop its own --help."""
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, command in sub.choices.items():
        if command.description is None and helps.get(name):
            command.description = helps[name][:1].upper() + helps[name][1:] + "."
        for action in command._actions:  # nested commands (metrics export)
            if isinstance(action, argparse._SubParsersAction):
                _describe(action)


def main(argv: list[str] | None = None) -> int:
    from trustloop.settings import apply_environment

    args = build_parser().parse_args(argv)
    try:
        apply_environment()  # a setting the environment gets wrong is reported like any expected error
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`trustloop quarantine | head`): stop quietly, as other tools do;
        # stdout goes to /dev/null so that the interpreter's last flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # a clear one-line error, not a traceback, for expected failures
        from trustloop.errors import EXPECTED_ERRORS

        if isinstance(exc, EXPECTED_ERRORS):
            print(f"trustloop: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
