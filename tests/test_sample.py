"""Tests of the sample CRM export generator (talentstats.sample)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from talentstats import sample
from talentstats.sample import MESSAGE_COLUMNS, REACH_OUT_COLUMNS, SamplePaths, generate_sample, write_sample
from talentstats.stats.states import STATES

ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
END = dt.date(2026, 11, 22)
EXPORT = pd.Timestamp("2026-11-22T23:59:59Z")


def _read(path: Path) -> pd.DataFrame:
    """A written CSV as plain strings, blanks as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _ts(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col.replace("", None), format="%Y-%m-%dT%H:%M:%SZ", utc=True)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> tuple[SamplePaths, pd.DataFrame, pd.DataFrame]:
    """The default sample (10,000 reach outs, seed 0) as written files and as frames."""
    paths = write_sample(tmp_path_factory.mktemp("sample"))
    return paths, _read(paths.reach_outs), _read(paths.messages)


@pytest.fixture(scope="module")
def latest(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """One row per reach out (the latest Updated At wins) with helper columns."""
    ro, msgs = default[1], default[2]
    d = ro.assign(updated=_ts(ro["Updated At"]), created=_ts(ro["Created At"]), responded_at=_ts(ro["Responded At"]))
    d = d.sort_values("updated", kind="stable").drop_duplicates("Reach Out ID", keep="last")
    opened = set(msgs.loc[msgs["Opened At"] != "", "Reach Out ID"])
    return d.assign(
        responded=(d["Response Via"] != "") | (d["State"] == "Responded"),
        opened=d["Reach Out ID"].isin(opened),
    )


# ------------------------------------------------------------------------------------------------ format


def test_headers_are_exact(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    paths = default[0]
    assert paths.reach_outs.name == "reach_outs.csv" and paths.messages.name == "messages.csv"
    with open(paths.reach_outs, "rb") as f:
        assert f.readline() == (
            b"Reach Out ID,Campaign,Sender,State,Created At,Updated At,Responded At,Response Via,Response Type,"
            b"Prospect Name,Prospect Email\n"
        )
    with open(paths.messages, "rb") as f:
        assert f.readline() == b"Message ID,Reach Out ID,Step,Scheduled At,Sent At,Opened At\n"
    assert tuple(default[1].columns) == REACH_OUT_COLUMNS
    assert tuple(default[2].columns) == MESSAGE_COLUMNS


def test_csv_is_standard_and_round_trips(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    paths, ro, msgs = default
    reach_t, msg_t = generate_sample()
    assert len(ro) == reach_t.num_rows and len(msgs) == msg_t.num_rows
    raw = paths.reach_outs.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    # quoting survives commas, en dashes, slashes, parentheses and emoji
    expected = reach_t.to_pandas().fillna("")
    pd.testing.assert_frame_equal(ro, expected.astype(ro.dtypes.to_dict()), check_dtype=False)
    assert "Frontend Engineers, Lisbon" in set(ro["Campaign"])
    assert "Senior Backend Engineers – Berlin" in set(ro["Campaign"])
    assert {"👍", "👎"} <= set(ro["Response Type"])


def test_value_formats(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    _, ro, msgs = default
    assert ro["Reach Out ID"].str.fullmatch(r"RO-\d{7}").all()
    assert msgs["Message ID"].str.fullmatch(r"MSG-\d{8}").all()
    assert set(ro["State"]) <= set(STATES.values())
    for col in ("Created At", "Updated At"):
        assert ro[col].str.fullmatch(ISO).all()
    assert (ro["Responded At"].str.fullmatch(ISO) | (ro["Responded At"] == "")).all()
    assert msgs["Scheduled At"].str.fullmatch(ISO).all()
    for col in ("Sent At", "Opened At"):
        assert (msgs[col].str.fullmatch(ISO) | (msgs[col] == "")).all()
    assert set(ro["Response Via"]) == {"", "Email Reply", "Manually Marked", "LinkedIn"}
    assert set(ro["Response Type"]) == {"", "Interested", "Not Interested", "Maybe", "👍", "👎"}
    assert ro["Sender"].str.fullmatch(r"[a-z]+\.[a-z]+@acme-talent\.example").all()
    assert 6 <= ro["Campaign"].nunique() <= 8 and 4 <= ro["Sender"].nunique() <= 6
    assert (ro["Prospect Name"].str.count(" ") >= 1).all()
    assert ro["Prospect Email"].str.fullmatch(r"[a-z]+\.[a-z]+\d*@[a-z.]+\.(com|org|net|example)").all()


# ------------------------------------------------------------------------------------------- determinism


def test_same_arguments_give_identical_files(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a", reach_outs=3_000, seed=7)
    b = write_sample(tmp_path / "b", reach_outs=3_000, seed=7)
    c = write_sample(tmp_path / "c", reach_outs=3_000, seed=8)
    assert a.reach_outs.read_bytes() == b.reach_outs.read_bytes()
    assert a.messages.read_bytes() == b.messages.read_bytes()
    assert a.reach_outs.read_bytes() != c.reach_outs.read_bytes()
    assert a.messages.read_bytes() != c.messages.read_bytes()


def test_parquet_has_the_same_content(tmp_path: Path) -> None:
    paths = write_sample(tmp_path, reach_outs=2_000, seed=3, fmt="parquet")
    assert paths.reach_outs.name == "reach_outs.parquet" and paths.messages.name == "messages.parquet"
    reach, messages = generate_sample(2_000, seed=3)
    assert pq.read_table(paths.reach_outs).equals(reach)
    assert pq.read_table(paths.messages).equals(messages)


def test_blocks_join_seamlessly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large samples are generated in blocks; ids stay unique and sequential across blocks."""
    monkeypatch.setattr(sample, "CHUNK", 1_000)
    reach, messages = generate_sample(3_500, seed=1)
    ro, msgs = reach.to_pandas(), messages.to_pandas()
    ids = ro["Reach Out ID"].drop_duplicates()
    assert sorted(ids) == [f"RO-{i:07d}" for i in range(1, 3_501)]
    assert list(msgs["Message ID"]) == [f"MSG-{i:08d}" for i in range(1, len(msgs) + 1)]
    assert set(msgs["Reach Out ID"]) <= set(ids)
    created = _ts(ro.drop_duplicates("Reach Out ID").sort_values("Reach Out ID")["Created At"])
    assert created.is_monotonic_increasing  # ids follow creation order, across blocks too


@pytest.mark.parametrize("n", [0, 1, 3, 57])
def test_tiny_samples(n: int) -> None:
    reach, messages = generate_sample(n)
    assert tuple(reach.column_names) == REACH_OUT_COLUMNS and tuple(messages.column_names) == MESSAGE_COLUMNS
    assert reach["Reach Out ID"].to_pandas().nunique() == n


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_sample(-1)
    with pytest.raises(ValueError):
        generate_sample(10, weeks=0)
    with pytest.raises(ValueError):
        write_sample(tmp_path, 10, fmt="xlsx")


# ----------------------------------------------------------------------------------------------- realism


def test_every_state_is_present(latest: pd.DataFrame) -> None:
    assert set(latest["State"]) == set(STATES.values())


def test_rates_are_realistic(latest: pd.DataFrame) -> None:
    d = latest
    assert len(d) == 10_000
    share = d["State"].value_counts(normalize=True)
    responded = d["responded"]
    assert 0.12 <= responded.mean() <= 0.20
    interested = responded & (d["Response Type"] == "Interested")
    assert 0.35 <= interested.sum() / responded.sum() <= 0.50
    assert 0.50 <= d["opened"].mean() <= 0.60
    assert 0.15 <= (~d.loc[responded, "opened"]).mean() <= 0.25  # replies without a tracked open
    assert 0.02 <= share["Hard Bounced"] <= 0.04
    assert 0.02 <= share["Paused"] <= 0.04
    assert 0.015 <= share["Canceled"] <= 0.035
    assert 0.005 <= share["Undone"] <= 0.015
    assert 0.003 <= share["Paused By Auth Loss"] <= 0.012
    assert 0.0005 <= share["Pending"] <= 0.005
    assert 0.012 <= share["Prevented"] <= 0.03
    # no tracked opens for bounced reach outs, no responses recorded for unresponsive states
    assert not d.loc[d["State"] == "Hard Bounced", "opened"].any()
    quiet = d["State"].isin(["Paused", "Hard Bounced", "Undone", "Canceled", "Pending", "Completed"])
    assert (d.loc[quiet, "Response Via"] == "").all()


def test_prevented_counts_as_responded(latest: pd.DataFrame) -> None:
    prevented = latest[latest["State"] == "Prevented"]
    assert (prevented["Response Via"] == "Manually Marked").all()
    state2 = latest[latest["State"] == "Responded"]
    assert (state2["Response Via"] == "").sum() > 0  # responded by state alone


def test_interested_but_not_responded_quirk(latest: pd.DataFrame) -> None:
    quirk = ~latest["responded"] & (latest["Response Type"] == "Interested")
    assert 0.005 <= quirk.mean() <= 0.02


def test_recent_reach_outs_are_mostly_in_progress(latest: pd.DataFrame) -> None:
    age = EXPORT - latest["created"]
    recent = latest[age < pd.Timedelta(days=21)]
    old = latest[age > pd.Timedelta(days=42)]
    assert (recent["State"] == "In Progress").mean() > 0.5
    assert (old["State"] == "In Progress").mean() < 0.01
    assert old["State"].isin(["Completed", "Responded", "Prevented"]).mean() > 0.85
    pending = latest[latest["State"] == "Pending"]
    assert (EXPORT - pending["created"] < pd.Timedelta(days=7)).all()


def test_creation_times(latest: pd.DataFrame) -> None:
    created = latest["created"]
    start = pd.Timestamp("2026-05-25", tz="UTC")  # 26 weeks ending on Sunday 2026-11-22
    assert created.min() >= start and created.max() <= EXPORT
    assert created.min() < start + pd.Timedelta(days=2) and created.max() > EXPORT - pd.Timedelta(days=2)
    weekend = created.dt.day_of_week >= 5
    assert weekend.mean() < 0.05
    hours = created.dt.hour
    assert 0.75 <= ((hours >= 7) & (hours < 19)).mean() < 0.97  # some outside office hours
    assert (latest["updated"] >= created).all() and (latest["updated"] <= EXPORT).all()


def test_end_date_is_inclusive() -> None:
    end = dt.date(2026, 11, 20)  # a Friday, so the last day is busy
    reach, _ = generate_sample(3_000, seed=5, end=end, weeks=1)
    dates = _ts(reach["Created At"].to_pandas()).dt.date
    assert dates.min() >= dt.date(2026, 11, 14)
    assert dates.max() == end


def test_campaigns_and_senders(latest: pd.DataFrame) -> None:
    last = latest.groupby("Campaign")["created"].agg(["min", "max"])
    sizes = latest["Campaign"].value_counts()
    assert sizes.max() > 1.8 * sizes.min()  # different sizes
    assert (last["max"] < EXPORT - pd.Timedelta(days=30)).sum() == 1  # one campaign ended ~5 weeks ago
    assert (last["min"] > EXPORT - pd.Timedelta(days=75)).sum() == 1  # one started ~2 months ago
    senders = latest.groupby("Campaign")["Sender"].value_counts(normalize=True)
    top2 = senders.groupby(level=0).apply(lambda s: s.nlargest(2).sum())
    assert (top2 > 0.99).all()


# ---------------------------------------------------------------------------------------- ids, duplicates


def test_duplicates_are_stale_copies(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    ro = default[1]
    counts = ro["Reach Out ID"].value_counts()
    assert counts.max() == 2
    dup_ids = set(counts[counts == 2].index)
    assert len(dup_ids) == 50  # 0.5 % of 10,000
    dups = ro.assign(updated=_ts(ro["Updated At"]), pos=range(len(ro)))
    dups = dups[dups["Reach Out ID"].isin(dup_ids)]
    for _, pair in dups.groupby("Reach Out ID"):
        assert pair["updated"].nunique() == 2  # always decidable by Updated At
        assert (pair["Created At"].nunique(), pair["Prospect Email"].nunique()) == (1, 1)
    gaps = dups.groupby("Reach Out ID")["pos"].agg(lambda p: p.max() - p.min())
    assert (gaps > 1).mean() > 0.9  # placed elsewhere in the file
    stale_first = dups.sort_values("updated").groupby("Reach Out ID")["State"].agg(list)
    assert any(states[0] != states[1] for states in stale_first)  # some copies hold an older state


# ------------------------------------------------------------------------------------------------ messages


def test_messages_reference_reach_outs(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    _, ro, msgs = default
    assert msgs["Message ID"].is_unique
    assert set(msgs["Reach Out ID"]) <= set(ro["Reach Out ID"])
    steps = msgs.assign(step=msgs["Step"].astype(int)).groupby("Reach Out ID")["step"].agg(["min", "max", "count"])
    assert (steps["min"] == 1).all() and (steps["max"] == steps["count"]).all() and (steps["max"] <= 4).all()


def test_undone_have_no_messages(latest: pd.DataFrame,
                                 default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    msgs = default[2]
    undone = set(latest.loc[latest["State"] == "Undone", "Reach Out ID"])
    assert undone and not undone & set(msgs["Reach Out ID"])
    others = set(latest.loc[latest["State"] != "Undone", "Reach Out ID"])
    assert others == set(msgs["Reach Out ID"])


def test_message_times(latest: pd.DataFrame, default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    msgs = default[2]
    scheduled, sent, opened = _ts(msgs["Scheduled At"]), _ts(msgs["Sent At"]), _ts(msgs["Opened At"])
    assert (sent.isna() <= opened.isna()).all()  # only sent messages are opened
    assert (opened.dropna() >= sent[opened.notna()]).all()
    assert (sent.dropna() >= scheduled[sent.notna()]).all()
    assert (sent.dropna() <= EXPORT).all() and (opened.dropna() <= EXPORT).all()
    created = latest.set_index("Reach Out ID")["created"]
    assert (scheduled.to_numpy() > created.loc[msgs["Reach Out ID"]].to_numpy()).all()
    state = latest.set_index("Reach Out ID")["State"].loc[msgs["Reach Out ID"]].to_numpy()
    unsent = pd.Series(state[sent.isna().to_numpy()])
    assert set(unsent) <= {"In Progress", "Paused", "Paused By Auth Loss", "Pending"}
    assert (unsent == "In Progress").any()
    per_ro = msgs.assign(o=opened.notna()).groupby("Reach Out ID")["o"].sum()
    assert (per_ro >= 2).any()  # several opened messages in one reach out


# --------------------------------------------------------------------------------------------- responded at


def test_responded_at_marks_the_responders(latest: pd.DataFrame) -> None:
    d = latest
    has = d["responded_at"].notna()
    assert not (has & ~d["responded"]).any()  # only responders have a response instant
    assert (d.loc[d["State"] == "Prevented", "responded_at"].notna()).all()
    state2 = d["State"] == "Responded"
    blank_via = state2 & (d["Response Via"] == "")
    assert (has[state2 & ~blank_via]).all()
    assert blank_via.any() and not has[blank_via].any()  # quirk 4: neither how nor when was recorded
    t = d[has]
    assert (t["responded_at"] > t["created"]).all() and (t["responded_at"] <= EXPORT).all()
    assert (t["updated"] >= t["responded_at"]).all()


def test_reply_delays_are_long_tailed(latest: pd.DataFrame) -> None:
    age = (latest["responded_at"] - latest["created"]).dropna()
    assert 0.55 <= (age < pd.Timedelta(days=7)).mean() <= 0.85  # most replies come within a week
    assert (age > pd.Timedelta(days=14)).sum() >= 20  # some weeks later
    assert age.max() > pd.Timedelta(days=28)


def test_messages_respect_the_reply(latest: pd.DataFrame,
                                    default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    msgs = default[2]
    m = msgs.assign(step=msgs["Step"].astype(int), sent=_ts(msgs["Sent At"]), opened=_ts(msgs["Opened At"]))
    m = m.join(latest.set_index("Reach Out ID")[["responded_at", "State"]], on="Reach Out ID")
    replied = m[m["responded_at"].notna()]
    assert replied["sent"].notna().all()  # the steps after the reply are not in the export
    assert (replied["sent"] < replied["responded_at"]).all()
    assert not (replied["opened"] > replied["responded_at"]).any()  # opens come before the reply
    last = replied.groupby("Reach Out ID")["step"].max().value_counts()
    assert {1, 2, 3} <= set(last.index) and last[1] > last[2] > last[3]  # the step the reply followed
    # the same for the state-2 rows without a Responded At: nothing after their Updated At was sent
    quiet = m[(m["State"] == "Responded") & m["responded_at"].isna()]
    assert quiet["sent"].notna().all()


def test_duplicates_keep_the_reply_consistent(default: tuple[SamplePaths, pd.DataFrame, pd.DataFrame]) -> None:
    ro = default[1]
    updated, responded = _ts(ro["Updated At"]), _ts(ro["Responded At"])
    assert not (responded > updated).any()  # stale copies too
    dup = ro["Reach Out ID"].duplicated(keep=False)
    stale_in_progress = dup & (ro["State"] == "In Progress")
    assert (ro.loc[stale_in_progress, "Responded At"] == "").all()


def test_is_fast_enough() -> None:
    t = time.perf_counter()
    reach, _ = generate_sample(200_000, seed=2)
    assert reach.num_rows == 201_000
    assert time.perf_counter() - t < 20  # ~1 s normally; a generous bound for busy machines
