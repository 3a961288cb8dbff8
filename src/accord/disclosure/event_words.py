"""A case's history in the reader's language.

Each event keeps the English summary it was recorded with (``CaseEvent.summary``): it is part
of the record, and the API answers it as it is. A page reads it back as a sentence of the
catalog instead, so that a reporter or a vendor reading in Spanish or Japanese is not shown
English: :func:`words` recognises the summary by the event's kind and the one English form
the code writes for it, and returns the same sentence as a :class:`~accord.errors.Message`
(its values, such as organization names, a case's reference and moments, kept as recorded).
A summary of another shape (one recorded by an older version, or cut at 500 characters) is
not guessed at: the page shows it in English, marked so.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from accord.disclosure.closing import REASON_TEXT
from accord.disclosure.models import CaseEvent
from accord.errors import N_, Message

# Who a message went to, as the history names the audience (models.Audience's values), in
# the words the messages themselves show (templates/_messages.html).
AUDIENCE_WORDS = {
    "all": N_("everyone in the case"),
    "reporter": N_("the reporter and the coordinators"),
    "vendor": N_("one vendor and the coordinators"),
    "vendors": N_("every vendor and the coordinators"),
    "coordinators": N_("the coordinators"),
}
# A vendor's answer as the history writes it (vendors.status_text's words).
STATUS_WORDS = {
    text: text
    for text in (
        N_("no reply yet"),
        N_("acknowledged"),
        N_("affected"),
        N_("not affected"),
        N_("fixed"),
    )
}
# A vendor's answer for one product (models.ProductStatus's values), as the case page says it.
PRODUCT_STATUS_WORDS = {
    "no_reply": N_("no reply yet"),
    "under_investigation": N_("under investigation"),
    "affected": N_("affected"),
    "not_affected": N_("not affected"),
    "fixed": N_("fixed"),
}

# A report's triage outcome (reports.triage's actions: models.CaseStatus's values).
TRIAGE_WORDS = {
    "invalid": N_("invalid"),
    "spam": N_("spam"),
    "duplicate": N_("a duplicate"),
    "question": N_("a question"),
}


def _said(msgid: str) -> Callable[[dict[str, str]], Message]:
    return lambda found: Message(msgid, **found)


def _message(found: dict[str, str]) -> Message:
    audience = Message(AUDIENCE_WORDS[found["audience"]])
    sentence = N_("Message #%(number)s to %(audience)s")
    return Message(sentence, number=found["number"], audience=audience)


def _status(found: dict[str, str]) -> Message:
    return Message(N_("%(name)s: %(status)s"), name=found["name"], status=Message(found["status"]))


def _product_status(found: dict[str, str]) -> Message:
    return Message(
        N_("%(name)s, vulnerability %(ordinal)s, %(product)s: %(status)s"),
        name=found["name"],
        ordinal=found["ordinal"],
        product=found["product"],
        status=Message(PRODUCT_STATUS_WORDS[found["status"]]),
    )


def _published(found: dict[str, str]) -> Message:
    if found.get("name"):
        return Message(
            N_("Published as advisory %(advisory)s by %(name)s"),
            advisory=found["advisory"],
            name=found["name"],
        )
    return Message(N_("Published as advisory %(advisory)s"), advisory=found["advisory"])


def _triaged(found: dict[str, str]) -> Message:
    action = Message(TRIAGE_WORDS[found["action"]])
    return Message(N_("Marked as %(action)s: %(reason)s"), action=action, reason=found["reason"])


def _closed(found: dict[str, str]) -> Message:
    reason = Message(found["reason"])
    if "note" in found:
        return Message(N_("Closed: %(reason)s (%(note)s)"), reason=reason, note=found["note"])
    return Message(N_("Closed: %(reason)s"), reason=reason)


_AUDIENCES = "|".join(AUDIENCE_WORDS)
_TRIAGED = "|".join(TRIAGE_WORDS)
_CLOSED = "|".join(re.escape(text) for text in REASON_TEXT.values())
_STATUSES = "|".join(re.escape(s) for s in STATUS_WORDS)
_PRODUCT_STATUSES = "|".join(PRODUCT_STATUS_WORDS)
Form = tuple[re.Pattern[str], Callable[[dict[str, str]], Message]]
# kind: (the English form the code records, the sentence it becomes), or several such
FORMS: dict[str, Form | tuple[Form, ...]] = {
    "report_received": (re.compile(r"Report received"), _said(N_("Report received"))),
    "vendor_notified": (re.compile(r"(?P<name>.+) invited"), _said(N_("%(name)s invited"))),
    "case_opened": (
        re.compile(r"Opened as case (?P<ref>\S+)"),
        _said(N_("Opened as case %(ref)s")),
    ),
    "case_reopened": (re.compile(r"Reopened"), _said(N_("Reopened"))),
    "embargo_changed": (
        re.compile(r"Embargo proposed: (?P<moment>\S+)"),
        _said(N_("Embargo proposed: %(moment)s")),
    ),
    "embargo_accepted": (
        re.compile(r"(?P<name>.+) accepted the embargo (?P<moment>\S+)"),
        _said(N_("%(name)s accepted the embargo %(moment)s")),
    ),
    "release_agreed": (
        re.compile(r"(?P<name>.+) agreed to publication before the embargo"),
        _said(N_("%(name)s agreed to publication before the embargo")),
    ),
    "message": (
        re.compile(rf"Message #(?P<number>\d+) to (?P<audience>{_AUDIENCES})"),
        _message,
    ),
    "status_changed": (
        # One product of one vulnerability (vulnerabilities.set_status), then a vendor's
        # answer for the whole case (vendors.set_status): the first is tried first.
        (
            re.compile(
                rf"(?P<name>.+), vulnerability (?P<ordinal>\d+), (?P<product>.+): "
                rf"(?P<status>{_PRODUCT_STATUSES})"
            ),
            _product_status,
        ),
        (re.compile(rf"(?P<name>.+): (?P<status>{_STATUSES})"), _status),
    ),
    "embargo_in_force": (
        (
            re.compile(r"Embargo in force: (?P<moment>\S+) \(decided by a coordinator\)"),
            _said(N_("Embargo in force: %(moment)s (decided by a coordinator)")),
        ),
        (
            re.compile(
                r"Embargo in force: (?P<moment>\S+) "
                r"\(accepted by every vendor that may be affected\)"
            ),
            _said(
                N_("Embargo in force: %(moment)s (accepted by every vendor that may be affected)")
            ),
        ),
    ),
    "triaged": (
        re.compile(rf"Marked (?P<action>{_TRIAGED}): (?P<reason>.*)", re.DOTALL),
        _triaged,
    ),
    "case_closed": (
        re.compile(rf"Closed: (?P<reason>{_CLOSED})(?: \((?P<note>.*)\))?", re.DOTALL),
        _closed,
    ),
    "published": (
        re.compile(r"Published as advisory (?P<advisory>\S+)(?: by (?P<name>.+))?"),
        _published,
    ),
    "attachment_added": (
        re.compile(r"The reporter added (?P<count>\d+) file\(s\)"),
        _said(N_("The reporter added files: %(count)s")),
    ),
    "vulnerability_added": (
        re.compile(r"Vulnerability (?P<ordinal>\d+) added: (?P<summary>.*)", re.DOTALL),
        _said(N_("Vulnerability %(ordinal)s added: %(summary)s")),
    ),
    "vulnerability_edited": (
        re.compile(r"Vulnerability (?P<ordinal>\d+) edited: (?P<summary>.*)", re.DOTALL),
        _said(N_("Vulnerability %(ordinal)s edited: %(summary)s")),
    ),
}


def words(event: CaseEvent) -> Message | None:
    """The event's summary as a sentence of the catalog, or None where it has another shape
    (the page then shows the recorded English)."""
    forms = FORMS.get(event.kind)
    if forms is None:
        return None
    for pattern, sentence in (forms,) if isinstance(forms[0], re.Pattern) else forms:
        found = pattern.fullmatch(event.summary)
        if found is not None:
            return sentence({k: v for k, v in found.groupdict().items() if v is not None})
    return None
