"""Language-modelling corpora: IMDB reviews, codeparrot JSON Lines, folders of source files, plain text, the
interpreter's own standard library, and one-line errors for corpora that cannot be read."""

import gzip
import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from kerastx.data.readers.text_corpus import read_text_corpus, stdlib_sources
from kerastx.errors import ConfigError, DataError


@pytest.mark.parametrize("relative, documents", [
    ("imdb", 5000), ("imdb/aclImdb", 5000), ("imdb/aclImdb/train", 5000), ("imdb/aclImdb/train/pos", 1250)])
def test_imdb_reviews_one_document_per_file(shared_data, relative, documents):
    corpus, source = read_text_corpus(shared_data(relative))
    assert len(corpus) == documents
    assert corpus.column_names == ["text", "path"]
    assert [source.where(row) for row in range(len(corpus))] == corpus["path"]


def test_imdb_train_reviews_by_folder_with_br_tags_as_newlines(shared_data):
    corpus, _ = read_text_corpus(shared_data("imdb/aclImdb/train"))
    folders = [Path(path).parent.name for path in corpus["path"]]
    assert {folder: folders.count(folder) for folder in set(folders)} == {"pos": 1250, "neg": 1250, "unsup": 2500}
    first_pos = folders.index("pos")
    assert corpus["path"][first_pos].endswith("train/pos/0_9.txt")
    assert corpus["text"][first_pos].startswith("Bromwell High is a cartoon comedy.")
    assert not any("<br" in text for text in corpus["text"])
    assert sum("\n\n" in text for text in corpus["text"]) == 2898  # the reviews that had '<br /><br />'


def test_codeparrot_jsonl_gz_reads_content_and_each_files_path(shared_data):
    file = shared_data("python_code/cpython312_stdlib_train.jsonl.gz")
    corpus, source = read_text_corpus(file)
    assert len(corpus) == 625
    assert sum(len(text.encode()) for text in corpus["text"]) == 10_918_840
    assert corpus["path"][0] == "Lib/__future__.py"
    assert corpus["text"][0].startswith('"""Record of phased-in incompatible language changes.')
    assert source.where(624) == f"{file} line 625"


def test_folder_of_source_files_skips_caches_and_hidden_folders(tmp_path):
    for relative, text in {"pkg/b.py": "import os\n", "a.py": "x = 1\n", "pkg/__pycache__/b.py": "cached",
                           ".venv/site.py": "hidden", "notes.txt": "a note\n"}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    corpus, _ = read_text_corpus(tmp_path)  # the folder holds .py files: "*.py" by default
    assert corpus["path"] == [str(tmp_path / "a.py"), str(tmp_path / "pkg/b.py")]
    assert corpus["text"] == ["x = 1\n", "import os\n"]
    assert read_text_corpus(tmp_path, file_pattern="*.txt")[0]["text"] == ["a note\n"]


def test_folder_without_python_files_reads_txt_files(tmp_path):
    (tmp_path / "one.txt").write_text("first story")
    (tmp_path / "two.md").write_text("# not a .txt file")
    assert read_text_corpus(tmp_path)[0]["text"] == ["first story"]


TEXT = "First line.\r\n\r\nSecond line\nthird line.\n  \n\nFourth.\n"


def test_text_file_one_document_per_line(tmp_path):
    (tmp_path / "corpus.txt").write_text(TEXT, newline="")
    corpus, source = read_text_corpus(tmp_path / "corpus.txt")
    assert corpus["text"] == ["First line.", "Second line", "third line.", "Fourth."]
    assert [source.where(row) for row in range(4)] == [f"{tmp_path / 'corpus.txt'} line {n}" for n in (1, 3, 4, 7)]
    assert corpus["path"] == [source.where(row) for row in range(4)]  # each line is held out on its own


def test_text_file_one_document_per_paragraph(tmp_path):
    (tmp_path / "corpus.txt").write_text(TEXT, newline="")
    corpus, source = read_text_corpus(tmp_path / "corpus.txt", document_split="paragraph")
    assert corpus["text"] == ["First line.", "Second line\nthird line.", "Fourth."]
    assert source.where(1) == f"{tmp_path / 'corpus.txt'} line 3"


def test_jsonl_and_csv_read_the_text_column(tmp_path):
    (tmp_path / "docs.jsonl").write_text('{"body": "one", "id": 1}\n\n{"body": "two", "id": 2}\n')
    corpus, source = read_text_corpus(tmp_path / "docs.jsonl", text_column="body")
    assert corpus["text"] == ["one", "two"]
    assert source.where(1) == f"{tmp_path / 'docs.jsonl'} line 3"
    (tmp_path / "docs.csv").write_text('id,text\n1,"a, quoted text"\n2,plain\n')
    assert read_text_corpus(tmp_path / "docs.csv")[0]["text"] == ["a, quoted text", "plain"]


