"""The sample data's table, loaded once for the dashboard tests (tests/conftest.py's fixtures apply here too)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from talentstats.load.loader import read_reach_outs
from talentstats.sample import write_sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    """The sample data's canonical table (sample_data/, or the same sample generated)."""
    folder = ROOT / "sample_data"
    if not (folder / "reach_outs.csv").exists():  # pragma: no cover - the repository ships it
        folder = Path(os.environ.get("TMPDIR", "/tmp")) / "talentstats-test-sample"
        write_sample(folder)
    return read_reach_outs(folder).table
