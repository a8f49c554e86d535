"""Scratch tokenizers are reproducible: the same texts give byte-identical files in separate processes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spawns

ROOT = Path(__file__).resolve().parent.parent

ALGORITHMS = {"unigram": ("marian", 300, "Unigram"), "wordpiece": ("bert", 300, "WordPiece"),
              "bpe": ("marian", 400, "BPE")}
# One process trains each algorithm on 300 Tatoeba pairs (both sides) and saves it in a folder of its name.
TRAIN = """
import sys
from pathlib import Path
from kerastx.models.scratch import train_tokenizer
pairs = [line.split("\\t")[:2] for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()[:300]]
for algorithm, (architecture, vocab_size, _) in {algorithms}.items():
    texts = [text for pair in pairs for text in pair]
    train_tokenizer(texts, architecture, algorithm, vocab_size).save_pretrained(Path(sys.argv[2]) / algorithm)
""".format(algorithms=ALGORITHMS)


@pytest.fixture(scope="module")
def trained_twice(shared_data, tmp_path_factory):
    """Two folders, each written by its own process that trained every algorithm on the same Tatoeba slice."""
    corpus = shared_data("en_fr/tatoeba/fra.txt")
    folders = [tmp_path_factory.mktemp(f"process{n}") for n in (1, 2)]
    processes = [subprocess.Popen([sys.executable, "-c", TRAIN, str(corpus), str(folder)], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for folder in folders]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    return folders


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_two_processes_train_the_same_tokenizer(trained_twice, algorithm):
    first, second = ((folder / algorithm / "tokenizer.json").read_bytes() for folder in trained_twice)
    model = json.loads(first)["model"]
    assert model["type"] == ALGORITHMS[algorithm][2]
    assert first == second, f"{algorithm}: the two processes trained different tokenizers"
