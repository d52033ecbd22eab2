"""What the sample's reach outs are made of: campaigns, senders, prospect names and mail domains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

_SENDERS: Final = ("maya.chen", "jonas.weber", "priya.natarajan", "tom.okafor", "lucia.romero")



_SENDER_DOMAIN: Final = "@acme-talent.example"



@dataclass(frozen=True)
class _Campaign:
    name: str
    share: float  # share of all reach outs among the campaigns active in the window
    first: int | None  # the first reach out is this many days before `end` (None: window start)
    last: int  # the last reach out is this many days before `end`
    senders: tuple[tuple[int, float], ...]  # (index in _SENDERS, probability)
    response: float  # response probability (before "not yet" truncation of young reach outs)
    interested: float  # share of responses marked "Interested"
    steps: tuple[float, float, float, float]  # probability of a 1-, 2-, 3- or 4-step sequence



_CAMPAIGNS: Final = (
    _Campaign("Senior Backend Engineers – Berlin", 0.22, None, 0, ((0, 0.8), (1, 0.2)), 0.19, 0.42,
              (0.05, 0.15, 0.40, 0.40)),
    _Campaign("Data Scientists NYC", 0.15, None, 0, ((2, 0.9), (3, 0.1)), 0.22, 0.46, (0.10, 0.20, 0.40, 0.30)),
    _Campaign("Product Designers (Remote)", 0.11, 140, 0, ((4, 1.0),), 0.24, 0.50, (0.10, 0.30, 0.40, 0.20)),
    _Campaign("Engineering Managers – London", 0.10, None, 36, ((1, 0.7), (0, 0.3)), 0.17, 0.38,
              (0.05, 0.25, 0.40, 0.30)),
    _Campaign("SRE / Platform", 0.14, None, 0, ((3, 0.85), (2, 0.15)), 0.16, 0.40, (0.05, 0.20, 0.45, 0.30)),
    _Campaign("Sales Development Reps Q4", 0.16, 62, 0, ((4, 0.6), (3, 0.4)), 0.14, 0.30,
              (0.00, 0.10, 0.30, 0.60)),
    _Campaign("Frontend Engineers, Lisbon", 0.12, None, 0, ((0, 0.5), (2, 0.5)), 0.20, 0.44,
              (0.10, 0.20, 0.40, 0.30)),
)



_FIRST: Final = (
    "James", "Mary", "Wei", "Aisha", "Carlos", "Sofia", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Chloé",
    "Hiroshi", "Yuki", "Fatima", "Omar", "Priya", "Arjun", "Zoë", "Lukas", "Anna", "Mohammed", "Sara",
    "David", "Elena", "Ivan", "Nina", "Kwame", "Amara", "Jonas", "Lena", "Diego", "Lucía", "Mia", "Ethan",
    "Grace", "Daniel", "Hannah", "Oliver", "Leila", "Tomasz", "Agnieszka", "Chen", "Mei", "Raj", "Ananya",
    "Samuel", "Ruth", "Björn", "Ingrid", "Pierre", "Camille", "Marco", "Giulia", "Kofi", "Ngozi", "Alex",
    "Jordan", "Taylor", "Sam",
)



_LAST: Final = (
    "Smith", "Johnson", "Garcia", "Müller", "Schmidt", "Kowalski", "Nowak", "Rossi", "Bianchi", "Dubois",
    "Martin", "Li", "Wang", "Zhang", "Kim", "Park", "Nguyen", "Tanaka", "Sato", "Patel", "Sharma", "Singh",
    "Khan", "Ahmed", "Hassan", "Okafor", "Mensah", "Adeyemi", "Silva", "Santos", "Fernández", "López",
    "González", "Pérez", "Johansson", "Andersson", "Nielsen", "Jensen", "O'Brien", "Murphy", "Kelly",
    "Brown", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris", "Clark",
    "Lewis", "Young", "Walker", "Hall", "Allen", "Novak", "Horvat", "Ivanova", "Petrov",
)



_MAIL_DOMAINS: Final = ("example.com", "example.org", "example.net", "mail.example")
