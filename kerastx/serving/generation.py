"""XLA-compiled ``generate`` as a SavedModel serving function (the ``generate_ids`` signature).

One function serves any batch size and input length: XLA compiles it again for each new input shape when it
is called (a few seconds each, on the serving machine), as :class:`~kerastx.generation.bucketed.BucketedGenerator`
compiles once per bucket. Given the inputs a predictor pads, it returns exactly the ids the predictor generates:
``BucketedGenerator.generate_padded`` for a seq2seq model, ``Completer.generate_padded`` (greedy) for a causal LM.

transformers' TF ``generate`` was written for static shapes, and a serving function has no static batch size. Its
forced first/last token processors read the batch size from the scores' static shape: the ones here do the same
with tensor shapes (as :class:`~kerastx.generation.no_repeat_ngram.NoRepeatNGramProcessor` does for
``no_repeat_ngram_size``). Its beam search needs a static batch size in several places, so with ``num_beams > 1``
each row is searched as a batch of one, in a loop inside the compiled function: the ids the predictor generates for
each row alone (:func:`as_served`). A batch of several rows multiplies matrices of other shapes, which round in
other ways: where two beams are within rounding of each other, the predictor's batch of 8 can keep the other one
(seen on one CPU for a 120-step model, not on another). 8 rows take about twice as long as the predictor's batch of 8.
"""

from __future__ import annotations

import copy

import numpy as np
import tensorflow as tf
from transformers.generation.tf_logits_process import TFLogitsProcessor

from kerastx.generation.bucketed import GenerationOptions
from kerastx.generation.no_repeat_ngram import NoRepeatNGramProcessor
from kerastx.inference.completion import no_right_padding_warning


def generate_function(model, options: GenerationOptions, pad_token_id: int, left_padding: bool):
    """A ``tf.function`` (``input_ids``, ``attention_mask``: int32 ``[batch, length]``) -> ``{"sequences": ...}``,
    XLA-compiled, to serve ``model.generate`` with ``options`` in a SavedModel.

    ``left_padding`` says where clients put the padding of shorter rows: on the left, as ``Completer`` pads, or
    on the right, as ``BucketedGenerator`` pads. Rows are moved in the graph to the side the model generates from
    (a decoder-only model continues each row from its last column; an encoder-decoder model's positions count
    from the first), so both conventions give the same ids.

    Outputs, int32 ``[batch, out_length]``:

    - encoder-decoder: ``sequences``, the decoder's ids: the start token, then ``max_new_tokens`` columns
      (padded after the end token), as ``model.generate`` returns them;
    - decoder-only: ``sequences``, the ``max_new_tokens`` new ids only, the completion a client wants (and what
      ``Completer`` decodes); ``prompt_and_sequences``, the prompt as padded for the model followed by the new
      ids, as ``model.generate`` returns them (what ``Completer.format`` shows, before decoding).

    Example::

        serve = generate_function(model, GenerationOptions(max_new_tokens=32, num_beams=4), tokenizer.pad_token_id,
                                  left_padding=False)
        module = tf.Module()
        module.model_weights = list(model.weights)  # what the function reads (the Keras model would be traced too)
        module.generate_ids = serve
        tf.saved_model.save(module, "export/1", signatures={"generate_ids": serve})
    """
    decoder_only = not model.config.is_encoder_decoder
    forced = _forced_token_processors(model, options)
    processors = forced + ([NoRepeatNGramProcessor(options.no_repeat_ngram_size)] if options.no_repeat_ngram_size
                           else [])
    # transformers' no-repeat processor cannot be compiled, its forced-token ones need a static batch: ours replace them
    settings = {**options.generate_kwargs(), "no_repeat_ngram_size": 0, "forced_bos_token_id": None,
                "forced_eos_token_id": None, "pad_token_id": pad_token_id}
    ids_spec = tf.TensorSpec([None, None], tf.int32, name="input_ids")
    mask_spec = tf.TensorSpec([None, None], tf.int32, name="attention_mask")

    def generate(input_ids, attention_mask):
        with no_right_padding_warning():
            return model.generate(input_ids=input_ids, attention_mask=attention_mask, logits_processor=processors,
                                  **settings)

    def search_each_row(input_ids, attention_mask):
        # transformers' beam search reads the batch size from static shapes: each row is searched as a batch of one
        return tf.map_fn(lambda row: generate(row[0][None], row[1][None])[0], (input_ids, attention_mask),
                         fn_output_signature=tf.TensorSpec([None], tf.int32))

    @tf.function(input_signature=[ids_spec, mask_spec], jit_compile=True)
    def serve(input_ids, attention_mask):
        if left_padding != decoder_only:
            input_ids, attention_mask = _move_padding(input_ids, attention_mask, pad_token_id, to_left=decoder_only)
        sequences = (search_each_row if options.num_beams > 1 else generate)(input_ids, attention_mask)
        if decoder_only:
            return {"sequences": sequences[:, tf.shape(input_ids)[1]:], "prompt_and_sequences": sequences}
        return {"sequences": sequences}

    return serve


