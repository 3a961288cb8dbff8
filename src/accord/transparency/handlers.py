"""The transparency log's background job: asking the witnesses to cosign the newest checkpoint."""

from __future__ import annotations

from typing import Any

from accord.jobs.registry import JobContext, handler
from accord.transparency import witnessing


@handler(witnessing.JOB_KIND)
def witness_checkpoint(context: JobContext, _payload: dict[str, Any]) -> None:
    """Send the newest checkpoint to every witness; fail (to be retried) if any did not cosign.

    Witnesses that already cosigned it are not asked again, so a retry asks only the others.
    """
    gathered = witnessing.gather(
        settings=context.settings, sessions=context.sessions, readers=context.readers
    )
    if gathered.failed:
        reasons = "; ".join(gathered.failed.values())
        raise witnessing.WitnessFailed(
            f"{len(gathered.cosigned)} witness(es) cosigned size {gathered.size}; {reasons}"
        )
