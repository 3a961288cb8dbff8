"""The accord's first text, in the hub's words, as every hub starts with it.

A faithful paraphrase of the Cybersecurity Tech Accord of April 2018: its preamble, its four
principles (stronger defense, no offense, capacity building, collective action) with the
commitments under each, and the promise to report on progress. Operators publish later
versions through the hub; this one is never edited in place once stored.

The text is plain: one line per paragraph, heading or commitment, so that it wraps to any
screen and reads the same in a terminal, the API and the page.
"""

from __future__ import annotations

FIRST_TITLE = "Cybersecurity Tech Accord"

_PREAMBLE = (
    "A safe online world is in everyone's interest. We, organizations that build and run "
    "the technology people rely on, commit to defend the benefits that this technology "
    "brings to society, to act responsibly, to protect and empower our users and customers, "
    "and so to make cyberspace more secure, more stable and more resilient. To that end we "
    "adopt this accord and its four principles."
)

_PRINCIPLES = (
    (
        "1. Stronger defense: we will protect all of our users and customers everywhere.",
        (
            "We will work to protect every user and customer from cyberattacks, whether a "
            "person, an organization or a government, whatever their technical skill, culture "
            "or location, and whatever the attacker's motive, criminal or geopolitical.",
            "We will design, build and deliver products and services that put security, "
            "privacy, integrity and reliability first, and so make vulnerabilities less likely, "
            "less frequent, harder to exploit and less severe.",
        ),
    ),
    (
        "2. No offense: we will oppose cyberattacks on innocent citizens and enterprises "
        "from anywhere.",
        (
            "We will protect our products and services against tampering and exploitation "
            "while they are developed, designed, distributed and used.",
            "We will not help any government launch cyberattacks against innocent citizens and "
            "enterprises, wherever they are.",
        ),
    ),
    (
        "3. Capacity building: we will help users, customers and developers strengthen their "
        "protection.",
        (
            "We will give our users, our customers and the wider community of developers the "
            "information and the tools they need to understand current and future threats and "
            "to protect themselves against them.",
            "We will support civil society, governments and international organizations in "
            "their work to advance security in cyberspace and to build cybersecurity capacity, "
            "in developed and emerging economies alike.",
        ),
    ),
    (
        "4. Collective action: we will partner with each other and with like-minded groups "
        "to enhance cybersecurity.",
        (
            "We will work with each other, and build formal and informal partnerships with "
            "industry, civil society and security researchers, across proprietary and open "
            "source technology, to improve technical collaboration, coordinated vulnerability "
            "disclosure and threat sharing, and to reduce the malicious code introduced into "
            "cyberspace.",
            "We will encourage information sharing around the world and civilian efforts to "
            "identify, prevent, detect, respond to and recover from cyberattacks, and to keep "
            "the wider technology ecosystem able to respond flexibly.",
        ),
    ),
)

_CLOSING = (
    "We will report publicly on the progress we make towards these goals, and the accord "
    "stays open to every organization that shares them and agrees to keep them."
)


def compose(
    preamble: str, principles: tuple[tuple[str, tuple[str, ...]], ...], closing: str
) -> str:
    """The text laid out: paragraphs apart, each principle's commitments as "- " lines."""
    blocks = [preamble]
    for heading, commitments in principles:
        blocks.append("\n".join([heading, *(f"- {c}" for c in commitments)]))
    blocks.append(closing)
    return "\n\n".join(blocks) + "\n"


FIRST_TEXT = compose(_PREAMBLE, _PRINCIPLES, _CLOSING)
