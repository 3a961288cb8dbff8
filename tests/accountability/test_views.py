"""Numbers on the accountability pages: written as Babel writes them, in each language."""

from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal

from accord.accountability import views
from accord.web.i18n import Viewer


@pytest.mark.parametrize("language", ["en", "es"])
def test_numbers_match_babel(language: str) -> None:
    viewer = Viewer(language=language)
    rng = random.Random(7)
    samples = [0, 1, 12, 999, 1000, 1234, 9999, 10000, 12345, 1234567, 0.5, 12.25, 1234.5]
    samples += [round(rng.uniform(0, 100_000), rng.choice([0, 1, 2])) for _ in range(300)]
    for value in samples:
        assert views.number(value, viewer) == format_decimal(value, locale=viewer.locale), value
        expected = format_decimal(value, format="#,##0.0", locale=viewer.locale)
        assert views.number(value, viewer, places=1) == expected, value
