"""Serving generation: XLA ``generate`` saved in a SavedModel gives exactly the ids of kerastx's predictors
(BucketedGenerator for a seq2seq model, Completer for a causal LM) on the same padded inputs, in a fresh process
that imports only TensorFlow; token ids are decoded in the graph exactly as the tokenizer decodes them.

Tiny untrained scratch models with tokenizers trained on real text (Tatoeba en-fr, the CPython stdlib): their
outputs are repetitive but differ from row to row, which is what the equality checks need.
"""

import gzip
import itertools
import json
import types

import numpy as np
import pytest

from kerastx.export.fresh_process import run_signatures

NEW_TOKENS = 10
GREEDY = {"max_new_tokens": NEW_TOKENS, "no_repeat_ngram_size": 2}
BEAMS = {"max_new_tokens": NEW_TOKENS, "num_beams": 2, "length_penalty": 0.8, "no_repeat_ngram_size": 2}
ODD_TEXTS = ["\tdef f():\r\n\t\treturn 'é → 日本語 🐍'\n\n  ", "L'été où j'ai vu « Noël » !", "naïve\u202fcafé\u00a0",
             "", "   "]


# --- data, tokenizers, models ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tatoeba(shared_data):
    """(English, French) pairs: every 25th line, so short and long sentences (the file is sorted by length)."""
    lines = (shared_data("en_fr/tatoeba") / "fra.txt").read_text(encoding="utf-8").splitlines()[::25]
    return [tuple(line.split("\t")) for line in lines]


@pytest.fixture(scope="module")
def code_texts(shared_data):
    with gzip.open(shared_data("python_code") / "cpython312_stdlib_train.jsonl.gz", "rt", encoding="utf-8") as file:
        return [json.loads(line)["content"] for line in itertools.islice(file, 12)]


@pytest.fixture(scope="module")
def marian_tokenizer(tatoeba):
    from kerastx.models.scratch import train_tokenizer

    return train_tokenizer([text for pair in tatoeba for text in pair], "marian", "unigram", 1000)


@pytest.fixture(scope="module")
def gpt2_tokenizer(code_texts):
    from kerastx.models.scratch import train_tokenizer

    return train_tokenizer("".join(code_texts[:6]).splitlines(keepends=True), "gpt2", "bpe", 500)


def scratch_model(spec, tokenizer, auto_class):
    import transformers

    from kerastx.compat.keras import tf_keras
    from kerastx.models.scratch import ScratchSpec

    tf_keras.utils.set_random_seed(0)
    model = getattr(transformers, auto_class).from_config(ScratchSpec.parse(spec).build_config(tokenizer, 64))
    model(model.dummy_inputs, training=False)
    return model


def save(tmp_path_factory, name, model, signatures: dict, **tracked):
    """A SavedModel of ``signatures`` (name -> tf.function), holding the model's weights and ``tracked``."""
    import tensorflow as tf

    module = tf.Module()
    module.weights_of_model = list(model.weights)  # the variables the functions read, without Keras' own traces
    for attribute, value in {**signatures, **tracked}.items():
        setattr(module, attribute, value)
    path = tmp_path_factory.mktemp(name) / "saved_model"
    tf.saved_model.save(module, str(path), signatures=signatures)
    return path


def text_signature(detokenizer):
    """``detokenizer`` as a signature with a named output."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="sequences")])
    def detokenize(sequences):
        return {"text": detokenizer(sequences)}

    return detokenize


def decoded(strings) -> list[str]:
    return [text.decode("utf-8") if isinstance(text, bytes) else str(text) for text in strings]


@pytest.fixture(scope="module")
def translation(tatoeba, marian_tokenizer, tmp_path_factory):
    """A tiny Marian, its greedy and beam-search predictors, and a SavedModel with generate_ids (greedy) and
    generate_ids_beams (for left-padded rows)."""
    from kerastx.generation.bucketed import BucketedGenerator, GenerationOptions
    from kerastx.serving.generation import generate_function

    tokenizer = marian_tokenizer
    model = scratch_model("scratch:marian-tiny", tokenizer, "TFAutoModelForSeq2SeqLM")
    # a forced first token exercises the replacement of transformers' processor (Marian's config forces the last)
    beams = GenerationOptions(**BEAMS, forced_bos_token_id=tokenizer.convert_tokens_to_ids("▁Je"))
    greedy, pad = GenerationOptions(**GREEDY), tokenizer.pad_token_id
    path = save(tmp_path_factory, "translation", model, {
        "generate_ids": generate_function(model, greedy, pad, left_padding=False),
        # clients of this one pad on the left: rows are moved to the right, where Marian's predictor puts them
        "generate_ids_beams": generate_function(model, beams, pad, left_padding=True)})
    generator = BucketedGenerator(model, tokenizer, [16, 32], batch_size=8, options=greedy)
    sources = [english for english, _ in tatoeba[-24:-16]]  # long sentences whose ids fit the bucket of 16
    input_ids, attention_mask = generator.pad(tokenizer(sources)["input_ids"])
    beam_search = BucketedGenerator(model, tokenizer, [16, 32], batch_size=4, options=beams)
    # three sources: the predictor fills its batch of 4 with the first one again
    beam_ids, beam_mask = beam_search.pad(tokenizer(sources[:3])["input_ids"], bucket=32)
    return types.SimpleNamespace(
        model=model, tokenizer=tokenizer, path=path, greedy=generator, sources=sources, beams=beam_search,
        inputs={"input_ids": input_ids, "attention_mask": attention_mask},
        generated=generator.generate_padded(input_ids, attention_mask).numpy(),
        beam_inputs={"input_ids": beam_ids, "attention_mask": beam_mask})


@pytest.fixture(scope="module")
def translation_served(translation):
    """What the translation SavedModel answers in a fresh process: greedy ids for the predictor's padded batch, and
    beam-search ids for the beam predictor's batch padded on the left."""
    left_padded = padded_on_the_other_side(**translation.beam_inputs, pad_token_id=translation.tokenizer.pad_token_id)
    return run_signatures(translation.path, {"generate_ids": translation.inputs, "generate_ids_beams": left_padded})


