"""The parts of the causal-LM recipe ("a code model from scratch") on their own: the GPT-2 scratch tokenizer
and config, bytes per token for bits per byte, XLA completion against eager ``generate`` and the pipeline,
and the keyword-weighted loss. A tiny GPT-2 and a tokenizer trained on 400 lines of the CPython stdlib."""

import gzip
import json

import numpy as np
import pytest

from kerastx.errors import ConfigError

# real code prefixes of different lengths: two fit the 16-token bucket, two need the 32-token one
PROMPTS = ["import os\n", "def main(argv):\n    ", "    for name, value in sorted(items):\n",
           "class Parser(object):\n    \"\"\"A parser for"]
NEW_TOKENS = 12


@pytest.fixture(scope="module")
def code_texts(shared_data):
    with gzip.open(shared_data("python_code") / "cpython312_stdlib_train.jsonl.gz", "rt", encoding="utf-8") as file:
        return [json.loads(line)["content"] for line in file]


@pytest.fixture(scope="module")
def tokenizer(code_texts):
    from kerastx.models.scratch import train_tokenizer

    lines = "".join(code_texts[:4]).splitlines(keepends=True)[:400]
    return train_tokenizer(lines, "gpt2", "bpe", 400)


def tiny_gpt2(tokenizer):
    """A tiny scratch GPT-2 with fixed weights and no dropout (losses compared exactly)."""
    from transformers import TFAutoModelForCausalLM

    from kerastx.compat.keras import tf_keras
    from kerastx.models.scratch import ScratchSpec

    tf_keras.utils.set_random_seed(0)
    config = ScratchSpec.parse("scratch:gpt2-tiny").build_config(tokenizer, 64, resid_pdrop=0.0, embd_pdrop=0.0,
                                                                 attn_pdrop=0.0)
    model = TFAutoModelForCausalLM.from_config(config)
    model(model.dummy_inputs, training=False)
    return model


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_gpt2(tokenizer)


# --- the GPT-2 scratch tokenizer and config ------------------------------------------------------------

def test_gpt2_tokenizer_gives_back_any_text_exactly(tokenizer, code_texts):
    odd = ["\tdef f():\r\n\t\treturn 'é → 日本語 🐍'\n\n  ", "x\x00y\x7f", "", "   ", "naïve café"]
    for text in code_texts[:20] + odd:
        assert tokenizer.decode(tokenizer(text)["input_ids"]) == text


def test_gpt2_tokenizer_has_one_special_token_for_end_start_and_padding(tokenizer):
    assert tokenizer.all_special_tokens == ["<|endoftext|>"]
    assert tokenizer.eos_token_id == tokenizer.bos_token_id == tokenizer.pad_token_id == 0
    assert tokenizer.unk_token is None and len(tokenizer) == 400
    # no framing tokens and no prefix space: the text's first token is its own first characters
    assert tokenizer.convert_ids_to_tokens(tokenizer("self.x = x")["input_ids"])[0] == "self"


def test_gpt2_config_follows_the_size_preset_and_the_shared_token(tokenizer):
    from kerastx.models.scratch import CAUSAL_ARCHITECTURES, ScratchSpec

    config = ScratchSpec.parse("scratch:gpt2-mini", CAUSAL_ARCHITECTURES).build_config(tokenizer, 128)
    assert (config.model_type, config.n_layer, config.n_embd, config.n_head) == ("gpt2", 4, 256, 4)
    assert (config.vocab_size, config.n_positions) == (400, 1024)
    assert config.bos_token_id == config.eos_token_id == config.pad_token_id == 0
    assert ScratchSpec.parse("scratch:gpt2-tiny").build_config(tokenizer, 2048).n_positions == 2048
    with pytest.raises(ConfigError, match="architecture in gpt2 and size"):
        ScratchSpec.parse("scratch:bert-tiny", CAUSAL_ARCHITECTURES)


@pytest.mark.parametrize("algorithm", ["wordpiece", "unigram"])
def test_gpt2_tokenizer_must_be_bpe(algorithm):
    from kerastx.models.scratch import train_tokenizer

    with pytest.raises(ConfigError, match=f"tokenizer_algorithm {algorithm} cannot be used for a gpt2 model.*"
                                          "use --tokenizer_algorithm bpe"):
        train_tokenizer(["x = 1\n"], "gpt2", algorithm, 300)


# --- bytes per token ------------------------------------------------------------------------------------

def test_token_bytes_add_up_to_the_utf8_size_of_real_code(tokenizer, code_texts):
    from kerastx.models.byte_level import bytes_per_token

    sizes = bytes_per_token(tokenizer)
    # every stdlib file with non-ASCII text (accents, box drawing, CJK in docstrings) and 30 plain ones
    texts = [text for text in code_texts if not text.isascii()] + code_texts[:30]
    assert len(texts) == 48
    for text, ids in zip(texts, tokenizer(texts)["input_ids"]):
        assert sizes[ids].sum() == len(text.encode("utf-8"))
    assert sizes[tokenizer.eos_token_id] == 0 and sizes.shape == (400,) and sizes[1:].min() == 1


