"""What a new user gets wrong, recipe by recipe and in predict: each mistake is one line on stderr naming the
file, line, column or option and what to do, exit status 2, no traceback, and no run directory or staging
folder left behind. Almost every mistake is found before any model is built; the few that need one
(an unknown metric_for_best) use a scratch BERT of 2 layers on six rows.
"""

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from kerastx.cli import run_cli
from kerastx.recipes.registry import RECIPES
from tests_helpers import ANY_MACHINE, as_flags, one_line_error

LATIN1_E = b"\xe9"  # é in Latin-1: not UTF-8 on its own

CLASSES_CSV = ("text,label\nthe cat sat,animal\na dog ran,animal\nthe car drove,vehicle\na bus stopped,vehicle\n"
               "a bird flew,animal\nthe train left,vehicle\n")
CONLL = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\nPeter B-PER\nBlackburn I-PER\n"
ENGLISH_FRENCH = "Go.\tVa !\nHi.\tSalut !\nRun!\tCours !\nWho?\tQui ?\nWow!\tÇa alors !\nFire!\tAu feu !\n"
NEWS = "".join(json.dumps({"document": f"Story {i} begins. It goes on. It ends here.", "summary": f"Story {i} begins."})
               + "\n" for i in range(6))


def qa_rows(count: int = 4) -> str:
    context = "The grotto at Notre Dame is a replica of the one at Lourdes."
    return "".join(json.dumps({"id": str(i), "title": f"t{i}", "question": "What is the grotto a replica of?",
                               "context": context, "answers": {"text": ["the one at Lourdes"], "answer_start": [41]}})
                   + "\n" for i in range(count))


