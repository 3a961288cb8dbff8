"""Domain errors. Services raise these with data; the edges (API, pages, CLI) map them.

One root, :class:`AccordError`, so that each edge has a single handler: JSON with a status for
the API, a page for the web, one line and an exit code for the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a string for extraction where it is defined; templates translate it when shown."""
    return message


class Message(str):
    """A sentence in English that keeps its message id and values, so that an edge can say it
    in the viewer's language (``translated``); everywhere else it is the English text.

    The id is marked with ``N_`` where the error is raised, and the values are not translated
    (names, periods, dates, versions)::

        raise PeriodError(Message(N_("period: %(period)s has not ended"), period=key))
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, **params: object) -> Message:
        made = super().__new__(cls, msgid % params if params else msgid)
        made.msgid = msgid
        made.params = params
        return made

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The sentence through ``gettext`` (a catalog's), with the same values; a value that
        is itself a :class:`Message` or :class:`Sentences` (where an item was found: "object
        2") is said in the same language."""
        if not self.params:
            return gettext(self.msgid)
        values = {name: say(value, gettext) if _spoken(value) else value
                  for name, value in self.params.items()}  # fmt: skip
        try:
            return gettext(self.msgid) % values
        except (KeyError, ValueError, TypeError):  # a catalog's placeholder gone wrong
            return str(self)


class Sentences(str):
    """Several messages said one after another ("; " between them), each in the reader's
    language: the problems of one refusal (a MISP event's items)."""

    parts: tuple[object, ...]

    def __new__(cls, parts: Iterable[object]) -> Sentences:
        kept = tuple(parts)
        made = super().__new__(cls, "; ".join(str(part) for part in kept))
        made.parts = kept
        return made

    def translated(self, gettext: Callable[[str], str]) -> str:
        """Each part through ``gettext`` (see :func:`say`)."""
        return "; ".join(say(part, gettext) for part in self.parts)


def _spoken(value: object) -> bool:
    return isinstance(value, Message | Sentences)


def say(message: object, gettext: Callable[[str], str], *, labels: bool = True) -> str:
    """``message`` in a catalog's language: a :class:`Message` by its id and values, any
    other text as a whole (an exact sentence of the catalog, else itself). A sentence that
    names a field first ("security_contact: ...") names it by its label, for a person
    (``accord.field_labels``); the API, whose reader has the field's code name in its
    request, asks for none (``labels=False``)."""
    if isinstance(message, Message | Sentences):
        said = message.translated(gettext)
    else:
        said = gettext(str(message))
    if not labels:
        return said
    from accord.field_labels import labelled  # it marks its labels with N_, from here

    return labelled(said, gettext)


def detail_in(detail: object, gettext: Callable[[str], str]) -> str:
    """A validator's message in a catalog's language: a :class:`Message` by its id, other
    text whole if the catalog has it, else each side of its first colon: a sentence and its
    technical detail, kept as written ("not a valid CVSS vector: ..."), or the field a
    model's check names and its sentence ("justification: not affected needs ...")."""
    if _spoken(detail):
        return say(detail, gettext)
    text = str(detail)
    whole = gettext(text)
    if whole != text or ": " not in text:
        return whole
    head, _, rest = text.partition(": ")
    return f"{gettext(head)}: {gettext(rest)}"


class Reason(Message):
    """A validator's refusal of a field: in English as pydantic words it ("Value error,
    ..."), as before; in another language the validator's own sentence (``detail_in``)."""

    def __new__(cls, english: str, detail: object) -> Reason:
        made = str.__new__(cls, english)
        made.msgid, made.params = english, {"detail": detail}
        return made

    def translated(self, gettext: Callable[[str], str]) -> str:
        return detail_in(self.params["detail"], gettext)


def reason_of(error: Mapping[str, Any]) -> str:
    """The reason of one pydantic error, kept translatable: a validator's message (a
    :class:`Reason`), else pydantic's own by its type (``accord.reasons``: English as
    pydantic wrote it, the catalog's sentence in another language), else as pydantic wrote
    it."""
    from accord.reasons import problem_of  # it builds on Message, from here

    message = str(error.get("msg", "invalid"))
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], str):
        return Reason(message, raised.args[0])
    return problem_of(error) or message


def at_field(field: str, reason: str) -> Message:
    """ "field: reason", the message of a refusal of one field, in the reader's language."""
    return Message(N_("%(field)s: %(reason)s"), field=field, reason=reason)


class AccordError(Exception):
    """Root of every error the hub reports to a caller."""

    status_code = 400
    code = "bad_request"
    # Said in English whatever the client's language, where a wire format's clients match
    # on the words (the API's edge reads it; see ``advisories/osv_api.py``).
    english = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the API answers with."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class ConfigError(AccordError):
    """The configuration is missing or wrong; the hub refuses to start.

    Met while serving a request (a key file changed under a running hub), it is the
    operator's problem, not the caller's: the web edge answers 500 and keeps the message,
    which names files in the data directory, for the server's log.
    """

    status_code = 500
    code = "config"


class InvalidInput(AccordError):
    """A field of the request is missing or malformed."""

    status_code = 422
    code = "invalid"


class Unauthenticated(AccordError):
    """No valid credentials were presented."""

    status_code = 401
    code = "unauthenticated"


class Forbidden(AccordError):
    """The caller is known but may not do this."""

    status_code = 403
    code = "forbidden"


class SecondFactorRequired(Forbidden):
    """The caller must enrol a second factor before anything else (pages: sent to enrol)."""

    code = "second_factor_required"


class StepUpRequired(Forbidden):
    """A sensitive action needs a fresh second factor (pages: sent to prove it, then back)."""

    code = "step_up_required"


class NotFound(AccordError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    status_code = 404
    code = "not_found"


class Conflict(AccordError):
    """The request clashes with what is stored (a duplicate, a state that forbids it)."""

    status_code = 409
    code = "conflict"


class RateLimited(AccordError):
    """Too many requests of this kind from this client; try again later."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(AccordError):
    """The hub is saturated (every request slot, connection or write turn taken for longer
    than it waits); the client should try again after ``retry_after`` seconds (503)."""

    status_code = 503
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(AccordError):
    """The request body is over the hub's limit."""

    status_code = 413
    code = "too_large"


Model = TypeVar("Model", bound=BaseModel)


# A model's own check (one field against another) fails on the whole model; its message
# names the field it is about first ("justification: not affected needs..."), so that the
# answer names that field rather than the whole form or body.
_NAMED = re.compile(r"^Value error, (?P<field>[a-z_][a-z0-9_.]*): (?P<reason>.+)$", re.S)


def named_problem(field: str, reason: str) -> tuple[str, str]:
    """(field, reason) of a validation error at ``field``: a whole-model error (``field``
    "form" or "body") whose reason names its field first is moved to that field."""
    found = _NAMED.match(reason) if field in ("form", "body") else None
    if found is None:
        return field, reason
    named = found["reason"]
    return found["field"], Reason(named, named) if isinstance(reason, Reason) else named


def invalid_from(exc: ValidationError) -> InvalidInput:
    """The first problem pydantic found, as an :class:`InvalidInput` naming its field."""
    error = exc.errors()[0]
    field, reason = named_problem(
        ".".join(str(part) for part in error["loc"]) or "form", reason_of(error)
    )
    return InvalidInput(at_field(field, reason), field=field)


def validated(model: type[Model], data: Mapping[str, Any]) -> Model:
    """``data`` as a ``model``, or :class:`InvalidInput` naming the first wrong field.

    For input that does not arrive as a request body (forms, the CLI), so that it gets the
    same one-field answer as the API's request validation.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None
