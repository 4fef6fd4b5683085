"""Batch builders shared by the suites: schema, rows, weekly volume, null rates,
values outside a vocabulary, per-file reconciliation, pass-rate drift.

Each builder returns a :class:`~expectations.core.Batch`: a DuckDB query (the
aggregates run inside DuckDB over the whole table; only their small result
travels to pandas) and the GX expectations applied to its result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from expectations.config import NullRateRule, Thresholds
from expectations.core import Batch, PerRow

# The evidence "as of": the latest activity in the landing data (ticket
# creation or agent-log event). Ticket snapshots (updated_at) are excluded on
# purpose: they keep arriving weeks after the activity they describe. Values
# dated after the validation (its clock in UTC, plus a day) are left out, as
# dbt's credible_max leaves them out of the data's end: a mistyped year on one
# row would otherwise make an empty future week the one judged.
_CREDIBLE_UNTIL = "(cast(timezone('UTC', now()) as timestamp) + interval 1 day)"


def _credible_max(column: str, table: str) -> str:
    return (f"(select coalesce(max({column}) filter (where {column} <= {_CREDIBLE_UNTIL}), max({column})) "
            f"from {table})")


AS_OF_SQL = f"greatest({_credible_max('created_at', 'raw.tickets')}, {_credible_max('occurred_at', 'raw.agent_logs')})"
AS_OF_TABLES = ("raw.tickets", "raw.agent_logs")


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def gx():
    """The GX expectations module (imported on first use: it takes seconds)."""
    import great_expectations.expectations as gxe

    return gxe


# ------------------------------------------------------------------ schema


def schema_batch(table: str, expected: Mapping[str, str | None], *, exact: bool = False) -> Batch:
    """Expected columns (and, where given, their DuckDB types) of ``table``.

    ``expected`` maps column -> type as DuckDB's information schema spells it
    (e.g. ``VARCHAR``, ``DECIMAL(18,4)``) or None to check presence only.
    With ``exact``, columns that are not expected fail too.
    """
    schema, name = table.split(".", 1)
    values = ", ".join(
        f"({_literal(col)}, {_literal(typ) if typ else 'null'})" for col, typ in expected.items()
    )

    def query(_: Thresholds) -> str:
        return f"""
            with expected(column_name, expected_type) as (values {values}),
            actual as (
                select column_name, upper(replace(data_type, ' ', '')) as actual_type, ordinal_position
                from information_schema.columns
                where table_schema = {_literal(schema)} and table_name = {_literal(name)}
            )
            select coalesce(e.column_name, a.column_name) as column_name,
                   upper(replace(e.expected_type, ' ', '')) as expected_type, a.actual_type,
                   e.column_name is not null as is_expected, a.column_name is not null as is_present
            from expected e full join actual a on a.column_name = e.column_name
            order by a.ordinal_position nulls last, 1
        """

    def expectations(_: Thresholds) -> list[Any]:
        x = gx()
        found = [
            x.ExpectColumnValuesToBeInSet(
                column="is_present", value_set=[True], description="every expected column is present"
            ),
            x.ExpectColumnPairValuesToBeEqual(
                column_A="expected_type", column_B="actual_type", ignore_row_if="either_value_is_missing",
                description="expected columns have their expected type",
            ),
        ]
        if exact:
            found.append(
                x.ExpectColumnValuesToBeInSet(
                    column="is_expected", value_set=[True], description="no column beyond the expected set"
                )
            )
        return found

    return Batch(
        name="schema",
        description=f"columns and types of {table} from the information schema",
        query=query,
        expectations=expectations,
        index_columns=("column_name", "expected_type", "actual_type"),
    )


# ------------------------------------------------------------------ rows


def rows_batch(
    table: str,
    columns: Sequence[str],
    expectations: Callable[[Thresholds], list[Any]],
    *,
    index_columns: Sequence[str],
    sampled: bool = False,
    where: str | None = None,
    name: str = "rows",
    description: str | None = None,
    as_double: Sequence[str] = (),
    computed: Mapping[str, str] | None = None,
) -> Batch:
    """The table's rows, whole or as a bounded sample.

    ``as_double`` columns are cast to DOUBLE (DECIMAL values would reach
    pandas as Python objects); ``computed`` adds named SQL expressions.
    """
    select = [f"cast({_ident(c)} as double) as {_ident(c)}" if c in as_double else _ident(c) for c in columns]
    select += [f"{expr} as {_ident(alias)}" for alias, expr in (computed or {}).items()]
    where_sql = f" where {where}" if where else ""
    sql = f"select {', '.join(select)} from {table}{where_sql}"

    def sample_query(size: int, seed: int) -> str:
        # the reservoir runs over the rowids alone; only the chosen rows' columns are read (at 7.3M agent-log
        # rows: 1 s, against 7 s for a reservoir over every column of every row)
        picked = (f"select _sample_rowid from (select rowid as _sample_rowid from {table}{where_sql}) "
                  f"using sample reservoir({size} rows) repeatable ({seed})")
        return f"select {', '.join(select)} from {table} where rowid in ({picked})"

    return Batch(
        name=name,
        description=description
        or (f"rows of {table}" + (" (a bounded, repeatable sample when large)" if sampled else ", whole")),
        query=lambda _t: sql,
        expectations=expectations,
        index_columns=tuple(index_columns),
        sampled=sampled,
        sample_query=sample_query if sampled else None,
    )


# ------------------------------------------------------------------ volume


def weekly_volume_batch(table: str, time_column: str) -> Batch:
    """Rows of the latest complete ISO week against the median of the trailing weeks.

    The latest complete week is judged relative to the evidence as-of
    (AS_OF_SQL), not to each table's own latest row, so a source whose last
    week is missing altogether shows as a week of zero rows. Weeks before the
    table's first row are not history; empty weeks after it count as zero.
    The week is judged only with enough history (see Thresholds); otherwise
    ratio_to_trailing_median is empty and the expectation skips it.
    """
    ts = _ident(time_column)

    def query(t: Thresholds) -> str:
        n = int(t.volume_trailing_weeks)
        return f"""
            with as_of as (select {AS_OF_SQL} as as_of),
            latest as (
                select as_of,
                       cast(date_trunc('week', as_of + interval {int(t.week_complete_grace_hours)} hour)
                            - interval 7 day as timestamp) as latest_week
                from as_of
            ),
            weeks as (
                select cast(date_trunc('week', {ts}) as timestamp) as week_start, count(*) as n
                from {table} where {ts} is not null group by 1
            ),
            calendar as (
                select cast(unnest(generate_series(latest_week - interval {7 * n} day, latest_week,
                                                   interval 7 day)) as timestamp) as week_start
                from latest
            ),
            filled as (
                select c.week_start, coalesce(w.n, 0) as n
                from calendar c left join weeks w on w.week_start = c.week_start
            ),
            history as (
                select f.week_start, f.n from filled f, latest l
                where f.week_start < l.latest_week
                  and f.week_start >= (select min(week_start) from weeks)
            ),
            summary as (
                select l.as_of, l.latest_week,
                       coalesce((select n from filled where week_start = l.latest_week), 0) as latest_rows,
                       (select count(*) from history) as trailing_weeks,
                       (select median(n) from history) as trailing_median
                from latest l
            )
            select {_literal(table)} as table_name, {_literal(time_column)} as time_column,
                   as_of, latest_week, latest_rows, trailing_weeks, cast(trailing_median as double) as trailing_median,
                   (trailing_weeks >= {int(t.volume_min_history_weeks)}
                    and coalesce(trailing_median, 0) >= {float(t.volume_min_median_rows)}) as judged,
                   case when trailing_weeks >= {int(t.volume_min_history_weeks)}
                             and coalesce(trailing_median, 0) >= {float(t.volume_min_median_rows)}
                        then latest_rows / trailing_median end as ratio_to_trailing_median
            from summary
            where as_of is not null
        """

    def expectations(t: Thresholds) -> list[Any]:
        bound = f"at least {t.volume_min_ratio:g}" + (
            f" and at most {t.volume_max_ratio:g}" if t.volume_max_ratio is not None else ""
        )
        return [
            gx().ExpectColumnValuesToBeBetween(
                column="ratio_to_trailing_median",
                min_value=t.volume_min_ratio,
                max_value=t.volume_max_ratio,
                description=(
                    f"weekly volume of {table} by {time_column}: the latest complete week holds {bound} x "
                    f"the median of the trailing {t.volume_trailing_weeks} weeks"
                ),
            )
        ]

    return Batch(
        name="weekly_volume",
        description=f"rows of {table} per ISO week of {time_column}: latest complete week vs trailing median",
        query=query,
        expectations=expectations,
        index_columns=("latest_week", "latest_rows", "trailing_median", "trailing_weeks"),
        observe=True,
        requires=AS_OF_TABLES,
    )


# ------------------------------------------------------------------ aggregates against a ceiling


def _under_ceiling(observed: str, description: str) -> Any:
    """An aggregate batch's rule: on every row, ``observed`` is at most the row's ``ceiling``."""
    return gx().ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="ceiling", column_B=observed, or_equal=True, description=description
    )


# ------------------------------------------------------------------ null rates


def _null_rate_sql(table: str, rule: NullRateRule) -> str:
    """One rule's row: its rows, NULLs and NULL share (0 for a when_carried rule whose column no row carries)."""
    column = _ident(rule.column)
    rate = f"coalesce((count(*) - count({column})) / nullif(count(*), 0), 0.0)"
    if rule.when_carried:
        rate = f"case when count({column}) = 0 then 0.0 else {rate} end"
    return f"""select {_literal(rule.name)} as rule, {_literal(rule.column)} as column_name,
                      {_literal(rule.where)} as condition, count(*) as rows, count(*) - count({column}) as nulls,
                      ({rate})::double as null_rate, {float(rule.ceiling)}::double as ceiling
               from {table} where {rule.where}"""


