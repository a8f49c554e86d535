"""Train a language model on TFRecord shards (write_shards.py) on a TPU, or on CPU/GPU where there is none.

    python tpu/train.py masked_lm --train_shards gs://my-bucket/imdb-128 --model scratch:bert-mini \
        --batch_size 256 --epochs 3 --output_dir runs/imdb-mlm
    python tpu/train.py causal_lm --train_shards shards/code --model scratch:gpt2-small --max_steps 2000

Any option after the task is the recipe's (``python -m kerastx.recipes.masked_lm --help`` lists them). The
TPU is looked for first (--tpu, TPU_NAME or COLAB_TPU_ADDR, else one attached to this machine); without
one, one line says so and the run goes on with the recipe's usual choice (GPUs, else the CPU). The
tokenizer is the one saved with the shards unless --tokenizer names another.
"""

from __future__ import annotations

import argparse
import os
import tempfile

PROG = "tpu/train.py"


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0], epilog=(
        "Other options are passed to the recipe: python -m kerastx.recipes.<task> --help lists them."))
    parser.add_argument("task", choices=("masked_lm", "causal_lm"), help="The language-modelling recipe to run.")
    parser.add_argument("--train_shards", required=True, help="Shard folder written by write_shards.py (local or "
                        "gs://).")
    parser.add_argument("--tpu", default=None, help="TPU name or grpc:// address (default: TPU_NAME, "
                        "COLAB_TPU_ADDR, else a TPU attached to this machine).")
    return parser.parse_known_args(argv)


def find_tpu(name: str | None) -> str | None:
    """The TPU to train on (a name, an address or "local"), connected and initialized; None, after one line
    saying why, where there is none."""
    import tensorflow as tf

    if tf.config.list_logical_devices("TPU"):  # connected already (the notebook's connect cell)
        return name or os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR") or "local"
    announced = name or os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=announced or "local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, ImportError, tf.errors.OpError) as err:
        reason = " ".join(str(err).split()).split(". ")[0][:120]
        print(f"[tpu] no TPU found ({type(err).__name__}: {reason}): training on CPU/GPU instead", flush=True)
        return None
    print(f"[tpu] {len(tf.config.list_logical_devices('TPU'))} TPU cores ({announced or 'attached'})", flush=True)
    return announced or "local"


def local_tokenizer(index) -> str:
    """The folder of the tokenizer saved with the shards, copied to a local folder when the shards are remote."""
    import tensorflow as tf

    from kerastx.errors import DataError

    folder = os.path.join(index.folder, index.metadata.get("tokenizer_folder") or "tokenizer")
    if not tf.io.gfile.isdir(folder):
        raise DataError(f"shard folder {index.folder} has no tokenizer/ beside the shards: give --tokenizer, the "
                        f"tokenizer they were written with ({index.metadata.get('tokenizer', 'not recorded')})")
    if "://" not in folder:
        return folder
    local = tempfile.mkdtemp(prefix="kerastx-tokenizer-")
    for name in tf.io.gfile.listdir(folder):
        tf.io.gfile.copy(os.path.join(folder, name), os.path.join(local, name))
    return local


def given(flag: str, argv: list[str]) -> bool:
    return any(arg == flag or arg.startswith(f"{flag}=") for arg in argv)


def main(argv: list[str] | None = None):
    args, recipe_argv = parse_args(argv)
    import kerastx  # noqa: F401  (Keras 2 before TensorFlow)
    from kerastx.cli import run_cli
    from kerastx.config import print_error_and_exit
    from kerastx.data.tfrecords import read_index
    from kerastx.errors import KerastxError
    from kerastx.recipes.registry import get_recipe
    from kerastx.startup_logs import quiet_start_up

    quiet_start_up()
    try:
        index = read_index(args.train_shards)  # a broken folder is one line before any TPU is touched
        if not given("--tokenizer", recipe_argv):
            recipe_argv += ["--tokenizer", local_tokenizer(index)]
        if not given("--max_length", recipe_argv):
            recipe_argv += ["--max_length", str(index.sequence_length)]
    except KerastxError as err:
        print_error_and_exit(str(err), PROG)
    tpu = find_tpu(args.tpu)
    if tpu and not given("--strategy", recipe_argv):
        recipe_argv += ["--strategy", "tpu", "--tpu", tpu]
    return run_cli(get_recipe(args.task), ["--train_shards", args.train_shards, *recipe_argv])


if __name__ == "__main__":
    main()
