"""``accord pledges`` and ``accord campaigns``: texts organizations endorse beside the accord,
and campaigns with a goal across the signatories, from the server's shell (as the hub's
operators would on their pages: every step audited and logged by the same services)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from accord.cli import words
from accord.cli.context import open_engine, refused, say_written, settings_from_env
from accord.config import Settings
from accord.db import make_sessionmaker, unit_of_work

pledges_app = typer.Typer(
    no_args_is_help=True, help="Pledges: texts organizations endorse beside the accord."
)
campaigns_app = typer.Typer(
    no_args_is_help=True, help="Campaigns: a measurable goal across the signatories."
)
out = Console(highlight=False, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]
T = TypeVar("T")


def in_hub(config: Path | None, work: Callable[[Any, Settings], T], *, writes: bool) -> T:
    """Run ``work(db, settings)`` in one unit of work on the hub the settings name."""
    with refused():
        settings = settings_from_env(config)
        engine = open_engine(settings)
        try:
            with unit_of_work(make_sessionmaker(engine)) as db:
                found = work(db, settings)
        finally:
            engine.dispose()
    if writes:
        say_written(settings)
    return found


MAX_TEXT_BYTES = 1024 * 1024  # a pledge's text is at most 100,000 characters


def _text(path: Path) -> str:
    try:
        with path.open("rb") as source:
            data = source.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        typer.echo(words.failure(f"{path}: {exc.strerror}"), err=True)
        raise typer.Exit(1) from None
    if len(data) > MAX_TEXT_BYTES:
        more = words.gettext("more than %(count)s bytes", count=MAX_TEXT_BYTES)
        typer.echo(words.failure(f"{path}: {more}"), err=True)
        raise typer.Exit(1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        typer.echo(words.failure(f"{path}: {words.gettext('not UTF-8 text')}"), err=True)
        raise typer.Exit(1) from None


# -- pledges ---------------------------------------------------------------------------------


@pledges_app.command("list")
def list_pledges(config: ConfigOpt = None) -> None:
    """Every pledge: its current version, title and how many organizations endorse it."""
    from accord.campaigns import services

    def work(db: Any, _: Settings) -> list[str]:
        lines = []
        for pledge in services.list_pledges(db):
            version = services.current(pledge)
            count = len(services.endorsers(db, pledge))
            lines.append(f"{pledge.slug}\tv{version.number}\t{count} endorsers\t{version.title}")
        return lines

    for line in in_hub(config, work, writes=False) or ["no pledges"]:
        typer.echo(line)  # tab-separated, as written: for people and for cut(1)


@pledges_app.command("publish")
def publish_pledge(
    slug: Annotated[str, typer.Argument(help="The pledge's short name, as in its URL.")],
    title: Annotated[str, typer.Option("--title", help="The text's title.")],
    text_file: Annotated[
        Path, typer.Option("--text-file", help="A UTF-8 file holding the text (Markdown).")
    ],
    config: ConfigOpt = None,
) -> None:
    """Publish a pledge, or a new version of one: endorsers of earlier versions keep theirs."""
    from accord.campaigns import services
    from accord.campaigns.schemas import PledgeCreate, PledgeVersionCreate
    from accord.errors import NotFound
    from accord.identity.policy import SYSTEM

    text = _text(text_file)

    def work(db: Any, settings: Settings) -> str:
        try:
            pledge = services.get_pledge(db, slug)
        except NotFound:
            data = PledgeCreate(slug=slug, title=title, text=text)
            pledge = services.create_pledge(db, data=data, actor=SYSTEM, settings=settings)
        else:
            new = PledgeVersionCreate(title=title, text=text)
            services.publish_version(db, pledge=pledge, data=new, actor=SYSTEM, settings=settings)
        db.refresh(pledge)
        return f"published {pledge.slug} version {services.current(pledge).number}"

    out.print(in_hub(config, work, writes=True), markup=False)


def _endorsement(pledge_slug: str, org_slug: str, config: Path | None, *, endorse: bool) -> None:
    from accord.campaigns import services
    from accord.identity.policy import SYSTEM
    from accord.identity.services import get_org

    def work(db: Any, settings: Settings) -> str:
        pledge = services.get_pledge(db, pledge_slug)
        org = get_org(db, org_slug)
        act = services.endorse if endorse else services.withdraw
        found = act(db, pledge=pledge, org=org, actor=SYSTEM, settings=settings)
        verb = "endorses" if endorse else "no longer endorses"
        return f"{org.slug} {verb} {pledge.slug} version {found.version.number}"

    out.print(in_hub(config, work, writes=True), markup=False)


@pledges_app.command("endorse")
def endorse(
    pledge: Annotated[str, typer.Argument(help="The pledge.")],
    org: Annotated[str, typer.Argument(help="The organization that endorses its current text.")],
    config: ConfigOpt = None,
) -> None:
    """Record an organization's endorsement of a pledge's current text."""
    _endorsement(pledge, org, config, endorse=True)


@pledges_app.command("withdraw")
def withdraw(
    pledge: Annotated[str, typer.Argument(help="The pledge.")],
    org: Annotated[str, typer.Argument(help="The organization withdrawing its endorsement.")],
    config: ConfigOpt = None,
) -> None:
    """Withdraw an organization's endorsement of a pledge (the record of it stays)."""
    _endorsement(pledge, org, config, endorse=False)


