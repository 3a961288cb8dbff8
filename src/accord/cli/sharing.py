"""``accord sharing``: collections, federation pulls and sharing groups from the command line.

Its subgroups have modules of their own: push targets (``push.py``), warninglists
(``warninglists.py``); its pull commands (``pull``, ``sync``, ``remotes``) are ``pull.py``'s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import true

from accord.cli import pull as pull_cli
from accord.cli import push as push_cli
from accord.cli import words
from accord.cli.context import database, settings_from_env
from accord.cli.warninglists import app as warninglists_app
from accord.clock import utcnow
from accord.errors import N_, InvalidInput, NotFound
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.sharing import groups, misp, misp_export, services
from accord.sharing.schemas import CollectionCreate, GrantSet, GroupExport
from accord.sharing.tlp import Tlp

app = typer.Typer(no_args_is_help=True, help="Threat sharing: collections, federation, groups.")
app.add_typer(push_cli.app, name="push")
app.add_typer(warninglists_app, name="warninglists")
# Commands, not a subgroup: ``accord sharing pull``, as before the module was split.
app.registered_commands.extend(pull_cli.app.registered_commands)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


@app.command("collection-create")
def collection_create(
    org: Annotated[str, typer.Argument(help="Owner organization (slug).")],
    title: str,
    alias: Annotated[str | None, typer.Option()] = None,
    default_tlp: Annotated[Tlp, typer.Option(help="TLP of objects without a marking.")] = Tlp.AMBER,
    public: Annotated[bool, typer.Option("--public", help="Anyone may read (CLEAR).")] = False,
    community: Annotated[bool, typer.Option("--community", help="Members may read.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Create a TAXII collection owned by an organization; print its id."""
    data = CollectionCreate(
        title=title,
        alias=alias,
        default_tlp=default_tlp,
        public_read=public,
        community_read=community,
    )
    with database(settings_from_env(config)) as db:
        collection = services.create_collection(db, org=get_org(db, org), data=data, actor=SYSTEM)
        out.print(collection.uuid)


