"""A message kept as JSON (``accord.message_records``): said again from its record, and never
larger than the English text kept beside it."""

from __future__ import annotations

from accord.errors import N_, Message, Sentences
from accord.message_records import VALUE_LENGTH, message_from, record


def test_a_message_is_said_again_from_its_record() -> None:
    said = Message(N_("%(field)s: %(reason)s"), field="url", reason="refused")
    kept = record(Sentences([said, Message(N_("period: %(period)s has not ended"), period=7)]))
    again = message_from(kept, "english")
    assert isinstance(again, Sentences)
    assert str(again) == str(
        Sentences([said, Message(N_("period: %(period)s has not ended"), period=7)])
    )


def test_a_long_value_is_cut_as_the_english_record_is() -> None:
    """A peer's answer of any size becomes a value of at most ``VALUE_LENGTH`` characters, its
    end marked; short values and numbers are kept as they are."""
    answer = "x" * 100_000
    kept = record(Message(N_("%(field)s: %(reason)s"), field="answer", reason=answer))
    assert kept is not None
    cut = kept["params"]["reason"]
    assert len(cut) == VALUE_LENGTH
    assert cut.endswith("…")
    assert cut.startswith("xxx")
    assert kept["params"]["field"] == "answer"
    assert record(Message(N_("period: %(period)s has not ended"), period=7)) == {
        "msgid": "period: %(period)s has not ended",
        "params": {"period": 7},
    }
    said = message_from(kept, "english")
    assert isinstance(said, Message)
    assert said.endswith("…")
