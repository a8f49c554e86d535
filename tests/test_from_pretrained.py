"""``kerastx.from_pretrained``: the packaged MiniLM (PyTorch-layout safetensors) into any TF auto class without
torch, local directories with TF weights through the class's own loader, tokenizers, and unknown names."""

import numpy as np
import pytest

import kerastx
from kerastx.models.minilm import minilm_directory


@pytest.fixture(scope="module")
def checkpoint():
    from safetensors.numpy import load_file

    return load_file(str(minilm_directory() / "model.safetensors"))


@pytest.mark.parametrize("auto_class, name, overrides, head", [
    ("TFAutoModelForTokenClassification", "minilm", {"num_labels": 9}, ("classifier", (384, 9))),
    ("TFAutoModelForQuestionAnswering", None, {}, ("qa_outputs", (384, 2))),  # None: the directory itself
])
def test_the_packaged_encoder_arrives_in_a_task_class_with_a_new_head(checkpoint, auto_class, name, overrides, head):
    import transformers

    model = kerastx.from_pretrained(getattr(transformers, auto_class), name or str(minilm_directory()), **overrides)
    np.testing.assert_array_equal(model.bert.embeddings.weight.numpy(), checkpoint["embeddings.word_embeddings.weight"])
    query = next(w for w in model.weights if "layer_._5/attention/self/query/kernel" in w.name)
    np.testing.assert_allclose(query.numpy(), checkpoint["encoder.layer.5.attention.self.query.weight"].T)
    layer, shape = head
    assert getattr(model, layer).kernel.shape == shape


def test_the_tokenizer_comes_from_the_same_name():
    from transformers import AutoTokenizer

    tokenizer = kerastx.from_pretrained(AutoTokenizer, "minilm")
    assert tokenizer("Hello world")["input_ids"] == AutoTokenizer.from_pretrained(str(minilm_directory()))(
        "Hello world")["input_ids"]


def test_a_directory_with_tf_weights_loads_through_the_class_itself(tmp_path):
    from transformers import BertConfig, TFAutoModelForSequenceClassification, TFBertForSequenceClassification

    saved = TFBertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                       num_attention_heads=2, intermediate_size=32, num_labels=3))
    saved(saved.dummy_inputs)
    saved.save_pretrained(tmp_path)
    loaded = kerastx.from_pretrained(TFAutoModelForSequenceClassification, str(tmp_path))
    assert isinstance(loaded, TFBertForSequenceClassification)
    for before, after in zip(saved.weights, loaded.weights):
        np.testing.assert_array_equal(before.numpy(), after.numpy())


def test_an_unknown_name_is_a_kerastx_error_naming_it():
    from transformers import TFAutoModel

    with pytest.raises(kerastx.KerastxError, match="no-such-org/no-such-model"):
        kerastx.from_pretrained(TFAutoModel, "no-such-org/no-such-model")
