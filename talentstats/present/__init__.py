"""Presentation: number formats, terminal/CSV/JSON output and charts."""
