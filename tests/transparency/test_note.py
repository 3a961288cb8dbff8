"""C2SP signed-note and tlog-checkpoint, against golang.org/x/mod/sumdb/note's known answer.

Ed25519 is deterministic (RFC 8032), so signing the Go package's example text with its
example key must give its published signature byte for byte; a Go witness or monitor then
reads our checkpoints as its own.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.transparency import note
from accord.transparency.note import Checkpoint, NoteError, Signer, Verifier

# golang.org/x/mod/sumdb/note, note.go package documentation and note_test.go.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def _go_signer() -> Signer:
    seed = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert seed[0] == note.ED25519
    return Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed[1:]))


def test_signing_reproduces_the_go_note_byte_for_byte() -> None:
    signer = _go_signer()
    assert note.sign(GO_TEXT, signer) == GO_NOTE
    assert signer.verifier.encode() == GO_VERIFIER_KEY
    assert "PRIVATE" not in repr(signer)
    assert "private_key" not in repr(signer)


def test_the_go_note_opens_with_the_go_verifier_key() -> None:
    assert note.open_note(GO_NOTE, [Verifier.parse(GO_VERIFIER_KEY)]) == GO_TEXT


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda n: n.replace("cryptography", "cryptographY"), "does not verify"),
        (lambda n: n.replace("— PeterNeumann", "— PeterNeuman"), "no signature"),
        (lambda n: n.replace("x08go", "x08gp"), "does not verify|no signature"),
        (lambda n: n.replace("\n\n", "\n"), "blank line"),
        (lambda n: n.replace("— ", "- "), "em dash"),
        (lambda n: n.replace("AM=\n", "AM\n"), "base64"),
        (lambda n: n[:-1], "newline"),
        (lambda n: n.replace("problem,", "problem,\x07"), "control"),
    ],
)
def test_tampered_notes_are_refused(tamper: object, reason: str) -> None:
    assert callable(tamper)
    with pytest.raises(NoteError, match=reason):
        note.open_note(tamper(GO_NOTE), [Verifier.parse(GO_VERIFIER_KEY)])


def test_unknown_keys_are_ignored_but_a_known_one_must_sign() -> None:
    other = Signer("PeterNeumann", Ed25519PrivateKey.generate())
    cosigned = GO_NOTE + other.signature_line(GO_TEXT)
    assert note.open_note(cosigned, [Verifier.parse(GO_VERIFIER_KEY)]) == GO_TEXT
    with pytest.raises(NoteError, match="no signature"):
        note.open_note(GO_NOTE, [other.verifier])


@pytest.mark.parametrize(
    "bad",
    [
        GO_VERIFIER_KEY.replace("c74f20a3", "c74f20a4"),  # key ID of another key
        GO_VERIFIER_KEY.replace("+ARpc", "+AhRpc"),  # not base64 of 0x01 || 32 bytes
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(bad)


def test_checkpoint_reads_the_specification_example() -> None:
    # c2sp.org/tlog-checkpoint, the example note's text.
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert base64.b64encode(checkpoint.root_hash).decode() == body.split("\n")[2]
    assert checkpoint.body() == body


@pytest.mark.parametrize(
    "body",
    [
        "origin\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zero
        "origin\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  # bad padding
        "origin\n12\nZG9uJ3QgY2FyZQ==\n",  # not 32 bytes
        "origin\n12\n",
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",  # no final newline
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",  # empty extension
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_open_checkpoint_needs_the_origin_to_be_the_key_name() -> None:
    signer = Signer("hub.example/log", Ed25519PrivateKey.generate())
    signed = note.sign_checkpoint(Checkpoint("other.example/log", 1, b"\x00" * 32), signer)
    with pytest.raises(NoteError, match="origin"):
        note.open_checkpoint(signed, signer.verifier)
    good = note.sign_checkpoint(Checkpoint("hub.example/log", 1, b"\x00" * 32), signer)
    assert note.open_checkpoint(good, signer.verifier).size == 1
