"""The benchmark's reference: DuckDB computing the five campaign statistics by campaign and week in SQL.

Written from the definitions (docs/metrics.md), independent of talentstats. Three sources:

- ``export``: a Reach Out export file (CSV or Parquet of text columns, as the CRM writes it): state labels are
  mapped to codes, timestamps parsed, duplicates collapsed (latest Updated At wins);
- ``dataset``: a canonical dataset folder written by ``talentstats ingest`` (typed, already deduplicated);
- an in-memory Arrow table holding the canonical table (:func:`metrics_on_arrow`).

Run as a script it prints ``{"rows": [...], "total": {...}}`` with the counts, like ``talentstats stats --format
json`` (rates left out), so the benchmark can check that both sides agree before comparing their speed::

    python benchmarks/duckdb_reference.py export benchmarks/data/1m/reach_outs.csv --start 2026-08-01 --end 2026-11-22
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

STATE_CASE = """CASE lower(trim(state_text)) WHEN 'in progress' THEN 0 WHEN 'hard bounced' THEN 1
  WHEN 'responded' THEN 2 WHEN 'completed' THEN 3 WHEN 'paused' THEN 4 WHEN 'canceled' THEN 5
  WHEN 'cancelled' THEN 5 WHEN 'undone' THEN 6 WHEN 'paused by auth loss' THEN 7 WHEN 'prevented' THEN 8
  WHEN 'pending' THEN 9 ELSE TRY_CAST(state_text AS INTEGER) END"""

#: the five counts per group from a relation ``f(campaign, created_at, state, response_via, response_type, opened)``
AGGREGATE = """
, r AS (
  SELECT campaign, CAST(date_trunc('week', created_at AT TIME ZONE 'UTC') AS DATE) AS week, state, opened,
         coalesce(trim(response_via), '') <> '' OR state = 2 AS responded, response_type
  FROM f WHERE created_at >= $lo AND created_at < $hi
)
SELECT campaign, strftime(week, '%Y-%m-%d') AS week, count(*) AS reach_outs,
       count(*) FILTER (NOT responded AND state NOT IN (1, 5)) AS in_progress,
       CASE WHEN count(opened) = count(*) THEN count(*) FILTER (opened) END AS opens,
       count(*) FILTER (responded) AS responses,
       count(*) FILTER (responded AND response_type = 'Interested') AS interested
FROM r GROUP BY ALL ORDER BY campaign, week
"""


def _export_source(path: str) -> str:
    p = path.replace("'", "''")
    if path.endswith((".parquet", ".pq")):
        return f"read_parquet('{p}')"
    return f"read_csv('{p}', header = true, all_varchar = true)"


def export_sql(path: str) -> str:
    """SQL over an export file: parse, collapse duplicates (latest Updated At wins), then aggregate."""
    return f"""
WITH raw AS (
  SELECT trim("Reach Out ID") AS id, trim("Campaign") AS campaign, "State" AS state_text,
         CAST(NULLIF(trim("Created At"), '') AS TIMESTAMPTZ) AS created_at,
         CAST(NULLIF(trim("Updated At"), '') AS TIMESTAMPTZ) AS updated_at,
         "Response Via" AS response_via,
         CASE WHEN lower(trim("Response Type")) IN ('interested', '👍', ':+1:', 'thumbs up') THEN 'Interested'
              ELSE trim("Response Type") END AS response_type
  FROM {_export_source(path)}
), one AS (
  SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC NULLS LAST) = 1
), f AS (
  SELECT campaign, created_at, {STATE_CASE} AS state, response_via, response_type, CAST(NULL AS BOOLEAN) AS opened
  FROM one
)""" + AGGREGATE


def dataset_sql(folder: str) -> str:
    """SQL over a canonical dataset folder (a Delta Lake table of typed, deduplicated rows): the active files of
    its latest version, as the Delta log lists them (DuckDB's own delta extension cannot be installed offline)."""
    from deltalake import DeltaTable

    files = ", ".join("'" + f.replace("'", "''") + "'" for f in DeltaTable(folder).file_uris())
    return f"""
WITH f AS (
  SELECT campaign, created_at, state, response_via, response_type, opened
  FROM read_parquet([{files}], hive_partitioning = false)
)""" + AGGREGATE


def arrow_sql() -> str:
    """SQL over a registered Arrow/pandas table called ``canonical``."""
    return """
WITH f AS (SELECT campaign, created_at, state, response_via, response_type, opened FROM canonical)""" + AGGREGATE


def bounds(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants bounding the calendar dates [start, end]."""
    lo = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(dt.date.fromisoformat(end) + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return lo, hi


def connect() -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def run(con: Any, sql: str, start: str, end: str) -> dict[str, Any]:
    """Execute and return {"rows": [...], "total": {...}} with the five counts (opens None when unknown)."""
    lo, hi = bounds(start, end)
    cur = con.execute(sql, {"lo": lo, "hi": hi})
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    total = {k: sum(r[k] for r in rows) for k in ("reach_outs", "in_progress", "responses", "interested")}
    opens = [r["opens"] for r in rows]
    total["opens"] = None if any(o is None for o in opens) else sum(opens)
    return {"rows": rows, "total": total}


def metrics_on_arrow(con: Any, table: Any, start: str, end: str) -> dict[str, Any]:
    """The five counts by campaign and week on an in-memory (Arrow or pandas) canonical table."""
    con.register("canonical", table)
    try:
        return run(con, arrow_sql(), start, end)
    finally:
        con.unregister("canonical")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["export", "dataset"])
    ap.add_argument("path")
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    args = ap.parse_args()
    sql = export_sql(args.path) if args.kind == "export" else dataset_sql(args.path)
    out = run(connect(), sql, args.start, args.end)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
