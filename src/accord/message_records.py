"""A :class:`~accord.errors.Message` kept in the database as JSON (its message id and values),
so that a page shows a stored error in its reader's language while the English text stays the
record (logs, the command line, machines).

A value that is itself a Message or :class:`~accord.errors.Sentences` is kept the same way; any
other value as JSON where it is a number, a boolean or None, else as its text (which is what
``%(name)s`` writes). A message that is plain text has no record: it is shown as it is, or by
the catalog when it is a sentence marked ``N_`` (the ``translate`` filter).
"""

from __future__ import annotations

from typing import Any

from accord.errors import Message, Sentences

_SCALARS = (bool, int, float, type(None))
# A value's text kept at most (its end cut and marked): a peer's answer or an exception's text
# can be of any size, and the English record beside it is cut at the same length.
VALUE_LENGTH = 2000


def record(message: object) -> dict[str, Any] | None:
    """``message`` as JSON, or None when it is plain text."""
    if isinstance(message, Sentences):
        return {"sentences": [_value(part) for part in message.parts]}
    if not isinstance(message, Message):
        return None
    return {"msgid": message.msgid, "params": {k: _value(v) for k, v in message.params.items()}}


def _value(value: object) -> Any:
    kept = record(value)
    if kept is not None:
        return kept
    if isinstance(value, _SCALARS):
        return value
    text = str(value)
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"


def message_from(kept: object, english: str | None) -> object:
    """The message a :func:`record` keeps, said by its id in any language; ``english`` (the
    stored text) where there is no record or it cannot be read."""
    try:
        said = _message(kept)
    except (KeyError, TypeError, ValueError):  # a record written by other code, or damaged
        said = None
    return said if said is not None else english


def _message(kept: object) -> Message | Sentences | None:
    if not isinstance(kept, dict):
        return None
    if "sentences" in kept:
        return Sentences(_read(part) for part in kept["sentences"])
    params = {str(name): _read(value) for name, value in dict(kept["params"]).items()}
    return Message(str(kept["msgid"]), **params)


def _read(value: Any) -> object:
    found = _message(value)
    return found if found is not None else value
