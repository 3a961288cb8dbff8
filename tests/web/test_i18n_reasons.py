"""Every refusal pydantic can write is said by a sentence of the catalog, with its values, in
Spanish and Japanese: a type pydantic-core lists without a sentence here fails this test."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Network
from typing import Any

import pytest
from pydantic import UUID4, BaseModel, Field, ValidationError
from pydantic_core._pydantic_core import list_all_errors  # not re-exported

from accord.errors import invalid_from, say
from accord.i18n import translations
from accord.reasons import OWN_WORDS, REASONS, Problem, problem_of

JA = translations("ja").gettext
ES = translations("es").gettext

# pydantic's own network types raise their own kinds, beside pydantic-core's.
_NETWORK_KINDS = {
    f"ip_{version}_{thing}"
    for version in ("any", "v4", "v6")
    for thing in ("address", "network", "interface")
}
_CORE: dict[str, dict[str, Any]] = {
    str(e["type"]): dict(e.get("example_context") or {}) for e in list_all_errors()
}


def test_every_type_pydantic_core_raises_has_a_sentence() -> None:
    assert len(_CORE) > 100  # the list is read, not empty
    missing = sorted(set(_CORE) - set(REASONS) - OWN_WORDS)
    assert missing == [], f"no catalog sentence for: {missing}"
    assert set(REASONS) >= _NETWORK_KINDS
    assert not OWN_WORDS & set(REASONS)  # a validator's own words are never replaced


@pytest.mark.parametrize("kind", sorted(REASONS))
@pytest.mark.parametrize("gettext", [ES, JA], ids=["es", "ja"])
def test_each_sentence_is_translated_with_its_values(kind: str, gettext: Any) -> None:
    context = {name: f"<{name}>" for name in _CORE.get(kind, {})}
    said = Problem(kind, "English words", context).translated(gettext)
    assert said != "English words", "a value the sentence names is not in the error's context"
    assert gettext(REASONS[kind]) != REASONS[kind], "not translated"
    assert "%(" not in said
    for name in re.findall(r"%\((\w+)\)s", REASONS[kind]):
        assert f"<{name}>" in said  # the number or choice the reader needs is kept


class _Rare(BaseModel):
    address: IPv4Address
    network: IPv6Network
    token: UUID4
    amount: Decimal = Field(max_digits=4, decimal_places=2)
    day: date


def test_rare_refusals_are_said_in_the_readers_language() -> None:
    with pytest.raises(ValidationError) as caught:
        _Rare.model_validate(
            {
                "address": "2001:db8::1",
                "network": "10.0.0.0/8",
                "token": "a8098c1a-f86e-11da-bd1a-00112444be1e",  # a version 1 UUID
                "amount": "1.255",
                "day": "2026-12-31T16:00:00",
            }
        )
    errors = caught.value.errors()
    by_kind = {e["type"]: e for e in errors}
    assert set(by_kind) >= {"ip_v4_address", "ip_v6_network", "uuid_version"}
    said_ja = {e["type"]: str(problem_of(e).translated(JA)) for e in errors}  # type: ignore[union-attr]
    assert said_ja["ip_v4_address"] == "IPv4 アドレスではありません(192.0.2.1)"
    assert said_ja["uuid_version"] == "バージョン 4 の UUID を指定してください"
    said_es = {e["type"]: str(problem_of(e).translated(ES)) for e in errors}  # type: ignore[union-attr]
    assert said_es["ip_v6_network"] == "no es una red IPv6 (2001:db8::/32)"
    assert said_es["decimal_max_places"] == "escriba como máximo 2 decimales"
    assert said_es["date_from_datetime_inexact"] == "escriba una fecha sin hora (2026-12-31)"
    # Through the hub's refusal, "field: reason", as the API answers it.
    first = invalid_from(caught.value)
    assert "Input is not" not in say(first.message, JA, labels=False)
