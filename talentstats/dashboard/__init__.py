"""The interactive dashboard."""

from talentstats.dashboard.widget import Dashboard

__all__ = ["Dashboard"]
