"""HTML forms: what was typed, turned into model input and field-by-field messages."""

from __future__ import annotations

from pydantic import ValidationError

from accord.errors import Message


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
        params = {key: str(value) for key, value in context.items() if key != "error"}
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