@pledges_app.command("endorsers")
def endorsers(
    pledge: Annotated[str, typer.Argument(help="The pledge.")],
    config: ConfigOpt = None,
) -> None:
    """The organizations endorsing a pledge now, with the version and the date."""
    from accord.campaigns import services

    def work(db: Any, _: Settings) -> list[str]:
        found = services.get_pledge(db, pledge)
        return [
            f"{e.organization.slug}\tv{e.version.number}\t{e.endorsed_at:%Y-%m-%d}"
            for e in services.endorsers(db, found)
        ]

    for line in in_hub(config, work, writes=False) or ["no endorsers"]:
        typer.echo(line)  # tab-separated, as written: for people and for cut(1)


# -- campaigns -------------------------------------------------------------------------------


@campaigns_app.command("list")
def list_campaigns(config: ConfigOpt = None) -> None:
    """Every campaign: its goal, target and figure now, computed from the stored checks."""
    from accord.campaigns import services

    def work(db: Any, _: Settings) -> list[str]:
        lines = []
        for campaign in services.list_campaigns(db):
            found = services.figure(db, campaign)
            progress = found["progress"]
            state = "reached" if found["reached"] else "not reached"
            lines.append(
                f"{campaign.slug}\t{campaign.goal.value}\t{len(progress.met)}/{progress.counted} "
                f"(target {campaign.target:.0%}, {state})\t{campaign.title}"
            )
        return lines

    for line in in_hub(config, work, writes=False) or ["no campaigns"]:
        typer.echo(line)  # tab-separated, as written: for people and for cut(1)


@campaigns_app.command("publish")
def publish_campaign(
    slug: Annotated[str, typer.Argument(help="The campaign's short name, as in its URL.")],
    title: Annotated[str, typer.Option("--title", help="The campaign's title.")],
    goal: Annotated[
        str,
        typer.Option(
            "--goal",
            help="security_txt, disclosure_policy, safe_harbour or csaf_provider.",
        ),
    ],
    target: Annotated[
        float, typer.Option("--target", help="The share of signatories to reach, 0 to 1.")
    ],
    description: Annotated[str, typer.Option("--description", help="What it asks.")] = "",
    ends_on: Annotated[
        str | None, typer.Option("--ends-on", help="The last day, YYYY-MM-DD.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Start a campaign; its figure is kept day by day from the registry's checks."""
    from accord.campaigns import services
    from accord.campaigns.schemas import CampaignCreate
    from accord.identity.policy import SYSTEM

    def work(db: Any, settings: Settings) -> str:
        data = CampaignCreate(
            slug=slug,
            title=title,
            description=description,
            goal=goal,  # a GoalKind's value, checked by the model
            target=target,
            ends_on=None if ends_on is None else date.fromisoformat(ends_on),
        )
        found = services.create_campaign(db, data=data, actor=SYSTEM, settings=settings)
        progress = services.figure(db, found)["progress"]
        met = len(progress.met)
        return f"started {found.slug}: {met} of {progress.counted} signatories meet it now"

    with refused():
        if ends_on is not None:
            try:
                date.fromisoformat(ends_on)
            except ValueError:
                no_date = words.gettext("%(value)s is no date (YYYY-MM-DD)", value=repr(ends_on))
                typer.echo(words.failure(f"ends_on: {no_date}"), err=True)
                raise typer.Exit(1) from None
        out.print(in_hub(config, work, writes=True), markup=False)
