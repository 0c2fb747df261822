"""How figures read on screen: rates as percentages, money in pounds, RAG as words and shapes.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); every
status carries a word and a shape as well, so no meaning rests on colour alone."""

from datetime import date
from decimal import Decimal

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
# RAG: colour, a shape (text and plot symbol), and the words a screen reader speaks.
RAG = {
    "green": (OKABE_ITO["bluish_green"], "\u25cf", "circle", "Green: within the limits"),
    "amber": (OKABE_ITO["orange"], "\u25b2", "triangle-up", "Amber: below the 95% limit"),
    "red": (OKABE_ITO["vermillion"], "\u2716", "x", "Red: below the 99.8% limit"),
    None: (OKABE_ITO["grey"], "\u25cb", "circle-open", "No rating: nobody eligible yet"),
}
DASH = "\u2014"
ROLE_NAMES = {"admin": "Administrator", "prime_manager": "Prime manager",
              "provider_user": "Provider staff", "reviewer": "Reviewer"}


def day(value: date | None) -> str:
    """A date as en-GB prose: '1 Nov 2024' (the date boxes show 01/11/2024; files and the API
    keep ISO 8601)."""
    return DASH if value is None else f"{value.day} {value:%b %Y}"


def pct(value: float | None, places: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{places}f}%"


def money(value: Decimal | float | None) -> str:
    return DASH if value is None else f"\u00a3{value:,.0f}"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def rag_label(rag: str | None) -> str:
    """The RAG as shape and word, e.g. '\u25b2 Amber'."""
    return f"{RAG[rag][1]} {(rag or 'none').capitalize()}"


# Compliance flags and complaints: each state as a shape and a word (the colour is extra).
SEVERITY = {
    "high": (OKABE_ITO["vermillion"], "\u25b2", "High"),
    "medium": (OKABE_ITO["orange"], "\u25c6", "Medium"),
    "low": (OKABE_ITO["sky_blue"], "\u25bd", "Low"),
}
FLAG_STATUS = {"open": ("\u25cb", "Open"), "acknowledged": ("\u25d1", "Acknowledged"),
               "resolved": ("\u2714", "Resolved")}
PRINCIPLES = {
    "supply_chain_design": "Supply Chain Design", "commitment": "Commitment",
    "conduct": "Conduct", "review": "Review", "commercial": "Commercial",
    "check_compliance": "Check compliance (contract)",
    "data_timeliness": "Data timeliness (contract)", "performance": "Performance (contract)",
}
COMPLAINT_STATUS = {
    "submitted": "\u25cb Submitted", "acknowledged": "\u25d4 Acknowledged",
    "investigating": "\u25d1 Investigating", "resolved": "\u25d5 Resolution proposed",
    "escalated": "\u25b2 Escalated", "triaged": "\u25c6 Triaged",
    "independent_review": "\u25c7 Independent review", "decided": "\u25cf Decided",
    "closed": "\u2714 Closed", "withdrawn": "\u2716 Withdrawn",
}


def words(code: str | None) -> str:
    """A code as words: 'partially_upheld' -> 'Partially upheld'."""
    return DASH if code is None else code.replace("_", " ").capitalize()


def severity_label(severity: str) -> str:
    colour, shape, word = SEVERITY.get(severity, (OKABE_ITO["grey"], "?", severity))
    return f"{shape} {word}"


def flag_status_label(status: str) -> str:
    shape, word = FLAG_STATUS.get(status, ("?", status))
    return f"{shape} {word}"


def complaint_status_label(status: str) -> str:
    return COMPLAINT_STATUS.get(status, words(status))