class Folder:
    """The test's folder, where each case writes the files it needs."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, name: str, content) -> Path:
        file = self.path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content, encoding="utf-8")
        return file


TINY_BERT = {"model": "scratch:bert-tiny", "vocab_size": 100, "max_length": 32, **ANY_MACHINE}
TINY_MARIAN = {"model": "scratch:marian-tiny", "vocab_size": 200, "max_length": 32, "max_target_length": 32,
               **ANY_MACHINE}

# Per recipe: the options of a run that works, on files written in the test's folder. Each case edits them.
WORKING = {
    "text_classification": lambda d: {"train_file": d.write("train.csv", CLASSES_CSV), **TINY_BERT},
    "token_classification": lambda d: {"train_file": d.write("train.conll", CONLL),
                                       "validation_file": d.write("valid.conll", CONLL), **TINY_BERT},
    "question_answering": lambda d: {"train_file": d.write("qa.jsonl", qa_rows()),
                                     "validation_file": d.write("qa_dev.jsonl", qa_rows(2)), **TINY_BERT,
                                     "stride": 8},
    "translation": lambda d: {"train_file": d.write("fra.txt", ENGLISH_FRENCH), **TINY_MARIAN},
    "summarization": lambda d: {"train_file": d.write("news.jsonl", NEWS), **TINY_MARIAN},
    "extractive_summarization": lambda d: {"train_file": d.write("news.jsonl", NEWS), **TINY_BERT},
}


def pretrained(options: dict, model: str, **more) -> dict:
    """``options`` with a pretrained ``model`` (scratch-only options would be an error of their own)."""
    kept = {k: v for k, v in options.items() if k not in ("vocab_size", "tokenizer_algorithm")}
    return {**kept, "model": model, **more}


def local_model(d: Folder, name: str, config: dict) -> Path:
    """A model directory with only its config.json: enough for the checks made before anything loads."""
    d.write(f"{name}/config.json", json.dumps(config))
    return d.path / name


def opus_pair(d: Folder, prefix: str, english, french) -> Path:
    """``<prefix>.en`` and ``<prefix>.fr`` (text or bytes); returns the prefix, as --train_file takes it."""
    d.write(f"{prefix}.en", english)
    d.write(f"{prefix}.fr", french)
    return d.path / prefix


def squad_v2(d: Folder, name: str) -> Path:
    """A SQuAD v2.0 file: one answered question and one marked ``is_impossible``, with no answers."""
    context = "The grotto at Notre Dame is a replica of the one at Lourdes."
    questions = [{"id": "a", "question": "What is the grotto a replica of?", "is_impossible": False,
                  "answers": [{"text": "the one at Lourdes", "answer_start": 41}]},
                 {"id": "b", "question": "Who built the grotto?", "is_impossible": True, "answers": []}]
    return d.write(name, json.dumps({"version": "v2.0", "data": [{"title": "Grotto", "paragraphs": [
        {"context": context, "qas": questions}]}]}))


def symlink_loop(d: Folder, name: str) -> Path:
    """``name`` linking to a second link that links back to ``name``."""
    first, second = d.path / name, d.path / f"{name}.link"
    first.symlink_to(second.name)
    second.symlink_to(first.name)
    return first


def link(d: Folder, name: str, target: str) -> Path:
    (d.path / name).symlink_to(target)
    return d.path / name


def folder(d: Folder, name: str) -> Path:
    (d.path / name).mkdir(parents=True)
    return d.path / name


def case(recipe, what, edit, message):
    return pytest.param(recipe, edit, message, id=f"{recipe}: {what}")


def setting(**values):
    """An edit that sets options."""
    return lambda options, d: {**options, **values}


def given(option: str, name: str, content):
    """An edit that writes ``content`` (text or bytes) to the file ``name`` and gives it as ``option``."""
    return lambda options, d: {**options, option: d.write(name, content)}


def train(name: str, content):
    return given("train_file", name, content)


TC, NER, QA, MT, SUM, EXT = ("text_classification", "token_classification", "question_answering", "translation",
                             "summarization", "extractive_summarization")

RECIPE_CASES = [
    # --- files: missing, empty, truncated, not UTF-8, ragged ---------------------------------------------
    case(TC, "a column that is not there", setting(text_column="sentence"),
         "train.csv: no column 'sentence' (columns: text, label)"),
    case(TC, "an empty file", train("e.csv", ""), "e.csv: the file is empty"),
    case(TC, "a header and no rows", train("h.csv", "text,label\n"), "h.csv: the file has a header but no rows"),
    case(TC, "only blank lines", train("b.csv", "\n  \n"), "b.csv: the file has only blank lines"),
    case(TC, "a truncated JSON array", train("t.json", '[{"text": "a", "label": '),
         "t.json: invalid JSON at line 1: Expecting value at its end (the file or line is cut short?)"),
    case(TC, "a truncated JSON Lines file", train("t.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "lab'),
         "t.jsonl line 2: invalid JSON: Unterminated string"),
    case(TC, "one JSON object instead of records", train("o.json", '{\n  "text": "a",\n  "label": 1\n}\n'),
         "o.json: one JSON object; expected an array of objects"),
    case(TC, "binary bytes in a .csv", train("g.csv", bytes(range(256))),
         "g.csv line 2: not UTF-8 text (byte 0x80 at column 118, byte offset 128); save the file as UTF-8"),
    case(TC, "a Latin-1 csv", train("l.csv", b"text,label\nok,a\ncaf" + LATIN1_E + b",b\n"),
         "l.csv line 3: not UTF-8 text (byte 0xe9 at column 4"),
    case(TC, "a UTF-16 csv (Excel's 'Unicode text')", train("u.csv", CLASSES_CSV.encode("utf-16")),
         "u.csv: UTF-16 text (its first two bytes say so), not UTF-8"),
    case(TC, "a tsv row with a field too few", train("r.tsv", "text\tlabel\nthe cat\tanimal\nthe car\n"),
         "r.tsv line 3: 1 field but the header (line 1) has 2 (text, label)"),
    case(TC, "a tsv row with a field too many", train("r.tsv", "text\tlabel\nthe cat\tanimal\nthe\tcar\tvehicle\n"),
         "r.tsv line 3: 3 fields but the header"),
    case(TC, "a csv quote never closed", train("q.csv", 'text,label\n"the cat,animal\nthe car,vehicle\n'),
         "q.csv line 2: cannot read as csv: a quoted field starts here and is never closed"),
    case(TC, "a header naming a column twice", train("h.csv", "text,text\na,b\n"),
         "h.csv line 1: the header names column 'text' twice"),
    case(TC, "a symbolic link loop", lambda o, d: {**o, "train_file": symlink_loop(d, "loop.csv")},
         "loop.csv: a symbolic link loop (following its links leads back to them); give the file itself"),
    case(TC, "a link to a file not there", lambda o, d: {**o, "train_file": link(d, "gone.csv", "moved/train.csv")},
         "gone.csv: a symbolic link to 'moved/train.csv', which does not exist"),
    # --- labels ---------------------------------------------------------------------------------------
    case(TC, "a null label", train("n.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": null}\n'
                                              '{"text": "c", "label": 0}\n'),
         "n.jsonl line 2: column 'label' has no label (an empty field, null or NaN); fill it in or drop the row"),
    case(TC, "an empty label", train("e.csv", CLASSES_CSV.replace(",vehicle\n", ",\n", 1)),
         "e.csv line 4: column 'label' has an empty label"),
    case(TC, "NaN in a column of integer labels", train("n.csv", "text,label\na,1\nb,0\nc,NaN\nd,1\n"),
         "n.csv line 4: column 'label' has no label"),
    case(TC, "a list as label", train("l.jsonl", '{"text": "a", "label": ["x", "y"]}\n{"text": "b", "label": ["x"]}\n'),
         "l.jsonl line 1: column 'label' has a list, \"['x', 'y']\", where one label belongs"),
    case(TC, "a jsonl label column mixing 1 and \"1\"",
         train("m.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n{"text": "c", "label": "1"}\n'),
         'm.jsonl line 3: column \'label\' has the text "1" after numbers (1 first, on line 1): give every value of '
         'a column one type'),
    case(TC, "a single class", train("s.csv", CLASSES_CSV.replace("vehicle", "animal")),
         "s.csv: column 'label' has the single label 'animal' in every training row"),
    case(TC, "max_train_samples 1 keeping one class", setting(max_train_samples=1),
         "column 'label' has the single label 'vehicle' in the training rows that max_train_samples 1 keeps; a "
         "model needs at least two to tell apart: raise max_train_samples or leave it out"),
    case(TC, "a validation label training lacks",
         given("validation_file", "dev.csv", "text,label\na cow,animal\na ship,boat\n"),
         "dev.csv line 3: column 'label' has label 'boat', which the training data does not have"),
    case(TC, "a missing validation label", given("validation_file", "dev.csv", "text,label\na cow,animal\na ship,\n"),
         "dev.csv line 3: column 'label' has an empty label"),
    case(TC, "label_names that are not the labels", setting(label_names=["car", "pet"]),
         "label_names car, pet are not the labels of "),
    # --- the config file and options ------------------------------------------------------------------
    case(TC, "an unknown YAML key", given("config", "c.yaml", "epoch: 3\n"),
         "c.yaml: unknown option 'epoch' (did you mean 'epochs'?)"),
    case(TC, "a key in the wrong section", given("config", "c.yaml", "data:\n  epochs: 3\n"),
         "c.yaml: option 'epochs' belongs in section 'training', not 'data'"),
    case(TC, "a YAML key given twice", given("config", "c.yaml", "training:\n  epochs: 3\n  epochs: 4\n"),
         "c.yaml: key 'epochs' is given twice (lines 2 and 3); keep one"),
    case(TC, "a YAML option at the top level and in its section",
         given("config", "c.yaml", "epochs: 3\ntraining:\n  learning_rate: 1.0e-4\n  epochs: 5\n"),
         "c.yaml: option 'epochs' is given at the top level (line 1) and in section 'training' (line 4); keep one"),
    case(TC, "a Latin-1 YAML config", given("config", "c.yaml", b"epochs: 2\n# caf" + LATIN1_E + b"\n"),
         "c.yaml line 2: not UTF-8 text (byte 0xe9 at column 6, byte offset 15); save the file as UTF-8"),
    case(TC, "an empty --config", setting(config=""), "option 'config' is empty (an unset shell variable?)"),
    case(TC, "an empty --train_file", setting(train_file=""), "option 'train_file' is empty"),
    case(TC, "an empty --validation_file", setting(validation_file=" "), "option 'validation_file' is empty"),
    case(TC, "an empty --tokenizer", setting(tokenizer=""), "option 'tokenizer' is empty"),
    case(TC, "an empty --output_dir", setting(output_dir=""), "option 'output_dir' is empty"),
    case(TC, "an empty --model_name_or_path",
         lambda o, d: {**{k: v for k, v in o.items() if k not in ("model", "vocab_size")}, "model_name_or_path": ""},
         "option 'model' is empty (an unset shell variable?); give a value or leave the option out "
         "(given as 'model_name_or_path')"),
    case(TC, "batch_size 0", setting(batch_size=0), "batch_size must be a positive number, got 0"),
    case(TC, "a negative batch_size", setting(batch_size=-8), "batch_size must be a positive number, got -8"),
    case(TC, "batch_size 1e9", setting(batch_size="1e9"), "command line: option 'batch_size' expects int, got '1e9'"),
    case(TC, "batch_size 1e9 in YAML (text to YAML 1.1)", given("config", "c.yaml", "batch_size: 1e9\n"),
         "c.yaml: option 'batch_size' expects int, got '1e9'"),
    case(TC, "a batch larger than the training set, with static shapes", setting(batch_size=64, static_shapes=True),
         "batch_size 64 is more than the 5 training examples, and static_shapes drops the last partial batch: an "
         "epoch would have no step; use --batch_size 5 or less"),
    case(TC, "warm-up as long as the run", setting(warmup_steps=3),
         "warmup_steps 3 is not less than the run's 3 training steps (3 epochs of 1): the learning rate would never "
         "decay; use fewer warm-up steps"),
    case(TC, "max_length 1", setting(max_length=1), "max_length 1 leaves no room for text: the tokenizer adds 2 "
         "special tokens to each text; use --max_length 3 or more"),
    case(TC, "a max_length too short for a sentence pair", setting(text_pair_column="text", max_length=4),
         "max_length 4 leaves no room for text: the tokenizer adds 3 special tokens to each pair of texts; use "
         "--max_length 5 or more"),
    case(TC, "epochs 0", setting(epochs=0), "epochs must be a positive number, got 0"),
    case(TC, "max_length 0", setting(max_length=0), "max_length must be a positive number, got 0"),
    case(TC, "learning_rate 0", setting(learning_rate=0), "learning_rate must be a positive number, got 0.0"),
    case(TC, "learning_rate NaN", setting(learning_rate="nan"), "learning_rate must be a positive number, got nan"),
    case(TC, "a negative weight_decay", setting(weight_decay=-0.01),
         "weight_decay must be 0 (none) or a positive number, got -0.01"),
    case(TC, "clip_norm 0", setting(clip_norm=0),
         "clip_norm must be a positive number (the largest gradient norm kept), got 0.0; leave it out for no clipping"),
    case(TC, "a negative clip_norm", setting(clip_norm=-1), "clip_norm must be a positive number"),
    case(TC, "a negative seed", setting(seed=-1), "seed must be between 0 and 4294967295"),
    case(TC, "hub_timeout 0", setting(push_to_hub=True, hub_timeout=0),
         "hub_timeout must be a positive number, got 0.0"),
    # --- models ---------------------------------------------------------------------------------------
    case(TC, "a seq2seq scratch architecture", setting(model="scratch:t5-tiny"),
         "model 'scratch:t5-tiny': expected scratch:<architecture>-<size> with architecture in bert"),
    case(TC, "max_length beyond MiniLM's 512 positions", lambda o, d: pretrained(o, "minilm", max_length=600),
         "max_length 600 is more than minilm can take: its position embeddings cover 512 tokens "
         "(max_position_embeddings in its config.json); use --max_length 512 or less"),
    case(TC, "a model folder without a tokenizer", lambda o, d: pretrained(
        o, str(local_model(d, "bert", {"model_type": "bert", "max_position_embeddings": 512}))),
         "bert: the model folder has no tokenizer (looked for vocab.txt, tokenizer.json); give one with "
         "--tokenizer <a tokenizer's folder or hub id>"),
    case(TC, "a unigram vocabulary smaller than the alphabet", setting(tokenizer_algorithm="unigram", vocab_size=10),
         "vocab_size 10 is too small for the unigram tokenizer: the training text has 18 distinct characters and "
         "each needs its own entry beside the 5 special tokens; use --vocab_size 24 or more"),
    case(TC, "an unknown metric_for_best", setting(early_stopping_patience=1, metric_for_best="val_bleu"),
         "metric_for_best 'val_bleu' is not a metric of text_classification (metrics: val_accuracy, val_f1, val_loss)"),
    # --- token classification -------------------------------------------------------------------------
    case(NER, "a single tag", train("o.conll", "EU O\nrejects O\n\nPeter O\n"),
         "o.conll: column 'tags' has the single tag 'O' in every training row"),
    case(NER, "max_train_samples 1 keeping one tag", lambda o, d: {
        **o, "train_file": d.write("t.conll", CONLL + "\nThe O\nend O\n"), "max_train_samples": 1, "seed": 0},
         "column 'tags' has the single tag 'O' in the training rows that max_train_samples 1 keeps"),
    case(NER, "a null tag", train("t.jsonl", '{"tokens": ["EU", "rejects"], "tags": ["B-ORG", null]}\n'),
         "t.jsonl line 1 word 2: column 'tags' has no tag"),
    case(NER, "a tag training lacks", given("validation_file", "v.conll", "Paris B-LOC\n"),
         "v.conll line 1: column 'tags' has tag 'B-LOC'"),
    case(NER, "a Latin-1 CoNLL file", train("l.conll", b"EU B-ORG\n\nCaf" + LATIN1_E + b" O\n"),
         "l.conll line 3: not UTF-8 text (byte 0xe9 at column 4"),
    case(NER, "a CoNLL line without its tag", train("s.conll", "EU B-ORG\nrejects\n"),
         "s.conll line 2: expected 2 space-separated columns as on line 1, got 1"),
    case(NER, "a space inside a word of a tab-separated line", train("t.conll", "New York\tB-LOC\nis\tO\n"),
         "t.conll line 1: 'New York' has a space in it, but the line's columns are separated by tabs"),
    case(NER, "CoNLL in a .tsv file", train("c.tsv", CONLL.replace(" ", "\t")),
         "c.tsv: looks like CoNLL (a word and its tag on each line: line 1 is 'EU\\tB-ORG'), not a table with a "
         "header; name it .conll or .txt to read it as CoNLL"),
    case(NER, "a missing column", train("w.jsonl", '{"words": ["EU"], "tags": ["B-ORG"]}\n'),
         "w.jsonl: no column 'tokens'"),
    # --- question answering ---------------------------------------------------------------------------
    case(QA, "an answer not at its answer_start", train("a.jsonl", qa_rows(2).replace("[41]", "[3]")),
         "a.jsonl question 0: answer 'the one at Lourdes' is not at character 3 of its context"),
    case(QA, "a truncated SQuAD file", train("s.json", '{"data": [{"title": "Notre", "paragraphs": [{"context": "Th'),
         "s.json line 1: invalid JSON: Unterminated string"),
    case(QA, "a SQuAD v2.0 file without allow_unanswerable", lambda o, d: {**o, "train_file": squad_v2(d, "v2.json")},
         "v2.json question b: the question has no answer (SQuAD v2.0's unanswerable questions); pass "
         "--allow_unanswerable (allow_unanswerable: true in a YAML config) to train on them"),
    case(QA, "missing SQuAD columns", train("q.jsonl", '{"question": "Why?", "text": "Because."}\n'),
         "q.jsonl: no column 'context'"),
    case(QA, "max_length beyond MiniLM's positions", lambda o, d: pretrained(o, "minilm", max_length=1024),
         "max_length 1024 is more than minilm can take"),
    # --- translation ----------------------------------------------------------------------------------
    case(MT, "OPUS files of different lengths", lambda o, d: {**o, "train_file": opus_pair(d, "c.en-fr", "Hi.\nGo.\n",
                                                                                             "Salut.\n")},
         "c.en-fr.en has 2 lines but"),
    case(MT, "a Latin-1 OPUS side", lambda o, d: {**o, "train_file": opus_pair(d, "k.en-fr", "Price\n",
                                                                                 b"Prix " + LATIN1_E + b"\n")},
         "k.en-fr.fr line 1: not UTF-8 text (byte 0xe9 at column 6"),
    case(MT, "a ManyThings file of another language", train("deu.txt", ENGLISH_FRENCH),
         "deu.txt: ManyThings' file of deu (de) and English pairs, but the run translates en -> fr; pass "
         "--source_lang en --target_lang de"),
    case(MT, "a folder given as a ManyThings file", lambda o, d: {**o, "train_file": folder(d, "pairs.txt")},
         "pairs.txt: a folder, not a tab-separated file of sentence pairs"),
    case(MT, "a symbolic link loop", lambda o, d: {**o, "train_file": symlink_loop(d, "loop.txt")},
         "loop.txt: a symbolic link loop"),
    case(MT, "a ManyThings line without a tab", train("fra.txt", "Go.\tVa !\nHi. Salut.\n"),
         "fra.txt line 2: expected 'en<TAB>fr' but found no tab"),
    case(MT, "the packaged BERT encoder", lambda o, d: pretrained(o, "minilm"),
         "--model minilm is a bert model, which translation cannot use"),
    case(MT, "a BERT scratch architecture", setting(model="scratch:bert-tiny"),
         "with architecture in marian, bart, t5"),
    case(MT, "a hub model with the Hub off", lambda o, d: pretrained(o, "Helsinki-NLP/opus-mt-en-fr"),
         "model 'Helsinki-NLP/opus-mt-en-fr' is not in the local cache and the Hub is switched off here "
         "(HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set); use --model scratch:marian-mini"),
    case(MT, "max_target_length beyond a Marian's positions", lambda o, d: pretrained(
        o, str(local_model(d, "marian", {"model_type": "marian", "max_position_embeddings": 64})),
        max_target_length=128), "max_target_length 128 is more than"),
    case(MT, "a unigram vocabulary smaller than the alphabet", setting(vocab_size=5),
         "vocab_size 5 is too small for the unigram tokenizer"),
    case(MT, "same source and target language", setting(target_lang="en"), "source_lang and target_lang are both 'en'"),
    # --- summarization --------------------------------------------------------------------------------
    case(SUM, "the packaged BERT encoder", lambda o, d: pretrained(o, "minilm"),
         "--model minilm is a bert model, which summarization cannot use"),
    case(SUM, "a missing summary column", setting(summary_column="highlights"),
         "news.jsonl: no column 'highlights' (columns: document, summary)"),
    case(SUM, "an empty document", lambda o, d: {
        **o, "train_file": d.write("e.jsonl", NEWS + json.dumps({"document": " ", "summary": "Nothing."}) + "\n"),
        "validation_file": d.write("v.jsonl", NEWS)}, "e.jsonl line 7: the source text is empty or not text"),
    case(SUM, "length_penalty without beams", setting(length_penalty=2.0), "option 'length_penalty' would be ignored"),
    # --- extractive summarization ---------------------------------------------------------------------
    case(EXT, "a seq2seq scratch architecture", setting(model="scratch:marian-tiny"), "with architecture in bert"),
    case(EXT, "a header-only tsv", train("h.tsv", "document\tsummary\n"), "h.tsv: the file has a header but no rows"),
    case(EXT, "a blank summary", lambda o, d: {
        **o, "train_file": d.write("b.jsonl", NEWS + json.dumps({"document": "One. Two.", "summary": ""}) + "\n"),
        "validation_file": d.write("v.jsonl", NEWS)}, "b.jsonl line 7: column 'summary' is empty or not text"),
]


@pytest.mark.parametrize("recipe, edit, message", RECIPE_CASES)
def test_a_recipe_mistake_is_one_line_exit_2_and_writes_nothing(recipe, edit, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default output_dir (runs/<recipe>) would land here
    folder = Folder(tmp_path / "data")
    options = {**WORKING[recipe](folder), "output_dir": tmp_path / "out"}
    error = one_line_error(partial(run_cli, RECIPES[recipe]), as_flags(edit(options, folder)), capsys)
    assert message in error
    left = [p.name for p in tmp_path.iterdir() if p.name != "data"]
    assert left == [], left  # no run directory, no .out.partial-* staging folder, no runs/


def run_folder(d: Folder, name: str, config, weights: bool = True) -> Path:
    """A folder that looks like a finished run as far as predict's checks before TensorFlow go."""
    d.write(f"{name}/config.yaml", config)
    if weights:
        d.write(f"{name}/tf_model.h5", b"")
    return d.path / name


