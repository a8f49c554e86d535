"""Run signatures of a SavedModel in a process that imports TensorFlow and nothing of kerastx or transformers, as
TF Serving would: ``python reload_check.py SAVED_MODEL WORK_DIR SIGNATURE... [--text-ops]``.

Run by path (never as ``-m kerastx...``), so that kerastx is not imported. Each signature's inputs are the arrays
of ``WORK_DIR/<signature>.inputs.npz`` (strings as numpy unicode arrays); its outputs are written to
``WORK_DIR/<signature>.outputs.npz`` (strings decoded from UTF-8). ``--text-ops`` imports tensorflow_text first,
which registers the ops of an in-graph tokenizer. Exits 3 if kerastx, transformers or torch got imported after all.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _as_numpy(value):
    import numpy as np

    array = value.numpy()
    if array.dtype == object:  # tf.string -> bytes
        return np.vectorize(lambda item: item.decode("utf-8"), otypes=[str])(array) if array.size else array.astype(str)
    return array


def main(argv):
    flags = [arg for arg in argv if arg.startswith("--")]
    saved_model, work_dir, *signature_names = [arg for arg in argv if not arg.startswith("--")]
    import numpy as np
    import tensorflow as tf

    if "--text-ops" in flags:
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

    signatures = tf.saved_model.load(saved_model).signatures
    for name in signature_names:
        specs = signatures[name].structured_input_signature[1]
        with np.load(os.path.join(work_dir, f"{name}.inputs.npz")) as stored:  # typed as the signature says, as TF
            inputs = {key: tf.constant(stored[key], dtype=specs[key].dtype) for key in stored.files}  # Serving does
        outputs = {key: _as_numpy(value) for key, value in signatures[name](**inputs).items()}
        np.savez(os.path.join(work_dir, f"{name}.outputs.npz"), **outputs)
    leaked = sorted(name for name in ("kerastx", "transformers", "torch") if name in sys.modules)
    if leaked:
        print(f"reload_check: {', '.join(leaked)} got imported", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
