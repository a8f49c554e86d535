"""The embedded demo data: UI strings from the system's gettext catalogs, labelled by language."""

import subprocess
import sys

import pytest

from kerastx.data.readers.ui_strings import LOCALE_DIR, read_catalogs, ui_language_dataset
from kerastx.errors import DataError


def _write_mo(path, messages: dict[str, str]):
    """A minimal GNU .mo catalog (the format Python's gettext reads)."""
    import struct

    header = "Content-Type: text/plain; charset=UTF-8\n"
    entries = sorted({"": header, **messages}.items())
    ids = b"".join(k.encode() + b"\0" for k, _ in entries)
    strs = b"".join(v.encode() + b"\0" for _, v in entries)
    count = len(entries)
    ids_start = 28 + 16 * count
    strs_start = ids_start + len(ids)
    table_ids, table_strs, offset_id, offset_str = [], [], ids_start, strs_start
    for key, value in entries:
        table_ids += [len(key.encode()), offset_id]
        table_strs += [len(value.encode()), offset_str]
        offset_id += len(key.encode()) + 1
        offset_str += len(value.encode()) + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, 0)
                     + struct.pack(f"<{2 * count}I", *table_ids) + struct.pack(f"<{2 * count}I", *table_strs) + ids + strs)


def test_catalog_strings_are_labelled_and_ambiguous_ones_dropped(tmp_path):
    _write_mo(tmp_path / "fr/LC_MESSAGES/app.mo", {"Open file": "Ouvrir le fichier", "Menu": "Menu", "OK": "D'accord"})
    _write_mo(tmp_path / "de/LC_MESSAGES/app.mo", {"Open file": "Datei öffnen", "Menu": "Menü", "OK": "D'accord"})
    assert read_catalogs("fr", tmp_path) == {("app", "Open file"): "Ouvrir le fichier", ("app", "OK"): "D'accord"}
    data = ui_language_dataset(("fr", "de"), validation_fraction=0.5, locale_dir=tmp_path)
    rows = data["train"].to_list() + data["validation"].to_list()
    assert sorted((r["label"], r["text"]) for r in rows) == [("de", "Datei öffnen"), ("de", "Menü"), ("fr", "Ouvrir le fichier")]


def test_missing_catalogs_say_how_to_pass_files(tmp_path):
    with pytest.raises(DataError, match="no gettext catalogs for xx.*--train_file"):
        ui_language_dataset(("xx",), locale_dir=tmp_path)


@pytest.mark.skipif(not (LOCALE_DIR / "fr" / "LC_MESSAGES").is_dir(), reason="this machine has no French gettext catalogs")
def test_system_catalogs_give_a_balanced_split_by_message():
    data = ui_language_dataset(per_language=300)
    labels = list(data["train"]["label"]) + list(data["validation"]["label"])
    assert {label: labels.count(label) for label in set(labels)} == {lang: 300 for lang in ("de", "es", "fr", "it", "nl", "sv")}
    assert 0.08 < len(data["validation"]) / len(labels) < 0.25
    assert not set(data["train"]["text"]) & set(data["validation"]["text"])


@pytest.mark.spawns
def test_kerastx_refuses_a_keras3_tf_keras():
    code = "import os; os.environ.pop('TF_USE_LEGACY_KERAS', None); import tensorflow as tf; tf.keras.layers; import kerastx"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode != 0
    assert "Keras 3" in result.stderr and "TF_USE_LEGACY_KERAS=1" in result.stderr
