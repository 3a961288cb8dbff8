"""HTML forms, for every domain's pages: what was typed, turned into model input, and the
messages a form sent back shows beside its fields (a model's checks, :func:`field_errors`;
a service's refusal, :func:`error_beside`)."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

from pydantic import ValidationError

from accord.errors import AccordError, Message
from accord.errors import say as said_in
from accord.reasons import values_of


class FieldProblem(str):
    """A field's message, in English as text, with what a page needs to say it in another
    language: the kind of problem (pydantic's error type) and its numbers (``min_length``...).
    The ``problem`` template filter (``web/labels.py``) translates it."""

    field: str
    kind: str
    params: dict[str, str]

    def __new__(
        cls, text: str, *, field: str, kind: str, params: dict[str, str] | None = None
    ) -> FieldProblem:
        made = super().__new__(cls, text)
        made.field, made.kind, made.params = field, kind, dict(params or {})
        return made


def filled(values: dict[str, str]) -> dict[str, str]:
    """The fields that were filled in: an empty box means "not given", not an empty value."""
    return {key: value for key, value in values.items() if value.strip()}


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "form"


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One message per field, each naming its field, for showing beside the form's inputs."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = _field(err["loc"])
        context = err.get("ctx") or {}
        # Choices as a list, as the catalog's sentences write them (``accord.reasons``)
        values = values_of(str(err["type"]), context)
        params = {key: str(value) for key, value in values.items() if key != "error"}
        if "error" in context:
            # A validator's Message stays one, so the page says it with its values.
            raised = context["error"]
            said = raised.args[0] if getattr(raised, "args", None) else None
            params["detail"] = said if isinstance(said, Message) else str(raised)
        problem = FieldProblem(
            f"{field}: {err['msg']}", field=field, kind=err["type"], params=params
        )
        errors.setdefault(field, problem)
    return errors


def error_beside(
    exc: AccordError,
    *,
    default: str,
    fields: Container[str] | None = None,
    gettext: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """A service's refusal as a form's errors: its message beside the field it names, or
    beside ``default`` when it names none, or (given the form's ``fields``) one the form does
    not have, so that the message is always shown next to something. Given the viewer's
    ``gettext``, the message is said in the viewer's language (a :class:`accord.errors.Message`
    by its id and values); without it the message is kept as it is, a :class:`accord.errors.Message`
    that the page's template says in the viewer's language."""
    named = exc.field if fields is None or exc.field in fields else None
    return {named or default: exc.message if gettext is None else said_in(exc.message, gettext)}


def all_beside(problems: Mapping[str, object], gettext: Callable[[str], str]) -> dict[str, str]:
    """Every field's problem at once (a service's ``problems``: field to catalog entry or
    :class:`accord.errors.Message`), each said in the viewer's language beside its field."""
    return {field: said_in(problem, gettext) for field, problem in problems.items()}
