"""The same statistics on every engine: pandas, Polars, DuckDB, Dask (a LocalCluster of 2 workers) and Spark
(``local[2]``), from the same canonical dataset and the same exports. Every engine must give exactly pandas' numbers.

Engines whose package is missing are skipped with the extra that brings them; one Dask cluster and one Spark
session serve the whole module.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import json
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from talentstats.dataset.write import ingest
from talentstats.errors import InputError, UsageError
from talentstats.load.loader import load_arrow, read_reach_outs
from talentstats.load.options import LoadOptions
from talentstats.stats.engines import ENGINES, Engine, check_engine, collect, engine_stats, get_engine, quiet
from talentstats.stats.metrics import campaign_stats, stats_dicts, stats_with_total
from talentstats.stats.periods import parse_date, range_instants

#: one Dask cluster and one Spark session for the whole module: with ``pytest -n 2 --dist loadgroup`` all these
#: tests go to one worker (without it each worker that gets some starts its own)
pytestmark = pytest.mark.xdist_group("engines")

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
MODULES = {"pandas": "pandas", "polars": "polars", "duckdb": "duckdb", "dask": "distributed", "spark": "pyspark"}

#: (report time zone, group keys, first date, last date): DST changes, month ends, an empty range
CASES: list[tuple[str, str | None, str, str]] = [
    ("UTC", "campaign,week", "2026-08-01", "2026-11-22"),
    ("UTC", None, "2026-06-01", "2026-11-22"),
    ("America/New_York", "day", "2026-10-25", "2026-11-08"),  # New York's fall-back day
    ("Asia/Kolkata", "sender,month", "2026-06-15", "2026-10-14"),
    ("Europe/Berlin", "state,response_via,response_type", "2026-10-20", "2026-11-03"),
    ("Pacific/Auckland", "week,campaign", "2026-09-20", "2026-10-11"),  # Auckland springs forward
    ("UTC", "campaign", "2030-01-01", "2030-01-31"),  # no reach out in range
]
IDS = [f"{tz}-{by}-{start}" for tz, by, start, _ in CASES]


def available(engine: str) -> None:
    if importlib.util.find_spec(MODULES[engine]) is None:
        pytest.skip(f"{engine} is not installed (pip install 'talentstats[{engine}]')")
    if engine == "spark" and not _java():
        pytest.skip("spark needs Java (17+) on PATH or JAVA_HOME")


def _java() -> bool:
    import shutil

    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engines") / "ds"
    ingest([SAMPLE / "reach_outs.csv"], root, LoadOptions(messages=[SAMPLE / "messages.csv"]))
    return root


@pytest.fixture(scope="module")
def dask_client() -> Any:
    if importlib.util.find_spec("distributed") is None:
        yield None
        return
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True)
        client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def spark_session() -> Any:
    if importlib.util.find_spec("pyspark") is None or not _java():
        yield None
        return
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("talentstats-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def session(request: pytest.FixtureRequest) -> Any:
    """``session(engine, tz)``: an engine on the module's Dask cluster / Spark session (started when first
    needed)."""

    def make(engine: str, tz: str) -> Engine:
        available(engine)
        settings = {"dask": {"dask_client": "dask_client"}, "spark": {"spark_session": "spark_session"}}
        return get_engine(engine, tz=tz, **{key: request.getfixturevalue(fixture)
                                            for key, fixture in settings.get(engine, {}).items()})

    return make


def expected(table: pd.DataFrame, tz: str, by: str | None, start: str, end: str) -> tuple[Any, Any]:
    rows = stats_dicts(campaign_stats(table, start, end, tz, by)) if by else None
    return rows, stats_dicts(campaign_stats(table, start, end, tz))


@pytest.fixture(scope="module")
def pandas_table(dataset: Path) -> pd.DataFrame:
    return read_reach_outs(dataset).table


# --------------------------------------------------------------------------------------------- the cases


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("tz", "by", "start", "end"), CASES, ids=IDS)
def test_campaign_stats_run_unchanged_on_every_engine(session, dataset, pandas_table, engine, tz, by, start, end):
    """The narwhals metric code itself (stat_counts and finish) on the engine's own frame."""
    want = expected(pandas_table, tz, by, start, end)
    with quiet(), session(engine, tz) as s:
        frame = s.from_dataset(dataset)
        rows = stats_dicts(collect(campaign_stats(frame, start, end, tz, by))) if by else None
        total = stats_dicts(collect(campaign_stats(frame, start, end, tz)))
    assert (rows, total) == want


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("tz", "by", "start", "end"), CASES, ids=IDS)
def test_the_dataset_read_by_each_engine_gives_pandas_numbers(session, dataset, pandas_table, engine, tz, by,
                                                              start, end):
    """What ``stats --engine`` does: the engine reads only the range's partitions, computes the counts, and
    the collected counts are finished into statistics."""
    want = expected(pandas_table, tz, by, start, end)
    span = range_instants(parse_date(start), parse_date(end), tz)
    with quiet(), session(engine, tz) as s:
        loaded = s.load([dataset], LoadOptions(created_range=span))
        rows, total = s.stats(loaded.frame, start, end, by, loaded.knows_opens)
    assert ((stats_dicts(rows) if by else None), stats_dicts(total)) == want


