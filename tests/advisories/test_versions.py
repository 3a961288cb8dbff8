"""Each ecosystem's version order against its own documented edge cases.

Sources of the expected orders: semver.org section 11; PEP 440; the Go modules reference
(pseudo-versions, +incompatible); RubyGems' Gem::Version documentation; the Maven POM
reference's version order specification and Maven's ComparableVersionTest; NuGet's package
versioning documentation; Composer's version constraints and PHP's version_compare; Debian
Policy 5.6.12; apk-tools' test/version.data.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pytest
from univers.versions import AlpineLinuxVersion, ComposerVersion, MavenVersion, SemverVersion

from accord.advisories import versions
from accord.advisories.versions import InvalidVersion, adapters, alpine, maven, packagist, semver


def ordered(key: Callable[[str], Hashable], *chain: str) -> None:
    """Each version is below every later one, and no two of them are equal."""
    keys = [key(v) for v in chain]
    for i, low in enumerate(keys):
        for j in range(i + 1, len(keys)):
            assert low < keys[j], f"{chain[i]} < {chain[j]}"
            assert not keys[j] < low, f"not {chain[j]} < {chain[i]}"
            assert low != keys[j], f"{chain[i]} != {chain[j]}"


def equal(key: Callable[[str], Hashable], *same: str) -> None:
    """All equal, and equal keys hash alike (they end up in ``versions`` sets)."""
    keys = [key(v) for v in same]
    assert all(k == keys[0] for k in keys), same
    assert len({hash(k) for k in keys}) == 1, same


# -- SemVer 2.0 (SEMVER ranges, npm, crates.io, Go) --------------------------------------------


def test_semver_precedence_example_of_the_specification() -> None:
    ordered(
        semver.key,
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    )


def test_semver_ignores_build_metadata_and_numbers_sort_before_words() -> None:
    equal(semver.key, "1.0.0+build.1", "1.0.0+build.2", "1.0.0")
    ordered(semver.key, "1.0.0-alpha.10", "1.0.0-alpha.9a")  # 11.4.3: numeric < alphanumeric


def test_univers_semver_counts_build_metadata_which_is_why_we_keep_our_own() -> None:
    # SemVer 2.0 section 10: "Build metadata MUST be ignored when determining precedence".
    assert SemverVersion("1.0.0+a") != SemverVersion("1.0.0+b")


@pytest.mark.parametrize("bad", ["1.0.0-01", "01.0.0", "1.2.3.4", "", "1.0.0-", "latest"])
def test_semver_refuses_what_is_not_a_version(bad: str) -> None:
    with pytest.raises(InvalidVersion):
        semver.key(bad)


def test_go_pseudo_versions_and_incompatible() -> None:
    order = versions.order_for("Go")
    assert order is not None
    ordered(
        order,
        "v0.0.0-20191109021931-daa7c04131f5",
        "v1.2.3",
        "v1.2.4-0.20191109021931-daa7c04131f5",  # a commit after v1.2.3
        "v1.2.4",
    )
    equal(order, "v2.0.0+incompatible", "v2.0.0")


# -- PyPI (PEP 440 through packaging) ---------------------------------------------------------


def test_pypi_pre_post_dev_local_and_epochs() -> None:
    ordered(
        adapters.pypi_key,
        "1.0.dev0",
        "1.0a1",
        "1.0a2.dev1",
        "1.0a2",
        "1.0b1",
        "1.0rc1",
        "1.0",
        "1.0+local.1",
        "1.0.post1",
        "1.1",
        "1!0.1",  # an epoch beats any version without one
    )
    equal(adapters.pypi_key, "1.0", "1.0.0", "1.0.0.0")
    equal(adapters.pypi_key, "1.0-post1", "1.0.post1", "1.0post1")
    equal(adapters.pypi_key, "1.0RC1", "1.0rc1", "1.0c1")


# -- RubyGems (univers) ----------------------------------------------------------------------


def test_rubygems_prereleases_sort_first_and_dash_means_pre() -> None:
    ordered(
        adapters.rubygems_key, "1.0.a", "1.0.b1", "1.0.0.pre1", "1.0", "1.0.0.1", "1.9.3", "1.10.0"
    )
    equal(adapters.rubygems_key, "1.0", "1.0.0")
    equal(adapters.rubygems_key, "1.0.0-rc1", "1.0.0.pre.rc1")
    ordered(adapters.rubygems_key, "2.0.0.rc2", "2.0.0.rc10", "2.0.0")


# -- Maven (ours) ----------------------------------------------------------------------------

MAVEN_QUALIFIERS = (
    "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
    "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc",
    "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
)  # fmt: skip
MAVEN_NUMBERS = (
    "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
    "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
    "11.m11", "11", "11.a", "11b", "11c", "11m",
)  # fmt: skip


def test_maven_qualifier_and_number_orders_of_comparableversiontest() -> None:
    ordered(maven.key, *MAVEN_QUALIFIERS)
    ordered(maven.key, *MAVEN_NUMBERS)
    ordered(maven.key, "1.0-alpha-1-SNAPSHOT", "1.0-alpha-1", "1.0-beta-1", "1.0-SNAPSHOT", "1.0")
    ordered(maven.key, "2.0.1", "2.0.1-xyz", "2.0.1-123")
    ordered(maven.key, "6.1.0rc3", "6.1.0", "6.1H.5-beta")  # MNG-5568
    ordered(maven.key, "0.0.0-2021-05-17T01-01-51-5ec03a8b", "20.0.0")


@pytest.mark.parametrize(
    "same",
    [
        ("1", "1.0", "1.0.0", "1-0", "1.0-0", "01", "001"),
        ("1a", "1-a", "1.0-a", "1.0.0-a"),
        ("1", "1ga", "1GA", "1final", "1release", "1RELeaSE", "1.0.RELEASE", "1.0.Final"),
        ("1cr", "1rc", "1Cr"),
        ("1a1", "1-alpha-1", "1A1"),
        ("1m3", "1-milestone-3", "1MILESTONE3"),
        ("0.0.0-0.0.0", "0-final-ga", "0"),
    ],
)
def test_maven_equal_versions(same: tuple[str, ...]) -> None:
    equal(maven.key, *same)


def test_univers_maven_lacks_the_release_alias_which_is_why_we_keep_our_own() -> None:
    # The POM reference: "" = final = ga = release < sp.
    assert MavenVersion("1.0.RELEASE") > MavenVersion("1.0")
    assert hash(MavenVersion("1")) != hash(MavenVersion("1.0.0"))  # equal, hashed apart


# -- NuGet (univers) -------------------------------------------------------------------------


def test_nuget_four_parts_case_insensitive_labels_and_metadata() -> None:
    equal(adapters.nuget_key, "1.0", "1.0.0", "1.0.0.0", "1.0.0+build.7")
    equal(adapters.nuget_key, "1.0.0-Beta", "1.0.0-beta", "1.0.0-BETA")
    ordered(
        adapters.nuget_key,
        "1.0.0-alpha",
        "1.0.0-alpha.2",
        "1.0.0-alpha.10",
        "1.0.0-beta",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0.1",
        "1.0.1",
    )


# -- Packagist (ours) ------------------------------------------------------------------------


def test_packagist_stabilities_and_patches() -> None:
    ordered(
        packagist.key,
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-alpha2",
        "1.0.0-beta2",
        "1.0.0-RC1",
        "1.0.0",
        "1.0.0-p1",
        "1.0.0-pl2",
        "1.0.1",
    )
    ordered(packagist.key, "4.3-2beta1", "4.3-2RC1", "4.3-2RC2", "4.3-2")
    ordered(packagist.key, "1.2.3.4", "1.2.3.5")
    equal(packagist.key, "1.0", "1.0.0", "v1.0.0", "1.0.0.0")
    equal(packagist.key, "1.0.0rc2", "1.0.0.rc2", "1.0.0-RC2")
    equal(packagist.key, "2.0.0-alpha", "2.0.0-a")


def test_univers_composer_is_semver_which_is_why_we_keep_our_own() -> None:
    assert ComposerVersion("1.0.0-RC1") < ComposerVersion("1.0.0-beta9")
    assert ComposerVersion("1.0.0-p1") < ComposerVersion("1.0.0")


# -- Debian (univers) ------------------------------------------------------------------------


def test_debian_tildes_epochs_and_revisions() -> None:
    ordered(adapters.debian_key, "1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+b1")
    ordered(adapters.debian_key, "1.0~rc1-1", "1.0-1", "1.0-1+deb10u1", "1.0-2", "2.3-1", "2.30-1")
    ordered(adapters.debian_key, "1.0-1~bpo10+1", "1.0-1")
    ordered(adapters.debian_key, "9.9", "1:0.1", "2:0.0.1")
    equal(adapters.debian_key, "0:1.0-1", "1.0-1")


# -- Alpine (ours) ---------------------------------------------------------------------------

# A selection of apk-tools' own test vectors (test/version.data).
APK_VECTORS = """
2.34 > 0.1.0_alpha
0.1.0_alpha2 > 0.1.0_alpha
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.06-r6 < 006
3.9.8-r5 > 2.01.01_alpha10
1.0 > 0.99.3.20040818
3.0.20060720 < 20060720
1.02.07 < 1.02.10-r1
2.5.1-r8 < 2.5.1a-r1
1.2.07.8 < 1.2.12.04
0.20070118 < 0.20070207_rc1
4.5_p1 < 4.5_p1-r1
0.9.28.1 < 087-r1
2.12r-r4 < 2.12r-r5
0.59s-r11 < 0.65
1.6.8_p12-r1 > 1.6.8_p9-r2
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
4.01 < 4.20
1.07 < 1.19
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.8.5 < 1.8.5_p2
1.7 < 1.7b
0.2.0-r1 = 0.2.0-r1
"""


@pytest.mark.parametrize("line", list(APK_VECTORS.strip().splitlines()))
def test_alpine_against_apk_tools_vectors(line: str) -> None:
    left, op, right = line.split()
    a, b = alpine.key(left), alpine.key(right)
    assert {"<": a < b, ">": b < a, "=": a == b}[op], line


def test_alpine_post_release_suffixes() -> None:
    ordered(
        alpine.key,
        "1.2.3_alpha1-r0",
        "1.2.3_rc1-r0",
        "1.2.3-r0",
        "1.2.3-r1",
        "1.2.3_cvs-r0",
        "1.2.3_svn-r0",
        "1.2.3_git20200101-r0",
        "1.2.3_hg1-r0",
        "1.2.3_p1-r0",
        "1.2.3a-r0",
        "1.2.4-r0",
    )


def test_univers_alpine_refuses_git_suffixes_which_is_why_we_keep_our_own() -> None:
    with pytest.raises(ValueError, match="not a valid"):
        AlpineLinuxVersion("1.2.3_git20200101-r0")


def test_orders_are_defined_for_the_ecosystems_the_hub_promises() -> None:
    promised = ("PyPI", "npm", "Go", "crates.io", "RubyGems", "Maven", "NuGet", "Packagist")
    assert all(versions.order_for(e) for e in promised)
    assert versions.order_for("Debian:12") is versions.order_for("Debian")
    assert versions.order_for("Alpine:v3.19") is alpine.key
    assert versions.order_for("Hex") is None
