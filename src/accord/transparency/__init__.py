"""Transparency: the append-only Merkle log of everything the hub publishes (RFC 9162 hashing,
C2SP signed checkpoints and tiles), its proofs, and their offline verification."""
