"""The embedded demo data: software UI strings from the system's gettext catalogs.

Every Linux machine with translated software has ``/usr/share/locale/<lang>/LC_MESSAGES/*.mo``:
real, human-translated interface strings (the same kind of text as the course's KDE4 set), read
here with Python's own ``gettext``. No network and no files from this repository are needed.
"""

from __future__ import annotations

import gettext
import hashlib
import re
from pathlib import Path

from kerastx.errors import DataError

LOCALE_DIR = Path("/usr/share/locale")
DEMO_LANGUAGES = ("de", "es", "fr", "it", "nl", "sv")


def read_catalogs(language: str, locale_dir: Path = LOCALE_DIR) -> dict[tuple[str, str], str]:
    """{(catalog, English msgid): translated string} for one language; unreadable catalogs are skipped."""
    pairs = {}
    for mo_file in sorted((locale_dir / language / "LC_MESSAGES").glob("*.mo")):
        try:
            with open(mo_file, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # a few catalogs declare one charset and use another
        for key, translated in catalog.items():
            msgid = key[0] if isinstance(key, tuple) else key
            text = " ".join(translated.split())
            if msgid and text and text != msgid:
                pairs[(mo_file.stem, msgid)] = text
    return pairs


def ui_language_dataset(languages=DEMO_LANGUAGES, per_language: int = 1200, validation_fraction: float = 0.15,
                        locale_dir: Path = LOCALE_DIR):
    """A DatasetDict of UI strings labelled with their language (``text``, ``label``).

    Strings that occur in several languages ('OK', 'Menu') are dropped as ambiguous. The split is by
    English message id, so that translations of one message never straddle train and validation.
    """
    import datasets

    by_language = {lang: read_catalogs(lang, locale_dir) for lang in languages}
    missing = [lang for lang, pairs in by_language.items() if not pairs]
    if missing:
        raise DataError(f"no gettext catalogs for {', '.join(missing)} under {locale_dir}/<lang>/LC_MESSAGES; "
                        "pass your own data with --train_file (a csv/tsv/jsonl with text and label columns)")
    owners: dict[str, set] = {}
    for lang, pairs in by_language.items():
        for text in pairs.values():
            owners.setdefault(text, set()).add(lang)
    rows = {"train": [], "validation": []}
    for lang, pairs in by_language.items():
        unique = {}  # one row per distinct text, whichever message it translates
        for digest, key, text in sorted((_stable_hash(key), key, text) for key, text in pairs.items()):
            if len(owners[text]) == 1:
                unique.setdefault(text, key)
        kept = sorted((_stable_hash(key), key, text) for text, key in unique.items())[:per_language]
        for _digest, (_catalog, msgid), text in kept:
            split = "validation" if int(_stable_hash(msgid), 16) % 1000 < validation_fraction * 1000 else "train"
            rows[split].append({"text": text, "label": lang})
    return datasets.DatasetDict({split: datasets.Dataset.from_list(items) for split, items in rows.items()})


MAX_UI_TEXT = 200
NAME_CATALOGS = ("iso_639", "iso_3166", "iso_15924", "iso_4217")  # iso-codes: names, not messages
# printf (%s, %-10lu, %1$s, %(name)s), Qt/KDE (%1) and Python/.NET ({0}, {name:>8}) placeholders
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\)|\d+\$)?[-+#0']*\d*(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfgGcsp%]"
                          r"|%\d+|\{[\w.]*(?::[^{}]*)?\}")


def ui_translation_dataset(target_language: str = "fr", validation_fraction: float = 0.1,
                           locale_dir: Path = LOCALE_DIR):
    """A DatasetDict (``train``, ``validation``) of English UI strings and their translations.

    The columns are ``en`` and ``target_language``. Whitespace is collapsed; a gettext context
    (stored as ``context\\x04msgid``) is dropped from the English side. Pairs that teach little are
    left out: an empty side, a translation equal to the English, strings that are mostly format
    placeholders (``%s: %s``, ``{0} ({1})``), texts over ``MAX_UI_TEXT`` characters (``--help``
    pages) and the ISO 639/3166 catalogs (names of languages, countries and regions, mostly
    lowercased or transliterated: a tenth of the pairs, and not interface text). Exact duplicate pairs (one string in several catalogs) are kept once; different
    translations of one string are all kept, and the split is by English string, so that one English
    string never lands in both splits. (``read_catalogs`` keeps one translated form of a plural entry,
    the last, with the English singular: under 1% of the French pairs.)
    """
    import datasets

    if not 0 < validation_fraction < 1:
        raise DataError(f"validation_fraction must be between 0 and 1, got {validation_fraction}")
    if target_language == "en":
        raise DataError("the target language of the UI translation data must not be 'en' (English is the source)")
    catalogs = read_catalogs(target_language, locale_dir)
    if not catalogs:
        raise DataError(f"no gettext catalogs for {target_language} under {locale_dir}/{target_language}/LC_MESSAGES; "
                        f"pass your own pairs with --train_file: a jsonl with 'en' and '{target_language}' columns, "
                        f"or an OPUS pair such as corpus.en-{target_language}")
    pairs = set()
    for (catalog, msgid), translated in catalogs.items():
        if catalog.startswith(NAME_CATALOGS):
            continue
        english = " ".join(msgid.split("\x04")[-1].split())
        translated = " ".join(translated.split())
        if _useful_for_translation(english, translated):
            pairs.add((english, translated))
    rows = {"train": [], "validation": []}
    for digest, english, translated in sorted((_stable_hash(en), en, tr) for en, tr in pairs):
        split = "validation" if int(digest, 16) % 1000 < validation_fraction * 1000 else "train"
        rows[split].append({"en": english, target_language: translated})
    columns = ["en", target_language]
    return datasets.DatasetDict({split: datasets.Dataset.from_dict({c: [r[c] for r in items] for c in columns})
                                 for split, items in rows.items()})


def _useful_for_translation(english: str, translated: str) -> bool:
    """Whether a pair is worth training on: words on both sides, not identical, not a long text."""
    if not english or not translated or english == translated:
        return False
    if max(len(english), len(translated)) > MAX_UI_TEXT:
        return False
    words, placeholders = _PLACEHOLDER.subn("", english)
    letters = sum(c.isalpha() for c in words)
    return letters >= 3 and letters > 2 * placeholders  # '%s of %s', '{0} ({1})' and '%s: %s' are dropped


def _stable_hash(key) -> str:
    return hashlib.sha1(repr(key).encode("utf-8")).hexdigest()
