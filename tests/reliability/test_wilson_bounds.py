"""The Wilson bounds stay inside [0, 1] for every count, and around the observed rate.

Found by the property tests: at 0 of n (n of n) the formula is exactly 0 (1)
but, in doubles, about -1e-17 (1 +- 2e-16) for roughly a fifth of all n. A
week in which an agent complied with none of its escalations then failed
the range test of marts.rpt_agent_scores, and with it the whole run. The
macros (dbt_project/macros/wilson.sql) are rendered here with Jinja, as dbt
would, and evaluated in DuckDB for every count up to n = 3000.
"""

from __future__ import annotations

import duckdb
import jinja2
import yaml

from tests.conftest import PROJECT

MACROS = PROJECT / "dbt_project" / "macros" / "wilson.sql"


def render(call: str) -> str:
    z = yaml.safe_load((PROJECT / "dbt_project" / "dbt_project.yml").read_text())["vars"]["wilson_z"]
    env = jinja2.Environment()
    env.globals["var"] = lambda name: {"wilson_z": z}[name]
    return env.from_string(MACROS.read_text() + "{{ " + call + " }}").render().strip()


def test_wilson_bounds_are_proportions_around_the_rate():
    lower, upper = render("wilson_lower('num', 'den')"), render("wilson_upper('num', 'den')")
    con = duckdb.connect()
    try:
        bad = con.execute(f"""
            with counts as (
                select den, num from range(1, 3001) d(den), range(0, 3001) k(num)
                where num in (0, 1, den - 1, den) or (den <= 60 and num <= den)
            ),
            bounds as (select den, num, cast(num as double) / den as rate, {lower} as lo, {upper} as hi from counts)
            select den, num, lo, hi from bounds
            where not (lo >= 0 and hi <= 1 and lo <= rate and rate <= hi)
            order by den, num limit 10
        """).fetchall()
        zero = con.execute(f"select {lower}, {upper} from (select 0 as num, 0 as den)").fetchone()
    finally:
        con.close()
    assert bad == [], f"bounds outside [0, 1] or not around the rate: {bad}"
    assert zero == (None, None)