@pytest.mark.parametrize("engine", ENGINES)
def test_exports_loaded_then_handed_to_each_engine(session, engine):
    """Export files (and a messages export) go through the loader, then to the engine."""
    loaded = load_arrow([SAMPLE / "reach_outs.csv"], LoadOptions(messages=[SAMPLE / "messages.csv"]))
    table = read_reach_outs(SAMPLE / "reach_outs.csv", messages=SAMPLE / "messages.csv").table
    for tz, by, start, end in CASES[:3]:
        with quiet(), session(engine, tz) as s:
            rows, total = s.stats(s.from_arrow(loaded.table), start, end, by)
        assert ((stats_dicts(rows) if by else None), stats_dicts(total)) == expected(table, tz, by, start, end)


def test_unknown_opens_stay_unknown_on_every_engine(session, tmp_path):
    """Without any open information Opens is null on every engine, also for an empty range."""
    root = tmp_path / "no-opens"
    ingest([SAMPLE / "reach_outs.csv"], root)
    table = read_reach_outs(root).table
    for engine in ENGINES:
        if importlib.util.find_spec(MODULES[engine]) is None or (engine == "spark" and not _java()):
            continue
        for start, end in (("2026-10-01", "2026-10-31"), ("2030-01-01", "2030-01-02")):
            with quiet(), session(engine, "UTC") as s:
                rows, total = s.stats(s.from_dataset(root), start, end, "campaign")
            assert stats_dicts(total) == expected(table, "UTC", None, start, end)[1]
            assert stats_dicts(total)[0]["opens"] is None


def test_stats_with_total_equals_two_campaign_stats(pandas_table):
    for tz, by, start, end in CASES:
        rows, total = stats_with_total(pandas_table, start, end, tz, by)
        pd.testing.assert_frame_equal(total, campaign_stats(pandas_table, start, end, tz))
        if by:
            pd.testing.assert_frame_equal(rows, campaign_stats(pandas_table, start, end, tz, by))
    known = pandas_table.assign(opened=False)  # open tracking present: an empty range has 0 opens, not unknown
    _, total = stats_with_total(known, "2030-01-01", "2030-01-02", "UTC", "campaign")
    assert stats_dicts(total)[0]["opens"] == 0


# --------------------------------------------------------------------------------------------- engine_stats


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_stats_on_a_dataset_reads_the_range_and_counts_its_rows(request, dataset, pandas_table, engine):
    """``engine_stats`` (what ``stats --engine`` calls): pandas' numbers; the rows read are those of the range."""
    available(engine)
    settings = {"dask_scheduler": request.getfixturevalue("dask_client").scheduler.address} if engine == "dask" \
        else {}
    if engine == "spark":
        request.getfixturevalue("spark_session")
    start, end = dt.date(2026, 9, 1), dt.date(2026, 11, 22)
    result = engine_stats(engine, [dataset], LoadOptions(), tz="Europe/Lisbon", keys=["campaign", "week"],
                          dates=(start, end), week=None, **settings)
    want = expected(pandas_table, "Europe/Lisbon", "campaign,week", str(start), str(end))
    assert (result.start, result.end, result.tz, result.keys) == (start, end, "Europe/Lisbon", ["campaign", "week"])
    assert (stats_dicts(result.rows), stats_dicts(result.total)) == want
    assert result.report.rows_read == result.report.rows_loaded == want[1][0]["reach_outs"]
    assert result.report.files == [str(dataset)]


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_engine_stats_week_latest_on_exports(dataset, engine):
    """Exports go through the loader; ``week`` is resolved against the newest reach out (in ``tz``)."""
    available(engine)
    options = LoadOptions(messages=[SAMPLE / "messages.csv"])
    loaded = read_reach_outs(SAMPLE / "reach_outs.csv", messages=SAMPLE / "messages.csv")
    result = engine_stats(engine, SAMPLE / "reach_outs.csv", options, tz="Asia/Kolkata", keys="sender", dates=None,
                          week="latest")
    assert (result.end - result.start).days == 6 and result.start.weekday() == 0
    assert stats_dicts(result.total) == expected(loaded.table, "Asia/Kolkata", None, str(result.start),
                                                 str(result.end))[1]
    assert result.report.rows_read == loaded.report.rows_read
    whole = engine_stats(engine, [dataset], LoadOptions(), tz="UTC", keys=[], dates=None, week="2026-W47")
    assert whole.rows is None and whole.report.rows_read == len(read_reach_outs(dataset).table)


