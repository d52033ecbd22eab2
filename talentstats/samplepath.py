"""Where the data is when none is given: the notebooks' and the dashboard's default.

Only the standard library at import time (:mod:`talentstats.serve` and the notebooks import this before any data
is loaded); the sample generator is imported only when a sample has to be written.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_DATA", "default_data"]

#: environment variable naming the data (``talentstats dashboard`` sets it for the notebook's kernel)
ENV_DATA = "TALENTSTATS_DATA"


def default_data() -> Path:
    """Where to find data when none is given.

    In order: ``$TALENTSTATS_DATA``; ``./sample_data`` or ``../sample_data`` when it holds ``reach_outs.csv``;
    else a sample generated once into the user's cache (so the notebooks run from an installed package too).

    Returns:
        A file or folder that :func:`talentstats.load.loader.read_reach_outs` reads.
    """
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env)
    for candidate in (Path("sample_data"), Path("..") / "sample_data"):
        if (candidate / "reach_outs.csv").exists():
            return candidate

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "talentstats" / "sample_data"
    if not (cache / "reach_outs.csv").exists():
        from talentstats.sample import write_sample  # heavy: numpy and pyarrow, only to write a sample

        write_sample(cache)
    return cache
