"""The ``accord`` command, run as a user runs it: one line on failure, a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.identity.credentials import digest
from accord.identity.models import ApiToken, AuditEvent


def accord(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_version(cli_settings: Settings) -> None:
    result = accord(cli_settings, "version")
    assert result.returncode == 0
    assert result.stdout.startswith("accord ")


@pytest.mark.slow
def test_admin_round_trip(cli_settings: Settings, db: Session) -> None:
    created = accord(
        cli_settings,
        "org",
        "create",
        "Example Vendor",
        "--kind",
        "signatory",
        "--type",
        "vendor",
        "--country",
        "nl",
        "--website",
        "https://vendor.example",
        "--contact",
        "psirt@vendor.example",
    )
    assert created.returncode == 0, created.stderr
    user = accord(
        cli_settings,
        "user",
        "create",
        "alice",
        "--email",
        "alice@vendor.example",
        env={"ACCORD_NEW_PASSWORD": "a long enough password"},
    )
    assert user.returncode == 0, user.stderr
    member = accord(
        cli_settings, "user", "add-member", "alice", "--org", "example-vendor", "--role", "admin"
    )
    assert member.returncode == 0, member.stderr
    token = accord(cli_settings, "token", "create", "alice", "--name", "ci", "--scope", "write")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("acc_")
    assert "shown only now" in token.stderr
    stored = db.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    assert stored is not None
    revoked = accord(cli_settings, "token", "revoke", str(stored.id))
    assert revoked.returncode == 0, revoked.stderr
    db.rollback()
    actions = set(db.scalars(select(AuditEvent.action)).all())
    assert {"org.create", "user.create", "member.add", "token.create", "token.revoke"} <= actions
    listing = accord(cli_settings, "org", "list")
    assert "example-vendor" in listing.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            (
                "org",
                "create",
                "X Corp",
                "--kind",
                "signatory",
                "--type",
                "vendor",
                "--country",
                "france",
                "--website",
                "https://x.example",
                "--contact",
                "a@x.example",
            ),
            "country",
        ),
        (("user", "add-member", "ghost", "--org", "nowhere"), "no organization 'nowhere'"),
        (("token", "revoke", "999999"), "no token 999999"),
        (("user", "set-operator", "ghost"), "no user 'ghost'"),
    ],
)
def test_failures_are_one_line_and_non_zero(
    cli_settings: Settings, args: tuple[str, ...], needle: str
) -> None:
    result = accord(cli_settings, *args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_configuration_names_the_variable(cli_settings: Settings) -> None:
    result = accord(cli_settings, "org", "list", env={"ACCORD_PORT": "not-a-port"})
    assert result.returncode == 1
    assert "ACCORD_PORT" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_line(cli_settings: Settings, tmp_path: Path) -> None:
    result = accord(
        cli_settings,
        "org",
        "list",
        env={"ACCORD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: database:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_file(cli_settings: Settings, tmp_path: Path) -> None:
    result = accord(cli_settings, "org", "list", "--config", str(tmp_path / "absent.env"))
    assert result.returncode == 1
    assert "absent.env" in result.stderr


def test_serve_refuses_a_key_file_open_to_others(cli_settings: Settings, tmp_path: Path) -> None:
    from accord.transparency import keys

    own = cli_settings.model_copy(update={"data_dir": tmp_path / "data"})
    keys.load_signer(own, keys.origin_for(own))
    keys.key_path(own).chmod(0o644)
    result = accord(own, "serve", "--port", "1")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "chmod 600" in lines[0]
    assert "Listening" not in result.stdout
