"""What the side-by-side speed benchmark (``vs_pytorch.py``) runs, shared by its three workers: the cases,
their data read the same way in every framework, and how a run's step times become figures.

Pure Python: the PyTorch worker imports it from a virtual environment without TensorFlow or kerastx.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import os
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Case:
    """One training setup, run by kerastx's recipe (``config`` + ``flags``), transformers' ``Trainer`` and the
    course's plain Keras loop with the same model, data, batch, lengths and schedule."""

    name: str
    task: str  # "classification", "translation" or "causal_lm"
    config: str | None  # the kerastx recipe config it starts from (None: flags only)
    flags: tuple[str, ...]  # kerastx flags on top of the config (the other workers read the same values below)
    batch_size: int
    max_length: int
    pad_to_multiple_of: int | None
    group_by_length: bool
    static_shapes: bool
    learning_rate: float
    warmup_ratio: float
    weight_decay: float
    warmup_steps: int  # steps run before timing starts (tracing, first allocations)
    timed_steps: int
    pretrained: bool  # the packaged MiniLM's weights; else a scratch model whose folder the kerastx run writes
    max_target_length: int | None = None
    max_documents: int | None = None  # causal LM: training documents read (enough blocks for the timed steps)
    notes: tuple[str, ...] = field(default=())

    @property
    def recipe(self) -> str:
        """The kerastx recipe (registry name) that trains this case."""
        return {"classification": "text_classification"}.get(self.task, self.task)

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.timed_steps

    def kerastx_argv(self, output_dir: str, precision: str) -> list[str]:
        return [*(["--config", self.config] if self.config else []), *self.flags, "--max_steps", str(self.total_steps), "--precision", precision,
                "--output_dir", output_dir, "--overwrite_output_dir", "--checkpoint_every_steps", "100000"]


CASES = {
    case.name: case for case in (
        # the MRPC recipe's data, model and padding at the step size the issue measured (batch 16, lr 5e-5)
        Case("mrpc_minilm", "classification", "recipes/mrpc.yaml",
             ("--batch_size", "16", "--learning_rate", "5e-5"), batch_size=16, max_length=128,
             pad_to_multiple_of=16, group_by_length=True, static_shapes=False, learning_rate=5e-5, warmup_ratio=0.1,
             weight_decay=0.01, warmup_steps=10, timed_steps=60, pretrained=True),
        Case("bert_base_128", "classification", None,
             ("--train_file", "../shared/data/mrpc/train.tsv", "--validation_file", "../shared/data/mrpc/dev.tsv",
              "--text_column", "#1 String", "--text_pair_column", "#2 String", "--label_column", "Quality",
              "--model", "scratch:bert-base", "--max_length", "128", "--static_shapes", "--batch_size", "16",
              "--learning_rate", "5e-5", "--warmup_ratio", "0.1", "--weight_decay", "0.01", "--max_eval_samples", "64"),
             batch_size=16, max_length=128, pad_to_multiple_of=None, group_by_length=False, static_shapes=True,
             learning_rate=5e-5, warmup_ratio=0.1, weight_decay=0.01, warmup_steps=2, timed_steps=6,
             pretrained=False, notes=("BERT-base shape (12 layers, 768 hidden), random init, every batch 16 x 128",)),
        Case("translation_marian", "translation", "recipes/translation_tatoeba.yaml",
             ("--generation_samples", "16", "--max_eval_samples", "64"), batch_size=64, max_length=32,
             max_target_length=32, pad_to_multiple_of=8, group_by_length=True, static_shapes=False,
             learning_rate=5e-4, warmup_ratio=0.05, weight_decay=0.0, warmup_steps=10, timed_steps=40,
             pretrained=False),
        Case("causal_lm_gpt2", "causal_lm", "recipes/causal_lm_python.yaml",
             ("--max_train_samples", "60", "--max_eval_samples", "4", "--warmup_steps", "1"),
             batch_size=32, max_length=256, pad_to_multiple_of=None, group_by_length=False, static_shapes=True,
             learning_rate=1e-3, warmup_ratio=0.1, weight_decay=0.1, warmup_steps=3, timed_steps=10,
             pretrained=False, max_documents=60),
    )
}


