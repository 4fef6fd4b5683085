"""Analytics-engineer tools: `trustloop docs` (the dbt docs site) and `trustloop ui` (the Dagster UI).

- ``trustloop docs [--out DIR]`` runs ``dbt docs generate --static`` offline and copies the site to
  ``<output>/dbt_docs`` (index.html + manifest.json + catalog.json, and static_index.html, one
  self-contained file to open from disk). dbt reads the warehouse through a temporary profile that
  attaches it READ-ONLY, so the docs never change it and may be built while the lookup API reads it.
  Without a warehouse the site is built with an empty catalog (descriptions, lineage and SQL, no
  column types).
- ``trustloop ui [--host H] [--port P]`` replaces itself with ``dagster dev`` on the project's
  Definitions, with DAGSTER_HOME and the warehouse from trustloop.settings.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from trustloop.commands.args import out_dir
from trustloop.errors import UserError
from trustloop.settings import Settings, apply_environment, get_settings

DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")
DAGSTER_MODULE = "orchestration.definitions"


def _bin(name: str) -> str:
    """A tool of this environment (beside the running Python), else from PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else name


def database_name(warehouse: Path) -> str:
    """The database name dbt-duckdb gives the warehouse file (its stem), made a safe identifier."""
    name = re.sub(r"\W", "_", Path(warehouse).stem) or "warehouse"
    return name if not name[0].isdigit() else f"db_{name}"


def docs_profile(warehouse: Path | None) -> str:
    """profiles.yml text for the docs: an in-memory DuckDB with the warehouse attached read-only.

    The attached database gets the name the normal builds use, so the catalog matches the manifest.
    ``None``: no warehouse (the caller asks dbt for an empty catalog).
    """
    lines = [
        "trustloop:",
        "  target: docs",
        "  outputs:",
        "    docs:",
        "      type: duckdb",
        "      path: ':memory:'",
        "      threads: 1",
        "      settings:",
        "        TimeZone: UTC",
    ]
    if warehouse is not None:
        alias = database_name(warehouse)
        path = str(warehouse).replace("'", "''")
        lines += [
            f"      database: {alias}",
            "      attach:",
            f"        - path: '{path}'",
            f"          alias: {alias}",
            "          read_only: true",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DocsSite:
    out_dir: Path
    files: tuple[Path, ...]
    empty_catalog: bool

    @property
    def static_index(self) -> Path:
        return self.out_dir / "static_index.html"


def build_docs(out_dir: Path | None = None, settings: Settings | None = None) -> DocsSite:
    """Generate the dbt docs site into ``out_dir`` (default ``<output>/dbt_docs``)."""
    from trustloop.locking import run_lock

    settings = settings or get_settings()
    out_dir = Path(out_dir) if out_dir else settings.output_dir / "dbt_docs"
    warehouse = settings.warehouse if settings.warehouse.exists() else None
    with tempfile.TemporaryDirectory(prefix="trustloop-docs-") as tmp:
        work = Path(tmp)
        (work / "profiles.yml").write_text(docs_profile(warehouse))
        cmd = [
            _bin("dbt"), "docs", "generate", "--static",
            "--project-dir", str(settings.dbt_project_dir),
            "--profiles-dir", str(work),
            "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
        ]
        if warehouse is None:
            cmd.append("--empty-catalog")
        env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
        if warehouse is not None:
            # a pipeline run writes the warehouse: wait for it rather than fail on DuckDB's file lock
            with run_lock(settings.lock_file, settings.lock_timeout):
                proc = subprocess.run(cmd, cwd=settings.dbt_project_dir, env=env, capture_output=True, text=True)
        else:
            proc = subprocess.run(cmd, cwd=settings.dbt_project_dir, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise UserError(f"dbt docs generate failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in DOCS_FILES:
            source = work / "target" / name
            if source.exists():
                shutil.copy2(source, out_dir / name)
                written.append(out_dir / name)
    return DocsSite(out_dir=out_dir, files=tuple(written), empty_catalog=warehouse is None)


def cmd_docs(args) -> int:
    settings = get_settings()
    if not settings.warehouse.exists():
        print(
            f"no warehouse at {settings.warehouse}: building the docs with an empty catalog "
            "(run `trustloop run` first for column types and row counts)",
            file=sys.stderr,
        )
    site = build_docs(Path(args.out) if args.out else None, settings)
    print(f"dbt docs written to {site.out_dir}")
    print(f"  open {site.static_index} in a browser (one self-contained file),")
    print(f"  or serve the folder: python -m http.server --directory {site.out_dir} 8080")
    return 0


def ui_command(host: str, port: int, webserver_only: bool = False) -> list[str]:
    """The command line of the Dagster UI on the project's Definitions."""
    if webserver_only:
        return [_bin("dagster-webserver"), "-m", DAGSTER_MODULE, "-h", host, "-p", str(port)]
    return [_bin("dagster"), "dev", "-m", DAGSTER_MODULE, "-h", host, "-p", str(port)]


def cmd_ui(args) -> int:
    settings = apply_environment()
    cmd = ui_command(args.host, args.port, webserver_only=args.webserver_only)
    print(
        f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={settings.dagster_home}, "
        f"warehouse {settings.warehouse}); Ctrl-C stops it",
        file=sys.stderr,
    )
    sys.stderr.flush()
    sys.stdout.flush()
    # dagster dev must get INT/TERM with their default action, or it cannot be stopped when this
    # command runs in the background of a script (which starts it with SIGINT ignored)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(settings.project_dir)
    try:
        os.execvp(cmd[0], cmd)
    except OSError as exc:  # pragma: no cover - only when the tool is missing
        raise UserError(f"cannot start {cmd[0]}: {exc}") from exc
    return 0  # pragma: no cover


def register(sub) -> None:
    docs = sub.add_parser(
        "docs",
        help="generate the dbt docs site (offline) into <output>/dbt_docs",
        description="Run `dbt docs generate --static` against the current warehouse (read-only) and write "
        "index.html, static_index.html, manifest.json and catalog.json.",
    )
    docs.add_argument("--out", default=None, type=out_dir, help="folder to write the site to (default: <output>/dbt_docs)")
    docs.set_defaults(handler=cmd_docs)

    ui = sub.add_parser(
        "ui",
        help="start the Dagster UI (dagster dev) on 127.0.0.1",
        description="Start `dagster dev -m orchestration.definitions` (webserver + daemon: schedules and "
        "sensors run) with the project's DAGSTER_HOME.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    ui.add_argument(
        "--webserver-only", action="store_true",
        help="only the webserver (dagster-webserver): browse assets and runs, no daemon (schedules/sensors idle)",
    )
    ui.set_defaults(handler=cmd_ui)