def null_rates_batch(table: str, *, blocking: bool = True) -> Batch:
    """Share of NULLs per rule of ``Thresholds.null_rates[table]`` (its blocking rules, or with
    ``blocking=False`` the others), computed over the whole table."""

    def query(t: Thresholds) -> str:
        rules = [r for r in t.null_rates.get(table, ()) if r.blocking == blocking]
        if not rules:
            return (
                "select cast(null as varchar) as rule, cast(null as varchar) as column_name, "
                "cast(null as varchar) as condition, 0::bigint as rows, 0::bigint as nulls, "
                "0.0::double as null_rate, 0.0::double as ceiling where false"
            )
        return " union all ".join(_null_rate_sql(table, r) for r in rules)

    def expectations(_: Thresholds) -> list[Any]:
        return [_under_ceiling("null_rate", f"null rates of {table} stay under their ceilings")]

    return Batch(
        name="null_rates",
        description=f"null rates of {table} (whole table) against their ceilings",
        query=query,
        expectations=expectations,
        index_columns=("rule", "rows", "nulls", "null_rate", "ceiling"),
        observe=True,
    )


# ------------------------------------------------------------------ values outside a vocabulary


def unknown_values_batch(table: str, column: str, known: Sequence[str], max_share: Callable[[Thresholds], float]) -> Batch:
    """The share of ``table``'s rows (whole table) whose ``column`` is outside ``known``, against a ceiling."""

    def query(t: Thresholds) -> str:
        values = ", ".join(_literal(v) for v in known)
        return f"""select {_literal(column)} as column_name, count(*) as rows,
                          count(*) filter (where is_unknown) as unknown,
                          coalesce(count(*) filter (where is_unknown) / nullif(count(*), 0), 0.0)::double
                              as unknown_share,
                          {float(max_share(t))}::double as ceiling,
                          array_to_string((list(distinct value order by value) filter (where is_unknown))[:10], ', ')
                              as examples
                   from (select {_ident(column)} as value, {_ident(column)} not in ({values}) as is_unknown
                         from {table})"""

    def expectations(_: Thresholds) -> list[Any]:
        return [_under_ceiling("unknown_share",
                               f"{column} values outside the contract's stay under their ceiling in {table}")]

    return Batch(
        name=f"unknown_{column}",
        description=f"share of {table} rows whose {column} the contract does not know (whole table)",
        query=query,
        expectations=expectations,
        index_columns=("column_name", "rows", "unknown", "unknown_share", "ceiling", "examples"),
        observe=True,
    )


