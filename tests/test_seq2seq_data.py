"""Sequence-to-sequence data: parallel text (OPUS pairs, Tatoeba tab files), BBC article/summary folders and
the embedded UI-string translation pairs."""

import pytest

from kerastx.data.readers.parallel import group_references, is_opus_pair, read_opus_pair, read_tab_pairs
from kerastx.data.readers.summary_dirs import is_summary_dirs, read_summary_dirs, space_sentences
from kerastx.data.readers.ui_strings import LOCALE_DIR, ui_translation_dataset
from kerastx.errors import DataError
from test_ui_strings import _write_mo

NNBSP = "\u202f"  # the narrow no-break space French puts before '!' and '?'


def _error(call, *args) -> str:
    """The message of the DataError that ``call(*args)`` raises, checked to be one line."""
    with pytest.raises(DataError) as caught:
        call(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def _opus(tmp_path, source_lines: list[str], target_lines: list[str], prefix: str = "corpus.en-fr"):
    (tmp_path / f"{prefix}.en").write_text("".join(line + "\n" for line in source_lines), encoding="utf-8")
    (tmp_path / f"{prefix}.fr").write_text("".join(line + "\n" for line in target_lines), encoding="utf-8")
    return tmp_path / prefix


# --- OPUS/Moses pairs -------------------------------------------------------------------------------------

def test_kde_pair_read_by_its_prefix_has_a_column_per_language(shared_data):
    data, source = read_opus_pair(shared_data("en_fr/kde") / "KDE.en-fr", "en", "fr")
    assert data.column_names == ["en", "fr"]
    assert len(data) == 2825
    assert data[0] == {"en": "%1 Handbook", "fr": "Manuel utilisateur de %1"}
    assert data[47] == {"en": "Configure Language...", "fr": "Configurer votre langue..."}
    assert source.where(47).endswith("KDE.en-fr.{en,fr} line 48")


def test_kde_pair_can_be_named_by_either_of_its_files(shared_data):
    folder = shared_data("en_fr/kde")
    for name in ("KDE.en-fr.en", "KDE.en-fr.fr"):
        assert is_opus_pair(folder / name, "en", "fr")
        data, _ = read_opus_pair(folder / name, "en", "fr")
        assert (len(data), data[0]["fr"]) == (2825, "Manuel utilisateur de %1")
    assert not is_opus_pair(folder / "KDE.en-fr", "en", "de")


def test_pairs_with_an_empty_side_are_skipped_and_rows_keep_their_file_lines(tmp_path):
    prefix = _opus(tmp_path, ["Open", "", "Save", "Quit"], ["Ouvrir", "Rien", "Enregistrer", "   "])
    data, source = read_opus_pair(prefix, "en", "fr")
    assert data.to_list() == [{"en": "Open", "fr": "Ouvrir"}, {"en": "Save", "fr": "Enregistrer"}]
    assert source.skipped == 2
    assert source.where(1) == f"{tmp_path}/corpus.en-fr.{{en,fr}} line 3"


def test_only_newlines_end_sentences_in_a_pair(tmp_path):
    (tmp_path / "c.en-fr.en").write_bytes("Line\u2028separator\r\nForm\x0cfeed\n".encode())
    (tmp_path / "c.en-fr.fr").write_bytes("Séparateur\u2028de ligne\nSaut\x0cde page".encode())
    data, _ = read_opus_pair(tmp_path / "c.en-fr", "en", "fr")
    assert list(data["en"]) == ["Line\u2028separator", "Form\x0cfeed"]
    assert list(data["fr"]) == ["Séparateur\u2028de ligne", "Saut\x0cde page"]


def test_pair_files_of_different_lengths_are_named_with_their_counts(tmp_path):
    prefix = _opus(tmp_path, ["One", "Two", "Three"], ["Un", "Deux"])
    message = _error(read_opus_pair, prefix, "en", "fr")
    assert f"{prefix}.en has 3 lines but {prefix}.fr has 2" in message


def test_missing_target_file_is_named(tmp_path):
    (tmp_path / "corpus.en-fr.en").write_text("Hello\n", encoding="utf-8")
    assert not is_opus_pair(tmp_path / "corpus.en-fr.en", "en", "fr")
    message = _error(read_opus_pair, tmp_path / "corpus.en-fr.en", "en", "fr")
    assert message.startswith(f"{tmp_path}/corpus.en-fr.fr: no such file")


def test_non_utf8_line_is_named(tmp_path):
    prefix = _opus(tmp_path, ["Price", "Pound"], ["Prix", "Livre"])
    (tmp_path / "corpus.en-fr.fr").write_bytes(b"Prix\nLivre \xa3\n")
    message = _error(read_opus_pair, prefix, "en", "fr")
    assert message.startswith(f"{prefix}.fr line 2: not UTF-8 text (byte 0xa3 at column 7, byte offset 11)")


# --- Tatoeba / ManyThings tab files -----------------------------------------------------------------------

def test_tatoeba_lines_are_english_then_french_with_french_spacing_kept(shared_data, tmp_path):
    lines = (shared_data("en_fr/tatoeba") / "fra.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "fra.txt").write_text("".join(lines[:6]), encoding="utf-8")
    data, source = read_tab_pairs(tmp_path / "fra.txt", "en", "fr")
    assert data.to_list()[:3] == [{"en": "Run!", "fr": f"Cours{NNBSP}!"}, {"en": "Run!", "fr": f"Courez{NNBSP}!"},
                                  {"en": "Wow!", "fr": f"Ça alors{NNBSP}!"}]
    assert data[3] == {"en": "Fire!", "fr": "Au feu !"}  # some lines use a plain space
    assert source.where(5) == f"{tmp_path}/fra.txt line 6"


def test_the_whole_tatoeba_file_has_39358_distinct_english_sentences(shared_data):
    data, _ = read_tab_pairs(shared_data("en_fr/tatoeba") / "fra.txt", "en", "fr")
    assert len(data) == 60934
    grouped = group_references(data, "en", "fr")
    assert len(grouped) == 39358
    assert grouped[0] == {"en": "Run!", "fr": f"Cours{NNBSP}!", "references": [f"Cours{NNBSP}!", f"Courez{NNBSP}!"]}


def test_attribution_columns_after_the_pair_are_ignored(tmp_path):
    (tmp_path / "fra.txt").write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n",
                                      encoding="utf-8")
    data, _ = read_tab_pairs(tmp_path / "fra.txt", "en", "fr")
    assert data.to_list() == [{"en": "Go.", "fr": "Va !"}]


def test_a_tab_line_with_one_field_is_named_with_its_line(tmp_path):
    (tmp_path / "fra.txt").write_text("Go.\tVa !\nHi. Salut.\n", encoding="utf-8")
    message = _error(read_tab_pairs, tmp_path / "fra.txt", "en", "fr")
    assert message.startswith(f"{tmp_path}/fra.txt line 2: expected 'en<TAB>fr' but found no tab")


def test_alternative_translations_are_grouped_as_references_in_first_seen_order(tmp_path):
    (tmp_path / "fra.txt").write_text("Stop!\tÇa suffit !\nWait!\tAttends !\nStop!\tStop !\n"
                                      "Stop!\tÇa suffit !\nWait!\tAttendez !\n", encoding="utf-8")
    data, _ = read_tab_pairs(tmp_path / "fra.txt", "en", "fr")
    assert group_references(data, "en", "fr").to_list() == [
        {"en": "Stop!", "fr": "Ça suffit !", "references": ["Ça suffit !", "Stop !"]},
        {"en": "Wait!", "fr": "Attends !", "references": ["Attends !", "Attendez !"]},
    ]


# --- BBC News Summary folders -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bbc(shared_data):
    return read_summary_dirs(shared_data("bbc_news_summary"))


def _bbc_pair(root, pair_id: str, article: str | None, summary: str | None):
    for folder, text in (("News Articles", article), ("Summaries", summary)):
        if text is not None:
            file = root / "BBC News Summary" / folder / f"{pair_id}.txt"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")


def test_bbc_folder_gives_1781_pairs_sorted_by_id(bbc):
    data, _ = bbc
    assert data.column_names == ["document", "summary", "title", "category", "id"]
    assert len(data) == 1781
    assert list(data["id"])[:2] == ["business/001", "business/002"]
    categories = list(data["category"])
    assert {c: categories.count(c) for c in set(categories)} == {
        "business": 408, "entertainment": 309, "politics": 334, "sport": 409, "tech": 321}


def test_bbc_headline_is_the_title_and_the_document_is_the_article_after_it(bbc):
    first = bbc[0][0]
    assert first["title"] == "Ad sales boost Time Warner profit"
    assert first["document"].startswith("Quarterly profits at US media giant TimeWarner jumped 76%")


def test_bbc_summary_sentences_get_their_space_back(bbc):
    summary = bbc[0][0]["summary"]
    assert summary.startswith("TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn. For the full-year")
    assert "$42.09bn. Quarterly" in summary and ".For" not in summary


def test_bbc_latin1_article_keeps_its_pound_sign(bbc):
    data, source = bbc
    row = list(data["id"]).index("sport/199")
    assert "a £15.8m signing" in data[row]["document"]
    assert source.where(row).endswith("BBC News Summary [sport/199]")


def test_sentence_spacing_leaves_initials_and_takes_quotes_from_the_article():
    assert space_sentences("Sales in the U.S.Rose by 5%.Profits fell.") == "Sales in the U.S.Rose by 5%. Profits fell."
    assert space_sentences("AT&T.Buying 4GB.One") == "AT&T. Buying 4GB. One"
    assert space_sentences('he said."We won.') == 'he said. "We won.'
    assert space_sentences('he said."We won.', 'Great, he said." We won.') == 'he said." We won.'
    assert space_sentences("The Zafi.D virus spread.It hid.", "The Zafi.D virus spread. It hid.") == \
        "The Zafi.D virus spread. It hid."


def test_summary_folder_may_be_the_inner_folder_or_its_parent(tmp_path):
    _bbc_pair(tmp_path, "tech/001", "Chips get faster\n\nIntel said so.\n", "Intel said so.")
    assert is_summary_dirs(tmp_path) and is_summary_dirs(tmp_path / "BBC News Summary")
    data, _ = read_summary_dirs(tmp_path / "BBC News Summary")
    assert data.to_list() == [{"document": "Intel said so.", "summary": "Intel said so.",
                               "title": "Chips get faster", "category": "tech", "id": "tech/001"}]


def test_article_without_summary_is_named(tmp_path):
    _bbc_pair(tmp_path, "tech/001", "Chips\n\nFast.\n", "Fast.")
    _bbc_pair(tmp_path, "tech/002", "Phones\n\nSmall.\n", None)
    message = _error(read_summary_dirs, tmp_path)
    root = tmp_path / "BBC News Summary"
    assert message == f"{root}/News Articles/tech/002.txt has no matching {root}/Summaries/tech/002.txt"


def test_empty_folder_says_which_layout_is_expected(tmp_path):
    assert not is_summary_dirs(tmp_path)
    message = _error(read_summary_dirs, tmp_path)
    assert message.startswith(f"{tmp_path}: not a summarization folder: expected 'News Articles/<category>/<name>.txt'")


# --- UI strings as translation pairs ----------------------------------------------------------------------

def test_ui_translation_pairs_leave_out_what_teaches_little(tmp_path):
    _write_mo(tmp_path / "fr/LC_MESSAGES/app.mo", {
        "Open  file": "Ouvrir le\n fichier", "Menu": "Menu", "%s: %s": "%s : %s", "{0} ({1})": "{0} « {1} »",
        "%d files of %s": "%d fichiers de %s", "Toolbar\x04Save": "Enregistrer", "x" * 201: "y" * 201})
    _write_mo(tmp_path / "fr/LC_MESSAGES/other.mo", {"Open file": "Ouvrir le fichier"})
    data = ui_translation_dataset("fr", validation_fraction=0.5, locale_dir=tmp_path)
    rows = data["train"].to_list() + data["validation"].to_list()
    assert sorted((r["en"], r["fr"]) for r in rows) == [
        ("%d files of %s", "%d fichiers de %s"), ("Open file", "Ouvrir le fichier"), ("Save", "Enregistrer")]


def test_ui_translation_pairs_leave_out_the_iso_code_name_lists(tmp_path):
    _write_mo(tmp_path / "fr/LC_MESSAGES/iso_639-3.mo", {"Koyukon": "koyukon", "Eastern Arabic": "arabe oriental"})
    _write_mo(tmp_path / "fr/LC_MESSAGES/iso_3166-1.mo", {"Germany": "Allemagne"})
    _write_mo(tmp_path / "fr/LC_MESSAGES/app.mo", {"Open file": "Ouvrir le fichier"})
    data = ui_translation_dataset("fr", validation_fraction=0.5, locale_dir=tmp_path)
    assert data["train"]["en"][:] + data["validation"]["en"][:] == ["Open file"]


def test_ui_translation_without_catalogs_says_how_to_pass_files(tmp_path):
    message = _error(ui_translation_dataset, "xx", 0.1, tmp_path)
    assert "no gettext catalogs for xx" in message
    assert "--train_file: a jsonl with 'en' and 'xx' columns, or an OPUS pair such as corpus.en-xx" in message


@pytest.mark.skipif(not any((LOCALE_DIR / "fr" / "LC_MESSAGES").glob("*.mo")),
                    reason="this machine has no French gettext catalogs in /usr/share/locale/fr/LC_MESSAGES")
def test_system_ui_translations_split_by_english_string():
    data = ui_translation_dataset("fr")
    train, validation = set(data["train"]["en"]), set(data["validation"]["en"])
    assert data["train"].column_names == ["en", "fr"]
    assert len(data["train"]) > 1000 and not train & validation
    assert 0.07 < len(data["validation"]) / (len(data["train"]) + len(data["validation"])) < 0.13