def as_served(generate_padded, options: GenerationOptions):
    """A predictor's ``generate_padded(input_ids, attention_mask)`` batched as :func:`generate_function` batches
    it: the whole batch at once for greedy search, each row as a batch of one for beam search. What the served ids
    are compared with, on the same shapes."""
    def generate(input_ids, attention_mask):
        if options.num_beams == 1:
            return np.asarray(generate_padded(input_ids, attention_mask))
        return np.concatenate([np.asarray(generate_padded(input_ids[row:row + 1], attention_mask[row:row + 1]))
                               for row in range(len(input_ids))])

    return generate


def _move_padding(input_ids, attention_mask, pad_token_id: int, to_left: bool):
    """Rows padded on one side, moved to the other: each row's tokens (its ones in the mask) shifted as a block."""
    length = tf.shape(input_ids)[1]
    shift = length - tf.reduce_sum(attention_mask, axis=1, keepdims=True)  # the padding of each row
    columns = tf.range(length)[None, :]
    # a token at column j moves to j + shift (to the left-padded layout) or comes from j + shift (to the right)
    source = columns - shift if to_left else columns + shift
    inside = (source >= 0) & (source < length)
    source = tf.clip_by_value(source, 0, length - 1)
    mask = tf.where(inside, tf.gather(attention_mask, source, batch_dims=1), 0)
    ids = tf.where(mask > 0, tf.gather(input_ids, source, batch_dims=1), pad_token_id)
    return ids, mask


class _ForcedToken(TFLogitsProcessor):
    """At the steps where ``applies(cur_len, buffer_length)``, only ``token_id`` can come next: its score is 0 and
    every other one -inf, as in transformers' ``TFForcedBOSTokenLogitsProcessor`` and
    ``TFForcedEOSTokenLogitsProcessor``, for a batch of any size."""

    def __init__(self, token_id: int, applies):
        self.token_id = token_id
        self.applies = applies

    def __call__(self, input_ids, scores, cur_len):
        # the buffer of ids holds max_length columns, whether or not they were generated yet
        applies = self.applies(cur_len, tf.shape(input_ids)[-1])
        only_token = tf.where(tf.range(tf.shape(scores)[-1]) == self.token_id, 0.0, float("-inf"))
        return tf.where(applies, tf.cast(only_token, scores.dtype)[None, :], scores)


def _forced_token_processors(model, options: GenerationOptions) -> list[TFLogitsProcessor]:
    """The forced first/last tokens that ``model.generate`` would apply with ``options``, in transformers' order."""
    resolved = copy.deepcopy(model.generation_config)
    resolved.update(**options.generate_kwargs())
    processors = []
    if resolved.forced_bos_token_id is not None:
        processors.append(_ForcedToken(resolved.forced_bos_token_id, lambda cur_len, max_length: cur_len == 1))
    if resolved.forced_eos_token_id is not None:
        processors.append(_ForcedToken(resolved.forced_eos_token_id,
                                       lambda cur_len, max_length: cur_len == max_length - 1))
    return processors