def test_bytes_per_token_refuses_a_tokenizer_that_is_not_byte_level():
    from kerastx.models.byte_level import bytes_per_token
    from kerastx.models.scratch import train_tokenizer

    wordpiece = train_tokenizer(["the cat sat on the mat"] * 5, "bert", "wordpiece", 100)
    with pytest.raises(ConfigError, match="bits per byte needs a byte-level tokenizer"):
        bytes_per_token(wordpiece)


# --- completion -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def greedy(model, tokenizer):
    """The greedy completer and its completions of PROMPTS."""
    from kerastx.inference.completion import Completer

    completer = Completer(model, tokenizer, buckets=[16, 32], batch_size=2, max_new_tokens=NEW_TOKENS)
    return completer, completer(PROMPTS)


def test_xla_completion_is_eager_generate_on_the_unpadded_prompt(greedy, model, tokenizer):
    completer, results = greedy
    assert [len(tokenizer(prompt)["input_ids"]) for prompt in PROMPTS] == [5, 12, 22, 28]
    for prompt, result in zip(PROMPTS, results):
        ids = tokenizer(prompt, return_tensors="np")["input_ids"]
        eager = model.generate(input_ids=ids, max_new_tokens=NEW_TOKENS, do_sample=False)[0, ids.shape[1]:]
        assert result.prompt == prompt
        assert result.completion == tokenizer.decode(eager, skip_special_tokens=True)
        assert completer.format(result) == prompt + result.completion
    assert len({result.completion for result in results}) == len(PROMPTS)


def test_xla_completion_compiles_once_per_bucket(greedy):
    completer, results = greedy
    assert completer.compilations == 2
    assert completer(PROMPTS[::-1]) == results[::-1] and completer.compilations == 2


def test_an_empty_prompt_is_completed_from_the_end_of_text_token(greedy, model, tokenizer):
    completer, _ = greedy
    eos = np.array([[tokenizer.eos_token_id]], np.int32)
    eager = model.generate(input_ids=eos, max_new_tokens=NEW_TOKENS, do_sample=False)[0, 1:]
    assert completer([""]) == [("", tokenizer.decode(eager, skip_special_tokens=True))]
    assert completer.compilations == 2


def test_completion_keeps_the_end_of_a_long_prompt_and_refuses_to_run_past_the_positions(greedy, model, tokenizer):
    from kerastx.inference.completion import Completer

    completer, _ = greedy
    input_ids, attention_mask = completer.pad([[5, 6, 7]], bucket=16)
    assert input_ids[0, -3:].tolist() == [5, 6, 7] and attention_mask[0].tolist() == [0] * 13 + [1] * 3
    assert completer.pad([list(range(1, 41))])[0][0].tolist() == list(range(9, 41))
    with pytest.raises(ConfigError, match="max_new_tokens 1000 after a prompt of up to 32 tokens is more than the "
                                          "model's 1024 positions; use --max_new_tokens 992 or less"):
        Completer(model, tokenizer, buckets=[16, 32], max_new_tokens=1000)


def test_sampling_with_a_seed_repeats_itself_and_differs_from_greedy(greedy, model, tokenizer):
    from kerastx.generation.seeded_sampling import SamplingOptions
    from kerastx.inference.completion import Completer

    sampler = Completer(model, tokenizer, buckets=[32], batch_size=4, max_new_tokens=NEW_TOKENS,
                        sampling=SamplingOptions(do_sample=True, temperature=1.2, top_k=100, top_p=0.95, seed=7))
    sampled = sampler(PROMPTS)
    assert sampler(PROMPTS) == sampled and sampler(PROMPTS[::-1]) == sampled[::-1]
    assert sampler.compilations == 1
    greedy_completions = [result.completion for result in greedy[1]]
    assert sum(result.completion != text for result, text in zip(sampled, greedy_completions)) >= 3


def test_gumbel_noise_samples_the_softmax_with_fresh_noise_at_each_step():
    import tensorflow as tf

    from kerastx.generation.seeded_sampling import GumbelNoise

    probabilities = np.array([0.5, 0.3, 0.15, 0.05])
    logits = tf.constant(np.log(np.tile(probabilities, (20000, 1))), tf.float32)
    noise = GumbelNoise(tf.constant([3, 0]))
    picks = tf.argmax(noise(None, logits, 5), axis=-1).numpy()
    assert np.bincount(picks, minlength=4) / 20000 == pytest.approx(probabilities, abs=0.015)
    assert (noise(None, logits, 5).numpy() == noise(None, logits, 5).numpy()).all()
    assert (noise(None, logits, 6).numpy() != noise(None, logits, 5).numpy()).mean() > 0.99
    assert (GumbelNoise(tf.constant([4, 0]))(None, logits, 5).numpy() != noise(None, logits, 5).numpy()).mean() > 0.99


