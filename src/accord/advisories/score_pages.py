"""The editor's live CVSS score: the choices made so far (or a vector) scored by the ``cvss``
library and answered as the score's part of the editor page, which htmx swaps in as a metric
is picked. The editor works without it: a preview or a save scores the same choices."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from accord.advisories import editor, scoring
from accord.advisories.draft_pages import SentForm
from accord.errors import AccordError
from accord.identity.policy import Action, Actor
from accord.web.admission import reads
from accord.web.deps import guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
Version = Literal["v3", "v4"]


def scored(version: Version, sent: dict[str, str]) -> tuple[scoring.Score | None, str | None]:
    """The score of what was sent, and the problem to show beside the field (None: none).

    ``vector`` is scored as it is; otherwise the editor's fields for ``version`` (one
    choice per metric, or a pasted vector). Choices not yet complete are no problem: the
    page says to choose every metric.
    """
    field = f"cvss_{version}"
    score = scoring.cvss_v3 if version == "v3" else scoring.cvss_v4
    given = sent.get("vector", "").strip()
    try:
        if given:
            return score(given, field=field), None
        metrics = getattr(editor.from_form(sent), version)
        if "pasted" not in metrics and not all(metrics.get(key) for key, _, _ in _table(version)):
            return None, None
        made = editor.vector(version, metrics)
        return (None if made is None else score(made, field=field)), None
    except AccordError as exc:
        return None, exc.message


def _table(version: Version) -> tuple[editor.Metric, ...]:
    return editor.CVSS3_METRICS if version == "v3" else editor.CVSS4_METRICS


@router.post("/advisories/cvss-score", response_class=HTMLResponse)
@reads
def cvss_score(
    request: Request,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    sent: SentForm,
    version: Annotated[Version, Query()],
) -> HTMLResponse:
    """The score and severity of the choices sent, as the editor shows them; 422 with the
    reason beside the field for a vector the ``cvss`` library refuses."""
    score, problem = scored(version, sent)
    errors = {f"cvss_{version}": problem} if problem else {}
    return render(
        request,
        "advisories/_score.html",
        {"version": version, "score": score, "errors": errors},
        status=422 if problem else 200,
    )
