"""Serving benchmark: export the MRPC and Tatoeba runs and time their signatures; one JSON line.

    .venv/bin/python benchmarks/mrpc.py --keep runs/bench_mrpc            # trains the runs once
    .venv/bin/python benchmarks/translation.py --keep runs/bench_tatoeba
    .venv/bin/python benchmarks/serving.py [--mrpc runs/bench_mrpc] [--tatoeba runs/bench_tatoeba]

MRPC (the packaged MiniLM fine-tuned): latency of ``predict_text`` (tokenized in the graph) against Python
tokenization + ``predict_ids``, at batch 1 and 32; the SavedModel's size; TFLite float and int8 and ONNX sizes and
their accuracy on MRPC dev beside the SavedModel's. Tatoeba (scratch Marian): XLA compilation and latency of
``generate_ids`` at batch 1 and 32. Latencies are medians over repeated calls on real validation inputs, in this
process, after a warm-up call per shape.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, cpu

import kerastx  # noqa: F401,E402  (before TensorFlow: it pins Keras 2)

MRPC_DEV = ROOT.parent / "shared/data/mrpc/dev.tsv"
TATOEBA = ROOT.parent / "shared/data/en_fr/tatoeba/fra.txt"


def median_ms(call, repeats: int) -> float:
    call()  # warm-up: traces, and compiles a new shape under XLA
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def size_mib(path: Path) -> float:
    """The size of a file, or of everything in a folder."""
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    return round(sum(f.stat().st_size for f in files) / 2**20, 1)


def mrpc_figures(run_dir: Path, output: Path) -> dict:
    import numpy as np
    import tensorflow as tf
    import tensorflow_text  # noqa: F401
    from transformers import AutoTokenizer

    from kerastx.data.files import read_data_file
    from kerastx.export.onnx import run_onnx
    from kerastx.export.run import export_recipe_run
    from kerastx.recipes.registry import read_run
    from kerastx.export.tflite import run_tflite

    started = time.perf_counter()
    export = export_recipe_run(read_run(run_dir)[0], run_dir, output=output, name="mrpc", tflite=True, onnx=True)
    export_seconds = round(time.perf_counter() - started, 1)
    table, _ = read_data_file(MRPC_DEV)
    firsts, seconds, labels = table["#1 String"][:], table["#2 String"][:], np.array(table["Quality"][:])
    tokenizer = AutoTokenizer.from_pretrained(str(run_dir))
    signatures = tf.saved_model.load(str(export.path)).signatures
    by_text, by_ids = signatures["predict_text"], signatures["predict_ids"]

    def text_call(size):
        return lambda: by_text(text=tf.constant(firsts[:size]), text_pair=tf.constant(seconds[:size]))

    def ids_call(size):
        def call():
            encoded = tokenizer(firsts[:size], seconds[:size], truncation=True, max_length=128, padding=True,
                                return_tensors="np")
            return by_ids(**{name: tf.constant(value, tf.int32) for name, value in encoded.items()})
        return call

    encoded = tokenizer(firsts, seconds, truncation=True, max_length=128, padding=True, return_tensors="np")
    inputs = {name: value.astype(np.int32) for name, value in encoded.items()}
    accuracy = {"savedmodel": _accuracy(by_ids(**{k: tf.constant(v) for k, v in inputs.items()})["logits"], labels)}
    tflite_folder, onnx_folder = output / "mrpc-tflite/1", output / "mrpc-onnx/1"
    for name, path in (("tflite_float", tflite_folder / "model.tflite"), ("tflite_int8", tflite_folder / "model_int8.tflite")):
        accuracy[name] = _accuracy(np.concatenate([run_tflite(path, _rows(inputs, start, 32))["logits"]
                                                   for start in range(0, len(labels), 32)]), labels)
    accuracy["onnx"] = _accuracy(run_onnx(onnx_folder / "model.onnx", inputs)["logits"], labels)
    return {
        "mrpc_export_seconds": export_seconds,
        "mrpc_savedmodel_mib": size_mib(export.path),
        "mrpc_tflite_float_mib": size_mib(tflite_folder / "model.tflite"),
        "mrpc_tflite_int8_mib": size_mib(tflite_folder / "model_int8.tflite"),
        "mrpc_onnx_mib": size_mib(onnx_folder / "model.onnx"),
        "mrpc_dev_accuracy": accuracy,
        "mrpc_text_signature_ms": {"batch_1": median_ms(text_call(1), 50), "batch_32": median_ms(text_call(32), 12)},
        "mrpc_python_tokenizer_plus_ids_ms": {"batch_1": median_ms(ids_call(1), 50),
                                              "batch_32": median_ms(ids_call(32), 12)},
    }


def _rows(inputs: dict, start: int, count: int) -> dict:
    return {name: value[start:start + count] for name, value in inputs.items()}


def _accuracy(logits, labels) -> float:
    import numpy as np

    return round(float(np.mean(np.argmax(np.asarray(logits), -1) == labels)), 4)


def tatoeba_figures(run_dir: Path, output: Path) -> dict:
    import numpy as np
    import tensorflow as tf
    from transformers import AutoTokenizer

    from kerastx.export.run import export_recipe_run
    from kerastx.recipes.registry import read_run

    export = export_recipe_run(read_run(run_dir)[0], run_dir, output=output, name="tatoeba")
    tokenizer = AutoTokenizer.from_pretrained(str(run_dir))
    sentences = [line.split("\t")[0] for line in TATOEBA.read_text(encoding="utf-8").splitlines()[-32:]]
    generate = tf.saved_model.load(str(export.path)).signatures["generate_ids"]
    figures = {"tatoeba_savedmodel_mib": size_mib(export.path)}
    for size in (1, 32):
        encoded = tokenizer(sentences[:size], padding="max_length", max_length=32, truncation=True,
                            return_tensors="np")
        ids, mask = (tf.constant(encoded[name].astype(np.int32)) for name in ("input_ids", "attention_mask"))
        started = time.perf_counter()
        generate(input_ids=ids, attention_mask=mask)
        figures[f"tatoeba_generate_first_call_s_batch_{size}"] = round(time.perf_counter() - started, 1)
        figures[f"tatoeba_generate_ms_batch_{size}"] = median_ms(lambda: generate(input_ids=ids, attention_mask=mask),
                                                                 10 if size == 1 else 5)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mrpc", default="runs/bench_mrpc")
    parser.add_argument("--tatoeba", default="runs/bench_tatoeba")
    args = parser.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        figures = {**mrpc_figures(Path(args.mrpc), Path(scratch)), **tatoeba_figures(Path(args.tatoeba), Path(scratch))}
    print(json.dumps({"benchmark": "serving", **figures, **cpu()}))


if __name__ == "__main__":
    main()
