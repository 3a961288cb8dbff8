"""``accord pledges``, ``accord campaigns`` and ``accord registry depart`` through Typer's
runner: what each stores and logs, and every refusal as one line with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from accord.campaigns.models import Campaign, Endorsement
from accord.cli import main
from accord.config import Settings
from accord.registry.models import Departure
from accord.transparency.models import LogRecord
from tests.factories import Factories


def accord(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main.app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def refused(*args: str) -> str:
    """The one line a refused command says; it must exit non-zero."""
    code, out, err = accord(*args)
    assert code != 0, out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_pledges_published_endorsed_and_withdrawn(
    cli_env: Settings, make: Factories, db: Session, tmp_path: Path
) -> None:
    acme = make.org("Acme")
    text = tmp_path / "principles.md"
    text.write_text("We oppose cyber mercenaries.\n", encoding="utf-8")
    code, out, err = accord("pledges", "publish", "mercenaries", "--title", "Principles",
                            "--text-file", str(text))  # fmt: skip
    assert code == 0, err
    assert out.strip() == "published mercenaries version 1"
    code, out, _ = accord("pledges", "list")
    assert out.split("\t")[:3] == ["mercenaries", "v1", "0 endorsers"]

    assert accord("pledges", "endorse", "mercenaries", acme)[1].strip() == (
        f"{acme} endorses mercenaries version 1"
    )
    text.write_text("We oppose cyber mercenaries, and say how.\n", encoding="utf-8")
    code, out, err = accord("pledges", "publish", "mercenaries", "--title", "Principles 2",
                            "--text-file", str(text))  # fmt: skip
    assert (code, out.strip()) == (0, "published mercenaries version 2"), err
    assert accord("pledges", "endorsers", "mercenaries")[1].split("\t")[:2] == [acme, "v1"]
    # Endorsing again moves the endorsement to the current text.
    assert accord("pledges", "endorse", "mercenaries", acme)[0] == 0
    assert "already endorses version 2" in refused("pledges", "endorse", "mercenaries", acme)
    assert accord("pledges", "withdraw", "mercenaries", acme)[1].strip() == (
        f"{acme} no longer endorses mercenaries version 2"
    )
    assert "does not endorse" in refused("pledges", "withdraw", "mercenaries", acme)
    assert accord("pledges", "endorsers", "mercenaries")[1].strip() == "no endorsers"

    # A record is written when a checkpoint covers its entry: sign what waits, as a hub's
    # cadence would within a second.
    assert accord("log", "sign")[0] == 0
    db.rollback()
    rows = db.scalars(select(Endorsement).order_by(Endorsement.id)).all()
    assert [(r.version.number, r.withdrawn_at is not None) for r in rows] == [(1, True), (2, True)]
    logged = db.scalars(select(LogRecord.entry_type).order_by(LogRecord.idx)).all()
    # Endorsed (v1), endorsed again (v2, replacing v1), withdrawn.
    assert logged.count("campaigns.endorsement") == 3
    assert logged.count("campaigns.pledge") == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("pledges", "endorse", "nothing", "acme"), "no pledge 'nothing'"),
        (("pledges", "publish", "Bad Slug!", "--title", "T", "--text-file", "{text}"), "slug"),
        (("pledges", "publish", "ok", "--title", "T", "--text-file", "/no/such/file"), "file"),
        (
            ("campaigns", "publish", "c", "--title", "T", "--goal", "fame", "--target", "0.5"),
            "goal",
        ),
        (
            (
                "campaigns",
                "publish",
                "c",
                "--title",
                "T",
                "--goal",
                "security_txt",
                "--target",
                "2",
            ),
            "target",
        ),
        (
            (
                "campaigns",
                "publish",
                "c",
                "--title",
                "T",
                "--goal",
                "security_txt",
                "--target",
                "0.5",
                "--ends-on",
                "soon",
            ),
            "ends_on",
        ),
        (
            ("registry", "depart", "nobody", "--confirm", "nobody", "--reason", "x"),
            "no organization 'nobody'",
        ),
    ],
)
def test_refusals_are_one_line(
    cli_env: Settings, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    text = tmp_path / "text.md"
    text.write_text("text", encoding="utf-8")
    line = refused(*(a.replace("{text}", str(text)) for a in args))
    assert needle in line, line


def test_campaigns_published_and_listed_with_their_figure(
    cli_env: Settings, make: Factories, db: Session
) -> None:
    make.org("Acme")
    make.org("Bolt")
    code, out, err = accord("campaigns", "publish", "txt", "--title", "Everyone a security.txt",
                            "--goal", "security_txt", "--target", "0.66",
                            "--ends-on", "2027-12-31")  # fmt: skip
    assert code == 0, err
    assert out.strip() == "started txt: 0 of 2 signatories meet it now"
    _, out, _ = accord("campaigns", "list")
    assert out.split("\t")[:3] == ["txt", "security_txt", "0/2 (target 66%, not reached)"]
    assert "is taken" in refused("campaigns", "publish", "txt", "--title", "Again", "--goal",
                                 "security_txt", "--target", "0.5")  # fmt: skip
    db.rollback()
    (campaign,) = db.scalars(select(Campaign)).all()
    assert (campaign.target, str(campaign.ends_on)) == (0.66, "2027-12-31")


def test_departures_recorded_from_the_shell(
    cli_env: Settings, make: Factories, db: Session, tmp_path: Path
) -> None:
    stays, goes, leaves = make.org("Stays"), make.org("Goes"), make.org("Leaves")
    assert "give --confirm goes" in refused("registry", "depart", goes, "--confirm", stays,
                                            "--reason", "broke it")  # fmt: skip
    assert "reason" in refused("registry", "depart", goes, "--confirm", goes)
    code, out, err = accord("registry", "depart", goes, "--confirm", goes, "--reason", "broke it")
    assert code == 0, err
    assert out.startswith(f"{goes}: removed on ")
    assert "left the accord" in refused("registry", "depart", goes, "--confirm", goes,
                                        "--reason", "again")  # fmt: skip
    assert "type leaves" in refused("registry", "depart", leaves, "--left", "--confirm", "x")
    code, out, err = accord("registry", "depart", leaves, "--left", "--confirm", leaves)
    assert code == 0, err
    assert out.startswith(f"{leaves}: left on ")

    assert accord("log", "sign")[0] == 0  # records are written when a checkpoint covers them
    db.rollback()
    found = {d.organization.slug: (d.kind.value, d.reason) for d in db.scalars(select(Departure))}
    assert found == {goes: ("removed", "broke it"), leaves: ("left", "")}
    logged = db.scalars(
        select(LogRecord.subject).where(LogRecord.entry_type == "registry.departure")
    ).all()
    assert sorted(logged) == sorted([goes, leaves])
    # A departed signatory endorses nothing.
    text = tmp_path / "p.md"
    text.write_text("text", encoding="utf-8")
    assert accord("pledges", "publish", "p", "--title", "P", "--text-file", str(text))[0] == 0
    assert "left the accord" in refused("pledges", "endorse", "p", goes)
