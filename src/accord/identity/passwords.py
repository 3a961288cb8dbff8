"""What makes a new password unacceptable: too short, common or breached, or guessable.

OWASP ASVS 4.0.3 V2.1.7 and NIST SP 800-63B 5.1.1.2 ask that a chosen password be checked
against passwords from breaches and common ones, repetitive characters and words of the
context (the account's own name). Length is the schema's concern (``MIN_PASSWORD_LENGTH``);
the rest is here, as plain sentences that a form shows beside the password field.

The list is the NCSC's 100,000 passwords most seen in breaches (``data/README.md``), read once
on first use: about 0.1 s and a few MB, which a command that never checks a password does
not pay.
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

LIST_FILE = "common-passwords.txt.gz"
# Fewer different characters than this is a repetition ("aaaaaaaaaaaa", "abababababab").
MIN_DISTINCT_CHARACTERS = 4
# A listed word must be this long to count once its padding is taken off ("ab" + 10 digits
# is not refused for the "ab" in the list; it is no word).
MIN_CORE_LENGTH = 4
# Digits, punctuation and spaces people add around a word to pass a rule ("Password123!").
_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords, lower-cased."""
    path = resources.files("accord.identity") / "data" / LIST_FILE
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(stripped.lower() for line in lines if (stripped := line.strip()))


def common_problem(password: str) -> str | None:
    """Why ``password`` is too easy to guess for anyone, or None.

    Checked where no account is known yet (the password type of every schema).
    """
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return "repeats the same few characters; choose something less predictable"
    lowered = password.lower()
    listed = common_passwords()
    if lowered in listed:
        return "is one of the most common passwords found in data breaches; choose another"
    core = _PADDING.sub("", lowered)
    if core != lowered and len(core) >= MIN_CORE_LENGTH and core in listed:
        return (
            "is a common password with digits or symbols added, which guessing tries first; "
            "choose another"
        )
    return None


def personal_problem(password: str, *, username: str, email: str | None) -> str | None:
    """Why ``password`` is guessable from the account's own name or address, or None."""
    lowered = password.lower()
    words = [username]
    if email:
        words += [email, email.partition("@")[0]]
    for word in words:
        if len(word) >= 3 and word.lower() in lowered:
            return "contains the account's username or email address; choose another"
    return None
