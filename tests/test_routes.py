"""Every route gives the same numbers - the documented ones (issue 10, point 2).

Hypothesis generates Reach Out exports in every dialect the loader reads (CSV with comma, semicolon, tab or pipe,
UTF-8 with or without BOM, cp1252, UTF-16, gzip, QUOTE_ALL, CRLF, ``.txt``; a folder of two CSV files; a CSV and a
JSON Lines file named one after the other, the second possibly without the open column; XLSX with numeric, date
and boolean cells; Parquet with typed columns; JSON Lines, gzipped or not, with mixed value types), with header
aliases in any column order, extra columns, states as codes, "2.0", labels in any case or "Label (n)", times with
"Z", offsets, naive in a source time zone or typed, opens as a flag, a count, a timestamp, a messages export or
absent. Text values carry surrounding whitespace, NBSP, ideographic space, zero-width characters (U+200B, U+200C,
U+200D, U+2060, U+FEFF, also inside a value) and NFD spellings ("Cafe\u0301" beside "Café"); response vias and
types may be missing, blank or whitespace only; response types are spelled "Interested", "Interested (👍)", "👍",
"Not Interested", ...; reach outs are duplicated (the same id twice or thrice, with or without Updated At), some
rows are broken (rejected); there are 1 to 500 campaign x sender groups; the rows come in any order; the report
time zone may have a DST change in the range.

Each export goes through every route of ``routes_support.ROUTES``: ``talentstats stats`` as it is (every question
of the case, the week one with ``--week``), with ``--rejects`` (whose file must hold every rejected row), with
``--strict`` (which must fail, one line, exit 2, when a row is rejected), ``--format csv`` and ``--format table``
(its total line), ``ingest`` (whose load report must account for every row) then ``stats DIR``, ``--engine``
polars and duckdb on the file and on the dataset, the Python API (``read_reach_outs`` + ``campaign_stats``, and
the statistics-only load + ``stats_with_total``), the dashboard (tiles, per-key tables, tiles with one campaign
selected) and the weekly report of a week (headline numbers, per-campaign table). ``--engine dask`` and ``spark``
start slowly: they run on a few cases of their own (one local Spark session for all of them). Every route must
give exactly - counts and rates, per group and in total, and the load accounting where shown - what an
independent plain-Python reading of docs/metrics.md gives (``routes_support.expected``): by campaign, sender,
campaign+week, no key and one more grouping per case.

A new route is one more ``@route("name")`` function in tests/routes_support.py; it is then part of every case.

Profiles (deterministic: fixed seeds, no example database):

* default (``make test``): fixed and bounded - five fixed cases (issue 10's two rows, the docs' worked example
  as a CSV, two campaigns spelled nine ways, opens known in one file of two, 500 groups) and 15 generated ones
  (3 for each family of formats, each family with its own seed); Dask on 2 fixed and 2 generated cases, Spark on
  the 2 fixed ones (two campaigns spelled nine ways; 30 groups). About a minute on two cores, Spark's start-up
  (~10 s) included. Failures are not shrunk (that can take minutes): the message
  names every route that differs, how, and the folder holding the export.
* ``TALENTSTATS_ROUTES_PROFILE=long``: 60 generated cases per family (300), Dask on 25, Spark on 10; failures
  shrunk to a minimal export. By hand: ``TALENTSTATS_ROUTES_PROFILE=long .venv/bin/pytest -p no:xdist
  tests/test_routes.py`` (about 15 minutes). ``TALENTSTATS_ROUTES_EXAMPLES=N`` sets the generated cases per family
  of either profile.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import warnings
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from routes_support import (
    ROUTES,
    Case,
    Query,
    big_case,
    cases,
    check_case,
    clean,
    docs_case,
    expected,
    issue_case,
    loaded,
    partial_opens_case,
    response_class,
    spellings_case,
)

PROFILES: dict[str, dict[str, Any]] = {
    "default": {"examples": 3, "dask": 2, "spark": 0, "shrink": False},
    "long": {"examples": 60, "dask": 25, "spark": 10, "shrink": True},
}
PROFILE_NAME = os.environ.get("TALENTSTATS_ROUTES_PROFILE", "default")
if PROFILE_NAME not in PROFILES:
    raise ValueError(f"TALENTSTATS_ROUTES_PROFILE={PROFILE_NAME!r}: choose {', '.join(PROFILES)}")
PROFILE = PROFILES[PROFILE_NAME]
EXAMPLES = int(os.environ.get("TALENTSTATS_ROUTES_EXAMPLES", PROFILE["examples"]))


def profile(examples: int) -> settings:
    """Settings for ``examples`` generated cases (0: the explicit ones only)."""
    phases = [Phase.explicit] + ([Phase.generate] if examples else []) + ([Phase.shrink] if PROFILE["shrink"] else [])
    return settings(max_examples=max(1, examples), derandomize=True, database=None, deadline=None, phases=phases,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture, HealthCheck.large_base_example,
                                           HealthCheck.filter_too_much])


#: Dask's Parquet reader calls a pandas API that pandas deprecates (not ours to fix)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index:DeprecationWarning")

FAST = [r for r in ROUTES if not r.slow]
DASK = [r for r in ROUTES if r.name.startswith("stats --engine dask")]
SPARK = [r for r in ROUTES if r.name.startswith("stats --engine spark")]


# --------------------------------------------------------------------------------------------- the oracle itself


def test_the_oracle_gives_the_worked_example_of_the_docs() -> None:
    case = docs_case()
    total = expected(case, Query(case.start, case.end, "UTC")).total
    assert total == {"reach_outs": 8, "in_progress": 3, "opens": 4, "responses": 3, "interested": 2,
                     "hard_bounced": 1, "open_rate": 0.5, "response_rate": 0.375, "interested_rate": 0.25,
                     "interested_of_responses": 2 / 3, "bounce_rate": 1 / 8}
    by = dict(expected(case, Query(case.start, case.end, "UTC", ("campaign",))).rows)
    assert [by[(c,)][m] for c in ("Backend", "Design") for m in ("reach_outs", "in_progress", "opens", "responses",
                                                                  "interested")] == [4, 2, 3, 2, 1, 4, 1, 1, 1, 1]
    assert expected(case, Query(case.start, case.end, "America/New_York")).total["reach_outs"] == 9


def test_the_oracle_text_rule() -> None:
    same = ["Sales", "Sales ", "Sales\u00a0", "\u200bSales", " Sales\ufeff", "\u3000Sales\u200d", "Sa\u200bles",
            "\tSales\n"]
    assert {clean(s) for s in same} == {"Sales"}
    assert clean("Cafe\u0301") == clean("Café") == clean(" Cafe\u200b\u0301\u00a0") == "Café"
    assert clean("Data  Science") != clean("Data Science")  # spaces inside a value are kept
    assert [clean(v) for v in (None, "", "  ", "\u00a0", "\u200b", "\ufeff\u2060")] == [""] * 6
    assert [response_class(v) for v in ("Interested (👍)", " 👍\u00a0", "interested", "Not Interested (👎)", "  ",
                                        "Maybe ")] == ["Interested", "Interested", "Interested", "Not Interested",
                                                       None, "Maybe"]


def test_the_fixed_cases_are_what_they_say() -> None:
    reaches, acc = loaded(big_case())
    assert len({(r.campaign, r.sender) for r in reaches}) == 500
    assert acc.rows_rejected and acc.duplicates_collapsed
    assert {r.campaign for r in loaded(spellings_case())[0]} == {"Sales", "Café"}


# --------------------------------------------------------------------------------------------- every route

#: the dialects, in groups that each get their own generated cases (so every run covers every format)
FAMILIES = {
    "csv": ("csv", "csv;", "tsv", "csv|", "txt", "csv-bom"),
    "encoded": ("csv-cp1252", "csv-utf16", "csv.gz", "folder", "files"),
    "xlsx": ("xlsx",),
    "parquet": ("parquet",),
    "jsonl": ("jsonl", "jsonl.gz"),
}
FIXED = {"issue": issue_case, "docs": docs_case, "spellings": spellings_case, "partial-opens": partial_opens_case,
         "500-groups": big_case}


@pytest.mark.parametrize("name", FIXED)
def test_fixed_case_on_every_route(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Issue 10's two rows, the docs' worked example as a CSV, two campaigns spelled nine ways, opens known in one
    of two files, 500 groups."""
    check_case(FIXED[name](), tmp_path_factory.mktemp(name), FAST)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_route_gives_the_documented_numbers(family: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    @profile(EXAMPLES)
    @seed(zlib.crc32(family.encode()))  # (fixed, and another per family: the same seed would draw alike cases)
    @given(case=cases(formats=FAMILIES[family]))
    def run(case: Case) -> None:
        check_case(case, tmp_path_factory.mktemp(family), FAST)

    run()


# --------------------------------------------------------------------------------------------- slow engines


@profile(PROFILE["dask"])
@given(case=cases(max_groups=60, max_rows=120))
@example(case=spellings_case())
@example(case=big_case((6, 5), seed=1))
def test_dask_gives_the_documented_numbers(case: Case, tmp_path_factory: pytest.TempPathFactory) -> None:
    if importlib.util.find_spec("dask") is None:
        pytest.skip("dask is not installed (pip install 'talentstats[dask]')")
    check_case(case, tmp_path_factory.mktemp("dask"), DASK)


@pytest.fixture(scope="module")
def spark_session() -> Any:
    """One local Spark session for every case: ``--engine spark`` uses the active session."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install 'talentstats[spark]')")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.skip("spark needs Java (17+) on PATH or JAVA_HOME")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (SparkSession.builder.master("local[2]").appName("talentstats-routes")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@profile(PROFILE["spark"])
@given(case=cases(max_groups=40, max_rows=80))
@example(case=spellings_case())
@example(case=big_case((6, 5), seed=1))
def test_spark_gives_the_documented_numbers(case: Case, spark_session: Any,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    check_case(case, tmp_path_factory.mktemp("spark"), SPARK)


def test_every_route_is_in_a_test() -> None:
    assert {r.name for r in FAST + DASK + SPARK} == {r.name for r in ROUTES}
