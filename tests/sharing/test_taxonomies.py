"""Machine tags as MISP taxonomies write them: known taxonomies strict, others free labels."""

from __future__ import annotations

import pytest

from accord.sharing import taxonomies
from accord.sharing.taxonomies import UnknownTag, parse


@pytest.mark.parametrize(
    ("tag", "namespace", "predicate", "value"),
    [
        ("tlp:amber", "tlp", "amber", None),
        ("tlp:AMBER+STRICT", "tlp", "amber+strict", None),
        ("PAP:GREEN", "PAP", "GREEN", None),
        ("pap:red", "PAP", "RED", None),
        ('admiralty-scale:source-reliability="b"', "admiralty-scale", "source-reliability", "b"),
        (
            'admiralty-scale:information-credibility="6"',
            "admiralty-scale",
            "information-credibility",
            "6",
        ),
    ],
)
def test_known_taxonomies(tag: str, namespace: str, predicate: str, value: str | None) -> None:
    label = parse(tag)
    assert label.known
    assert (label.namespace, label.predicate, label.value) == (namespace, predicate, value)


@pytest.mark.parametrize(
    ("tag", "says"),
    [
        ("tlp:purple", "has no 'purple'"),
        ("PAP:ORANGE", "has no 'ORANGE'"),
        ('admiralty-scale:source-reliability="z"', "takes one of a, b, c, d, e, f, g"),
        ("admiralty-scale:source-reliability", "takes one of"),
        ('tlp:red="yes"', "takes no value"),
        ("", "must not be empty"),
    ],
)
def test_undefined_tags_of_known_taxonomies_are_errors(tag: str, says: str) -> None:
    with pytest.raises(UnknownTag) as caught:
        parse(tag)
    assert says in caught.value.message


@pytest.mark.parametrize(
    "tag",
    [
        'circl:incident-classification="malware"',
        'misp-galaxy:mitre-attack-pattern="X - T0800"',
        "ransomware",
        "acme:risk",
    ],
)
def test_other_tags_are_kept_as_free_labels(tag: str) -> None:
    label = parse(tag)
    assert not label.known
    assert label.text == tag


def test_tlp_of_tags_and_technique_ids() -> None:
    labels = taxonomies.read(["tlp:white", "tlp:amber+strict", "tlp:purple", "x"])
    assert taxonomies.tlp_of(labels) == "amber"
    assert [label.known for label in labels] == [True, True, False, False]
    assert taxonomies.techniques_in('misp-galaxy:mitre-attack-pattern="Spearphishing - T0865"') == [
        "T0865"
    ]
    assert taxonomies.techniques_in("T1059.001 and T0800") == ["T1059.001", "T0800"]
