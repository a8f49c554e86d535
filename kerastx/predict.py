"""Predict with a finished run: ``python -m kerastx.predict RUN_DIR "some text" ... [--file FILE]``.

The task is read from the run's ``config.yaml``; each recipe formats its own predictions.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import yaml

from kerastx.config import OneLineParser, print_error_and_exit
from kerastx.errors import KerastxError

PROG = "python -m kerastx.predict"


def classify(model, tokenizer, texts, pairs=None, max_length: int = 128, batch_size: int = 32):
    """[(label name, probability)] for each text (or text pair), with a TF sequence classifier."""
    import numpy as np
    import tensorflow as tf

    results = []
    for start in range(0, len(texts), batch_size):
        batch_pairs = pairs[start:start + batch_size] if pairs else None
        inputs = tokenizer(texts[start:start + batch_size], batch_pairs, truncation=True, max_length=max_length,
                           padding=True, return_tensors="np")
        logits = model({k: v for k, v in inputs.items() if k in tokenizer.model_input_names}, training=False).logits
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1).numpy()
        for row in probabilities:
            best = int(np.argmax(row))
            results.append((model.config.id2label[best], float(row[best])))
    return results


def load_trained(run_dir, model_class: str):
    """``(tokenizer, model)`` saved in a run directory; ``model_class`` names a transformers TF auto class.
    Transformers' loading notes are silenced, so that only predictions reach the output."""
    import transformers
    from transformers import AutoTokenizer

    transformers.logging.set_verbosity_error()
    return AutoTokenizer.from_pretrained(str(run_dir)), getattr(transformers, model_class).from_pretrained(str(run_dir))


def read_inputs(texts: list[str], file: str | None) -> list[str]:
    inputs = list(texts)
    if file:
        path = Path(file)
        if not path.is_file():
            raise KerastxError(f"--file {file}: no such file")
        inputs += [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not inputs:
        raise KerastxError("nothing to predict: give texts as arguments or --file FILE (one per line)")
    return inputs


def load_run(run_dir: str):
    """(recipe, resolved config dict) of a finished run directory."""
    config_file = Path(run_dir) / "config.yaml"
    if not config_file.is_file():
        raise KerastxError(f"{run_dir}: not a kerastx run directory (no config.yaml)")
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    module = importlib.import_module(f"kerastx.recipes.{config['recipe']}")
    return module.RECIPE, config


def main(argv=None):
    parser = OneLineParser(prog=PROG, description="Predict with the model of a finished kerastx run.")
    parser.add_argument("run_dir", help="A run directory written by a kerastx recipe.")
    parser.add_argument("texts", nargs="*", help="Texts to predict on.")
    parser.add_argument("--file", help="A file with one input per line.")
    parser.add_argument("--sep", default="\t", help="Separator of the two sentences of a pair in one input.")
    args = parser.parse_args(argv)
    try:
        recipe, config = load_run(args.run_dir)
        inputs = read_inputs(args.texts, args.file)
        for line in recipe.predict(args.run_dir, config, inputs, args):
            print(line)
    except KerastxError as err:
        print_error_and_exit(str(err), PROG)


if __name__ == "__main__":
    sys.exit(main())
