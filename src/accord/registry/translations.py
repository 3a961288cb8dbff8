"""Translations of the accord's versions: an operator adds one per language to a version; a
reader in that language reads it marked as a translation, the signed English text beside it
and named. A translation is never signed and never replaces the text signatories sign."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.registry import services
from accord.registry.accord_text import FIRST_TEXT
from accord.registry.accord_translations import FIRST_TRANSLATIONS
from accord.registry.models import AccordTranslation, AccordVersion
from accord.web.i18n import LANGUAGES, N_, SOURCE_LANGUAGE


def add(
    db: Session, *, number: int, language: str, title: str, text: str, actor: Actor
) -> AccordTranslation:
    """Add (or replace) version ``number``'s translation into ``language`` (operators)."""
    authorize(actor, Action.HUB_OPERATE)
    version = services.get_version(db, number)
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        raise InvalidInput(N_("language: choose one of the languages listed"), field="language")
    title, text = title.strip(), text.strip()
    if not title:
        raise InvalidInput(N_("title: a translation needs its title"), field="title")
    if not text:
        raise InvalidInput(N_("text: a translation needs its text"), field="text")
    found = of(db, version, language)
    if found is None:
        found = AccordTranslation(accord_version_id=version.id, language=language)
        db.add(found)
    found.title, found.text, found.added_by = title, text, actor.label
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="accord.translation",
        target=f"accord:{version.number}:{language}",
        details={"version": version.number, "language": language},
    )
    return found


def of(db: Session, version: AccordVersion, language: str) -> AccordTranslation | None:
    """Version's translation into ``language``: the one stored (shipped with the first
    text, or added by an operator), else, for a first text stored before the hub shipped
    its translations and unchanged since, the shipped one (not stored)."""
    found = db.scalar(
        select(AccordTranslation).where(
            AccordTranslation.accord_version_id == version.id,
            AccordTranslation.language == language,
        )
    )
    shipped = FIRST_TRANSLATIONS.get(language)
    if found is not None or shipped is None or version.text != FIRST_TEXT:
        return found
    title, text = shipped
    return AccordTranslation(language=language, title=title, text=text, added_by="system")