def test_engine_stats_writes_rejects_before_strict_fails(write, tmp_path):
    available("duckdb")
    export = write("r.csv", """\
        Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type
        RO-1,C,s,Completed,2026-11-16T10:00:00Z,,
        RO-2,C,s,Completed,not a time,,
        """)
    rejects = tmp_path / "rejects.csv"
    options = LoadOptions(rejects=rejects, strict=True)
    with pytest.raises(InputError):
        engine_stats("duckdb", [export], options, tz="UTC", keys=[], dates=(dt.date(2026, 11, 16),) * 2, week=None)
    assert "RO-2" in rejects.read_text(encoding="utf-8")
    result = engine_stats("duckdb", [export], options.but(strict=False), tz="UTC", keys=[],
                          dates=(dt.date(2026, 11, 16),) * 2, week=None)
    assert result.report.rows_rejected == 1 and stats_dicts(result.total)[0]["reach_outs"] == 1


# --------------------------------------------------------------------------------------------- the registry


def test_the_registry_names_each_engine_class():
    assert list(ENGINES) == ["pandas", "polars", "duckdb", "dask", "spark"]
    for name, cls in ENGINES.items():
        assert issubclass(cls, Engine) and cls.name == name
    with get_engine("Pandas", tz="Asia/Kolkata") as engine:
        assert isinstance(engine, ENGINES["pandas"]) and engine.tz == "Asia/Kolkata"


def test_engine_errors_name_library_parameters(monkeypatch):
    with pytest.raises(UsageError) as err:
        check_engine("excel")
    assert (err.value.parameter, err.value.value) == ("engine", "excel")
    assert err.value.describe("--engine") == "--engine 'excel': choose pandas, polars, duckdb, dask, spark"
    with pytest.raises(UsageError) as err:
        get_engine("pandas", spark_master="local[1]")
    assert err.value.parameter == "spark_master" and "spark engine" in str(err.value)
    with pytest.raises(UsageError) as err:
        get_engine("pandas", tz="Mars/Olympus")
    assert err.value.parameter == "tz"
    with pytest.raises(UsageError) as err:
        engine_stats("pandas", [SAMPLE / "reach_outs.csv"], LoadOptions(), tz="UTC", keys=[], dates=None, week=None)
    assert err.value.parameter == "dates"

    real = importlib.import_module

    def missing(name: str, *args: Any) -> Any:
        if name.split(".")[0] == "polars":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(UsageError) as err:
        get_engine("polars")
    assert err.value.describe("--engine") == "--engine 'polars': needs polars; pip install 'talentstats[polars]'"


# --------------------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("engine", ENGINES)
def test_cli_engine_output_is_pandas_output(cli, request, dataset, engine):
    available(engine)
    if engine == "spark":
        request.getfixturevalue("spark_session")  # (the module's session: the CLI's engine finds it active)
    args = ["stats", dataset, "--start", "2026-09-01", "--end", "2026-11-22", "--tz", "Europe/Lisbon",
            "--by", "campaign,week", "--format", "json"]
    code, want, err = cli(*args)
    assert (code, err) == (0, "")
    extra = ["--dask-scheduler", request.getfixturevalue("dask_client").scheduler.address] if engine == "dask" else []
    code, got, err = cli(*args, "--engine", engine, *extra)
    assert code == 0, err
    assert json.loads(got) == json.loads(want)


def test_cli_engine_on_export_files_and_week_latest(cli):
    available("duckdb")
    args = ["stats", SAMPLE / "reach_outs.csv", "--messages", SAMPLE / "messages.csv", "--week", "latest",
            "--by", "sender", "--format", "json"]
    code, want, _ = cli(*args)
    code2, got, err = cli(*args, "--engine", "duckdb")
    assert code == code2 == 0, err
    assert json.loads(got) == json.loads(want)


def test_engine_options_are_checked(cli):
    assert check_engine("DuckDB") == "duckdb"
    with pytest.raises(UsageError):
        check_engine("excel")
    code, out, err = cli("stats", SAMPLE / "reach_outs.csv", "--start", "2026-11-01", "--end", "2026-11-07",
                         "--engine", "excel")
    assert code == 2 and "--engine 'excel': choose pandas, polars, duckdb, dask, spark" in err
    code, out, err = cli("stats", SAMPLE / "reach_outs.csv", "--start", "2026-11-01", "--end", "2026-11-07",
                         "--spark-master", "local[1]")
    assert code == 2 and "--spark-master" in err


def test_long_pandas_tables_are_counted_in_slices_with_the_same_numbers(monkeypatch, pandas_table):
    """pandas counts long tables in row slices on a thread pool (counts are additive): same numbers."""
    import talentstats.stats.metrics as metrics

    want = [expected(pandas_table, tz, by, start, end) for tz, by, start, end in CASES]
    monkeypatch.setattr(metrics, "_SLICE_ROWS", 1234)
    monkeypatch.setattr(metrics, "_PARALLEL_ROWS", 0)
    assert metrics._row_slices(metrics.nw.from_native(pandas_table)) is not None
    got = [expected(pandas_table, tz, by, start, end) for tz, by, start, end in CASES]
    assert got == want
    rows, total = stats_with_total(pandas_table, "2026-08-01", "2026-11-22", "UTC", "sender,day")
    assert stats_dicts(total) == want[0][1]
