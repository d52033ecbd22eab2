"""The canonical Reach Out table: its columns, their meaning and the header aliases exports use.

One row per reach out. Every surface (CLI, dashboard, report, engines) reads this table and nothing else.

========================  =====================  ==============================================================
column                    pandas dtype           meaning
========================  =====================  ==============================================================
reach_out_id              str                    the CRM's id of the reach out (email thread); unique
campaign                  str                    campaign name ("" when the export has none)
sender                    str                    sending user / mailbox ("" when the export has none)
state                     int8                   state code 0..9 (see :mod:`talentstats.stats.states`)
created_at                datetime64[us, UTC]    creation instant; the metrics attribute by this date
updated_at                datetime64[us, UTC]    last update (NaT when unknown); decides between duplicates
response_via              str (nullable)         how the response came (blank = no response recorded)
response_type             str (nullable)         "Interested", "Not Interested" or the export's own text
opened                    boolean (nullable)     opened at least one message; <NA> = export has no open data
prospect_name             str (nullable)         personal data: never shown unless asked for
prospect_email            str (nullable)         personal data: never shown unless asked for
first_sent_at             datetime64[us, UTC]    earliest Sent At of its messages (NaT: unknown or never sent)
first_opened_at           datetime64[us, UTC]    earliest open of its messages (NaT: unknown or never opened)
responded_at              datetime64[us, UTC]    when the response came (NaT: unknown or no response)
========================  =====================  ==============================================================
"""

from __future__ import annotations

import re
from typing import Final

CANONICAL: Final[tuple[str, ...]] = (
    "reach_out_id",
    "campaign",
    "sender",
    "state",
    "created_at",
    "updated_at",
    "response_via",
    "response_type",
    "opened",
    "prospect_name",
    "prospect_email",
    "first_sent_at",
    "first_opened_at",
    "responded_at",
)

#: the event times (instants) of a reach out: the activity view, reply times, the development triangle
EVENT_TIMES: Final[tuple[str, ...]] = ("first_sent_at", "first_opened_at", "responded_at")

#: columns that must be found in every reach-out export
REQUIRED: Final[tuple[str, ...]] = ("reach_out_id", "state", "created_at")

#: columns holding prospect personal data
PII: Final[tuple[str, ...]] = ("prospect_name", "prospect_email")


def header_key(header: str) -> str:
    """Normalise a header for matching: case, spaces, underscores and punctuation ignored."""
    return re.sub(r"[\W_]+", "", str(header).strip().lower())


#: canonical (or intermediate) column -> the header spellings exports use
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "reach_out_id": ("reach out id", "reachout id", "email thread id", "thread id", "id", "reach out",
                     "email thread", "reach_out_id"),
    "campaign": ("campaign", "campaign name", "sequence", "campaign title"),
    "sender": ("sender", "sender name", "sender email", "user", "owner", "sent by", "from", "mailbox"),
    "state": ("state", "status", "reach out state", "email thread state", "thread state", "state code"),
    "created_at": ("created", "created at", "created date", "created on", "creation date", "date created",
                   "created time"),
    "updated_at": ("updated", "updated at", "updated date", "last updated", "modified", "modified at",
                   "last modified", "updated on"),
    "response_via": ("response via", "responded via", "response source", "response channel", "replied via"),
    "response_type": ("response type", "response sentiment", "sentiment", "response", "interest",
                      "reply type"),
    # open information: any one of these produces the canonical `opened` column
    "opened": ("opened", "is opened", "was opened", "has opened", "open", "opened flag"),
    "open_count": ("open count", "opens", "opened count", "number of opens", "times opened", "num opens"),
    "opened_at": ("opened at", "first opened", "first opened at", "last opened", "last opened at",
                  "open date", "opened date", "first open", "last open"),
    "responded_at": ("responded at", "replied at", "response date", "response at", "responded date",
                     "reply date", "replied date"),
    "first_sent_at": ("first sent at", "first sent", "first message sent at", "first sent date"),
    "prospect_name": ("prospect name", "prospect", "candidate name", "candidate", "name", "full name",
                      "first name"),
    "prospect_email": ("prospect email", "email", "candidate email", "email address", "prospect email address"),
}

#: columns of a per-message export (one row per scheduled message)
MESSAGE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "reach_out_id": ALIASES["reach_out_id"],
    "message_id": ("message id", "msg id", "scheduled message id"),
    "opened_at": ("opened at", "open date", "opened date", "first opened at", "opened time"),
    "opened": ("opened", "is opened", "was opened", "open"),
    "step": ("step", "step number", "sequence step", "stage", "message step", "step no"),
    "sent_at": ("sent at", "sent", "sent date", "sent time", "delivered at", "date sent"),
}

#: opened-at headers that name the last open, not the first (they say whether, not when first)
LAST_OPEN: Final[frozenset[str]] = frozenset({"lastopened", "lastopenedat", "lastopen"})

MESSAGE_REQUIRED: Final[tuple[str, ...]] = ("reach_out_id",)
