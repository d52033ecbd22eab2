"""Maintenance: ``python -m talentstats.report`` refreshes the outputs stored in the packaged notebook (nbval)."""

from talentstats.report.execute import store_outputs

if __name__ == "__main__":  # pragma: no cover
    print(f"stored outputs in {store_outputs()}")
