"""The console speaks Chinese first and English second: every message has its text in both, and the
compiled catalogues (.mo, what Django reads) say what the sources (.po) say.

Messages are written Chinese-first (models, newer pages) or English-first (older templates): the
English catalogue must translate every Chinese message, the Chinese one every English message."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
CJK = re.compile(r"[\u4e00-\u9fff]")


def entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgstr (plural forms: the first), fuzzy."""
    found: list[dict] = []
    entry: dict = {}
    key = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                found.append(entry)
            entry, key = {}, None
        elif line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
        else:
            name, _, value = line.partition(" ")
            key = {"msgstr[0]": "msgstr"}.get(name, name)
            if key in {"msgctxt", "msgid", "msgid_plural", "msgstr"}:
                entry[key] = ast.literal_eval(value)
            else:
                key = None
    return [e for e in found if e["msgid"]]  # not the header


def test_every_message_is_in_both_languages():
    missing = []
    for language, needs in (("en", lambda text: bool(CJK.search(text))), ("zh_Hans", lambda text: not CJK.search(text))):
        for e in entries(LOCALE / language / "LC_MESSAGES" / "django.po"):
            assert not e.get("fuzzy"), f"{language}: a fuzzy (unchecked) translation of {e['msgid']!r}"
            if needs(e["msgid"]) and not e.get("msgstr"):
                missing.append(f"{language}: {e['msgid']!r}")
    assert not missing, "untranslated: " + "; ".join(missing[:20])


def test_the_compiled_catalogues_are_up_to_date():
    for language in ("en", "zh_Hans"):
        folder = LOCALE / language / "LC_MESSAGES"
        with (folder / "django.mo").open("rb") as mo:
            compiled = gettext.GNUTranslations(mo)
        stale = [
            e["msgid"]
            for e in entries(folder / "django.po")
            if e.get("msgstr") and "msgid_plural" not in e
            and (compiled.pgettext(e["msgctxt"], e["msgid"]) if "msgctxt" in e else compiled.gettext(e["msgid"])) != e["msgstr"]
        ]
        assert not stale, f"{language}: run `manage.py compilemessages`; not compiled: {stale[:10]}"
