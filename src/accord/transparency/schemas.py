"""Wire models of the transparency log. Hashes and entries are standard base64 (RFC 4648
section 4), as in the C2SP specifications; document digests are lowercase hex SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BUNDLE_FORMAT = "accord-log-bundle/1"

Base64Hash = Annotated[
    str, Field(description="A SHA-256 hash, standard base64.", examples=["47DEQpj8HBSa..."])
]


INCLUSION_PROOF_PATH = "/api/v1/log/proof/inclusion"
# Where an answer without a body (204) names its publication's place in the log instead of
# ``LogPlace``'s fields: the index in a header, the proof's route as a Link of this relation.
LOG_INDEX_HEADER = "Accord-Log-Index"
LOG_PROOF_RELATION = "urn:accord:rel:log-proof"


def inclusion_proof_path(index: int) -> str:
    """Where the inclusion proof of entry ``index`` is fetched (the API's proof route)."""
    return f"{INCLUSION_PROOF_PATH}?index={index}"


class LogPlace(BaseModel):
    """Where a publication sits in the transparency log, answered when it is published.

    ``log_index`` is known at once; ``log_proof`` is the route of its inclusion proof, which
    answers once a signed checkpoint covers the entry (within the log's signing interval;
    before, 404 ``not_yet_signed`` with Retry-After). Both are null for what was published
    before the hub kept the index: its entry is found by the document's SHA-256.
    """

    log_index: int | None = Field(default=None, description="The entry's index in the log.")
    log_proof: str | None = Field(default=None, description="The inclusion proof's route.")

    @model_validator(mode="after")
    def _proof_of_index(self) -> LogPlace:
        if self.log_index is not None and self.log_proof is None:
            self.log_proof = inclusion_proof_path(self.log_index)
        return self


class Wire(BaseModel):
    """Strict: unknown fields are an error (bundles are read back by the CLI)."""

    model_config = ConfigDict(extra="forbid")


class CheckpointRead(Wire):
    """The latest signed tree head."""

    origin: str = Field(description="The log's origin line, also its key name.")
    tree_size: int
    root_hash: Base64Hash
    note: str = Field(
        description="The C2SP signed note (tlog-checkpoint), verbatim, with the witnesses' "
        "cosignatures (C2SP tlog-cosignature) gathered so far as further signature lines."
    )
    signed_at: datetime


class LogKeyRead(Wire):
    """The key that signs the log's checkpoints."""

    origin: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str = Field(description="The signed-note key ID, 8 hex digits.")
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64.")
    verifier_key: str = Field(
        description="The note verifier key, name+keyid+base64(0x01||key), to pin in clients."
    )
    witnesses: list[str] = Field(
        default_factory=list,
        description="The cosigner keys (name+keyid+base64(0x04||key)) of the witnesses the "
        "hub asks to cosign its checkpoints.",
    )
    quorum: int = Field(
        default=0, ge=0, description="How many of them must cosign a checkpoint (0: no policy)."
    )
    announcements: list[str] = Field(
        default_factory=list,
        description="The log's key rotations, oldest first: signed notes of a checkpoint with "
        "an `accord-next-key` extension line, each signed by the key before and the key it "
        "names (docs/transparency.md).",
    )
    witness_key: str = Field(
        description="This hub's own key as a witness of other logs (C2SP tlog-witness at "
        "/witness/add-checkpoint)."
    )


class EnvelopeRead(Wire):
    """What an entry says (its canonical JSON, parsed)."""

    type: str
    time: str
    subject: str
    sha256: str = Field(description="Hex SHA-256 of the published document.")
    document: dict[str, Any] | None = None


class EntryRead(Wire):
    """One entry of the log."""

    index: int
    leaf_hash: Base64Hash
    entry: str = Field(description="The entry bytes, base64 (RFC 8785 canonical JSON).")
    envelope: EnvelopeRead | None = Field(
        description="The entry parsed, when it is one of the hub's envelopes."
    )


class RecordRead(Wire):
    """A publication the log records."""

    index: int
    type: str
    subject: str
    sha256: str
    public: bool
    leaf_hash: Base64Hash
    logged_at: datetime


class InclusionProofRead(Wire):
    """RFC 9162 section 2.1.3 audit path of one leaf in the tree of ``tree_size`` leaves."""

    index: int
    tree_size: int
    leaf_hash: Base64Hash
    root_hash: Base64Hash = Field(
        description="The root the proof leads to; compare it with a signed checkpoint."
    )
    hashes: list[Base64Hash]


class ConsistencyProofRead(Wire):
    """RFC 9162 section 2.1.4 proof that the tree of ``first`` leaves is a prefix of ``second``."""

    first: int
    second: int
    first_root: Base64Hash
    second_root: Base64Hash
    hashes: list[Base64Hash]


class LogBundle(Wire):
    """Everything needed to check, offline, that a document is in the log."""

    format: Literal["accord-log-bundle/1"] = "accord-log-bundle/1"
    origin: str
    index: int = Field(ge=0)
    entry: str = Field(description="The entry bytes, base64.")
    document: dict[str, Any] | None = Field(
        description="The published document, when it is public (also inside the entry)."
    )
    inclusion: InclusionProofRead
    checkpoint: str = Field(description="The signed checkpoint the proof leads to.")
    verifier_key: str = Field(
        description="The log's verifier key, for convenience: pin your own copy to rely on it."
    )
    witnesses: list[str] = Field(
        default_factory=list,
        description="The witness keys of the hub's policy, for convenience like verifier_key.",
    )
    quorum: int = Field(default=0, ge=0, description="Cosignatures the hub's policy requires.")
    key_chain: list[str] = Field(
        default_factory=list,
        description="The log's key announcements, oldest first (signed notes, each signed by "
        "the key before and the key it names): a verifier that pinned an earlier key follows "
        "them to the key that signed the checkpoint.",
    )
