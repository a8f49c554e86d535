"""The packaged pretrained MiniLM loads into TensorFlow from PyTorch-layout safetensors, without torch (task
classes with new heads: test_from_pretrained.py)."""

import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def encoder():
    from transformers import AutoTokenizer, TFAutoModel

    import kerastx
    from kerastx.models.minilm import minilm_directory

    return kerastx.from_pretrained(TFAutoModel, "minilm"), kerastx.from_pretrained(AutoTokenizer, "minilm"), \
        minilm_directory()


def test_weights_are_the_checkpoints_and_torch_is_never_imported(encoder):
    from safetensors.numpy import load_file

    model, _, directory = encoder
    state = load_file(str(directory / "model.safetensors"))
    embeddings = model.bert.embeddings.weight.numpy()
    np.testing.assert_array_equal(embeddings, state["embeddings.word_embeddings.weight"])
    dense = next(w for w in model.weights if "layer_._5/attention/self/query/kernel" in w.name)
    np.testing.assert_allclose(dense.numpy(), state["encoder.layer.5.attention.self.query.weight"].T)
    assert "torch" not in sys.modules


def test_sentence_embeddings_rank_a_paraphrase_above_an_unrelated_sentence(encoder):
    model, tokenizer, _ = encoder
    sentences = ["A man is playing a guitar.", "Someone plays the guitar.", "The stock market fell sharply today."]
    batch = tokenizer(sentences, padding=True, return_tensors="tf")
    hidden = model(batch).last_hidden_state.numpy()
    mask = batch["attention_mask"].numpy()[..., None]
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    paraphrase, unrelated = pooled[0] @ pooled[1], pooled[0] @ pooled[2]
    assert paraphrase > 0.6 > unrelated