@pytest.fixture(scope="module")
def prompts(code_texts):
    """Real code prefixes, cut after a ``def`` line of the files the tokenizer did not see."""
    lines = "".join(code_texts[6:]).splitlines(keepends=True)
    ends = [index for index, line in enumerate(lines) if line.lstrip().startswith("def ")][:8]
    return ["".join(lines[max(0, end - 1):end + 1]) for end in ends]


@pytest.fixture(scope="module")
def completion(gpt2_tokenizer, prompts, tmp_path_factory):
    """A tiny GPT-2, its greedy Completer (and one for a single prompt), and a SavedModel with generate_ids and
    detokenize (not stripped)."""
    from kerastx.generation.bucketed import GenerationOptions
    from kerastx.inference.completion import Completer
    from kerastx.serving.detokenize import GraphDetokenizer
    from kerastx.serving.generation import generate_function

    tokenizer = gpt2_tokenizer
    model = scratch_model("scratch:gpt2-tiny", tokenizer, "TFAutoModelForCausalLM")
    completer = Completer(model, tokenizer, buckets=[16, 32], batch_size=8, max_new_tokens=NEW_TOKENS)
    serve = generate_function(model, GenerationOptions(max_new_tokens=NEW_TOKENS), completer.pad_token_id,
                              left_padding=True)
    detokenizer = GraphDetokenizer(tokenizer, strip=False)
    # the same function under a second name, so that one fresh process also calls it with a second input shape
    path = save(tmp_path_factory, "completion", model, {
        "generate_ids": serve, "generate_ids_one_row": serve, "detokenize": text_signature(detokenizer)},
        detokenizer=detokenizer)
    input_ids, attention_mask = completer.pad(tokenizer(prompts)["input_ids"], bucket=32)
    generated = completer.generate_padded(input_ids, attention_mask).numpy()
    # one row: the prompt whose completion has the most distinct tokens (most repeat one token over and over)
    varied = max(range(len(prompts)), key=lambda row: len(set(generated[row])))
    one_row = Completer(model, tokenizer, buckets=[16], batch_size=1, max_new_tokens=NEW_TOKENS)
    one_ids, one_mask = one_row.pad(tokenizer(prompts[varied:varied + 1])["input_ids"])
    return types.SimpleNamespace(model=model, tokenizer=tokenizer, completer=completer, path=path, prompts=prompts,
                                 inputs={"input_ids": input_ids, "attention_mask": attention_mask},
                                 generated=generated, one_row=one_row,
                                 one_row_inputs={"input_ids": one_ids, "attention_mask": one_mask})


@pytest.fixture(scope="module")
def completion_served(completion, detokenizer_batch):
    """What the completion SavedModel answers in a fresh process: ids for the Completer's padded batch of 8 and for
    one prompt padded by itself (another input shape), and the text of ``detokenizer_batch``."""
    return run_signatures(completion.path, {"generate_ids": completion.inputs,
                                            "generate_ids_one_row": completion.one_row_inputs,
                                            "detokenize": {"sequences": detokenizer_batch}})


@pytest.fixture(scope="module")
def detokenizer_batch(completion, tatoeba, code_texts):
    """Code with tabs and newlines, French with accents, odd unicode and the model's own output, tokenized by the
    GPT-2 tokenizer into one batch of ids."""
    texts = "".join(code_texts[6:]).splitlines(keepends=True)[:40] + [french for _, french in tatoeba[-20:]]
    tokenizer = completion.tokenizer
    real = tokenizer(texts + ODD_TEXTS, padding="max_length", max_length=64, truncation=True,
                     return_tensors="np")["input_ids"]
    generated = np.pad(completion.generated, [(0, 0), (0, 64 - NEW_TOKENS)], constant_values=tokenizer.pad_token_id)
    return np.concatenate([real, generated]).astype(np.int32)


