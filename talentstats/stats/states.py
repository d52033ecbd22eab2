"""The ten Reach Out states of the Talent CRM: codes, labels and parsing of labels users write."""

from __future__ import annotations

import re
from typing import Final

#: code -> canonical label, in the CRM's own order (also the fixed display order).
STATES: Final[dict[int, str]] = {
    0: "In Progress",
    1: "Hard Bounced",
    2: "Responded",
    3: "Completed",
    4: "Paused",
    5: "Canceled",
    6: "Undone",
    7: "Paused By Auth Loss",
    8: "Prevented",
    9: "Pending",
}

IN_PROGRESS: Final = 0
HARD_BOUNCED: Final = 1
RESPONDED: Final = 2
CANCELED: Final = 5

#: states that end a reach out without a response, excluded from "In Progress"
NOT_IN_PROGRESS: Final[frozenset[int]] = frozenset({HARD_BOUNCED, CANCELED})


def _key(text: str) -> str:
    """Lower-case letters and digits only: 'Paused-By Auth_Loss' -> 'pausedbyauthloss'."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


#: normalised spelling -> code; includes British spellings and common variants seen in exports
STATE_ALIASES: Final[dict[str, int]] = {
    **{_key(label): code for code, label in STATES.items()},
    "cancelled": 5,
    "bounced": 1,
    "hardbounce": 1,
    "inprogress": 0,
    "active": 0,
    "pausedauthloss": 7,
    "authloss": 7,
    "pausedbyauthenticationloss": 7,
    "replied": 2,
}


def state_label(code: int) -> str:
    """Canonical label of a state code (``2 -> 'Responded'``)."""
    return STATES[int(code)]
