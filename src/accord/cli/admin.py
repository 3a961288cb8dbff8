"""The hub's own administration: serve it, its schema, organizations, users and tokens.

Loaded by ``accord`` only when one of these commands runs (see ``main``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord import __version__
from accord.cli import words
from accord.cli.context import (
    CONFIG_ENV,
    ask_secret,
    check_keys,
    database,
    open_engine,
    prepare_data_dir,
    settings_from_env,
    shown_url,
)
from accord.config import Settings
from accord.db import check_connection_budget, fitted_lookup_helpers
from accord.errors import N_, validated
from accord.identity import access, bootstrap, services
from accord.identity.models import MemberRole, OrgKind, OrgType, TokenScope
from accord.identity.policy import SYSTEM
from accord.identity.schemas import OrgCreate, TokenCreate, UserCreate
from accord.notifications import mail

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
org_app = typer.Typer(no_args_is_help=True, help="Organizations.")
user_app = typer.Typer(no_args_is_help=True, help="User accounts.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A file of ACCORD_* settings.")]


def version() -> None:
    """Print the version."""
    out.print(f"accord {__version__}")


def warn_without_mail(settings: Settings) -> None:
    """Say at start that no email will leave the hub, rather than let every notification
    fail unseen: reporters, vendors and coordinators are told by email."""
    if not mail.configured(settings):
        Console(stderr=True).print(
            "warning: no SMTP server is configured (ACCORD_SMTP_HOST): notifications by email"
            " will fail and pages will say so; operators see a banner until one is set.",
            soft_wrap=True,
            highlight=False,
        )


def warn_without_fonts() -> None:
    """Say at start which fonts the progress-report PDFs lack (and their Debian packages),
    rather than let each PDF download fail: the pages work without them."""
    from accord.accountability import fonts
    from accord.errors import ConfigError

    try:
        fonts.find()
    except ConfigError as exc:
        Console(stderr=True).print(
            f"warning: {exc.message}; until then a progress report's PDF cannot be made.",
            soft_wrap=True,
            highlight=False,
        )


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    config: ConfigOpt = None,
) -> None:
    """Migrate the database and run the hub; print a one-time link while it has no operator."""
    import os

    import uvicorn

    from accord.transparency import origin as log_origin
    from accord.transparency import published as log_published
    from accord.transparency import rotation as log_rotation
    from accord.web import workers as workers_module
    from accord.web.logs import uvicorn_log_config

    settings = settings_from_env(config)
    # Workers rebuild settings from the environment: hand them the same file and address.
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)
    if host is not None:
        os.environ["ACCORD_HOST"] = host
    if port is not None:
        os.environ["ACCORD_PORT"] = str(port)
    settings = settings_from_env(config)
    prepare_data_dir(settings)
    check_keys(settings)
    # Serving is how a hub is made: the first run creates its database.
    engine = open_engine(settings, create=True)
    try:
        fitted = fitted_lookup_helpers(engine, settings, processes=workers)
        if fitted is not None:
            # Workers rebuild settings from the environment: each starts with the fitted count.
            os.environ["ACCORD_LOOKUP_HELPERS"] = str(fitted)
            settings = settings_from_env(config)
        crowded = check_connection_budget(engine, settings, processes=workers)
    finally:
        engine.dispose()
    if fitted is not None:
        said = words.gettext(
            "note: %(count)s look-up helper processes per web process (fewer than the cores "
            "less one), so that PostgreSQL's connections hold them (ACCORD_LOOKUP_HELPERS)",
            count=fitted,
        )
        Console(stderr=True).print(said, soft_wrap=True, highlight=False)
    if crowded is not None:
        warned = words.gettext("warning: %(reason)s", reason=crowded)
        Console(stderr=True).print(warned, soft_wrap=True, highlight=False)
    from accord.demo.services import has_data

    with database(settings, migrate=False, writes=False) as db:
        # A log started under another public address stops the hub here, saying which.
        log_origin.check(db, settings=settings)
        # A database behind the checkpoint this hub already published stops it here too.
        # A key rotation that committed but was not finished (a crash) is finished first.
        log_rotation.finish(db, settings=settings)
        log_published.check_at_start(
            db, settings=settings, verifier=log_rotation.verifiers(db, settings=settings)
        )
        link = None
        if not services.operators_exist(db):
            secret = bootstrap.issue_bootstrap(db, settings=settings)
            link = f"{settings.public_url}/bootstrap?token={secret}"
        empty = not has_data(db)
    listen_host, listen_port = settings.host, settings.port
    data_dir = str(settings.data_dir.resolve())
    out.print(
        words.gettext("Accord %(version)s: data in %(dir)s", version=__version__, dir=data_dir)
    )
    out.print(words.gettext("Database: %(url)s", url=shown_url(settings)), highlight=False)
    out.print(
        words.gettext(
            "Listening on %(address)s (public address %(public)s)",
            address=f"http://{listen_host}:{listen_port}",
            public=settings.public_url,
        )
    )
    if link:
        out.print(
            words.ngettext(
                "No operator yet. Open this one-time link within %(count)s minute to create "
                "one (it is shown only now):",
                "No operator yet. Open this one-time link within %(count)s minutes to create "
                "one (it is shown only now):",
                settings.bootstrap_minutes,
            )
        )
        out.print(link, soft_wrap=True, highlight=False)
    warn_without_mail(settings)
    warn_without_fonts()
    if empty:
        # A new hub shows nothing: offer the example hub (fictional, and marked so).
        out.print(
            words.gettext(
                "The hub is empty. To look around an example hub first (fictional "
                "organizations, a case in each state, real advisories), run in another "
                "terminal: accord demo"
            ),
            highlight=False,
        )
    # proxy_headers: uvicorn's own would believe X-Forwarded-For from any local peer; the hub
    # believes it only from ACCORD_TRUSTED_PROXIES (accord.web.security.TrustedProxies).
    if workers > 1 and workers_module.handoff_available():
        # The supervisor accepts and hands each connection to the least busy worker.
        server = uvicorn.Config(
            "accord.web.factory:app_from_env",
            factory=True,
            host=listen_host,
            port=listen_port,
            log_level="info",
            log_config=uvicorn_log_config(),
            proxy_headers=False,
        )
        try:
            supervisor = workers_module.Supervisor(server, workers)
        except OSError as exc:
            where = f"{listen_host}:{listen_port}"
            said = words.gettext("cannot listen on %(where)s: %(reason)s", where=where,
                                 reason=exc.strerror or type(exc).__name__)  # fmt: skip
            err.print(words.failure(said))
            raise typer.Exit(1) from None
        code = supervisor.run()
        if code:
            raise typer.Exit(code)
        return
    uvicorn.run(
        "accord.web.factory:app_from_env",
        factory=True,
        host=listen_host,
        port=listen_port,
        workers=workers,
        log_level="info",
        log_config=uvicorn_log_config(),
        proxy_headers=False,
    )


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Bring the schema to the newest version."""
    settings = settings_from_env(config)
    # The explicit way to make a new hub's database (other commands refuse to).
    open_engine(settings, create=True).dispose()
    out.print(
        words.gettext("database %(url)s is up to date", url=shown_url(settings)), highlight=False
    )


