"""Read the BBC News Summary layout (one article and one summary file per pair) into a `datasets.Dataset`.

The layout (Kaggle's "BBC News Summary")::

    <path>/[BBC News Summary/]News Articles/<category>/<name>.txt
    <path>/[BBC News Summary/]Summaries/<category>/<name>.txt

An article's first line is its headline, then come paragraphs separated by blank lines. A summary is
one line of sentences copied from the article, written without a space after each sentence's period
(``...$10.9bn.For the full-year...``); `space_sentences` puts the spaces back so that the targets read
like the article. Files are UTF-8, except a few in Latin-1 (``sport/199.txt`` has a 0xA3 pound sign).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kerastx.data.files import Source
from kerastx.errors import DataError

ARTICLES, SUMMARIES = "News Articles", "Summaries"
LAYOUT = f"'{ARTICLES}/<category>/<name>.txt' and '{SUMMARIES}/<category>/<name>.txt' (BBC News Summary layout)"

# The end of a sentence glued to the next: '.', '?' or '!' (or several) after a lowercase letter, digit,
# '%', ')', quote, or a capital that ends a longer word ("the US.", "AT&T.", "4GB."), then an optional quote
# and a capital. A capital standing alone ("U.S.", "J.K.", "World War I.") is an initial, not a sentence end.
_GLUED = re.compile(r"""(?:(?<=[a-z0-9%)"'])|(?<=[\w&][A-Z]))(?P<end>[.?!]+)(?P<quote>"?)(?=[A-Z])""")


@dataclass(frozen=True)
class PairFilesSource(Source):
    """A `Source` whose rows are named by their pair id (``business/001``) rather than a line."""

    ids: tuple[str, ...] = ()

    def where(self, row: int) -> str:
        return f"{self.name} [{self.ids[row]}]"


def find_root(path: str | Path) -> Path | None:
    """The folder holding ``News Articles/`` and ``Summaries/``: ``path`` itself or one level down."""
    path = Path(path)
    if not path.is_dir():
        return None
    candidates = [path] + sorted(child for child in path.iterdir() if child.is_dir())
    return next((c for c in candidates if (c / ARTICLES).is_dir() and (c / SUMMARIES).is_dir()), None)


def is_summary_dirs(path: str | Path) -> bool:
    return find_root(path) is not None


def read_summary_dirs(path: str | Path):
    """Read article/summary pairs; returns ``(dataset, source)`` sorted by ``id``.

    Columns: ``document`` (the article's paragraphs after the headline, whitespace collapsed to single
    spaces: what the summaries copy sentences from, so lead-3 is the article's first three sentences,
    not the headline and two), ``summary`` (with sentence spaces restored), ``title`` (the headline),
    ``category`` and ``id`` (``<category>/<name>``, e.g. ``business/001``).
    """
    import datasets

    if not Path(path).is_dir():
        raise DataError(f"{path}: no such folder (expected a folder with {LAYOUT})")
    root = find_root(path)
    if root is None:
        raise DataError(f"{path}: not a summarization folder: expected {LAYOUT} in it or one level down")
    articles, summaries = _texts(root / ARTICLES), _texts(root / SUMMARIES)
    if not articles and not summaries:
        raise DataError(f"{root}: no text files: expected {LAYOUT}")
    _check_paired(root, articles, summaries, ARTICLES, SUMMARIES)
    _check_paired(root, summaries, articles, SUMMARIES, ARTICLES)
    rows = {"document": [], "summary": [], "title": [], "category": [], "id": []}
    for pair_id in sorted(articles):
        title, document = _article(articles[pair_id])
        rows["document"].append(document)
        rows["summary"].append(space_sentences(" ".join(_read_text(summaries[pair_id]).split()), document))
        rows["title"].append(title)
        rows["category"].append(pair_id.split("/")[0])
        rows["id"].append(pair_id)
    return datasets.Dataset.from_dict(rows), PairFilesSource(str(root), ids=tuple(rows["id"]))


def space_sentences(summary: str, article: str | None = None) -> str:
    """Put a space between sentences glued together as in ``...$10.9bn.For the full-year...``.

    A space goes after '.', '?' or '!' when an uppercase letter follows directly and what precedes is
    a lowercase letter, digit, '%', ')', a quote or a capital ending a longer word (``US``, ``AT&T``);
    initials (``U.S.``, ``J.K.``) are left alone. Given the article, whose sentences the summary
    copies, two more cases are settled by it: a junction that the article contains as written (the
    name ``Zafi.D``) is kept, and a quote between the period and the capital goes with the first
    sentence (``said." The``) when the article ends a sentence that way, else with the next one
    (``said. "The``, the more common case in BBC summaries). Text already spaced is unchanged.
    """
    def space(match: re.Match) -> str:
        end, quote = match["end"], match["quote"]
        if article is None:
            return f"{end} {quote}"
        glued = re.search(r"[^\s.?!]*$", summary[max(0, match.start() - 50): match.start()]).group() + end + quote
        if glued + re.match(r"\w*", summary[match.end():]).group() in article:
            return match.group()  # written so in the article too
        if quote and (f"{glued} " in article or article.endswith(glued)):
            return f"{end}{quote} "
        return f"{end} {quote}"

    if article is not None:
        article = " ".join(article.split())
    return _GLUED.sub(space, summary)


def _texts(folder: Path) -> dict[str, Path]:
    """{"<category>/<name>": file} for the ``.txt`` files one level below ``folder``."""
    return {f"{file.parent.name}/{file.stem}": file for file in folder.glob("*/*.txt") if file.is_file()}


def _check_paired(root: Path, have: dict, other: dict, folder: str, other_folder: str) -> None:
    unmatched = sorted(set(have) - set(other))
    if unmatched:
        more = f" (and {len(unmatched) - 1} more)" if len(unmatched) > 1 else ""
        raise DataError(f"{root / folder / unmatched[0]}.txt has no matching "
                        f"{root / other_folder / unmatched[0]}.txt{more}")


def _article(file: Path) -> tuple[str, str]:
    """(headline, document): the first line, then the paragraphs after it on one line."""
    lines = [line.strip() for line in _read_text(file).splitlines() if line.strip()]
    return " ".join(lines[0].split()), " ".join(" ".join(lines[1:]).split())


def _read_text(file: Path) -> str:
    """UTF-8 (BOM dropped) with a Latin-1 fallback for the few files saved that way."""
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.strip():
        raise DataError(f"{file}: the file is empty")
    return text


def read_documents(path: str | Path):
    """Document/summary data: a folder in the BBC News Summary layout, or any data file (jsonl, csv...)."""
    from kerastx.data.files import read_data_file

    return read_summary_dirs(path) if Path(path).is_dir() else read_data_file(path)
