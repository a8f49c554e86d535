"""What a task exports for serving: named SavedModel signatures, each with examples and what the trained model
says for them, so that an export can be checked in a fresh process (:mod:`kerastx.export`).

A recipe declares ``serving(config, model, tokenizer) -> list[Signature | Unsupported]`` beside its predictor;
the exporter knows no task. Signature names are shared across tasks:

- ``predict_ids``: token ids in (``input_ids``, ``attention_mask``, ``token_type_ids`` where the model takes
  them), the model's outputs for a client: probabilities, tag ids, start/end logits, per-token log-probs;
- ``predict_text``: raw text in, tokenized inside the graph (tensorflow-text), post-processed answers out;
- ``generate_ids`` / ``generate_text``: XLA-compiled ``generate`` (seq2seq and causal LM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Signature:
    """One serving signature.

    ``function`` is a ``tf.function`` with an ``input_signature`` (a batch of each input) returning a dict of
    tensors. ``examples`` is a batch of inputs as plain lists, column by column (``{"text": ["a", "b"]}``):
    the REST example and what the export is checked on. ``expected()`` is what the trained model says for them
    the Python way (HF tokenizer, model, predictor), as numpy arrays keyed like the outputs; ``tolerance`` says
    how far each compared output may be from it (0: identical, as for ids and strings).

    Example::

        Signature("predict_ids", serve_ids, "Class probabilities of tokenized texts.",
                  inputs={"input_ids": "int32 [batch, length]"}, outputs={"probabilities": "float32 [batch, labels]"},
                  examples={"input_ids": [[101, 2023, 102]]}, expected=lambda: {"logits": ...},
                  tolerance={"logits": 1e-5})
    """

    name: str
    function: Callable
    summary: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    examples: dict[str, list]
    expected: Callable[[], dict]
    tolerance: dict[str, float] = field(default_factory=dict)
    needs_text_ops: bool = False  # the graph uses tensorflow-text ops: a client process must import tensorflow_text
    trackables: tuple = ()  # what the function closes over besides the model (in-graph tokenizers, tables): saved with it


@dataclass
class Unsupported:
    """A signature this model cannot have, and why (written to serving.json, shown by the exporter)."""

    name: str
    reason: str
