"""National Insurance numbers in participant references (DOMAIN.md section 3): the one check,
used by JSON and CSV ingestion alike through app.ingest.schemas.EventIn."""

import re

# HMRC's rules (National Insurance Manual NIM39110): two prefix letters, six digits, a suffix
# A-D. The first letter is never D, F, I, Q, U or V; the second never D, F, I, O, Q, U or V;
# the prefixes BG, GB, KN, NK, NT, TN and ZZ are never allocated.
_NINO = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")
_SEPARATORS = re.compile(r"[^A-Z0-9]")


def contains_nino(reference: str) -> bool:
    """Whether `reference`, upper-cased and with everything but letters and digits removed,
    holds a National Insurance number anywhere: `P-AB123456C`, `NIAB123456C` and
    `xx-AB 12 34 56 C-1` do; `NW-000123` (no suffix) and `QQ123456C` (no such prefix) do not."""
    return _NINO.search(_SEPARATORS.sub("", reference.upper())) is not None