def on_run(config, *more, weights: bool = True):
    """predict's arguments: a run folder with this ``config.yaml`` (and a weights file), then ``more``, where a
    callable is given the test's folder."""
    def argv(d: Folder):
        return [str(run_folder(d, "r", config, weights))] + [m(d) if callable(m) else m for m in more]
    return argv


A_RUN = "recipe: translation\n"

PREDICT_CASES = [
    pytest.param(lambda d: [str(d.path)], "not a kerastx run directory (no config.yaml)", id="a folder not a run"),
    pytest.param(lambda d: [str(d.path / "nowhere"), "hi"], "nowhere: no such folder", id="a folder not there"),
    pytest.param(lambda d: [str(d.write("f.txt", "hi")), "hi"], "f.txt: a file, not a run directory", id="a file"),
    pytest.param(lambda d: ["", "hi"], "the run directory is empty text", id="an empty run directory argument"),
    pytest.param(on_run("recipe: [\n", "hi"), "r/config.yaml: invalid YAML at line 2", id="broken YAML"),
    pytest.param(on_run("- a\n- b\n", "hi"),
                 "r/config.yaml: not the config.yaml of a kerastx run (it has no 'recipe: <task>' line)", id="a list"),
    pytest.param(on_run("data:\n  max_length: 64\n", "hi"), "has no 'recipe: <task>' line", id="no recipe"),
    pytest.param(on_run("recipe: ner\n", "hi"), "r/config.yaml: not the config.yaml of a kerastx run: unknown "
                 "recipe 'ner' (recipes: text_classification", id="an unknown recipe"),
    pytest.param(on_run(A_RUN + "data: [1, 2]\n", "hi"), "its 'data' section is not a mapping", id="a list section"),
    pytest.param(on_run(A_RUN, "hi", weights=False), "r: no saved model (tf_model.h5); the run did not finish",
                 id="no weights"),
    pytest.param(on_run(A_RUN.encode() + b"# caf" + LATIN1_E + b"\n", "hi"),
                 "r/config.yaml line 2: not UTF-8 text (byte 0xe9", id="a Latin-1 config.yaml"),
    pytest.param(on_run(A_RUN, "--file", lambda d: str(d.write("in.txt", b"Hello\ncaf" + LATIN1_E + b"\n"))),
                 "in.txt line 2: not UTF-8 text (byte 0xe9 at column 4", id="a Latin-1 --file"),
    pytest.param(on_run(A_RUN, "--file", ""), "option '--file' is empty", id="an empty --file"),
    pytest.param(on_run(A_RUN, "--file", lambda d: str(d.path / "absent.txt")), "absent.txt: no such file",
                 id="a --file not there"),
]


