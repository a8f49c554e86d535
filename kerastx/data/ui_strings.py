"""The embedded demo data: software UI strings from the system's gettext catalogs.

Every Linux machine with translated software has ``/usr/share/locale/<lang>/LC_MESSAGES/*.mo``:
real, human-translated interface strings (the same kind of text as the course's KDE4 set), read
here with Python's own ``gettext``. No network and no files from this repository are needed.
"""

from __future__ import annotations

import gettext
import hashlib
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


def _stable_hash(key) -> str:
    return hashlib.sha1(repr(key).encode("utf-8")).hexdigest()