@app.command("grant")
def grant(
    collection: str,
    org: Annotated[str | None, typer.Option(help="Organization slug.")] = None,
    group: Annotated[str | None, typer.Option(help="Sharing group id.")] = None,
    write: Annotated[bool, typer.Option("--write", help="Also write.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Let an organization or a sharing group read (and write) a collection."""
    data = GrantSet(organization=org, group=group, can_read=True, can_write=write)
    with database(settings_from_env(config)) as db:
        found = services.get_collection(db, collection)
        services.set_grant(db, collection=found, data=data, actor=SYSTEM)
    granted = (
        N_("granted read, write on %(collection)s")
        if write
        else N_("granted read on %(collection)s")
    )
    out.print(words.gettext(granted, collection=collection))


@app.command("queue")
def queue_command(
    retry: Annotated[
        str | None,
        typer.Option("--retry", help="Put this set-aside entry (its status id) back in line."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """The TAXII queue: objects waiting, and the entries set aside after failed tries, each
    with its status id, collection, tries and reason."""
    from accord.cli.context import open_engine
    from accord.sharing.queue import Queue

    settings = settings_from_env(config)
    engine = open_engine(settings)
    waiting = Queue.for_hub(settings, engine)
    try:
        if retry is not None:
            if not waiting.retry(retry):
                raise NotFound(f"no set-aside entry {retry!r} in the queue", field="retry")
            out.print(
                words.gettext(
                    "%(entry)s is back in line; a running hub's drainer stores it next",
                    entry=retry,
                )
            )
            return
        backlog = waiting.backlog()
        out.print(
            words.ngettext("%(count)s object waiting", "%(count)s objects waiting", backlog),
            highlight=False,
        )
        for entry, attempt in waiting.set_aside_entries():
            aside = "" if attempt.set_aside_at is None else words.when(attempt.set_aside_at)
            out.print(
                f"set aside\t{entry.status_uuid}\tcollection {entry.collection_id}\t"
                f"{words.ngettext('%(count)s object', '%(count)s objects', entry.objects)}\t"
                f"{words.ngettext('%(count)s try', '%(count)s tries', attempt.attempts)}\t"
                f"{aside}\t{attempt.last_error}",
                highlight=False,
                markup=False,
            )
    finally:
        if waiting.engine is not engine:
            waiting.engine.dispose()
        engine.dispose()


@app.command("group-export")
def group_export(
    group: Annotated[str, typer.Argument(help="Sharing group id.")],
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a sharing group as JSON, to import on another hub."""
    with database(settings_from_env(config)) as db:
        found = groups.get_group(db, group)
        data = groups.export_group(db, group=found, actor=SYSTEM, now=utcnow())
    text = data.model_dump_json(indent=2)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n")
        err.print(words.gettext("wrote %(path)s", path=str(output)))


@app.command("group-import")
def group_import(
    file: Annotated[Path, typer.Argument(help="A group exported by a hub.")],
    org: Annotated[str, typer.Option(help="The local organization that will own it.")],
    config: ConfigOpt = None,
) -> None:
    """Create or update a sharing group from another hub's export."""
    if not file.is_file():
        raise NotFound(f"no file {file}", field="file")
    try:
        data = GroupExport.model_validate(json.loads(file.read_text()))
    except ValueError as exc:
        raise InvalidInput(f"{file}: not a sharing group export ({str(exc)[:200]})") from None
    with database(settings_from_env(config)) as db:
        result = groups.import_group(db, org=get_org(db, org), data=data, actor=SYSTEM)
    members = words.ngettext("%(count)s member", "%(count)s members", len(result.members))
    out.print(
        words.gettext(
            "group %(id)s (%(name)s): %(members)s", id=result.id, name=result.name, members=members
        )
    )
    if result.unknown:
        err.print(
            words.gettext(
                "organizations this hub does not know: %(names)s", names=", ".join(result.unknown)
            )
        )


CollectionOpt = Annotated[str, typer.Option("--collection", help="Collection id or alias.")]


def _read_json(file: Path) -> object:
    if not file.is_file():
        raise NotFound(f"no file {file}", field="file")
    try:
        return json.loads(file.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: not JSON ({str(exc)[:200]})", field="file") from None


@app.command("import-misp")
def import_misp(
    file: Annotated[Path, typer.Argument(help="A MISP event as JSON.")],
    collection: CollectionOpt,
    config: ConfigOpt = None,
) -> None:
    """Import a MISP event into a collection, as its owner shares it; all of it or nothing."""
    document = _read_json(file)
    with database(settings_from_env(config)) as db:
        found = services.get_collection(db, collection)
        result = misp.store_event(
            db,
            collection=found,
            producer_org_id=found.owner_org_id,
            document=document,
            now=utcnow(),
        )
    counted = ", ".join(
        [
            words.ngettext("%(count)s attribute", "%(count)s attributes", result.attributes),
            words.ngettext("%(count)s object", "%(count)s objects", result.misp_objects),
            words.ngettext("%(count)s tag", "%(count)s tags", result.tags),
            words.ngettext("%(count)s sighting", "%(count)s sightings", result.sightings),
        ]
    )
    stix = words.ngettext("%(count)s STIX object", "%(count)s STIX objects", result.objects)
    out.print(f"{result.event_id}: {counted} ({stix})")
    for notice in result.notices:
        out.print(words.gettext("notice: %(notice)s", notice=words.problem(notice)))


@app.command("export-misp")
def export_misp(
    collection: CollectionOpt,
    event: Annotated[str | None, typer.Option(help="One event's uuid (default: all).")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a collection's MISP events as MISP JSON (one event: {"Event": ...})."""
    with database(settings_from_env(config)) as db:
        found = services.get_collection(db, collection)
        events = misp_export.collection_events(db, collection=found, visible=true(), event_id=event)
    document: object = events[0] if event is not None else {"response": events}
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n")
        err.print(words.gettext("wrote %(path)s", path=str(output)))


@app.command("import-stix")
def import_stix(
    file: Annotated[Path, typer.Argument(help="A STIX 2.1 bundle (or a list of objects).")],
    collection: CollectionOpt,
    config: ConfigOpt = None,
) -> None:
    """Import a STIX 2.1 bundle into a collection, as its owner shares it; all or nothing."""
    document = _read_json(file)
    objects = document.get("objects") if isinstance(document, dict) else document
    if not isinstance(objects, list):
        raise InvalidInput(f"{file}: not a STIX bundle (no list of objects)", field="file")
    with database(settings_from_env(config)) as db:
        found = services.get_collection(db, collection)
        report = misp.store_all(
            db,
            collection=found,
            producer_org_id=found.owner_org_id,
            objects=objects,
            now=utcnow(),
        )
    there = len(report.successes) - report.stored
    stored = words.ngettext("%(count)s object stored", "%(count)s objects stored", report.stored)
    out.print(
        f"{stored}, {words.ngettext('%(count)s already there', '%(count)s already there', there)}"
    )