# ------------------------------------------------------------------ reconciliation


def reconciliation_batch(source: str) -> Batch:
    """Every landing file of ``source``: read = loaded + quarantined, and the warehouse holds what the ledger says."""
    from trustloop.ingest.reconcile import file_reconciliation_sql, has_erasure_log

    def expectations(_: Thresholds) -> list[Any]:
        x = gx()
        return [
            x.ExpectColumnPairValuesToBeEqual(
                column_A="rows_read", column_B="loaded_plus_quarantined",
                description="per file: rows read = rows loaded + rows quarantined",
            ),
            x.ExpectColumnPairValuesToBeEqual(
                column_A="rows_loaded", column_B="new_plus_duplicate",
                description="per file: rows loaded = rows new + rows duplicate",
            ),
            x.ExpectColumnPairValuesToBeEqual(
                column_A="rows_stored", column_B="rows_new",
                description="per file: rows stored in the raw table = rows new in the ledger",
            ),
            x.ExpectColumnPairValuesToBeEqual(
                column_A="rows_held_in_quarantine", column_B="rows_quarantined",
                description="per file: rows held in quarantine = rows quarantined in the ledger",
            ),
            x.ExpectColumnValuesToBeBetween(
                column="files_in_ledger", min_value=1,
                description="per file: every stored or quarantined row comes from a file in the ledger",
            ),
        ]

    return Batch(
        name="reconciliation",
        description=f"per-file reconciliation of raw.{source} against the file ledger",
        query=lambda _t: file_reconciliation_sql(source, erasure_log=False),
        # rows erased on a customer's request count as stored, once the erasure log exists
        query_for=lambda con, _t: file_reconciliation_sql(source, erasure_log=has_erasure_log(con)),
        expectations=expectations,
        index_columns=("file", "observed"),
        per_row=PerRow(
            rule="file reconciles: read = loaded + quarantined; stored and quarantined rows match the ledger",
            subject="file",
            success="reconciles",
            observed="observed",
        ),
        requires=("raw.file_ledger", "raw.quarantine"),
    )


