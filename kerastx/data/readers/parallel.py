"""Read parallel text (sentence pairs for translation) into a `datasets.Dataset`.

Two on-disk layouts are understood, both returning ``(dataset, source)`` like ``read_data_file``, with
one column per language named by its code (``"en"``, ``"fr"``):

* OPUS/Moses: two line-aligned files ``<prefix>.<source_lang>`` and ``<prefix>.<target_lang>``
  (``KDE.en-fr.en`` + ``KDE.en-fr.fr``), one sentence per line.
* ManyThings/Tatoeba/Anki: one file (``fra.txt``), ``first<TAB>second[<TAB>attribution...]`` per line.

Lines are split on ``\\n`` only (``\\r\\n`` is accepted), never on the other characters that
``str.splitlines`` treats as line breaks, so that rows keep matching file lines. Each side is stripped
of surrounding whitespace; everything inside (U+202F before French ``!``/``?``, say) is kept as it is.
Pairs where a side is empty are skipped: real OPUS data has some. The returned source then says how
many (``source.skipped``) and still maps every row to its file line for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kerastx.data.files import Source, existing_file
from kerastx.errors import DataError
from kerastx.utf8 import read_utf8


@dataclass(frozen=True)
class PairSource(Source):
    """A `Source` whose rows are not consecutive file lines, because ``skipped`` pairs were left out."""

    lines: tuple[int, ...] = ()  # file line of each row
    skipped: int = 0

    def where(self, row: int) -> str:
        return f"{self.name} line {self.lines[row]}"


def opus_files(path: str | Path, source_lang: str, target_lang: str) -> tuple[Path, Path]:
    """The two files of an OPUS pair named by its common prefix or by either file.

    When neither reading of ``path`` finds both files, the files of the first reading are returned
    (so that the caller can name the one that is missing).
    """
    path = Path(path)
    prefixes = [path.with_name(path.name[: -len(lang) - 1]) for lang in (source_lang, target_lang)
                if path.name.endswith(f".{lang}") and len(path.name) > len(lang) + 1]
    candidates = [(p.with_name(f"{p.name}.{source_lang}"), p.with_name(f"{p.name}.{target_lang}"))
                  for p in prefixes + [path]]
    return next((files for files in candidates if all(f.is_file() for f in files)), candidates[0])


def is_opus_pair(path: str | Path, source_lang: str, target_lang: str) -> bool:
    """Whether ``path`` names an OPUS pair (by prefix or either file) whose two files both exist."""
    return source_lang != target_lang and all(f.is_file() for f in opus_files(path, source_lang, target_lang))


def read_opus_pair(path: str | Path, source_lang: str, target_lang: str):
    """Read ``<prefix>.<source_lang>`` and ``<prefix>.<target_lang>``; returns ``(dataset, source)``.

    ``path`` is the common prefix (``corpus/KDE.en-fr``) or either file (``corpus/KDE.en-fr.en``).
    The columns are ``source_lang`` and ``target_lang``.
    """
    _check_languages(source_lang, target_lang)
    source_file, target_file = opus_files(path, source_lang, target_lang)
    for file in (source_file, target_file):
        if not file.is_file():
            raise DataError(f"{file}: no such file (an OPUS pair '{path}' needs both {source_file.name} and "
                            f"{target_file.name} side by side)")
    source_lines, target_lines = _read_lines(source_file), _read_lines(target_file)
    if len(source_lines) != len(target_lines):
        raise DataError(f"{source_file} has {len(source_lines)} lines but {target_file} has {len(target_lines)}: "
                        "the files of an OPUS pair must be line-aligned")
    name = f"{str(source_file)[: -len(source_lang)]}{{{source_lang},{target_lang}}}"  # corpus/KDE.en-fr.{en,fr}
    numbered = [(number, first.strip(), second.strip())
                for number, (first, second) in enumerate(zip(source_lines, target_lines), start=1)]
    return _pairs_dataset(numbered, source_lang, target_lang, name, source_file)


def read_tab_pairs(path: str | Path, source_lang: str, target_lang: str):
    """Read a ``first<TAB>second[<TAB>attribution...]`` file without header; returns ``(dataset, source)``.

    The first field becomes column ``source_lang`` and the second ``target_lang``; further fields
    (ManyThings' attribution) are ignored. ManyThings/Anki files put English first, so ``fra.txt`` is
    read with ``source_lang="en", target_lang="fr"``; to translate the other way, swap the columns
    afterwards rather than the arguments. Blank lines are skipped like pairs with an empty side.
    """
    _check_languages(source_lang, target_lang)
    file = existing_file(path, "a tab-separated file of sentence pairs")
    numbered = []
    for number, line in enumerate(_read_lines(file), start=1):
        if not line.strip():
            numbered.append((number, "", ""))
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DataError(f"{file} line {number}: expected '{source_lang}<TAB>{target_lang}' but found no tab "
                            f"({_preview(line)})")
        numbered.append((number, fields[0].strip(), fields[1].strip()))
    return _pairs_dataset(numbered, source_lang, target_lang, str(file), file)


# ManyThings names each file after its non-English language's ISO 639-3 code (fra.txt, in fra-eng.zip); the
# ISO 639-1 codes runs use for them. Languages without a two-letter code are left out (and not checked).
MANYTHINGS_LANGUAGES = {
    "afr": "af", "ara": "ar", "aze": "az", "bel": "be", "ben": "bn", "bos": "bs", "bre": "br", "bul": "bg",
    "cat": "ca", "ces": "cs", "cmn": "zh", "cym": "cy", "dan": "da", "deu": "de", "ell": "el", "epo": "eo",
    "est": "et", "eus": "eu", "fin": "fi", "fra": "fr", "gle": "ga", "glg": "gl", "heb": "he", "hin": "hi",
    "hrv": "hr", "hun": "hu", "hye": "hy", "ind": "id", "isl": "is", "ita": "it", "jpn": "ja", "kat": "ka",
    "kaz": "kk", "khm": "km", "kor": "ko", "lat": "la", "lit": "lt", "lvs": "lv", "mal": "ml", "mar": "mr",
    "mkd": "mk", "mon": "mn", "nld": "nl", "nob": "nb", "pes": "fa", "pol": "pl", "por": "pt", "ron": "ro",
    "rus": "ru", "slk": "sk", "slv": "sl", "spa": "es", "sqi": "sq", "srp": "sr", "swe": "sv", "swh": "sw",
    "tam": "ta", "tat": "tt", "tgl": "tl", "tha": "th", "tur": "tr", "uig": "ug", "ukr": "uk", "urd": "ur",
    "uzb": "uz", "vie": "vi", "zsm": "ms",
}


def check_manythings_languages(path: str | Path, source_lang: str, target_lang: str) -> None:
    """A file named as ManyThings names them (``fra.txt``, ``fra-eng.txt``) holds English and that language:
    a run of another pair is a DataError saying which options fit. Other file names are not checked.

    The name is the check because it is what ManyThings guarantees; guessing the language from the text
    itself (its letters, its common words) would misjudge short sentences and languages that share a script.

    Example::

        check_manythings_languages("deu.txt", "en", "fr")
        # DataError: deu.txt: ManyThings' file of deu (de) and English pairs, but the run translates en -> fr; ...
    """
    stem = Path(path).stem.lower().removesuffix("-eng")
    code = MANYTHINGS_LANGUAGES.get(stem)
    if code is None:
        return
    other = target_lang if source_lang == "en" else source_lang if target_lang == "en" else None
    if other is None or other.lower() not in (code, stem):
        raise DataError(f"{path}: ManyThings' file of {stem} ({code}) and English pairs, but the run translates "
                        f"{source_lang} -> {target_lang}; pass --source_lang en --target_lang {code} (or the "
                        f"reverse), or rename the file if it is not ManyThings' {stem}.txt")


def group_references(dataset, source_column: str, target_column: str):
    """One row per distinct source sentence, with all its translations in a list column ``references``.

    Tatoeba lists alternative translations of a sentence on separate lines; grouping them gives the
    references for multi-reference BLEU. Sources and references keep the order in which they first
    occur; a repeated identical pair adds nothing. ``target_column`` keeps the first reference (so the
    rows can still be tokenized as labels); other columns are dropped.
    """
    import datasets

    columns = dataset.select_columns([source_column, target_column]).to_dict()
    grouped: dict[str, list[str]] = {}
    for source, target in zip(columns[source_column], columns[target_column]):
        references = grouped.setdefault(source, [])
        if target not in references:
            references.append(target)
    return datasets.Dataset.from_dict({
        source_column: list(grouped),
        target_column: [references[0] for references in grouped.values()],
        "references": list(grouped.values()),
    })


def _check_languages(source_lang: str, target_lang: str) -> None:
    if not source_lang or not target_lang or source_lang == target_lang:
        raise DataError(f"parallel data needs two different language codes for its columns, "
                        f"got {source_lang!r} and {target_lang!r}")


def _read_lines(file: Path) -> list[str]:
    """The ``\\n``-separated lines of a UTF-8 file (BOM and ``\\r`` endings dropped), with errors naming the line."""
    lines = read_utf8(file).split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.removesuffix("\r") for line in lines]


def _pairs_dataset(numbered: list[tuple[int, str, str]], source_lang: str, target_lang: str, name: str, file: Path):
    import datasets

    kept = [(number, first, second) for number, first, second in numbered if first and second]
    if not kept:
        raise DataError(f"{file}: no sentence pairs (the file is empty or every pair has an empty side)")
    dataset = datasets.Dataset.from_dict({source_lang: [first for _, first, _ in kept],
                                          target_lang: [second for _, _, second in kept]})
    skipped = len(numbered) - len(kept)
    if skipped == 0:
        return dataset, Source(name, first_line=1)
    return dataset, PairSource(name, lines=tuple(number for number, _, _ in kept), skipped=skipped)


def _preview(line: str, width: int = 40) -> str:
    line = " ".join(line.split())
    return repr(line if len(line) <= width else line[:width] + "...")
