"""Input pipeline throughput for masked LM: TFRecord shards read and masked in tf.data (ShardedBlocks) vs
transformers' ``model.prepare_tf_dataset`` with its masking collator, and the recipe's own in-memory pipeline
(``build_train_dataset``, masked per batch in numpy), on the same blocks of IMDB reviews (MiniLM tokenizer).
Prints one JSON line of examples per second.

    python benchmarks/input_pipeline.py                   # 2,000 reviews, batches of 32 blocks of 128 tokens
    python benchmarks/input_pipeline.py --reviews 5000 --batch_size 64
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from common import ROOT, cpu


def examples_per_second(dataset, batch_size: int) -> tuple[float, int]:
    """Examples per second over one pass of ``dataset`` (after its first batch, which pays for start-up)."""
    batches = iter(dataset)
    next(batches)
    started, count = time.perf_counter(), 0
    for _ in batches:
        count += 1
    return count * batch_size / (time.perf_counter() - started), count + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=2000, help="IMDB reviews tokenized into blocks.")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--sequence_length", type=int, default=128)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "imdb" / "aclImdb" / "train"))
    args = parser.parse_args()

    import kerastx  # first: Keras 2 before TensorFlow loads

    import datasets
    from transformers import AutoTokenizer, BertConfig, DataCollatorForLanguageModeling, TFBertForMaskedLM

    from kerastx.data.blocks import group_into_blocks
    from kerastx.data.features import FeatureCollator, FeatureSpec
    from kerastx.data.masking import MaskingRule
    from kerastx.data.pipeline import DataPosition, build_train_dataset
    from kerastx.data.readers.text_corpus import read_text_corpus
    from kerastx.data.tfrecords import ShardedBlocks, write_shards

    tokenizer = kerastx.from_pretrained(AutoTokenizer, "minilm")
    reviews, _ = read_text_corpus(args.data)
    texts = reviews.shuffle(seed=0)["text"][:args.reviews]
    blocks = group_into_blocks(tokenizer(texts)["input_ids"], args.sequence_length)
    rule = MaskingRule.for_tokenizer(tokenizer)

    with tempfile.TemporaryDirectory() as folder:
        write_shards(blocks, folder, examples_per_shard=1024)
        shards = ShardedBlocks(folder).dataset(args.batch_size, seed=0, epoch=0,
                                               masking=rule)
        tfrecord_rate, tfrecord_batches = examples_per_second(shards, args.batch_size)

    # the model only tells prepare_tf_dataset which columns it takes; a tiny one builds in no time
    model = TFBertForMaskedLM(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, intermediate_size=64))
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15, return_tensors="np")
    prepared = model.prepare_tf_dataset(datasets.Dataset.from_dict({"input_ids": blocks}), args.batch_size,
                                        shuffle=True, collate_fn=collator, drop_remainder=True)
    prepared_rate, prepared_batches = examples_per_second(prepared, args.batch_size)
    # what the masked-LM recipe reads from memory: its generator pipeline, masked per batch in numpy
    rows = build_train_dataset(model, datasets.Dataset.from_dict({"input_ids": blocks}),
                               FeatureCollator(FeatureSpec.model_inputs(tokenizer)), args.batch_size, seed=0,
                               position=DataPosition(), drop_remainder=True, masking=rule)
    recipe_rate, recipe_batches = examples_per_second(rows, args.batch_size)

    print(json.dumps({
        "benchmark": "input_pipeline",
        "task": "masked_lm",
        "examples": len(blocks),
        "batch_size": args.batch_size,
        "sequence_length": args.sequence_length,
        "batches": {"tfrecord_shards": tfrecord_batches, "prepare_tf_dataset": prepared_batches,
                    "kerastx_rows": recipe_batches},
        "tfrecord_shards_examples_per_second": round(tfrecord_rate, 1),
        "prepare_tf_dataset_examples_per_second": round(prepared_rate, 1),
        "kerastx_rows_examples_per_second": round(recipe_rate, 1),
        "speedup": round(tfrecord_rate / prepared_rate, 2),
        **cpu(),
    }))


if __name__ == "__main__":
    main()