def case_named(name: str) -> Case:
    """The case ``name``, with the step counts ``KERASTX_BENCH_STEPS="WARMUP,TIMED"`` sets, if set (a shorter
    run while trying a worker out)."""
    case = CASES[name]
    if os.environ.get("KERASTX_BENCH_STEPS"):
        warmup, timed = (int(n) for n in os.environ["KERASTX_BENCH_STEPS"].split(","))
        case = dataclasses.replace(case, warmup_steps=warmup, timed_steps=timed)
    return case


def mrpc_rows(split: str = "train") -> list[dict]:
    """MRPC's tab-separated rows (its sentences hold bare quotes: no CSV quoting)."""
    with open(DATA / "mrpc" / f"{split}.tsv", encoding="utf-8-sig", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [{"sentence1": r["#1 String"], "sentence2": r["#2 String"], "label": int(r["Quality"])} for r in rows]


def tatoeba_pairs() -> list[tuple[str, str]]:
    """English/French pairs of the ManyThings Tatoeba file (its third column, the attribution, is dropped)."""
    lines = (DATA / "en_fr" / "tatoeba" / "fra.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")[:2]) for line in lines if line.count("\t") >= 1]


def code_documents(limit: int) -> list[str]:
    """The first ``limit`` Python files of the causal LM config's training corpus."""
    texts = []
    with gzip.open(DATA / "python_code" / "cpython312_stdlib_train.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line)["content"])
            if len(texts) == limit:
                break
    return texts


def code_blocks(tokenizer, case: Case) -> list[list[int]]:
    """The causal LM case's training rows: its documents' token ids, each document ended by EOS, cut into
    blocks of ``case.max_length`` (the last partial block dropped)."""
    ids = [token for text in code_documents(case.max_documents)
           for token in tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]]
    return [ids[start:start + case.max_length] for start in range(0, len(ids) - case.max_length, case.max_length)]


EMBEDDING_WEIGHTS = {"embeddings", "shared", "embed_tokens", "embed_positions", "wte", "wpe", "final_logits_bias",
                     "lm_head"}


def non_embedding_params(named_sizes) -> dict:
    """``{"encoder_params", "decoder_params"}``: the sizes of ``(weight name, size)`` pairs that are not
    embeddings (nor an output layer tied to them), split by the side of an encoder-decoder they sit on. Names
    are TensorFlow's (``.../wte/weight:0``) or torch's (``transformer.wte.weight``); whole parts are matched,
    since TensorFlow's model prefix may hold one (``tfgpt2lm_head_model/...``)."""
    counts = {"encoder_params": 0, "decoder_params": 0}
    for name, size in named_sizes:
        if not EMBEDDING_WEIGHTS.intersection(re.split(r"[/.:]", name)):
            counts["decoder_params" if "decoder" in name else "encoder_params"] += int(size)
    return counts


def timing_summary(step_ends: list[float], shapes: list[tuple[int, int, int]], case: Case) -> dict:
    """Figures of the timed steps: the intervals between consecutive step ends after ``case.warmup_steps``
    (so every framework's per-step overhead counts), beside the shapes of the batches those steps trained on
    (``(batch, input length, target length)``)."""
    intervals = [b - a for a, b in zip(step_ends, step_ends[1:])][case.warmup_steps - 1:case.total_steps - 1]
    timed_shapes = shapes[case.warmup_steps:case.total_steps]
    seconds = sum(intervals)
    return {"timed_steps": len(intervals), "seconds": seconds, "ms_per_step": 1000 * seconds / len(intervals),
            "median_ms_per_step": 1000 * statistics.median(intervals),
            "samples": sum(s[0] for s in timed_shapes), "shapes": timed_shapes}


def model_flops(shapes: list[tuple[int, int, int]], model: dict) -> float:
    """Training FLOPs of the batches ``shapes``: 6 x non-embedding parameters x tokens, plus attention
    (6 x 2 x layers x hidden x context per token: scores and weighted values, forward and backward).
    ``model``: ``{"encoder_params", "decoder_params", "layers", "hidden"}``; an encoder-decoder's decoder also
    attends over the source."""
    total = 0.0
    for batch, source, target in shapes:
        total += batch * source * (6 * model["encoder_params"] + 12 * model["layers"] * model["hidden"] * source)
        if target:
            total += batch * target * (6 * model["decoder_params"]
                                       + 12 * model["layers"] * model["hidden"] * (target + source))
    return total


def write_result(result: dict) -> None:
    """A worker's result: one JSON line on stdout, marked so the parent finds it among the run's own output."""
    print("RESULT " + json.dumps(result), flush=True)
