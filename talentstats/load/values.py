"""Value rules: text (one rule for names), states, response types, flags and timestamps.

Each parser works on one value; the loader applies it once per distinct value (no loop over rows)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.stats.states import STATE_ALIASES, STATES
from talentstats.stats.states import _key as state_key

# --------------------------------------------------------------------------------------------- values

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "opened", "x", "✓", "✔"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "", "not opened", "unopened", "-"}
_INTERESTED = {"interested", "👍", ":+1:", "+1", "thumbsup", "thumbs up", "positive", "yes", ":thumbsup:",
               "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}
_NOT_INTERESTED = {"not interested", "notinterested", "👎", ":-1:", "-1", "thumbsdown", "thumbs down",
                   "negative", "no", ":thumbsdown:", "uninterested"}


#: invisible characters that carry no meaning in a name: removed wherever they stand
_INVISIBLE = "\u200b\u2060\ufeff\u00ad"
#: characters stripped from both ends of a text value: every Unicode whitespace (NBSP, ideographic space, ...)
#: and the zero-width joiners (which inside a value may join an emoji, so are kept there)
_EDGE = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace()) + "\u200c\u200d" + _INVISIBLE
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def clean_text(value: str | None) -> str | None:
    """The text rule for campaign, sender, response via and response type values: NFC-normalised, invisible
    characters (zero-width space, word joiner, BOM, soft hyphen) removed, surrounding Unicode whitespace and
    zero-width joiners stripped. ``"Sales\u00a0"``, ``" Sales"`` and ``"Sa\u200bles"`` all become ``"Sales"``.
    Blank means empty after this."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", value).strip(_EDGE))


def clean_text_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`clean_text` for an Arrow text array (vectorised; the same result value for value)."""
    values = pc.replace_substring_regex(values.cast(pa.string()), f"[{_INVISIBLE}]", "")
    return pc.utf8_normalize(pc.utf8_trim(values, _EDGE), "NFC")


def parse_state(value: Any) -> int | None:
    """A state code from 2, "2", "2.0", a label in any case ("Cancelled"), or "Responded (2)"; else None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(.*?)\s*\(\s*(\d+)\s*\)", text)
    if m:
        # "Responded (2)": the label, when there is one, must name the same state as the code
        if m.group(1) and STATE_ALIASES.get(state_key(m.group(1))) != int(m.group(2)):
            return None
        text = m.group(2)
    try:
        number = float(text)
    except ValueError:
        return STATE_ALIASES.get(state_key(text))
    if number.is_integer() and int(number) in STATES:
        return int(number)
    return None


def _response_class(text: str) -> str | None:
    """ "Interested" / "Not Interested" for a documented spelling of either, else None."""
    low = text.lower()
    squeezed = re.sub(r"\s+", " ", low.replace("_", " ").replace("-", " ")).strip()
    for words, label in ((_INTERESTED, "Interested"), (_NOT_INTERESTED, "Not Interested")):
        if low in words or squeezed in words or squeezed.replace(" ", "") in words:
            return label
    return None


def parse_response_type(value: Any) -> str | None:
    """"Interested" / "Not Interested" from the documented words or emoji, alone or as the CRM writes them
    ("Interested (👍)"); other text kept as cleaned by :func:`clean_text`; blank -> None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = clean_text(str(value))
    if not text:
        return None
    label = _response_class(text)
    if label is None:
        # "Interested (👍)": a label and an emoji in brackets that name the same class
        m = re.fullmatch(r"(.+?)\s*\(\s*(.+?)\s*\)", text)
        if m and (first := _response_class(m.group(1))) == _response_class(m.group(2)):
            label = first
    return label or text


def parse_flag(value: Any) -> bool | None:
    """True/False from true/false/yes/no/1/0 (blank = False); None when unreadable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


























