"""A property: whatever the case, the roles and the thread, no role ever reads a message
outside the audience its author chose, and no reply reaches anyone its parent does not.

Hypothesis draws cases (one to three vendors), authors and message trees with random chosen
audiences and parents; every message goes through ``messages.address`` (the rule ``post``
applies), and every role's reading is checked against an independent table of who belongs
to which audience, in Python (``may_see_message``) and in SQL (``audience_filter``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, delete, insert, select

from accord.db import Base
from accord.disclosure.messages import address, audience_filter
from accord.disclosure.models import Audience, CaseMessage
from accord.errors import AccordError
from accord.identity.policy import REPORTER, CaseStanding, may_see_message

OUTSIDE_VENDOR = 99  # an organization that is not a vendor of the case


@dataclass(frozen=True)
class Role:
    """Someone around a case, and the standing the case gives them."""

    name: str
    standing: CaseStanding

    def belongs(self, audience: Audience, vendor: int | None) -> bool:
        """The audiences as the documentation defines them, written out independently."""
        s = self.standing
        if s.coordinator:
            return True
        if audience is Audience.ALL:
            return s.reporter or bool(s.vendor_org_ids)
        if audience is Audience.REPORTER:
            return s.reporter
        if audience is Audience.VENDORS:
            return bool(s.vendor_org_ids)
        if audience is Audience.VENDOR:
            return vendor in s.vendor_org_ids
        return False


def roles(vendors: int) -> list[Role]:
    found = [
        Role("coordinator", CaseStanding(coordinator=True)),
        Role("reporter", REPORTER),
        Role("outsider", CaseStanding()),
        # A member of an organization outside the case has no standing in it.
        Role("other vendor", CaseStanding(vendor_org_ids=frozenset())),
    ]
    found += [
        Role(f"vendor {v}", CaseStanding(vendor_org_ids=frozenset({v})))
        for v in range(1, vendors + 1)
    ]
    if vendors >= 2:
        found.append(
            Role("member of vendors 1 and 2", CaseStanding(vendor_org_ids=frozenset({1, 2})))
        )
    return found


@dataclass(frozen=True)
class Stored:
    id: int
    audience: Audience
    vendor: int | None
    parent: int | None


step = st.tuples(
    st.integers(min_value=0, max_value=10),  # author (an index into the roles)
    st.none() | st.sampled_from(list(Audience)),  # the audience chosen (None: left out)
    st.none() | st.sampled_from([1, 2, 3, OUTSIDE_VENDOR]),  # the vendor named
    st.none() | st.integers(min_value=0, max_value=30),  # the parent (an index into the thread)
)


@pytest.fixture(scope="module")
def memory() -> Iterator[Engine]:
    """A database of the messages table alone, in memory (the property runs no service)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[CaseMessage.__table__])  # type: ignore[list-item]
    yield engine
    engine.dispose()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(vendors=st.integers(min_value=1, max_value=3), steps=st.lists(step, max_size=25))
def test_no_role_ever_reads_a_message_outside_its_audience(
    memory: Engine, vendors: int, steps: list[tuple[int, Audience | None, int | None, int | None]]
) -> None:
    people = roles(vendors)
    thread: list[Stored] = []
    for author_index, chosen, vendor, parent_index in steps:
        author = people[author_index % len(people)]
        parent = thread[parent_index % len(thread)] if thread and parent_index is not None else None
        if parent is not None and not may_see_message(
            author.standing, audience=parent.audience.value, vendor_org_id=parent.vendor
        ):
            continue  # post answers 404: one cannot reply into a thread one cannot read
        row = (
            None
            if parent is None
            else CaseMessage(id=parent.id, audience=parent.audience, vendor_org_id=parent.vendor)
        )
        refused: AccordError | None = None
        try:
            audience, to_vendor = address(
                author.standing, audience=chosen, vendor_org_id=vendor, parent=row
            )
        except AccordError as exc:
            refused = exc
        if refused is not None:
            assert refused.status_code in (403, 422)
            assert refused.field in ("audience", "vendor")
            continue
        if chosen is not None:
            assert audience is chosen  # never widened, never silently replaced
        message = Stored(len(thread) + 1, audience, to_vendor, parent.id if parent else None)
        assert author.belongs(audience, to_vendor)  # an author reads what they wrote
        thread.append(message)
    by_id = {m.id: m for m in thread}
    for role in people:
        for m in thread:
            reads = may_see_message(
                role.standing, audience=m.audience.value, vendor_org_id=m.vendor
            )
            assert reads == role.belongs(m.audience, m.vendor), (role.name, m)
            if reads and m.parent is not None:
                parent = by_id[m.parent]
                assert role.belongs(parent.audience, parent.vendor), (role.name, m, parent)
    # The SQL filter the pages and the API read with agrees, row for row.
    with memory.begin() as conn:
        conn.execute(delete(CaseMessage))
        if thread:
            conn.execute(
                insert(CaseMessage),
                [
                    {
                        "id": m.id,
                        "case_id": 1,
                        "audience": m.audience,
                        "vendor_org_id": m.vendor,
                        "author_label": "x",
                        "body": "b",
                    }
                    for m in thread
                ],
            )
        for role in people:
            where = audience_filter(role.standing, CaseMessage.audience, CaseMessage.vendor_org_id)
            seen = set(conn.scalars(select(CaseMessage.id).where(where)))
            assert seen == {m.id for m in thread if role.belongs(m.audience, m.vendor)}, role.name
