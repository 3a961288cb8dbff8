"""The fonts the report PDFs embed, so that every character of a report prints as written.

DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew and the common symbols (em dash,
curly quotes, check marks); Droid Sans Fallback covers Chinese, Japanese and Korean, and is
the fallback for any glyph DejaVu lacks. Both are Debian packages (``fonts-dejavu-core``,
``fonts-droid-fallback``; ``.ci/run`` installs them); ``ACCORD_PDF_FONTS`` names other folders
to look in first (a ``:``-separated list). A missing font stops the PDF with a message naming
the package, rather than printing "?" for what it cannot draw.

Emphasis prints in DejaVu Sans Oblique (and Bold Oblique), from the same package; where a
system lacks them it prints upright, the words kept, and the log says why once
(:func:`italics`).
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from accord.errors import ConfigError

ENVIRONMENT = "ACCORD_PDF_FONTS"
SEARCHED = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/droid"),
    Path("/usr/share/fonts-droid-fallback/truetype"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
# Each font: its file name, and the Debian package that ships it.
FILES: dict[str, tuple[str, str]] = {
    "sans": ("DejaVuSans.ttf", "fonts-dejavu-core"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "mono": ("DejaVuSansMono.ttf", "fonts-dejavu-core"),
    "cjk": ("DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
}


# Emphasis: wanted, not required (see the module's docstring).
ITALIC_FILES: dict[str, tuple[str, str]] = {
    "italic": ("DejaVuSans-Oblique.ttf", "fonts-dejavu-core"),
    "bold_italic": ("DejaVuSans-BoldOblique.ttf", "fonts-dejavu-core"),
}
log = logging.getLogger("accord.accountability")


@dataclass(frozen=True)
class Italics:
    """The italic faces, or None for each one missing (emphasis then prints upright)."""

    italic: Path | None
    bold_italic: Path | None


@functools.cache
def _italics(searched: tuple[Path, ...]) -> Italics:
    found: dict[str, Path | None] = {}
    for key, (name, package) in ITALIC_FILES.items():
        path = next((d / name for d in searched if (d / name).is_file()), None)
        if path is None:
            log.warning(
                "%s (Debian package %s) is not installed: emphasis in report PDFs prints "
                "upright; install it or name its folder in %s",
                name,
                package,
                ENVIRONMENT,
            )
        found[key] = path
    return Italics(**found)


def italics() -> Italics:
    """The italic faces found; a missing one is logged once and printed upright."""
    return _italics(tuple(folders()))


@dataclass(frozen=True)
class Fonts:
    """Where each font file is."""

    sans: Path
    sans_bold: Path
    mono: Path
    cjk: Path


def folders() -> list[Path]:
    """The folders searched, in order: ``ACCORD_PDF_FONTS``'s first."""
    named = [Path(p) for p in os.environ.get(ENVIRONMENT, "").split(":") if p]
    return [*named, *SEARCHED]


@functools.cache
def _find(searched: tuple[Path, ...]) -> Fonts:
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, (name, package) in FILES.items():
        path = next((d / name for d in searched if (d / name).is_file()), None)
        if path is None:
            missing.append(f"{name} (Debian package {package})")
        else:
            found[key.replace("-", "_")] = path
    if missing:
        raise ConfigError(
            f"the report PDFs need fonts that are not installed: {', '.join(missing)}; "
            f"install them or name their folder in {ENVIRONMENT}",
            field=ENVIRONMENT,
        )
    return Fonts(**found)


@functools.cache
def covered(path: Path) -> frozenset[int]:
    """The code points a font has glyphs for, read once per process."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2's dependency

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def find() -> Fonts:
    """The fonts, or :class:`ConfigError` naming the missing ones and their packages."""
    return _find(tuple(folders()))