@pytest.mark.parametrize("argv, message", PREDICT_CASES)
def test_a_predict_mistake_is_one_line_exit_2(argv, message, tmp_path, capsys):
    from kerastx.predict import main as predict_main

    error = one_line_error(predict_main, argv(Folder(tmp_path)), capsys)
    assert message in error


def test_a_batch_larger_than_the_training_set_is_one_warning_line_not_an_error(capsys):
    from kerastx.recipes.text_classification import TextClassificationConfig
    from kerastx.data.pipeline import RowSource
    from kerastx.training.run_size import check_run_length

    check_run_length(TextClassificationConfig(batch_size=32, max_train_samples=5), RowSource(list(range(5)), 32, 42))
    assert capsys.readouterr().out == ("[warning] batch_size 32 is more than the 5 training examples after "
                                       "max_train_samples 5: every step trains on all 5 of them, one step per epoch\n")


def test_validating_on_the_training_file_is_one_warning_line_not_an_error(tmp_path, capsys):
    from kerastx.data.splits import load_splits
    from kerastx.recipes.text_classification import TextClassificationConfig

    train = Folder(tmp_path / "data").write("train.csv", CLASSES_CSV)
    same = tmp_path / "data" / ".." / "data" / "train.csv"
    splits = load_splits(TextClassificationConfig(train_file=str(train), validation_file=str(same)))
    assert len(splits.train) == len(splits.validation) == 6
    assert capsys.readouterr().out == (f"[warning] validation_file {same} is the training file: the validation scores "
                                       "will say how well the model remembers its training data, not how it does on "
                                       "new data\n")


