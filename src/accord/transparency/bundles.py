"""Bundles: a published document with its entry, inclusion proof and signed checkpoint.

The hub offers one next to every logged document; :func:`verify_bundle` checks it offline,
with no trust in the hub beyond the pinned log key: the checkpoint's signature, the entry's
leaf hash, the audit path to the checkpoint's root, and the document's digest. Each failure
raises :class:`VerificationFailed` saying exactly which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord import limits
from accord.errors import AccordError
from accord.transparency import cosignature, merkle, note
from accord.transparency.envelope import Envelope, EnvelopeError, canonical, document_digest
from accord.transparency.schemas import InclusionProofRead, LogBundle

if TYPE_CHECKING:
    # Building a bundle needs the log's database; verifying one (``accord check --offline``,
    # ``accord log verify``) does not, and imports none of it.
    from sqlalchemy.orm import Session

    from accord.config import Settings
    from accord.transparency import services


class VerificationFailed(AccordError):
    """Something a client checked does not hold: the log or the bundle is not trustworthy."""

    code = "verification_failed"


def build_bundle(db: Session, *, settings: Settings, index: int) -> LogBundle:
    """The bundle of entry ``index``, proved against the newest signed checkpoint."""
    from accord.transparency import rotation, services, witnessing

    checkpoint = witnessing.witnessed_checkpoint(db, settings=settings, index=index)
    entry = services.entry_at(db, index)
    proof = services.prove_inclusion(db, index=index, tree_size=checkpoint.size)
    try:
        document = Envelope.from_entry(entry).document
    except EnvelopeError:
        document = None
    verifier = services.log_verifier(db, settings=settings)
    return LogBundle(
        origin=verifier.name,
        index=index,
        entry=services.b64(entry),
        document=dict(document) if document is not None else None,
        inclusion=inclusion_read(proof),
        checkpoint=witnessing.cosigned_note(db, checkpoint),
        verifier_key=verifier.encode(),
        witnesses=[w.verifier_key for w in witnessing.witnesses(db)],
        quorum=settings.log_witness_quorum,
        key_chain=rotation.announcements(db),
    )


def inclusion_read(proof: services.InclusionProof) -> InclusionProofRead:
    """The wire form of an inclusion proof."""
    from accord.transparency import services

    return InclusionProofRead(
        index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=services.b64(proof.leaf_hash),
        root_hash=services.b64(proof.root_hash),
        hashes=[services.b64(h) for h in proof.hashes],
    )


@dataclass(frozen=True)
class VerifiedBundle:
    """What a bundle proved."""

    checkpoint: note.Checkpoint
    index: int
    envelope: Envelope


def _decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationFailed(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class WitnessPolicy:
    """The witnesses a client trusts and how many of them must cosign a checkpoint."""

    witnesses: tuple[cosignature.CosignatureVerifier, ...] = ()
    quorum: int = 0

    @classmethod
    def parse(cls, keys: list[str], quorum: int) -> WitnessPolicy:
        """From witness key strings; VerificationFailed naming a bad key or quorum."""
        try:
            parsed = tuple(cosignature.CosignatureVerifier.parse(k) for k in keys)
        except note.NoteError as exc:
            raise VerificationFailed(f"witness key: {exc}") from None
        if quorum > len(parsed):
            raise VerificationFailed(
                f"a quorum of {quorum} needs at least {quorum} witness keys, not {len(parsed)}"
            )
        return cls(parsed, quorum)


def check_quorum(checkpoint_note: str, policy: WitnessPolicy) -> list[str]:
    """The witnesses whose cosignatures on the note verify; VerificationFailed below quorum,
    naming the witnesses that are missing."""
    if policy.quorum == 0:
        return []
    try:
        found = cosignature.cosigned_by(checkpoint_note, policy.witnesses)
    except note.NoteError as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None
    if len(found) < policy.quorum:
        missing = ", ".join(w.name for w in policy.witnesses if w.name not in found)
        raise VerificationFailed(
            f"the checkpoint has {len(found)} of the {policy.quorum} witness cosignatures "
            f"required; missing: {missing}"
        )
    return sorted(found)


def verify_bundle(
    bundle: LogBundle,
    *,
    verifier: note.Verifier,
    document_sha256: str | None = None,
    policy: WitnessPolicy | None = None,
) -> VerifiedBundle:
    """Check a bundle offline against a pinned key; raise :class:`VerificationFailed`.

    ``document_sha256``, when given, is the digest of a document the caller holds: the entry
    must record that digest. ``policy``, when it has a quorum, must be met by the
    cosignatures on the bundle's checkpoint.
    """
    from accord.transparency import rotation

    try:
        # Signed by the pinned key, or by a key it handed over to in the bundle's key chain.
        checkpoint, _ = rotation.open_following(bundle.checkpoint, verifier, bundle.key_chain)
    except note.NoteError as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None
    if policy is not None:
        check_quorum(bundle.checkpoint, policy)
    entry = _decode(bundle.entry, "the entry")
    proof = bundle.inclusion
    leaf_hash = merkle.hash_leaf(entry)
    if _decode(proof.leaf_hash, "the leaf hash") != leaf_hash:
        raise VerificationFailed("the entry does not hash to the bundle's leaf hash")
    if proof.index != bundle.index or proof.tree_size != checkpoint.size:
        raise VerificationFailed(
            f"the inclusion proof is for entry {proof.index} in a tree of size "
            f"{proof.tree_size}, not entry {bundle.index} in the checkpoint's {checkpoint.size}"
        )
    hashes = [_decode(h, "a proof hash") for h in proof.hashes]
    try:
        merkle.verify_inclusion(
            bundle.index, checkpoint.size, leaf_hash, hashes, checkpoint.root_hash
        )
    except merkle.ProofError as exc:
        raise VerificationFailed(f"inclusion proof: {exc}") from None
    try:
        envelope = Envelope.from_entry(entry)
    except EnvelopeError as exc:
        raise VerificationFailed(f"entry: {exc}") from None
    _check_document(bundle, envelope, document_sha256)
    return VerifiedBundle(checkpoint=checkpoint, index=bundle.index, envelope=envelope)


def _check_document(bundle: LogBundle, envelope: Envelope, document_sha256: str | None) -> None:
    if bundle.document is not None:
        if document_digest(bundle.document) != envelope.sha256:
            raise VerificationFailed("the bundle's document does not match the logged SHA-256")
        if envelope.document is None or canonical(envelope.document) != canonical(bundle.document):
            raise VerificationFailed("the bundle's document is not the one in the entry")
    if envelope.document is not None and document_digest(envelope.document) != envelope.sha256:
        raise VerificationFailed("the entry's document does not match its own SHA-256")
    if document_sha256 is not None and document_sha256 != envelope.sha256:
        raise VerificationFailed(
            f"the document's SHA-256 {document_sha256} is not the logged {envelope.sha256}"
        )


def file_digests(data: bytes) -> list[str]:
    """The digests under which a file may be logged: its bytes, and its canonical JSON form."""
    digests = [hashlib.sha256(data).hexdigest()]
    try:
        parsed = limits.load_json(data, what="the file")
    except (UnicodeDecodeError, ValueError, limits.LimitExceeded):
        return digests  # not JSON we could have logged: only its bytes' digest
    if isinstance(parsed, dict):
        canonical_digest = document_digest(parsed)
        if canonical_digest not in digests:
            digests.append(canonical_digest)
    return digests