def test_stdlib_sources_are_library_code_without_tests():
    corpus = stdlib_sources()["train"]
    root = Path(sysconfig.get_paths()["stdlib"])
    relative = [Path(path).relative_to(root) for path in corpus["path"]]
    assert len(corpus) > 500
    assert root / "os.py" in [root / path for path in relative]
    assert corpus["text"][corpus["path"].index(str(root / "os.py"))] == (root / "os.py").read_text("utf-8")
    assert all(isinstance(text, str) for text in corpus["text"])
    assert all(path.suffix == ".py" for path in relative)
    skipped = {"test", "tests", "idle_test", "site-packages", "__pycache__"}
    assert not [path for path in relative if skipped & set(path.parts) or path.name.startswith("_sysconfigdata")]


def _error(path, **options) -> str:
    with pytest.raises(DataError) as raised:
        read_text_corpus(path, **options)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_empty_and_blank_corpora_are_errors(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    assert _error(tmp_path / "empty.txt") == f"{tmp_path / 'empty.txt'}: the file is empty"
    (tmp_path / "blank.txt").write_text("\n  \n")
    assert _error(tmp_path / "blank.txt") == f"{tmp_path / 'blank.txt'}: no documents: looked for non-blank lines"
    assert _error(tmp_path / "missing.txt") == f"{tmp_path / 'missing.txt'}: no such file"


def test_folder_without_matching_files_is_an_error(tmp_path):
    (tmp_path / "data.csv").write_text("text\nhello\n")
    assert _error(tmp_path) == (f"{tmp_path}: no documents: looked for non-blank files matching '*.txt' in the "
                                "folder and its subfolders")


def test_missing_text_field_names_the_line(tmp_path):
    file = tmp_path / "docs.jsonl"
    file.write_text('{"body": "one"}\n')
    assert _error(file) == (f"{file} line 1: no 'text' field (fields: body); set text_column to the field that "
                            "holds the documents")
    file.write_text('{"content": "def f(): pass"}\n{"path": "a.py"}\n')
    assert _error(file) == f"{file} line 2: no 'content' field (fields: path); every record needs one"


def test_non_string_text_names_the_line(tmp_path):
    file = tmp_path / "docs.jsonl.gz"
    file.write_bytes(gzip.compress(b'{"text": "fine"}\n{"text": 42}\n'))
    assert _error(file) == f"{file} line 2: 'text' is not text (int 42)"
    file.write_bytes(gzip.compress(b'{"text": null}\n'))
    assert _error(file) == f"{file} line 1: 'text' is missing (null)"
    csv = tmp_path / "docs.csv"
    csv.write_text("id,text\n1,fine\n2,\n")
    assert _error(csv, text_column="id") == f"{csv} line 2: 'id' is not text (int 1)"


def test_non_utf8_file_in_a_folder_is_named(tmp_path):
    (tmp_path / "good.py").write_text("x = 1\n")
    (tmp_path / "bad.py").write_bytes(b"# caf\xe9\n")
    assert _error(tmp_path).startswith(f"{tmp_path / 'bad.py'} line 1: not UTF-8 text (byte 0xe9")


def test_bad_json_lines_are_named(tmp_path):
    file = tmp_path / "docs.json.gz"
    file.write_bytes(gzip.compress(b'{"text": "one"}\n{"text": \n'))
    assert _error(file).startswith(f"{file} line 2: invalid JSON: Expecting value")
    file.write_bytes(gzip.compress(json.dumps([{"text": "one"}]).encode()))
    assert _error(file) == f"{file}: a JSON array; expected JSON Lines (one object per line)"
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(b'{"text": "one"}\n')[:-6])
    assert _error(tmp_path / "cut.jsonl.gz").startswith(f"{tmp_path / 'cut.jsonl.gz'}: cannot decompress as gzip")


def test_unknown_document_split_is_a_config_error(tmp_path):
    (tmp_path / "corpus.txt").write_text("text\n")
    with pytest.raises(ConfigError, match="document_split must be one of line, paragraph, not 'sentence'"):
        read_text_corpus(tmp_path / "corpus.txt", document_split="sentence")


@pytest.mark.spawns
def test_reading_a_corpus_does_not_import_tensorflow(tmp_path):
    (tmp_path / "corpus.txt").write_text("one\ntwo\n")
    code = (f"import sys\nfrom kerastx.data.readers.text_corpus import read_text_corpus\nread_text_corpus({str(tmp_path)!r})\n"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