@pytest.mark.parametrize("options, message", [
    ({"temperature": 0.0}, "temperature 0.0 must be more than 0"),
    ({"top_k": -1}, "top_k -1 must be 0 .no limit. or more"),
    ({"top_p": 1.5}, "top_p 1.5 must be more than 0 and at most 1.0"),
])
def test_sampling_options_out_of_range_are_config_errors(options, message):
    from kerastx.generation.seeded_sampling import SamplingOptions

    with pytest.raises(ConfigError, match=message):
        SamplingOptions(do_sample=True, **options)


def test_saved_model_completes_in_the_text_generation_pipeline_as_the_completer_does(greedy, model, tokenizer,
                                                                                     tmp_path):
    from transformers import pipeline

    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    generator = pipeline("text-generation", model=str(tmp_path), framework="tf", dtype=None)
    completer, results = greedy
    for prompt, result in zip(PROMPTS[:2], results):
        [answer] = generator(prompt, max_new_tokens=NEW_TOKENS, do_sample=False)
        assert answer["generated_text"] == completer.format(result)


# --- the keyword-weighted loss --------------------------------------------------------------------------

KEYWORD_TEXT = "def f(self):\n    return self"
PLAIN_TEXT = "x = [1, 2, 3]\nprint(x)"


def test_keywords_count_in_their_one_token_spellings_and_a_split_keyword_is_refused(tokenizer):
    from kerastx.training.keyword_loss import keyword_token_ids

    ids = keyword_token_ids(tokenizer, ["self", "def", "return"])
    # "self" is one token only at the start of a line, "return" only after a space, "def" both ways
    assert tokenizer.convert_ids_to_tokens(ids) == ["self", "def", "Ġdef", "Ġreturn"]
    assert keyword_token_ids(tokenizer, "self, def, return".split(",")) == ids
    with pytest.raises(ConfigError, match="a keyword in 'self,,def' is empty"):
        keyword_token_ids(tokenizer, "self,,def".split(","))
    with pytest.raises(ConfigError, match="keyword 'import' is not one token of this tokenizer .it splits into "
                                          "'i', 'mport'.*larger --vocab_size"):
        keyword_token_ids(tokenizer, ["self", "import"])


@pytest.fixture
def weighted_batch(tokenizer):
    """Two texts as one batch, the second padded on the right with its padding labelled -100."""
    from kerastx.training.keyword_loss import keyword_token_ids

    keyword_text, plain_text = tokenizer([KEYWORD_TEXT, PLAIN_TEXT])["input_ids"]
    length = max(len(keyword_text), len(plain_text))
    input_ids = np.zeros((2, length), np.int32)
    labels = np.full((2, length), -100, np.int32)
    for row, ids in enumerate([keyword_text, plain_text]):
        input_ids[row, :len(ids)] = labels[row, :len(ids)] = ids
    return input_ids, labels, keyword_token_ids(tokenizer, ["self", "def", "return"])


def test_keyword_loss_with_alpha_0_is_the_models_own_loss(tokenizer, weighted_batch):
    from kerastx.training.keyword_loss import use_keyword_weighted_loss

    input_ids, labels, keyword_ids = weighted_batch
    model = tiny_gpt2(tokenizer)
    own = float(model(input_ids=input_ids, labels=labels).loss[0])
    use_keyword_weighted_loss(model, keyword_ids, alpha=0.0)
    assert float(model(input_ids=input_ids, labels=labels).loss[0]) == pytest.approx(own, rel=1e-6)


@pytest.mark.trains
def test_keyword_loss_weighs_each_text_by_its_keywords_and_is_what_fit_trains_on(tokenizer, weighted_batch):
    import tensorflow as tf

    from kerastx.compat.keras import tf_keras
    from kerastx.training.keyword_loss import use_keyword_weighted_loss

    input_ids, labels, keyword_ids = weighted_batch
    model = tiny_gpt2(tokenizer)
    # the losses of each predicted token, by hand from the logits
    logits = model(input_ids=input_ids).logits.numpy()[:, :-1].astype(np.float64)
    targets = labels[:, 1:]
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    token_loss = -np.take_along_axis(log_probabilities, np.maximum(targets, 0)[..., None], -1)[..., 0]
    predicted = targets != -100
    # the keyword text's predicted tokens hold 3 keywords, the plain text's none
    tokens = tokenizer.convert_ids_to_tokens(input_ids[0, 1:predicted[0].sum() + 1])
    assert [token for token in tokens if token in ("self", "def", "Ġdef", "Ġreturn")] == ["self", "Ġreturn", "self"]
    alpha = 0.5
    expected = ((token_loss[0][predicted[0]].sum() * (1 + 3 * alpha) + token_loss[1][predicted[1]].sum())
                / predicted.sum())

    use_keyword_weighted_loss(model, keyword_ids, alpha)
    assert float(model(input_ids=input_ids, labels=labels).loss[0]) == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
    batches = tf.data.Dataset.from_tensors({"input_ids": input_ids, "labels": labels})
    history = model.fit(batches, epochs=4, verbose=0).history["loss"]
    assert history[0] == pytest.approx(expected, rel=1e-5)  # the first step's loss, before any update
    assert history[-1] < history[0]
