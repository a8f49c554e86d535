"""Serving a seq2seq model (translation, summarization): the log-probability of each token of given targets, and
XLA ``generate`` with the run's decoding options; raw text in only where the tokenizer runs in the graph."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.generate_signature import generate_signature
from kerastx.serving.ids import ID_MEANINGS, log_softmax, text_problem, unsupported_text

SOURCES = ["I'm hungry.", "Where is the station?", "The meeting was moved to Friday because of the strike."]


def seq2seq_serving(config, generator) -> list:
    """``predict_ids`` and ``generate_ids`` for a :class:`~kerastx.generation.bucketed.BucketedGenerator`."""
    import numpy as np
    import tensorflow as tf

    model, tokenizer = generator.model, generator.tokenizer
    sources = [generator.prefix + text for text in SOURCES]
    encoded = tokenizer(sources, truncation=True, max_length=generator.buckets[-1])["input_ids"]
    input_ids, attention_mask = generator.pad(encoded, bucket=max(map(len, encoded)))
    input_ids, attention_mask = input_ids[:len(encoded)], attention_mask[:len(encoded)]
    examples = {"input_ids": input_ids.tolist(), "attention_mask": attention_mask.tolist()}
    generated = generate_signature(
        model, tokenizer, generator.options, tokenizer.pad_token_id, left_padding=False, examples=examples,
        expected_ids=generator.generate_padded, strip=True,
        summary=f"Generated ids ({_decoding(generator.options)}), as kerastx.predict generates them.",
        outputs={"sequences": "the decoder's ids: its start token, then at most "
                              f"{generator.options.max_new_tokens} tokens, padded after the end token"})
    labels = tokenizer(text_target=["J'ai faim.", "Où est la gare ?", "La réunion a été déplacée à vendredi."],
                       padding=True, return_tensors="np")["input_ids"].astype(np.int32)
    start = model.config.decoder_start_token_id

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name=name)
                                  for name in ("input_ids", "attention_mask", "labels")])
    def token_log_probs(input_ids, attention_mask, labels):
        decoder_input_ids = tf.concat([tf.fill([tf.shape(labels)[0], 1], start), labels[:, :-1]], axis=1)
        logits = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=decoder_input_ids,
                       training=False).logits
        log_probs = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
        return {"token_log_probs": tf.gather(log_probs, labels, batch_dims=2)}

    def expected():
        decoder_input_ids = np.concatenate([np.full((len(labels), 1), start), labels[:, :-1]], axis=1)
        log_probs = log_softmax(model(input_ids=np.asarray(input_ids), attention_mask=np.asarray(attention_mask),
                                      decoder_input_ids=decoder_input_ids, training=False).logits)
        return {"token_log_probs": np.take_along_axis(log_probs, labels[..., None], -1)[..., 0]}

    scores = Signature(
        "predict_ids", token_log_probs, "Log-probability of each token of given targets (to score or rank them).",
        inputs={"input_ids": ID_MEANINGS["input_ids"], "attention_mask": ID_MEANINGS["attention_mask"],
                "labels": "target ids as the tokenizer gives them (text_target=...), padded on the right"},
        outputs={"token_log_probs": "log P(label | source, the labels before it); sum a row's over its real tokens "
                                    "for the target's log-probability"},
        examples={**examples, "labels": labels.tolist()}, expected=expected, tolerance={"token_log_probs": 1e-5})
    problem = text_problem(tokenizer) or (None if "text" in generated.outputs else "its ids cannot be decoded there")
    if problem:
        return [scores, generated, unsupported_text("generate_text", problem, instead="generate_ids")]
    return [scores, generated, text_to_text_signature(generator, generated)]


def text_to_text_signature(generator, generated: Signature) -> Signature:
    """``generate_text``: source texts in (tokenized in the graph, with the run's source prefix), generated texts out."""
    import tensorflow as tf

    from kerastx.serving.text_graph import GraphTokenizer

    graph_tokenizer = GraphTokenizer(generator.tokenizer, generator.buckets[-1])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def text_to_text(text):
        encoded = graph_tokenizer.encode(tf.strings.join([generator.prefix, text]))
        return {"text": generated.function(encoded["input_ids"], encoded["attention_mask"])["text"]}

    return Signature("generate_text", text_to_text, generated.summary.replace("Generated ids", "Generated text"),
                     inputs={"text": "the source texts"}, outputs={"text": "what the model generates for each"},
                     examples={"text": SOURCES}, expected=lambda: {"text": generated.expected()["text"]},
                     tolerance={"text": 0}, needs_text_ops=True, trackables=(graph_tokenizer, *generated.trackables))


def _decoding(options) -> str:
    search = "greedy search" if options.num_beams == 1 else f"beam search, {options.num_beams} beams"
    extra = f", no repeated {options.no_repeat_ngram_size}-grams" if options.no_repeat_ngram_size else ""
    return f"{search}{extra}, at most {options.max_new_tokens} new tokens, XLA"