@org_app.command("create")
def org_create(
    name: str,
    kind: Annotated[OrgKind, typer.Option()],
    org_type: Annotated[OrgType, typer.Option("--type")],
    country: Annotated[str, typer.Option()],
    website: Annotated[str, typer.Option()],
    contact: Annotated[str, typer.Option(help="Security contact: email or URI.")],
    slug: Annotated[str | None, typer.Option()] = None,
    config: ConfigOpt = None,
) -> None:
    """Create an organization."""
    data = validated(
        OrgCreate,
        {
            "name": name,
            "kind": kind,
            "type": org_type,
            "country": country,
            "website": website,
            "security_contact": contact,
            "slug": slug,
        },
    )
    with database(settings_from_env(config)) as db:
        org = services.create_org(db, data=data, actor=SYSTEM)
        out.print(words.gettext("created organization %(slug)s", slug=org.slug))


@org_app.command("list")
def org_list(config: ConfigOpt = None) -> None:
    """List organizations."""
    table = Table(
        words.gettext("slug"),
        words.gettext("name"),
        words.gettext("kind"),
        words.gettext("type"),
        words.gettext("country"),
    )
    with database(settings_from_env(config), writes=False) as db:
        for org in services.list_orgs(db):
            table.add_row(org.slug, org.name, org.kind.value, org.org_type.value, org.country)
    out.print(table)


