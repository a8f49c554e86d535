"""Text completion with a decoder-only model (GPT-2 and kin): the prompt continued by XLA-compiled ``generate``.

As for seq2seq generation (:mod:`kerastx.generation.bucketed`), prompts are padded to a fixed batch size
and to the smallest of a few length buckets, so that XLA compiles once per bucket. The padding goes on
the left: a decoder-only model continues each row from its last position.
"""

from __future__ import annotations

import logging
import zlib
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from kerastx.errors import ConfigError
from kerastx.generation.bucketed import BucketedGenerator
from kerastx.generation.seeded_sampling import SamplingOptions


class _DropRightPaddingWarning(logging.Filter):
    def filter(self, record):
        return "right-padding was detected" not in record.getMessage()


@contextmanager
def no_right_padding_warning():
    """Without transformers' right-padding warning: traced, its check on the last column warns whatever the
    values; eagerly, a prompt that ends with the end-of-text token (which also pads) sets it off."""
    logger = logging.getLogger("transformers.generation.tf_utils")
    quiet = _DropRightPaddingWarning()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


class Completion(NamedTuple):
    prompt: str
    completion: str  # the generated text only


class Completer(BucketedGenerator):
    """Prompts in, :class:`Completion` results out (a predictor: see :mod:`kerastx.predictor`).

    Prompts longer than the last bucket keep their end, the text the completion follows. Generation stops
    at the end-of-text token or after ``max_new_tokens``. With ``sampling.do_sample``, the same prompts and
    seed give the same completions on every call and every run (the seed is combined with each batch's
    padded ids, so a prompt's sample also depends on the prompts batched with it).

    Example::

        completer = Completer(model, tokenizer, buckets=[32, 64, 128], batch_size=8, max_new_tokens=48,
                              sampling=SamplingOptions(do_sample=True, top_p=0.95, temperature=0.8, seed=1))
        [result] = completer(["def fibonacci(n):\\n    "])
        print(completer.format(result))   # the prompt followed by its completion
        completer.compilations            # at most len(buckets)
    """

    # Shares BucketedGenerator's batching (generate_ids: prompts sorted by length, padded by `pad`, generated
    # by `generate_padded`); what it compiles and how it pads are its own.
    def __init__(self, model, tokenizer, buckets: list[int], batch_size: int = 8, max_new_tokens: int = 64,
                 sampling: SamplingOptions | None = None, jit_compile: bool = True):
        import tensorflow as tf

        positions = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", None)
        if positions is not None and max(buckets) + max_new_tokens > positions:
            raise ConfigError(f"max_new_tokens {max_new_tokens} after a prompt of up to {max(buckets)} tokens is more "
                              f"than the model's {positions} positions; use --max_new_tokens "
                              f"{positions - max(buckets)} or less, or shorter prompts")
        self.model = model
        self.tokenizer = tokenizer
        self.buckets = sorted(buckets)
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.sampling = sampling or SamplingOptions()
        # GPT-2's own tokenizer has no padding token; its end-of-text token pads, under the attention mask
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        sampling_options = self.sampling

        def generate(input_ids, attention_mask, seed):
            with no_right_padding_warning():
                return model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=False,
                                      max_new_tokens=max_new_tokens, pad_token_id=self.pad_token_id,
                                      logits_processor=sampling_options.processors(seed))

        self._generate = tf.function(generate, jit_compile=True) if jit_compile else generate

    def __call__(self, prompts: list[str]) -> list[Completion]:
        # special tokens as the tokenizer adds them (a BOS for some models), as the text-generation pipeline does;
        # an empty prompt starts a new text, as the end-of-text token does between the texts of training blocks
        encoded = [ids or [self.tokenizer.eos_token_id] for ids in self.tokenizer(list(prompts))["input_ids"]]
        generated = self.generate_ids(encoded)
        texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        return [Completion(prompt, text) for prompt, text in zip(prompts, texts)]

    def generate_padded(self, input_ids, attention_mask):
        """The new ids (after the prompt columns) for one batch padded to a fixed shape."""
        import tensorflow as tf

        batch_seed = zlib.crc32(input_ids.tobytes()) & 0x7FFFFFFF  # same batch, same noise, in any process
        seed = tf.constant([self.sampling.seed, batch_seed], dtype=tf.int32)
        return self._generate(input_ids, attention_mask, seed)[:, input_ids.shape[1]:]

    def pad(self, batch: list[list[int]], bucket: int | None = None):
        """A (batch_size, bucket) pair of arrays (input ids, attention mask), each prompt at the right end.

        The bucket is the smallest that fits the longest prompt unless given; prompts longer than the bucket
        keep their last ``bucket`` tokens. Missing rows repeat the first prompt and are discarded later.
        """
        longest = max(len(ids) for ids in batch)
        bucket = bucket or next((b for b in self.buckets if b >= longest), self.buckets[-1])
        rows = batch + [batch[0]] * (self.batch_size - len(batch))
        input_ids = np.full((self.batch_size, bucket), self.pad_token_id, dtype=np.int32)
        attention_mask = np.zeros((self.batch_size, bucket), dtype=np.int32)
        for row, ids in enumerate(rows):
            kept = ids[-bucket:]
            input_ids[row, bucket - len(kept):] = kept
            attention_mask[row, bucket - len(kept):] = 1
        return input_ids, attention_mask

    def format(self, result: Completion) -> str:
        """The prompt and its completion, as one text (code keeps its own lines)."""
        return result.prompt + result.completion
