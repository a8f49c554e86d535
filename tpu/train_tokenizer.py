"""Train a tokenizer on a text corpus and save it as a Hugging Face tokenizer folder (for write_shards.py).

    python tpu/train_tokenizer.py --corpus ../shared/data/imdb/aclImdb/train --output tokenizer/
    python tpu/train_tokenizer.py --corpus code.jsonl.gz --architecture gpt2 --vocab_size 32000 --output tok/

bert: WordPiece with [CLS] [SEP] [MASK] (masked language modelling); gpt2: byte-level BPE with <|endoftext|>
(causal language modelling). The corpus is read as the language-modelling recipes read --train_file.
"""

from __future__ import annotations

import argparse
import sys

ALGORITHMS = {"bert": "wordpiece", "gpt2": "bpe"}
PROG = "tpu/train_tokenizer.py"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True, help="An aclImdb folder, a .txt file (one document per line), "
                        ".jsonl/.jsonl.gz records, or a folder of text or source files.")
    parser.add_argument("--output", required=True, help="Folder to save the tokenizer in (local).")
    parser.add_argument("--architecture", choices=ALGORITHMS, default="bert",
                        help="Special tokens and algorithm: bert (WordPiece, masked LM) or gpt2 (byte-level BPE, "
                        "causal LM).")
    parser.add_argument("--vocab_size", type=int, default=8000, help="Tokens in the vocabulary.")
    parser.add_argument("--text_column", default="text", help="Field of the documents in .jsonl records.")
    parser.add_argument("--max_documents", type=int, default=None, help="Train on the first this many documents.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import kerastx  # noqa: F401  (Keras 2 before TensorFlow)
    from kerastx.config import print_error_and_exit
    from kerastx.data.readers.text_corpus import read_text_corpus
    from kerastx.errors import KerastxError
    from kerastx.models.scratch import train_tokenizer

    try:
        corpus, _ = read_text_corpus(args.corpus, args.text_column)
        texts = corpus["text"][:args.max_documents]
        tokenizer = train_tokenizer(texts, args.architecture, ALGORITHMS[args.architecture], args.vocab_size)
        tokenizer.save_pretrained(args.output)
    except KerastxError as err:
        print_error_and_exit(str(err), PROG)
    except OSError as err:
        print_error_and_exit(f"{err.filename or args.output}: {err.strerror or err}", PROG)
    print(f"[tokenizer] {len(tokenizer)} tokens ({args.architecture}, {ALGORITHMS[args.architecture]}) from "
          f"{len(texts)} documents -> {args.output}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