@user_app.command("create")
def user_create(
    username: str,
    email: Annotated[str, typer.Option()],
    operator: Annotated[bool, typer.Option("--operator")] = False,
    password: Annotated[str | None, typer.Option(hidden=True, envvar="ACCORD_NEW_PASSWORD")] = None,
    config: ConfigOpt = None,
) -> None:
    """Create a user (the password is asked for, or read from ACCORD_NEW_PASSWORD)."""
    if password is None:
        password = ask_secret(
            words.gettext("The new user's password"), repeat=words.gettext("The same again")
        )
    data = validated(UserCreate, {"username": username, "email": email, "password": password})
    with database(settings_from_env(config)) as db:
        services.create_user(db, data=data, actor=SYSTEM, operator=operator)
    made = N_("created operator %(username)s") if operator else N_("created user %(username)s")
    out.print(words.gettext(made, username=username))


@user_app.command("list")
def user_list(config: ConfigOpt = None) -> None:
    """List users."""
    table = Table(
        words.gettext("username"),
        words.gettext("email"),
        words.gettext("operator"),
        words.gettext("active"),
    )
    with database(settings_from_env(config), writes=False) as db:
        for user in services.list_users(db, actor=SYSTEM):
            table.add_row(user.username, user.email, _yes(user.is_operator), _yes(user.is_active))
    out.print(table)


def _yes(flag: bool) -> str:
    return words.gettext("yes") if flag else words.gettext("no")


@user_app.command("set-operator")
def user_set_operator(
    username: str,
    operator: Annotated[bool, typer.Option("--yes/--no", help="Grant or withdraw.")] = True,
    config: ConfigOpt = None,
) -> None:
    """Grant or withdraw the operator role."""
    with database(settings_from_env(config)) as db:
        services.set_operator(db, username=username, operator=operator, actor=SYSTEM)
    made = N_("%(username)s is an operator") if operator else N_("%(username)s is no operator")
    out.print(words.gettext(made, username=username))


@user_app.command("add-member")
def user_add_member(
    username: str,
    org: Annotated[str, typer.Option(help="Organization slug.")],
    role: Annotated[MemberRole, typer.Option()] = MemberRole.MEMBER,
    config: ConfigOpt = None,
) -> None:
    """Add a user to an organization, or change the user's role there."""
    with database(settings_from_env(config)) as db:
        organization = services.get_org(db, org)
        services.set_member(db, org=organization, username=username, role=role, actor=SYSTEM)
    # The role by its label's message id ("admin", "member"), as the pages name it.
    said = words.gettext(role.value)
    out.print(
        words.gettext("%(username)s is %(role)s of %(org)s", username=username, role=said, org=org)
    )


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option()],
    scope: Annotated[TokenScope, typer.Option()] = TokenScope.READ,
    days: Annotated[int, typer.Option(min=1)] = 90,
    config: ConfigOpt = None,
) -> None:
    """Create an API token for a user and print it once."""
    data = validated(TokenCreate, {"name": name, "scope": scope, "expires_in_days": days})
    settings = settings_from_env(config)
    with database(settings) as db:
        user = services.get_user(db, username)
        token, secret = access.create_token(
            db, user=user, data=data, actor=SYSTEM, settings=settings
        )
    err.print(
        words.gettext(
            "token %(id)s for %(username)s, scope %(scope)s, expires %(when)s.",
            id=token.id,
            username=username,
            scope=words.gettext(scope.value),
            when=words.when(token.expires_at),
        )
    )
    err.print(words.gettext("It is shown only now; the hub keeps only its hash."))
    print(secret)


@token_app.command("revoke")
def token_revoke(token_id: int, config: ConfigOpt = None) -> None:
    """Revoke an API token by its number."""
    with database(settings_from_env(config)) as db:
        access.revoke_token(db, token_id=token_id, actor=SYSTEM)
    out.print(words.gettext("token %(id)s revoked", id=token_id))
