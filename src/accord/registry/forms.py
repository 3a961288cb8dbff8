"""HTML forms: what was typed, turned into model input and field-by-field messages."""

from __future__ import annotations

from pydantic import ValidationError


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
        errors.setdefault(field, f"{field}: {err['msg']}")
    return errors
