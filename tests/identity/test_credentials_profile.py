"""The hub hashes passwords with argon2id and RFC 9106's low-memory profile (the test process
swaps in cheaper parameters, see tests/conftest.py; this checks what the hub itself uses)."""

from __future__ import annotations

from argon2 import Type, profiles

from tests.conftest import PRODUCTION_HASHER


def test_the_hub_hashes_with_argon2id_and_rfc_9106s_low_memory_profile() -> None:
    low_memory = profiles.RFC_9106_LOW_MEMORY
    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.time_cost == low_memory.time_cost == 3
    assert PRODUCTION_HASHER.memory_cost == low_memory.memory_cost == 64 * 1024
    assert PRODUCTION_HASHER.parallelism == low_memory.parallelism
    stored = PRODUCTION_HASHER.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PRODUCTION_HASHER.verify(stored, "correct horse battery staple")
