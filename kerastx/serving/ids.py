"""The pieces every task's serving shares: the token-id inputs of a model, examples tokenized the Python way, and
whether raw text can be tokenized inside the graph."""

from __future__ import annotations

from typing import Callable

from kerastx.serving.base import Unsupported

ID_MEANINGS = {"input_ids": "token ids as the tokenizer in assets.extra/tokenizer gives them, padded on the right",
               "attention_mask": "1 for tokens, 0 for padding",
               "token_type_ids": "0 for the first text's tokens, 1 for the second's"}


def id_names(tokenizer) -> list[str]:
    """The model inputs the tokenizer produces, in the order the signature takes them."""
    return [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in tokenizer.model_input_names]


def ids_function(names: list[str], outputs: Callable, extra: dict | None = None):
    """A ``tf.function`` taking int32 ``[batch, length]`` inputs named ``names`` (plus ``extra``: name ->
    TensorSpec) and returning ``outputs(inputs_dict)``."""
    import tensorflow as tf

    specs = [tf.TensorSpec([None, None], tf.int32, name=name) for name in names]
    specs += [spec for spec in (extra or {}).values()]
    all_names = names + list(extra or {})
    return tf.function(lambda *tensors: outputs(dict(zip(all_names, tensors))), input_signature=specs)


def tokenized(tokenizer, texts: list[str], pairs: list[str] | None = None, **options) -> dict[str, list]:
    """``texts`` (and ``pairs``) tokenized by the HF tokenizer, padded: the ids signature's example inputs."""
    encoded = tokenizer(texts, pairs, padding=True, return_tensors="np", **options)
    return {name: encoded[name].astype("int32").tolist() for name in id_names(tokenizer)}


def text_problem(tokenizer) -> str | None:
    """Why raw text cannot be tokenized inside the graph for this tokenizer (None: it can)."""
    try:
        import tensorflow_text  # noqa: F401
    except ImportError:
        return "tensorflow-text is not installed (pip install 'kerastx[serving]')"
    from kerastx.serving.text_graph import graph_tokenizer_problem

    return graph_tokenizer_problem(tokenizer)


def unsupported_text(name: str, problem: str, instead: str = "predict_ids") -> Unsupported:
    return Unsupported(name, f"the tokenizer cannot run inside the graph: {problem}; tokenize in the client and "
                             f"call {instead}")


def log_softmax(logits):
    """Log-probabilities over the last axis, in float64 numpy: what a signature's float32 ones are compared with."""
    import numpy as np

    shifted = np.asarray(logits, np.float64)
    shifted = shifted - shifted.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
