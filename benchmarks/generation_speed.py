"""Generation speed: XLA-compiled, length-bucketed ``generate`` against eager ``generate`` on the same
trained translation model and the same batch of Tatoeba sentences, greedy and beam 4, timed in the
steady state (after compilation, and after a short warm-up call of eager ``generate``), both averaged
over ``--repeats`` calls; plus the compile time of each length bucket. Prints one JSON line.

    .venv/bin/python benchmarks/translation.py --keep runs/tatoeba   # trains the model once
    .venv/bin/python benchmarks/generation_speed.py runs/tatoeba [--batch_sizes 1 4 32] [--repeats 3]

Target (issue 3): XLA >= 50x faster than eager on this CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from common import ROOT


BUCKETS = [16, 32]


def timed(call, repeats: int) -> float:
    """Mean seconds of ``call()`` over ``repeats`` calls."""
    started = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - started) / repeats


def measure(model, tokenizer, sentences: list[str], max_new_tokens: int, repeats: int) -> dict:
    """Greedy and beam-4 timings of XLA and eager ``generate`` on one batch of ``sentences``."""
    from kerastx.generation.bucketed import BucketedGenerator, GenerationOptions

    encoded = tokenizer(sentences, truncation=True, max_length=BUCKETS[-1])["input_ids"]
    results = {}
    for name, beams in (("greedy", 1), ("beam4", 4)):
        options = GenerationOptions(max_new_tokens=max_new_tokens, num_beams=beams)
        generator = BucketedGenerator(model, tokenizer, BUCKETS, len(sentences), options)
        compile_seconds, xla_seconds = {}, {}
        for bucket in BUCKETS:
            batch = generator.pad(encoded, bucket)
            first = timed(lambda: generator.generate_padded(*batch), 1)
            xla_seconds[bucket] = timed(lambda: generator.generate_padded(*batch), repeats)
            compile_seconds[bucket] = round(first - xla_seconds[bucket], 2)
        settings = {"max_new_tokens": max_new_tokens, "num_beams": beams, "do_sample": False}
        input_ids, attention_mask = generator.pad(encoded, BUCKETS[-1])
        model.generate(input_ids=input_ids, attention_mask=attention_mask, **{**settings, "max_new_tokens": 2})
        eager = timed(lambda: model.generate(input_ids=input_ids, attention_mask=attention_mask, **settings), repeats)
        results[name] = {"xla_seconds": round(xla_seconds[BUCKETS[-1]], 4), "eager_seconds": round(eager, 3),
                         "speedup": round(eager / xla_seconds[BUCKETS[-1]], 1),
                         "compile_seconds_by_bucket": compile_seconds, "compilations": generator.compilations}
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="A translation run directory (see benchmarks/translation.py --keep).")
    parser.add_argument("--batch_sizes", type=int, nargs="+", default=[1, 4, 32])
    parser.add_argument("--max_new_tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import kerastx  # noqa: F401  (Keras 2 before TensorFlow)
    from transformers import AutoTokenizer, TFAutoModelForSeq2SeqLM

    from kerastx.data.readers.parallel import read_tab_pairs

    model = TFAutoModelForSeq2SeqLM.from_pretrained(args.run_dir)
    tokenizer = AutoTokenizer.from_pretrained(args.run_dir)
    pairs, _ = read_tab_pairs(ROOT.parent / "shared/data/en_fr/tatoeba/fra.txt", "en", "fr")
    sentences = list(pairs.shuffle(seed=0).select(range(max(args.batch_sizes)))["en"])
    by_batch = {size: measure(model, tokenizer, sentences[:size], args.max_new_tokens, args.repeats)
                for size in args.batch_sizes}
    print(json.dumps({"benchmark": "generation_speed", "run_dir": args.run_dir, "input_length": BUCKETS[-1],
                      "max_new_tokens": args.max_new_tokens, "by_batch_size": by_batch,
                      "cpu_count": os.cpu_count()}))


if __name__ == "__main__":
    main(sys.argv[1:])
