"""The ``generate_ids`` signature of seq2seq and causal language models: XLA ``generate`` with the run's decoding
options (:func:`kerastx.serving.generation.generate_function`), and the text of what it generated, decoded inside
the graph where the tokenizer allows it (:mod:`kerastx.serving.detokenize`)."""

from __future__ import annotations

from typing import Callable

from kerastx.serving.base import Signature
from kerastx.serving.ids import ID_MEANINGS


def generate_signature(model, tokenizer, options, pad_token_id: int, left_padding: bool, examples: dict,
                       expected_ids: Callable, summary: str, strip: bool, outputs: dict) -> Signature:
    """``generate_ids``: ``examples`` (input_ids, attention_mask) and ``expected_ids(input_ids, attention_mask)`` ->
    the ids the predictor generates for them (for each row alone under beam search, as the signature searches);
    ``outputs`` describes the ids outputs. ``text`` joins them when the tokenizer decodes in the graph (stripped of
    surrounding spaces with ``strip``, as the predictor does)."""
    import numpy as np
    import tensorflow as tf

    from kerastx.serving.detokenize import GraphDetokenizer, graph_detokenizer_problem
    from kerastx.serving.generation import as_served, generate_function

    generate = generate_function(model, options, pad_token_id, left_padding)
    expected_ids = as_served(expected_ids, options)
    inputs = {name: np.asarray(examples[name], np.int32) for name in ("input_ids", "attention_mask")}
    padding = "left" if left_padding else "right"
    meanings = {"input_ids": ID_MEANINGS["input_ids"].replace("on the right", f"on the {padding}"),
                "attention_mask": ID_MEANINGS["attention_mask"]}
    problem = graph_detokenizer_problem(tokenizer)
    if problem:
        def expected():
            return {"sequences": np.asarray(expected_ids(**inputs))}

        summary += f" (no text output: {problem})"
        return Signature("generate_ids", generate, summary, meanings, outputs, examples, expected,
                         tolerance={"sequences": 0})
    detokenizer = GraphDetokenizer(tokenizer, strip=strip)
    spec = generate.input_signature

    @tf.function(input_signature=spec)
    def generate_with_text(input_ids, attention_mask):
        generated = generate(input_ids, attention_mask)
        return {**generated, "text": detokenizer(generated["sequences"])}

    def expected_with_text():
        ids = np.asarray(expected_ids(**inputs))
        texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
        return {"sequences": ids, "text": np.array([text.strip() if strip else text for text in texts])}

    return Signature("generate_ids", generate_with_text, summary, meanings,
                     {**outputs, "text": "the generated text, decoded in the graph"}, examples, expected_with_text,
                     tolerance={"sequences": 0, "text": 0}, trackables=(detokenizer,))
