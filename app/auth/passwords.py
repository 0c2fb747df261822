"""The password policy, in one place: every path that sets a password calls `check_password`.

The strength estimate is zxcvbn's (the Python port of Dropbox's estimator): it finds common
passwords (its frequency lists hold the most used passwords and words), keyboard patterns,
sequences, repeats, dates and l33t spellings, and estimates the guesses an attacker needs. A
password must reach score 3 ("safely unguessable: moderate protection from an offline slow-hash
attack", about 10^8 guesses) and must not contain the username or the organisation's name.
See docs/decisions.md.
"""

import re
import threading
from collections.abc import Mapping

from zxcvbn import zxcvbn

from app.core.errors import Invalid

MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows with the square of the length); more text
# after 72 characters can only add guesses, so the first 72 are what is scored.
SCORED_LENGTH = 72
# Shorter inputs would refuse ordinary words ("ann" in "planning"); zxcvbn still weighs them.
_CONTAINED_MIN = 4
# Words every user of this service knows, so a guesser tries them first.
_SITE_WORDS = ("chainboard", "dashboard", "supply chain")
ADVICE = "use a longer passphrase of several unrelated words"

# zxcvbn keeps the user inputs of the current call in a module-level dictionary; two threads
# (the API's worker pool) scoring at once could see each other's.
_zxcvbn_lock = threading.Lock()


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\W_]+", text.casefold()) if len(word) >= 3]


def _plain(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:]


def check_password(password: str, *, username: str,
                   other_inputs: Mapping[str, str | None] | None = None) -> None:
    """Refuse (Invalid, 422 naming the field) a password that is easy to guess.

    `other_inputs` maps a description ("the organisation's name") to a value the user's
    colleagues or an attacker would know; the password may not contain it, and zxcvbn counts
    it as a guessable word."""
    known = {"the username": username, **(other_inputs or {})}
    flat_password = _letters_and_digits(password)
    for what, value in known.items():
        flat = _letters_and_digits(value or "")
        if len(flat) >= _CONTAINED_MIN and flat in flat_password:
            raise Invalid(f"password: must not contain {what}; {ADVICE}")

    user_inputs = [*_SITE_WORDS]
    for value in known.values():
        if value:
            user_inputs += [value.casefold(), *_words(value)]
    with _zxcvbn_lock:
        result = zxcvbn(password[:SCORED_LENGTH], user_inputs=user_inputs,
                        max_length=SCORED_LENGTH)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    reason = feedback["warning"] or " ".join(feedback["suggestions"])
    reason = _plain(reason) if reason else "it would be found after few guesses"
    raise Invalid(f"password: too easy to guess ({reason}); {ADVICE}")