def complete_run(d: Folder) -> Path:
    """A run folder whose model files pass the checks made before TensorFlow loads them: config.json, a BERT
    tokenizer.json of two words, and weights that are a whole HDF5 file (of one array)."""
    import h5py
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    run = run_folder(d, "r", "recipe: text_classification\n", weights=False)
    d.write("r/config.json", json.dumps({"model_type": "bert", "hidden_size": 8, "num_attention_heads": 1,
                                         "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 2}))
    tokenizer = Tokenizer(models.WordPiece({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"))
    tokenizer.normalizer, tokenizer.pre_tokenizer = normalizers.BertNormalizer(), pre_tokenizers.BertPreTokenizer()
    tokenizer.save(str(run / "tokenizer.json"))
    with h5py.File(run / "tf_model.h5", "w") as weights:
        weights["kernel"] = [0.5] * 2048
    return run


def cut_to(size: int, name: str):
    """A damage: the run's file ``name`` cut to its first ``size`` bytes, as by an interrupted copy."""
    def damage(run: Path):
        (run / name).write_bytes((run / name).read_bytes()[:size])
    return damage


DAMAGED_RUNS = [
    pytest.param(cut_to(4000, "tf_model.h5"), "r/tf_model.h5: truncated: 4000 of its ", id="a truncated tf_model.h5"),
    pytest.param(cut_to(0, "tf_model.h5"), "r/tf_model.h5: not a readable HDF5 weights file (file signature not "
                 "found); copy the run again from where it was trained, or train it again", id="an empty tf_model.h5"),
    pytest.param(cut_to(20, "config.json"), "r/config.json: invalid JSON at line 1 column 16: Unterminated string (the "
                 "file is cut short); copy the run again", id="a truncated config.json"),
    pytest.param(lambda run: (run / "tokenizer.json").unlink(), "r: no tokenizer files (tokenizer.json or vocab.txt); "
                 "the run's files are incomplete", id="no tokenizer files"),
]


@pytest.mark.parametrize("command", ["predict", "export"])
@pytest.mark.parametrize("damage, message", DAMAGED_RUNS)
def test_a_damaged_model_file_is_one_line_naming_it_in_predict_and_export(damage, message, command, tmp_path,
                                                                           capsys):
    from kerastx.__main__ import main as kerastx_main

    run = complete_run(Folder(tmp_path))
    damage(run)
    error = one_line_error(kerastx_main, [command, str(run)] + (["hi"] if command == "predict" else []), capsys)
    assert message in error and "from_pt" not in error
    assert not (run / "export").exists()


def test_a_pair_classifier_needs_a_separator():
    from kerastx.errors import ConfigError
    from kerastx.inference.classification import TextClassifier

    with pytest.raises(ConfigError, match="sep is empty: a sentence pair needs a separator"):
        TextClassifier(model=None, tokenizer=None, paired=True, sep="")


@pytest.mark.parametrize("model_class, config, max_length, message", [
    ("TFAutoModelForSequenceClassification", {"model_type": "roberta", "max_position_embeddings": 514,
                                              "pad_token_id": 1}, 513,
     "cover 512 tokens (max_position_embeddings in its config.json)"),  # counted from pad_token_id + 1
    ("TFAutoModelForSequenceClassification", {"model_type": "gpt2", "n_positions": 256}, 300,
     "its position embeddings cover 256 tokens (n_positions in its config.json)"),
    ("TFAutoModelForSeq2SeqLM", {"model_type": "t5", "n_positions": 512}, 4096, None),  # relative positions
    ("TFAutoModelForSequenceClassification", {"model_type": "deberta-v2", "max_position_embeddings": 512,
                                              "position_biased_input": False}, 2048, None),
])
def test_the_position_limit_is_read_from_the_model_config(model_class, config, max_length, message, tmp_path):
    from kerastx.errors import ConfigError
    from kerastx.models.resolve import check_pretrained
    from kerastx.recipes.text_classification import TextClassificationConfig

    run = TextClassificationConfig(model=str(local_model(Folder(tmp_path), "model", config)), max_length=max_length)
    if message is None:
        check_pretrained(run, "a task", model_class, ("bert",))  # no limit to pass
        return
    with pytest.raises(ConfigError) as caught:
        check_pretrained(run, "a task", model_class, ("bert",))
    assert message in str(caught.value)


# --- the same bytes, read on either line ending ------------------------------------------------------------

def _readers():
    from kerastx.data.readers.conll import read_conll
    from kerastx.data.files import read_data_file
    from kerastx.data.readers.parallel import read_tab_pairs

    return [
        ("train.tsv", "label\tsentence\n1\tThe cat sat .\n\n0\tA \"quoted\" dog ran .\n", read_data_file),
        ("train.csv", 'label,sentence\n1,"The cat, sat"\n0,"A ""quoted"" dog"\n', read_data_file),
        ("train.jsonl", '{"label": 1, "sentence": "a"}\n{"label": 0, "sentence": "b"}\n', read_data_file),
        ("train.conll", "EU B-ORG\nrejects O\n\nPeter B-PER\n", read_conll),
        ("fra.txt", ENGLISH_FRENCH, lambda path: read_tab_pairs(path, "en", "fr")),
    ]


@pytest.mark.parametrize("name, text, read", _readers(), ids=["tsv", "csv", "jsonl", "conll", "manythings"])
def test_crlf_files_read_the_same_rows_and_lines_as_lf(name, text, read, tmp_path):
    lf, lf_source = read(Folder(tmp_path / "lf").write(name, text))
    crlf, crlf_source = read(Folder(tmp_path / "crlf").write(name, text.replace("\n", "\r\n").encode("utf-8")))
    assert crlf.to_dict() == lf.to_dict() and len(lf) >= 2
    assert [crlf_source.where(row).replace(str(tmp_path / "crlf"), str(tmp_path / "lf")) for row in range(len(crlf))] \
        == [lf_source.where(row) for row in range(len(lf))]


def test_a_tsv_with_blank_lines_names_rows_by_their_file_line(tmp_path):
    from kerastx.data.files import read_data_file

    data, source = read_data_file(Folder(tmp_path).write("t.tsv", "label\ttext\n\n1\ta\n\n\n0\tb\n"))
    assert data.to_dict() == {"label": [1, 0], "text": ["a", "b"]}
    assert [source.where(row) for row in range(2)] == [f"{tmp_path}/t.tsv line 3", f"{tmp_path}/t.tsv line 6"]


# --- as a user runs it: a real process ---------------------------------------------------------------------

@pytest.mark.spawns
@pytest.mark.parametrize("flags, message", [
    (lambda d: ["--train_file", ""], "option 'train_file' is empty"),
    (lambda d: ["--config", str(d.write("c.yaml", b"epochs: 1\n# caf" + LATIN1_E + b"\n"))],
     "c.yaml line 2: not UTF-8"),
    (lambda d: ["--learning_rate", "nan"], "learning_rate must be a positive number, got nan"),
], ids=["empty train_file", "Latin-1 config", "NaN learning rate"])
def test_a_real_process_prints_exactly_one_line_and_no_traceback(flags, message, tmp_path):
    argv = [sys.executable, "-m", "kerastx.recipes.text_classification", *flags(Folder(tmp_path)),
            "--output_dir", str(tmp_path / "out")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists() and not (tmp_path / "runs").exists()