# ------------------------------------------------------------------ drift


def pass_rate_drift_batch() -> Batch:
    """Pact pass rate per dimension: latest complete week against the pooled trailing weeks."""

    def query(t: Thresholds) -> str:
        n = int(t.drift_trailing_weeks)
        min_n = int(t.drift_min_evaluations)
        return f"""
            with latest as (
                select cast(date_trunc('week', {AS_OF_SQL} + interval {int(t.week_complete_grace_hours)} hour)
                            - interval 7 day as timestamp) as latest_week
            ),
            ev as (
                select dimension, cast(date_trunc('week', evaluated_at) as timestamp) as week_start,
                       case when passed then 1 else 0 end as hit
                from marts.fct_evaluations where passed is not null and dimension is not null
            ),
            recent as (
                select dimension, count(*) as n, sum(hit) as k
                from ev, latest where week_start = latest_week group by dimension
            ),
            history as (
                select dimension, count(*) as n, sum(hit) as k
                from ev, latest
                where week_start < latest_week and week_start >= latest_week - interval {7 * n} day
                group by dimension
            ),
            joined as (
                select coalesce(r.dimension, t.dimension) as dimension, (select latest_week from latest) as latest_week,
                       coalesce(r.n, 0) as latest_evaluations, coalesce(t.n, 0) as trailing_evaluations,
                       r.k / nullif(r.n, 0) as latest_pass_rate, t.k / nullif(t.n, 0) as trailing_pass_rate,
                       (coalesce(r.k, 0) + coalesce(t.k, 0)) / nullif(coalesce(r.n, 0) + coalesce(t.n, 0), 0) as pooled
                from recent r full join history t on t.dimension = r.dimension
            ),
            scored as (
                select *, latest_pass_rate - trailing_pass_rate as change,
                       case when pooled > 0 and pooled < 1 and latest_evaluations > 0 and trailing_evaluations > 0
                            then (latest_pass_rate - trailing_pass_rate) / sqrt(
                                pooled * (1 - pooled) * (1.0 / latest_evaluations + 1.0 / trailing_evaluations))
                       end as z
                from joined
            )
            select dimension, latest_week, latest_evaluations, trailing_evaluations,
                   latest_pass_rate, trailing_pass_rate, change, z,
                   (latest_evaluations >= {min_n} and trailing_evaluations >= {min_n}) as judged,
                   coalesce(latest_evaluations >= {min_n} and trailing_evaluations >= {min_n}
                            and abs(change) > {float(t.drift_max_change)} and abs(z) >= {float(t.drift_min_z)},
                            false) as is_drifting
            from scored order by dimension
        """

    def expectations(t: Thresholds) -> list[Any]:
        return [
            gx().ExpectColumnValuesToBeInSet(
                column="is_drifting", value_set=[False],
                description=(
                    f"pact pass rate per dimension: the latest complete week moves by at most "
                    f"{t.drift_max_change:g} from the trailing {t.drift_trailing_weeks} weeks "
                    f"(or the move is not significant, |z| < {t.drift_min_z:g})"
                ),
            )
        ]

    return Batch(
        name="pass_rate_drift",
        description="pact pass rate per dimension, latest complete week vs the pooled trailing weeks",
        query=query,
        expectations=expectations,
        index_columns=("dimension", "latest_week", "latest_pass_rate", "trailing_pass_rate",
                       "latest_evaluations", "z"),
        observe=True,
        requires=AS_OF_TABLES,
    )


# ------------------------------------------------------------------ keys


def duplicate_keys_batch(table: str, key_columns: Sequence[str], *, limit: int = 1000) -> Batch:
    """Keys that occur more than once in ``table``, found over the whole table inside DuckDB."""
    keys = ", ".join(_ident(c) for c in key_columns)
    sql = (
        f"select {keys}, count(*) as copies from {table} where "
        + " and ".join(f"{_ident(c)} is not null" for c in key_columns)
        + f" group by {keys} having count(*) > 1 order by copies desc, {keys} limit {int(limit)}"
    )
    label = ", ".join(key_columns)

    def expectations(_: Thresholds) -> list[Any]:
        return [
            gx().ExpectColumnValuesToBeBetween(
                column="copies", max_value=1, description=f"({label}) is unique in {table} (whole table)"
            )
        ]

    return Batch(
        name="keys",
        description=f"duplicate ({label}) in {table}, whole table",
        query=lambda _t: sql,
        expectations=expectations,
        index_columns=(*key_columns, "copies"),
    )
