"""The log signing key: made once, 0600, reused, refused when open to others, never logged."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from accord.config import Settings
from accord.errors import ConfigError
from accord.transparency import keys
from tests.transparency.conftest import Publish


def test_key_is_created_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", base_url="https://hub.example")
    signer = keys.load_signer(settings, keys.origin_for(settings))
    path = keys.key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.origin_for(settings) == "hub.example/log"
    again = keys.load_signer(settings, "hub.example/log")
    assert again.verifier == signer.verifier
    assert [p.name for p in path.parent.iterdir()] == [keys.KEY_FILE]  # no temporary left


def test_the_witness_key_is_its_own_private_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", base_url="https://hub.example")
    cosigner = keys.load_cosigner(settings)
    log_signer = keys.load_signer(settings, keys.origin_for(settings))
    path = settings.data_dir / keys.WITNESS_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cosigner.name == "hub.example/witness"
    assert cosigner.verifier.public_key != log_signer.verifier.public_key  # never reused
    assert keys.load_cosigner(settings).verifier == cosigner.verifier
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="open to others"):
        keys.load_cosigner(settings)


def test_a_key_open_to_others_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, base_url="https://hub.example")
    keys.load_signer(settings, "hub.example/log")
    keys.key_path(settings).chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        keys.load_signer(settings, "hub.example/log")


def test_the_key_never_reaches_the_logs(
    publish: Publish, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    publish({"n": 1})
    pem = keys.key_path(settings).read_text()
    body = "".join(pem.splitlines()[1:-1])
    assert body not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
