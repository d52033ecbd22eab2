"""The charts' vocabulary: colours, labels, sizes and the escaping of text that comes from data.

Labels and number formats shared with the other surfaces live in :mod:`talentstats.present.formats`.
"""

from __future__ import annotations

from typing import Final

from talentstats.present.formats import fmt_count, is_na

#: one colour per count metric, used by every chart
METRIC_COLORS: Final[dict[str, str]] = {
    "reach_outs": "#3B6FB6",
    "opens": "#2A9D8F",
    "responses": "#E07B24",
    "interested": "#3E9B4F",
    "in_progress": "#8E6BBF",
}

#: rate metric -> colour of the count it measures
RATE_COLORS: Final[dict[str, str]] = {
    "open_rate": METRIC_COLORS["opens"],
    "response_rate": METRIC_COLORS["responses"],
    "interested_rate": METRIC_COLORS["interested"],
    "interested_of_responses": METRIC_COLORS["interested"],
}

#: state code -> colour. The state In Progress has its own colour, not the In Progress statistic's: the statistic
#: (not responded, not bounced or canceled) also counts Completed, Paused, Pending, ... reach outs
STATE_COLORS: Final[dict[int, str]] = {
    0: "#8C9A3C",  # In Progress (the state)
    1: "#C9302C",  # Hard Bounced
    2: METRIC_COLORS["responses"],  # Responded
    3: "#6C8EBF",  # Completed
    4: "#E8B100",  # Paused
    5: "#595959",  # Canceled
    6: "#B0B0B0",  # Undone
    7: "#A0522D",  # Paused By Auth Loss
    8: "#D46FA5",  # Prevented
    9: "#76C7C0",  # Pending
}

#: shown for a blank / missing campaign or sender name
BLANK_LABEL: Final = "(none)"

#: plotly ``config`` for static reports: no mode bar, no plotly logo
REPORT_CONFIG: Final[dict[str, bool]] = {"displayModeBar": False, "displaylogo": False}

FONT_FAMILY: Final = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT_COLOR: Final = "#2B2B2B"
#: longest data label shown on an axis tick (hover always shows the full label)
TICK_LABEL_MAX: Final = 32
#: characters per line of a chart's note (wrapped: plotly does not wrap text); 50 fit a phone (390 px)
NOTE_WIDTH: Final = 50

FUNNEL_STAGES: Final[tuple[str, ...]] = ("reach_outs", "opens", "responses", "interested")
TREND_RATES: Final[tuple[str, ...]] = ("open_rate", "response_rate", "interested_rate")
COMPARISON_METRICS: Final[tuple[str, ...]] = ("reach_outs", "opens", "responses", "interested")

META_KEY: Final = "talentstats"


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return part / whole


# plotly decodes only a few named entities (amp, lt, gt, ...) but every numeric one, so quotes are numeric;
# '$' is escaped too: plotly hands text with $...$ to MathJax when a page has it loaded.
_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "$": "&#36;"})


def escape_label(text: object) -> str:
    """HTML-escape a string for plotly text / ticks / hover and for HTML tables (shown literally in both)."""
    return str(text).translate(_ESCAPES)


def raw_label(value: object) -> str:
    """The unescaped display text of a group key value; blank / missing -> ``'(none)'``."""
    if is_na(value) or str(value).strip() == "":
        return BLANK_LABEL
    return str(value)


def display_label(value: object, max_len: int | None = None) -> str:
    """Escaped display label of a data value (campaign, sender, ...), shortened with '…' to ``max_len``."""
    text = raw_label(value)
    if max_len is not None and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return escape_label(text)


def plural(n: int, word: str) -> str:
    """``3 weeks``, ``1 week``: a count and its word."""
    return f"{fmt_count(n)} {word}{'' if n == 1 else 's'}"