def assert_varied(sequences, tokenizer, rows: int, tokens: int = 4):
    """Generated ids that an equality check cannot match by chance: real tokens, different from row to row."""
    sequences = np.asarray(sequences)
    assert len({tuple(row) for row in sequences.tolist()}) >= rows
    assert len(set(sequences.ravel().tolist()) - set(tokenizer.all_special_ids)) >= tokens


# --- generate_ids -------------------------------------------------------------------------------------------

@pytest.mark.trains
def test_translation_ids_after_reload_are_the_bucketed_generator_ids(translation, translation_served):
    assert translation.inputs["input_ids"].shape == (8, 16) and translation.generated.shape == (8, 1 + NEW_TOKENS)
    np.testing.assert_array_equal(translation_served["generate_ids"]["sequences"], translation.generated)
    assert_varied(translation.generated, translation.tokenizer, rows=6)


@pytest.mark.trains
def test_beam_search_ids_after_reload_are_the_bucketed_generator_ids(translation, translation_served):
    """Beam search survives the SavedModel too, each row searched as a batch of one (what it is compared with);
    its signature takes rows padded on the left."""
    from kerastx.serving.generation import as_served

    expected = as_served(translation.beams.generate_padded, translation.beams.options)(**translation.beam_inputs)

    np.testing.assert_array_equal(translation_served["generate_ids_beams"]["sequences"], expected)
    assert (expected[:, 1] == translation.tokenizer.convert_tokens_to_ids("▁Je")).all()  # the forced first token
    assert_varied(expected[:3, 2:], translation.tokenizer, rows=3)


@pytest.mark.trains
def test_completion_ids_after_reload_are_the_completer_ids(completion, completion_served):
    served = completion_served["generate_ids"]

    input_ids = completion.inputs["input_ids"]
    assert input_ids.shape == (8, 32) and completion.generated.shape == (8, NEW_TOKENS)
    np.testing.assert_array_equal(served["sequences"], completion.generated)
    np.testing.assert_array_equal(served["prompt_and_sequences"], np.concatenate([input_ids, completion.generated], 1))
    assert_varied(completion.generated, completion.tokenizer, rows=6)


@pytest.mark.trains
def test_completion_ids_after_reload_for_another_shape(completion, completion_served):
    """One prompt in a (1, 16) batch: the served function compiles again for the new shape."""
    expected = completion.one_row.generate_padded(**completion.one_row_inputs).numpy()

    assert completion.one_row_inputs["input_ids"].shape == (1, 16)
    np.testing.assert_array_equal(completion_served["generate_ids_one_row"]["sequences"], expected)
    assert_varied(expected, completion.tokenizer, rows=1, tokens=3)


def test_rows_padded_on_the_right_give_the_completions_of_the_left_padded_rows(completion):
    """A client that pads on the right (as most do) gets the completions of the prompts padded as Completer pads."""
    from kerastx.generation.bucketed import GenerationOptions
    from kerastx.serving.generation import generate_function

    pad_token_id = completion.completer.pad_token_id
    right_padded = generate_function(completion.model, GenerationOptions(max_new_tokens=NEW_TOKENS), pad_token_id,
                                     left_padding=False)
    inputs = padded_on_the_other_side(**completion.inputs, pad_token_id=pad_token_id)
    assert (inputs["attention_mask"][:, 0] == 1).all() and not (inputs["attention_mask"][:, -1] == 1).all()

    served = right_padded(**inputs)

    np.testing.assert_array_equal(served["sequences"], completion.generated)
    np.testing.assert_array_equal(served["prompt_and_sequences"][:, :32], completion.inputs["input_ids"])


def padded_on_the_other_side(input_ids, attention_mask, pad_token_id) -> dict:
    """The same rows, each with its tokens at the other end (the padding of a row is on one side only)."""
    ids, mask = np.full_like(input_ids, pad_token_id), np.zeros_like(attention_mask)
    for row, (tokens, keep) in enumerate(zip(input_ids, attention_mask)):
        kept = tokens[keep == 1]
        columns = slice(0, len(kept)) if keep[-1] == 1 else slice(len(tokens) - len(kept), len(tokens))
        ids[row, columns], mask[row, columns] = kept, 1
    return {"input_ids": ids, "attention_mask": mask}


# --- detokenize ---------------------------------------------------------------------------------------------

def expected_texts(tokenizer, ids, strip=True) -> list[str]:
    texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
    return [text.strip() for text in texts] if strip else texts


