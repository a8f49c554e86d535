"""Serving a causal language model: the log-probability of each token of given texts, and XLA greedy completion
of prompts (sampling is left to clients: a served model should answer the same prompt the same way)."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.generate_signature import generate_signature
from kerastx.serving.ids import ID_MEANINGS, log_softmax, text_problem, unsupported_text

PROMPTS = ["def add(a, b):\n    ", "import os\n\n\ndef main():\n    path = ", "The"]


def causal_lm_serving(config, completer) -> list:
    """``predict_ids`` and ``generate_ids`` for a :class:`~kerastx.inference.completion.Completer`."""
    import numpy as np
    import tensorflow as tf

    from kerastx.generation.bucketed import GenerationOptions
    from kerastx.inference.completion import Completer

    model, tokenizer = completer.model, completer.tokenizer
    greedy = Completer(model, tokenizer, completer.buckets, completer.batch_size, completer.max_new_tokens) \
        if completer.sampling.do_sample else completer
    encoded = [ids or [tokenizer.eos_token_id] for ids in tokenizer(PROMPTS)["input_ids"]]
    left_padded = [array[:len(encoded)] for array in greedy.pad(encoded, bucket=max(map(len, encoded)))]
    generated = generate_signature(
        model, tokenizer, GenerationOptions(max_new_tokens=completer.max_new_tokens), greedy.pad_token_id,
        left_padding=True, examples={"input_ids": left_padded[0].tolist(), "attention_mask": left_padded[1].tolist()},
        expected_ids=greedy.generate_padded, strip=False,
        summary=f"Greedy completion of prompts: at most {completer.max_new_tokens} new tokens, XLA.",
        outputs={"sequences": "the new ids only (end-of-text, then padding, once the text ends)",
                 "prompt_and_sequences": "the prompt as given, then the new ids"})

    right_padded = tokenizer(PROMPTS, padding=True, return_tensors="np")

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=name)
                                  for name in ("input_ids", "attention_mask")])
    def token_log_probs(input_ids, attention_mask):
        logits = tf.cast(model(input_ids=input_ids, attention_mask=attention_mask, training=False).logits, tf.float32)
        log_probs = tf.nn.log_softmax(logits[:, :-1], axis=-1)
        following = tf.gather(log_probs, input_ids[:, 1:], batch_dims=2)
        return {"token_log_probs": tf.pad(following, [[0, 0], [1, 0]])}

    def expected():
        ids, mask = right_padded["input_ids"], right_padded["attention_mask"]
        log_probs = log_softmax(model(input_ids=ids, attention_mask=mask, training=False).logits)[:, :-1]
        following = np.take_along_axis(log_probs, ids[:, 1:, None], -1)[..., 0]
        return {"token_log_probs": np.pad(following, [(0, 0), (1, 0)])}

    scores = Signature(
        "predict_ids", token_log_probs, "Log-probability of each token given the ones before it (to score texts).",
        inputs={"input_ids": ID_MEANINGS["input_ids"], "attention_mask": ID_MEANINGS["attention_mask"]},
        outputs={"token_log_probs": "log P(token | the tokens before it); 0 for the first token. Sum a row's over "
                                    "its real tokens after the first for the text's log-probability"},
        examples={name: right_padded[name].astype(np.int32).tolist() for name in ("input_ids", "attention_mask")},
        expected=expected, tolerance={"token_log_probs": 1e-5})
    problem = text_problem(tokenizer) or "prompts of a causal LM are not tokenized in the graph"
    return [scores, generated, unsupported_text("generate_text", problem, instead="generate_ids")]
