"""How figures read on screen: rates as percentages, money in pounds, RAG as words and shapes.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); every
status carries a word and a shape as well, so no meaning rests on colour alone."""

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


def pct(value: float | None, places: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{places}f}%"


def money(value: Decimal | float | None) -> str:
    return DASH if value is None else f"\u00a3{value:,.0f}"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def rag_label(rag: str | None) -> str:
    """The RAG as shape and word, e.g. '\u25b2 Amber'."""
    return f"{RAG[rag][1]} {(rag or 'none').capitalize()}"