@pytest.mark.parametrize("kind", ["marian unigram", "t5 unigram", "gpt2 bpe", "bart bpe", "bert wordpiece",
                                  "bert wordpiece, cleaned up"])
def test_detokenizer_decodes_real_text_as_batch_decode(kind, tatoeba, code_texts, tmp_path):
    from transformers import AutoTokenizer

    from kerastx.models.scratch import train_tokenizer
    from kerastx.serving.detokenize import GraphDetokenizer

    architecture, algorithm = kind.split(",")[0].split()
    french = [french for _, french in tatoeba]
    code_lines = "".join(code_texts).splitlines(keepends=True)
    train_tokenizer(french[:1500] + code_lines[:1500], architecture, algorithm, 800).save_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)  # as a run directory holds it
    # as saved, transformers does not clean up spaces (" ." stays); BERT's own tokenizer does, and so can a user
    assert tokenizer.clean_up_tokenization_spaces is False
    tokenizer.clean_up_tokenization_spaces = kind.endswith("cleaned up")
    texts = french[-200:] + code_lines[-200:] + ODD_TEXTS
    assert all(text in "".join(texts) for text in ("é", "\t", "\n", "🐍", "\u202f"))
    ids = tokenizer(texts, padding=True, return_tensors="np")["input_ids"].astype(np.int32)

    for strip in (True, False):
        detokenized = decoded(GraphDetokenizer(tokenizer, strip=strip)(ids).numpy())
        assert detokenized == expected_texts(tokenizer, ids, strip)


def test_byte_level_detokenizer_decodes_any_ids_as_batch_decode(gpt2_tokenizer):
    """Random ids, as an untrained model may generate: invalid UTF-8 becomes U+FFFD, as in the tokenizer."""
    from kerastx.serving.detokenize import GraphDetokenizer

    ids = np.random.default_rng(0).integers(0, len(gpt2_tokenizer), size=(300, 6), dtype=np.int32)
    expected = expected_texts(gpt2_tokenizer, ids, strip=False)
    assert sum("\ufffd" in text for text in expected) > 20

    assert decoded(GraphDetokenizer(gpt2_tokenizer, strip=False)(ids).numpy()) == expected


def test_detokenizer_skips_ids_outside_the_vocabulary(marian_tokenizer):
    from kerastx.serving.detokenize import GraphDetokenizer

    ids = marian_tokenizer(["Je suis là."], return_tensors="np")["input_ids"].astype(np.int32)
    with_strays = np.concatenate([[[-100, len(marian_tokenizer)]], ids, [[10 ** 6]]], axis=1)

    assert decoded(GraphDetokenizer(marian_tokenizer)(with_strays).numpy()) == ["Je suis là."]


def test_generated_ids_detokenized_are_the_predictors_texts(translation, completion):
    from kerastx.serving.detokenize import GraphDetokenizer

    translations = GraphDetokenizer(translation.tokenizer)(translation.generated)
    assert decoded(translations.numpy()) == translation.greedy(translation.sources)

    completions = GraphDetokenizer(completion.tokenizer, strip=False)(completion.generated)
    assert decoded(completions.numpy()) == [result.completion for result in completion.completer(completion.prompts)]


@pytest.mark.trains
def test_detokenizer_after_reload_decodes_real_text_and_generated_ids(completion, completion_served,
                                                                      detokenizer_batch):
    """By a SavedModel loaded in a process without transformers, with the vocabulary it holds."""
    served = completion_served["detokenize"]["text"]

    assert decoded(served) == expected_texts(completion.tokenizer, detokenizer_batch, strip=False)


# --- what cannot be decoded in the graph --------------------------------------------------------------------

def test_tokenizers_that_cannot_be_decoded_in_the_graph_say_why(tmp_path, marian_tokenizer):
    from tokenizers import Tokenizer, decoders, models
    from transformers import BertTokenizer, PreTrainedTokenizerFast

    from kerastx.errors import ExportError
    from kerastx.serving.detokenize import GraphDetokenizer, graph_detokenizer_problem

    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("[PAD]\n[UNK]\nle\n##s\n", encoding="utf-8")
    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.decoder = decoders.BPEDecoder()
    bpe_decoder = PreTrainedTokenizerFast(tokenizer_object=backend)

    assert graph_detokenizer_problem(marian_tokenizer) is None
    assert graph_detokenizer_problem(BertTokenizer(str(vocabulary))) == (
        "BertTokenizer is not a fast (Rust) tokenizer, whose decoding rules can be read and rebuilt in the graph")
    assert graph_detokenizer_problem(bpe_decoder).startswith("its decoder (BPEDecoder) is not one of Metaspace")
    with pytest.raises(ExportError, match="cannot decode token ids in the graph with this tokenizer: its decoder"):
        GraphDetokenizer(bpe_decoder)
