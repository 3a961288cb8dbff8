"""What a disclosure policy page tells a reporter, read from its text, never guessed.

The fetched page (HTML or plain text) is reduced to its visible text (scripts, styles and
navigation dropped), cut into sentences, and each topic a reporter needs is looked for with
phrases a policy uses to say it:

- ``safe_harbour``: a promise not to take legal action over good-faith research;
- ``response_time``: a stated time to acknowledge or answer (a number of hours or days);
- ``how_to_report``: an address, form or platform to send a report to;
- ``languages``: the languages reports are accepted in;
- ``bug_bounty``: a reward programme.

A topic is *found* with the first sentence that says it, kept as evidence; a sentence that
denies it ("does not grant safe harbor", "we do not offer a bug bounty") is kept as
evidence too but marks the topic *denied*, not found. Nothing is inferred from the absence
of a phrase except "not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

TOPICS = ("safe_harbour", "response_time", "how_to_report", "languages", "bug_bounty")
MAX_EVIDENCE = 400  # characters of a sentence kept as evidence
MAX_TEXT = 2_000_000  # characters of a page read (reach.py already bounds the body)

_SKIPPED = frozenset({"script", "style", "nav", "noscript", "template", "svg", "head"})
_BLOCKS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "article", "main",
     "blockquote", "td", "th", "dd", "dt", "br", "tr", "footer", "header", "pre"}
)  # fmt: skip
_VOID = frozenset({"br", "img", "meta", "link", "hr", "input", "source", "wbr"})

_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|ten|fourteen|thirty|ninety)"
_PHRASES: dict[str, tuple[str, ...]] = {
    "safe_harbour": (
        r"\bsafe[- ]?harbou?r\b",
        r"\b(?:will|shall) not (?:initiate|pursue|take|bring|file|seek|support)\b"
        r"[^.;]{0,60}\b(?:legal|law ?suit|claim|prosecution|action)",
        r"\bconsider\b[^.;]{0,60}\bresearch\b[^.;]{0,40}\bauthori[sz]ed\b",
    ),
    "response_time": (
        rf"\bwithin {_NUMBER} (?:\(\d+\) )?(?:business |working |calendar )?"
        r"(?:hours?|days?|weeks?)\b",
        rf"\b{_NUMBER} (?:business |working |calendar )?(?:hours?|days?) "
        r"(?:of|after|from) (?:receipt|receiving|submission|your report)",
    ),
    "how_to_report": (
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
        r"\b(?:report(?:ed|s|ing)?|submit(?:ted)?|send)\b[^;]{0,80}\b(?:form|portal|platform|hackerone|bugcrowd"
        r"|intigriti|yeswehack|official channels?)\b",
        r"\b(?:e-?mail|write to|contact)\b[^.;]{0,40}\b(?:security|psirt|cert)\b",
    ),
    "languages": (
        r"\b(?:languages?|in (?:english|german|french|spanish))\b[^.;]{0,80}\b(?:english|"
        r"german|french|spanish|italian|dutch|portuguese|japanese|chinese|korean)\b",
        r"\b(?:english|german|french|spanish|japanese)\b[^.;]{0,40}\blanguages?\b",
    ),
    "bug_bounty": (
        r"\bbug[- ]?bount(?:y|ies)\b",
        r"\b(?:hackerone|bugcrowd|intigriti|yeswehack)\.(?:com|eu)/",
        r"\b(?:monetary|cash|financial) rewards?\b",
    ),
}
# A sentence without one of its topic's words cannot match: checked before the expressions,
# it spares most sentences of a long page the regular expressions.
_WORDS: dict[str, tuple[str, ...]] = {
    "safe_harbour": ("harbo", "legal", "law", "claim", "prosecution", "action", "authori"),
    "response_time": ("within", "hour", "day", "week"),
    "how_to_report": ("@", "report", "submit", "send", "mail", "write", "contact"),
    "languages": ("english", "german", "french", "spanish", "japanese", "language"),
    "bug_bounty": ("bount", "hackerone", "bugcrowd", "intigriti", "yeswehack", "reward"),
}
_NEGATION = re.compile(
    r"\b(?:not|no|never|don't|doesn't|cannot|can't|without|neither|nor)\b", re.IGNORECASE
)
_LANGUAGES = re.compile(
    r"\b(English|German|French|Spanish|Italian|Dutch|Portuguese|Japanese|Chinese|Korean)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'(])")
_COMPILED = {
    topic: tuple(re.compile(p, re.IGNORECASE) for p in phrases)
    for topic, phrases in _PHRASES.items()
}


class _Text(HTMLParser):
    """The visible text of a page, one block a line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.mailto: tuple[str, int] | None = None  # an open mailto link: address, start

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED and tag not in _VOID:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("mailto:") and not self.skipping:
                address = href.removeprefix("mailto:").partition("?")[0]
                self.mailto = (address, len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.mailto is not None:
            # "write to <a href=mailto:...>our team</a>": the address is what a reader needs.
            address, start = self.mailto
            if address not in "".join(self.parts[start:]):
                self.parts.append(f" ({address})")
            self.mailto = None
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(body: bytes, content_type: str | None) -> str:
    """The page's text: HTML reduced to what a reader sees; plain text as it is."""
    text = body.decode("utf-8", errors="replace")[:MAX_TEXT]
    if (content_type or "").startswith("text/plain"):
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace folded; each block (line) ends one."""
    found: list[str] = []
    for block in text.splitlines():
        folded = " ".join(block.split())
        found.extend(s.strip() for s in _SENTENCE_END.split(folded) if s.strip())
    return found


@dataclass(frozen=True)
class Statement:
    """One topic as the page states it: found (with its sentence), denied, or not found."""

    topic: str
    found: bool
    denied: bool = False
    evidence: str | None = None
    values: tuple[str, ...] = ()  # for languages: the languages named

    def to_json(self) -> dict[str, Any]:
        """As stored in ``ReachCheck.statements``."""
        return {
            "found": self.found,
            "denied": self.denied,
            "evidence": self.evidence,
            "values": list(self.values),
        }


def _evidence(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_EVIDENCE else sentence[: MAX_EVIDENCE - 1] + "…"


def _denies(sentence: str, match: re.Match[str]) -> bool:
    # A negation shortly before the phrase ("does not grant safe harbor", "we do not offer a
    # bug bounty") denies it. Promises are themselves phrased with "not" ("will not initiate
    # legal action"), so a negation inside the matched phrase does not count.
    before = sentence[max(0, match.start() - 40) : match.start()]
    return bool(_NEGATION.search(before))


def statement(topic: str, found_sentences: list[str]) -> Statement:
    """``topic`` in the page's sentences: the first that states it wins over a denial."""
    denial: Statement | None = None
    words = _WORDS[topic]
    for sentence in found_sentences:
        lowered = sentence.lower()
        if not any(word in lowered for word in words):
            continue
        for pattern in _COMPILED[topic]:
            match = pattern.search(sentence)
            if match is None:
                continue
            if _denies(sentence, match):
                denial = denial or Statement(topic, False, True, _evidence(sentence))
                continue
            values: tuple[str, ...] = ()
            if topic == "languages":
                values = tuple(dict.fromkeys(m.title() for m in _LANGUAGES.findall(sentence)))
            return Statement(topic, True, False, _evidence(sentence), values)
    return denial or Statement(topic, False)


def read(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Every topic of a fetched policy page, as ``ReachCheck.statements`` stores them."""
    found = sentences(visible_text(body, content_type))
    return {topic: statement(topic, found).to_json() for topic in TOPICS}
