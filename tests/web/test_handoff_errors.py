"""The supervisor of ``accord serve --workers N`` outlives a connection it cannot hand over
(``accord.web.workers.Supervisor._hand``): passing a descriptor can fail for reasons other
than a full queue (ETOOMANYREFS once too many are in flight unread, ENOBUFS, ENOMEM), and an
error escaping the accept loop would stop the supervisor and every worker with it."""

from __future__ import annotations

import errno
import socket
from typing import Any

import pytest
import uvicorn

from accord.web import workers

pytestmark = pytest.mark.skipif(
    not workers.handoff_available(), reason="passing sockets over SOCK_SEQPACKET pairs needed"
)


def test_a_connection_that_cannot_be_passed_is_refused_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = uvicorn.Config(app="accord.web.app:nothing", host="127.0.0.1", port=0)
    supervisor = workers.Supervisor(config, 2)
    tried: list[int] = []

    def refused(sock: socket.socket, *args: Any) -> int:
        tried.append(sock.fileno())
        raise OSError(errno.ETOOMANYREFS, "Too many references")

    monkeypatch.setattr(workers.socket, "send_fds", refused)
    mine, theirs = socket.socketpair()
    try:
        supervisor.tally.ready[0] = supervisor.tally.ready[1] = 1
        supervisor._hand(theirs)  # no error out of the supervisor's loop
        assert len(tried) == 2  # each worker tried
        assert theirs.fileno() == -1  # the supervisor's copy closed
        assert supervisor.handed == [0, 0]
    finally:
        mine.close()
        supervisor.listener.close()
        for ends in supervisor.channels:
            for end in ends:
                end.close()
