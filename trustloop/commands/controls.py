"""`trustloop controls`: the control map (each pact and autonomy rule, its evidence tables and their checks)."""

from __future__ import annotations

from pathlib import Path

from trustloop.commands.args import out_dir
from trustloop.errors import UserError, require_warehouse
from trustloop.warehouse import connect


def load_control_map(case_type: str | None = None):
    """The control map of the warehouse, with the dbt manifest of this project (parsed again if stale)."""
    require_warehouse()
    from orchestration.resources import load_manifest
    from trustloop.controls.control_map import build

    manifest = load_manifest()
    with connect(read_only=True) as con:
        try:
            return build(con, manifest, case_type)
        except LookupError as exc:
            raise UserError(str(exc)) from exc


def render_text(control_map) -> str:
    """One line per control (its outcome, threshold and the checks on its evidence), then each table once."""
    from trustloop.controls.control_map import summary_text

    lines = [f"control map · policy {control_map.policy_version} · as of {control_map.as_of_date}"]
    current = None
    for c in control_map.controls:
        if c.case_type != current:
            current = c.case_type
            lines += ["", f"{current:<44} {'outcome':<12} {'threshold':<42} checks on its evidence"]
        lines.append(f"  {c.control_id:<42} {c.status:<12} {c.threshold.split(' (')[0]:<42} "
                     f"{summary_text(control_map.summary(*c.tables))}")
    lines += ["", "evidence tables and their checks (latest outcome)"]
    for table in sorted({t for c in control_map.controls for t in c.tables}):
        lines.append(f"  {table:<42} {summary_text(control_map.summary(table))}")
    return "\n".join(lines)


def cmd_controls(args) -> int:
    from trustloop.controls.control_map import write

    control_map = load_control_map(args.case_type)
    if args.out:
        files = write(Path(args.out), control_map)
        print(f"control map: {len(control_map.controls)} controls, "
              f"{sum(len(v) for v in control_map.checks.values())} checks on "
              f"{len(control_map.checks)} tables: {', '.join(str(f) for f in files)}")
        return 0
    print(render_text(control_map))
    return 0


def register(sub) -> None:
    parser = sub.add_parser(
        "controls",
        help="the control map: each pact and autonomy rule, the tables that evidence it and the checks on them",
        description=(
            "For each case type: each pact (per dimension) and autonomy rule of the policy, its outcome at the "
            "last run, the tables that evidence it, and the dbt tests and Great Expectations expectations "
            "guarding those tables with their latest outcome. Printed, or written as control_map.csv and "
            "control_map.html."
        ),
    )
    parser.add_argument("--case-type", help="only this case type")
    parser.add_argument("--out", type=out_dir, help="write control_map.csv and control_map.html to this folder")
    parser.set_defaults(handler=cmd_controls)
