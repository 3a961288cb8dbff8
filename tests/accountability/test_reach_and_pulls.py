"""The registry reachability figures and the "objects pulled by others" figures, from scripted
histories with every expected value worked out by hand; then the same from real rows.

The period is March 2026 ([2026-03-01T00:00Z, 2026-04-01T00:00Z)) unless a test says else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import figures, periods, services
from accord.accountability.rows import DeliveryRow, ReachCheckRow, Records
from accord.db import unit_of_work
from accord.identity.services import get_org
from accord.registry.models import ReachCheck, ReachCheckKind
from accord.sharing.models import ObjectDelivery
from tests.factories import Factories

MARCH = periods.parse("2026-03")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reach_history() -> Records:
    return Records(
        reach_checks=(
            ReachCheckRow("policy-check:1", 1, "policy", z("2026-02-10 09:00"), True),
            ReachCheckRow("policy-check:2", 1, "policy", z("2026-03-31 23:59"), False),
            ReachCheckRow("policy-check:3", 1, "policy", z("2026-04-01 00:00"), True),
            ReachCheckRow("csaf-check:4", 1, "csaf", z("2026-01-05 12:00"), True),
        )
    )


def test_policy_present_is_the_last_check_before_the_end() -> None:
    records = reach_history()
    # February: the last policy check before 1 March is check 1, reachable.
    february = figures.compute(records, periods.parse("2026-02"))
    assert february["policy_present"].value == 1
    assert february["policy_present"].records == ("policy-check:1",)
    # March: check 2 (31 March 23:59, failed) is the last before 1 April 00:00; check 3 is
    # at the end itself, so it does not count.
    march = figures.compute(records, MARCH)
    assert march["policy_present"].value == 0
    assert march["policy_present"].records == ("policy-check:2",)
    # April: check 3 succeeded.
    assert figures.compute(records, periods.parse("2026-04"))["policy_present"].value == 1
    # December 2025: nothing checked yet: no data, not 0.
    assert figures.compute(records, periods.parse("2025-12"))["policy_present"].value is None


def test_csaf_reachable_carries_a_check_from_an_earlier_period() -> None:
    records = reach_history()
    # The only CSAF check (5 January, valid) is still the last one at March's end.
    march = figures.compute(records, MARCH)
    assert march["csaf_metadata_reachable"].value == 1
    assert march["csaf_metadata_reachable"].records == ("csaf-check:4",)
    # Policy checks never count for CSAF, nor the reverse: in 2025 there is no CSAF check.
    assert figures.compute(records, periods.parse("2025"))["csaf_metadata_reachable"].value is None


def pulls() -> Records:
    return Records(
        deliveries=(
            # Reader org 7 pulled 120 objects on 28 February: before March.
            DeliveryRow("private:pulls:1", 1, 7, date(2026, 2, 28), 120),
            # March: org 7 pulled 40 on the 1st and 10 on the 31st; org 9 pulled 5 on the 15th.
            DeliveryRow("private:pulls:2", 1, 7, date(2026, 3, 1), 40),
            DeliveryRow("private:pulls:3", 1, 7, date(2026, 3, 31), 10),
            DeliveryRow("private:pulls:4", 1, 9, date(2026, 3, 15), 5),
            # 1 April: after March.
            DeliveryRow("private:pulls:5", 1, 9, date(2026, 4, 1), 1000),
        )
    )


def test_objects_pulled_and_pulling_organizations() -> None:
    march = figures.compute(pulls(), MARCH)
    # 40 + 10 + 5 = 55 objects, to two organizations (7 and 9).
    assert march["objects_pulled"].value == 55
    assert march["pulling_organizations"].value == 2
    assert march["objects_pulled"].records == (
        "private:pulls:2",
        "private:pulls:3",
        "private:pulls:4",
    )
    # Q1: 120 + 55 = 175, still two organizations; April alone: 1000 by org 9.
    q1 = figures.compute(pulls(), periods.parse("2026-Q1"))
    assert (q1["objects_pulled"].value, q1["pulling_organizations"].value) == (175, 2)
    april = figures.compute(pulls(), periods.parse("2026-04"))
    assert (april["objects_pulled"].value, april["pulling_organizations"].value) == (1000, 1)
    # Nothing pulled is 0 objects and 0 organizations (a count), not "no data".
    empty = figures.compute(Records(), MARCH)
    assert (empty["objects_pulled"].value, empty["pulling_organizations"].value) == (0, 0)


def test_leap_day_pulls_belong_to_february_2028() -> None:
    records = Records(deliveries=(DeliveryRow("private:pulls:1", 1, 2, date(2028, 2, 29), 3),))
    assert figures.compute(records, periods.parse("2028-02"))["objects_pulled"].value == 3
    assert figures.compute(records, periods.parse("2028-03"))["objects_pulled"].value == 0


def test_collected_from_the_tables(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    acme, reader, other = make.org("Acme"), make.org("Reader"), make.org("Other")
    with unit_of_work(session_factory) as w:
        a, r, o = (get_org(w, s).id for s in (acme, reader, other))
        for kind, at, ok in (
            (ReachCheckKind.POLICY, "2026-02-20 10:00", True),  # carried into March
            (ReachCheckKind.CSAF, "2026-02-01 10:00", True),
            (ReachCheckKind.CSAF, "2026-03-10 10:00", False),  # March's last CSAF check
            (ReachCheckKind.POLICY, "2026-04-02 10:00", False),  # after March
        ):
            w.add(
                ReachCheck(organization_id=a, kind=kind, url="https://acme.example/x",
                           fetched_at=z(at), ok=ok, requested_by="test")
            )  # fmt: skip
        for producer, reading, day, objects in (
            (a, r, date(2026, 3, 2), 7),
            (a, o, date(2026, 3, 31), 3),
            (a, r, date(2026, 4, 1), 50),  # April
            (r, a, date(2026, 3, 5), 11),  # Reader's objects, not Acme's
        ):
            w.add(ObjectDelivery(producer_org_id=producer, reader_org_id=reading, day=day,
                                 objects=objects))  # fmt: skip
    db.rollback()
    march = services.live(db, period=MARCH, org_ids=[a, r])
    assert march[a]["policy_present"].value == 1
    assert march[a]["csaf_metadata_reachable"].value == 0
    # 7 + 3 = 10 objects of Acme's, to Reader and Other.
    assert (march[a]["objects_pulled"].value, march[a]["pulling_organizations"].value) == (10, 2)
    assert (march[r]["objects_pulled"].value, march[r]["pulling_organizations"].value) == (11, 1)
    assert march[r]["policy_present"].value is None
    april = services.live(db, period=periods.parse("2026-04"), org_ids=[a])
    assert april[a]["policy_present"].value == 0
    assert april[a]["objects_pulled"].value == 50
