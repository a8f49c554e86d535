"""Tokenize a corpus, cut it into blocks of one length and write them as TFRecord shards (local or gs://).

    python tpu/write_shards.py --task masked_lm --tokenizer tokenizer/ \
        --corpus ../shared/data/imdb/aclImdb/train --output gs://my-bucket/imdb-128 --sequence_length 128

Documents are tokenized as the recipe of --task does (masked_lm: each framed by [CLS] ... [SEP]; causal_lm:
each followed by the end-of-text token), concatenated in order and cut into blocks; the tokens after the
last full block are dropped. The tokenizer is saved beside the shards (tokenizer/), so the folder is all
that tpu/train.py needs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

PROG = "tpu/write_shards.py"
DOCUMENTS_AT_ONCE = 1000  # tokenized together; only one such batch of token lists is held in memory


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("masked_lm", "causal_lm"), required=True,
                        help="The recipe the shards are for: how documents are framed with special tokens.")
    parser.add_argument("--tokenizer", required=True, help="Tokenizer folder (train_tokenizer.py) or hub id.")
    parser.add_argument("--corpus", required=True, help="An aclImdb folder, a .txt file (one document per line), "
                        ".jsonl/.jsonl.gz records, or a folder of text or source files.")
    parser.add_argument("--output", required=True, help="Shard folder: a local path or gs://bucket/folder.")
    parser.add_argument("--sequence_length", type=int, default=128, help="Tokens per example (the block length).")
    parser.add_argument("--examples_per_shard", type=int, default=4096, help="Examples per shard file.")
    parser.add_argument("--text_column", default="text", help="Field of the documents in .jsonl records.")
    parser.add_argument("--max_documents", type=int, default=None, help="Use the first this many documents.")
    parser.add_argument("--overwrite_output_dir", action="store_true",
                        help="Replace the shards an earlier writing left in --output.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import kerastx  # noqa: F401  (Keras 2 before TensorFlow)
    from kerastx.config import print_error_and_exit
    from kerastx.errors import KerastxError
    from kerastx.startup_logs import quiet_start_up

    quiet_start_up()
    import tensorflow as tf

    try:
        index = write(args)
    except KerastxError as err:
        print_error_and_exit(str(err), PROG)
    except OSError as err:
        print_error_and_exit(f"{err.filename or args.output}: {err.strerror or err}", PROG)
    except tf.errors.OpError as err:  # gs://: no bucket, no permission
        print_error_and_exit(f"{args.output}: {' '.join(err.message.split())[:200]}", PROG)
    print(f"[shards] {index['examples']} examples of {index['sequence_length']} tokens in {len(index['shards'])} "
          f"shards -> {args.output}", flush=True)


def write(args) -> dict:
    from transformers import AutoTokenizer

    from kerastx.data.readers.text_corpus import read_text_corpus
    from kerastx.data.tfrecords import write_shards
    from kerastx.errors import ConfigError
    from kerastx.recipes.registry import RECIPES

    if args.sequence_length < 2:
        raise ConfigError(f"sequence_length must be at least 2, got {args.sequence_length}")
    recipe = RECIPES[args.task]
    data = recipe.data(recipe.config_class())  # the recipe's own rule for turning documents into token ids
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    corpus, source = read_text_corpus(args.corpus, args.text_column)
    texts = data.texts(corpus.select(range(min(args.max_documents or len(corpus), len(corpus)))), source)
    batches = (data.document_ids(tokenizer, texts[i:i + DOCUMENTS_AT_ONCE])
               for i in range(0, len(texts), DOCUMENTS_AT_ONCE))
    metadata = {"vocab_size": len(tokenizer), "tokenizer": args.tokenizer, "tokenizer_folder": "tokenizer",
                "task": args.task, "corpus": str(args.corpus), "documents": len(texts)}
    index = write_shards(blocks_of(batches, args.sequence_length), args.output, args.examples_per_shard, metadata,
                         overwrite=args.overwrite_output_dir)
    save_beside(tokenizer, os.path.join(args.output, "tokenizer"))
    return index


def blocks_of(batches, length: int):
    """The blocks of ``length`` tokens of the documents' ids (``batches`` of token lists) concatenated in
    order: each batch is cut into blocks, and the tokens left after its last block start the next."""
    import numpy as np

    from kerastx.data.blocks import group_into_blocks

    rest = np.zeros(0, np.int32)
    for ids in batches:
        tokens = np.concatenate([rest, *(np.asarray(document, np.int32) for document in ids)])
        blocks = group_into_blocks([tokens], length)
        yield from blocks
        rest = tokens[blocks.size:]


def save_beside(tokenizer, folder: str) -> None:
    """``tokenizer.save_pretrained`` into ``folder``, which may be on gs:// (copied file by file)."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as local:
        tokenizer.save_pretrained(local)
        tf.io.gfile.makedirs(folder)
        for name in os.listdir(local):
            tf.io.gfile.copy(os.path.join(local, name), os.path.join(folder, name), overwrite=True)


if __name__ == "__main__":
    sys.exit(main())
