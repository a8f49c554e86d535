"""Our callbacks in a user's own ``model.fit`` script, written the way the Hugging Face course writes them:
a TFAutoModel compiled with its internal loss, tf.data from ``to_tf_dataset`` (labels inside the features
dict) or ``prepare_tf_dataset`` (``(features, labels)`` tuples), on tiny scratch models and real data rows."""

import warnings

import numpy as np
import pytest

from kerastx.compat.keras import tf_keras
from tests_helpers import tokenized_mrpc

BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


@pytest.fixture(scope="module")
def mrpc(shared_data):
    """A scratch tiny BERT classifier factory, tokenized MRPC rows and their collator."""
    from transformers import TFAutoModelForSequenceClassification

    from kerastx.models.scratch import ScratchSpec

    tokenizer, data, collator = tokenized_mrpc(shared_data("mrpc"), rows=192, vocab_size=600)

    def fresh_model():
        tf_keras.utils.set_random_seed(0)
        config = ScratchSpec.parse("scratch:bert-tiny").build_config(tokenizer, 64, num_labels=2)
        model = TFAutoModelForSequenceClassification.from_config(config)
        model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))  # the model's internal loss
        return model

    return fresh_model, data.select(range(128)), data.select(range(128, 192)), collator


def labels_in_features(data, collator, shuffle=False):
    """The Hugging Face convention: ``to_tf_dataset`` with the labels as one more column of the features dict."""
    return data.to_tf_dataset(columns=BERT_INPUTS + ["labels"], batch_size=32, shuffle=shuffle, collate_fn=collator)


def labels_apart(model, data, collator):
    """Keras' convention: ``(features, labels)`` batches, as ``model.prepare_tf_dataset`` makes them."""
    return model.prepare_tf_dataset(data, batch_size=32, shuffle=False, collate_fn=collator)


def expected_accuracy_and_f1(model, data, collator) -> dict[str, float]:
    """Accuracy and F1 of class 1, computed here from the model's logits and the rows' labels."""
    batches = [collator([data[i] for i in range(start, min(start + 32, len(data)))])
               for start in range(0, len(data), 32)]
    predicted = np.concatenate([np.argmax(model({k: b[k] for k in BERT_INPUTS}).logits, axis=-1) for b in batches])
    labels = np.array(data["labels"])
    true_positives = np.sum((predicted == 1) & (labels == 1))
    errors = np.sum(predicted != labels)
    return {"accuracy": float(np.mean(predicted == labels)),
            "f1": float(2 * true_positives / (2 * true_positives + errors))}


# --- 1. where the labels sit ------------------------------------------------------------------------------------

@pytest.mark.trains
def test_metrics_are_the_same_whether_labels_sit_in_the_features_dict_or_in_a_tuple(mrpc):
    from kerastx import ClassificationMetricsCallback

    fresh_model, train, validation, collator = mrpc
    model = fresh_model()
    in_features = ClassificationMetricsCallback(labels_in_features(validation, collator), num_labels=2, verbose=False)
    model.fit(labels_in_features(train, collator, shuffle=True), epochs=2, verbose=0, callbacks=[in_features])
    expected = expected_accuracy_and_f1(model, validation, collator)
    assert in_features.history[-1]["val_accuracy"] == pytest.approx(expected["accuracy"])
    assert in_features.history[-1]["val_f1"] == pytest.approx(expected["f1"])
    apart = ClassificationMetricsCallback(labels_apart(model, validation, collator), num_labels=2, verbose=False)
    assert apart.evaluate(model) == pytest.approx(in_features.evaluate())


def test_a_batch_without_labels_is_a_one_line_data_error(mrpc):
    from kerastx import ClassificationEvaluator
    from kerastx.errors import DataError

    fresh_model, _, validation, collator = mrpc
    unlabelled = validation.to_tf_dataset(columns=BERT_INPUTS, batch_size=32, collate_fn=collator)
    with pytest.raises(DataError, match="no labels.*'labels'") as error:
        ClassificationEvaluator(unlabelled, num_labels=2).evaluate(fresh_model())
    assert "\n" not in str(error.value)


def test_token_classification_reads_labels_inside_the_features_dict_like_tuples(shared_data):
    import datasets
    from transformers import AutoTokenizer, DataCollatorForTokenClassification, TFAutoModelForTokenClassification

    from kerastx import TokenClassificationEvaluator
    from kerastx.data.readers.conll import read_conll
    from kerastx.data.tasks.token_labels import TagMap, tokenize_and_align
    from kerastx.models.minilm import minilm_directory
    from kerastx.models.scratch import ScratchSpec

    sentences, _ = read_conll(shared_data("conll2003") / "valid.txt")
    sentences = sentences.select(range(48))
    tag_map = TagMap.infer(sentences["tags"])
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_directory()))
    encoded = tokenize_and_align(tokenizer, sentences["tokens"], [[tag_map.names.index(t) for t in tags]
                                                                  for tags in sentences["tags"]], max_length=64)
    data = datasets.Dataset.from_dict({k: v for k, v in encoded.items() if k != "words_truncated"})
    tf_keras.utils.set_random_seed(0)
    config = ScratchSpec.parse("scratch:bert-tiny").build_config(
        tokenizer, 64, num_labels=len(tag_map), id2label=tag_map.id2label, label2id=tag_map.label2id)
    model = TFAutoModelForTokenClassification.from_config(config)
    collator = DataCollatorForTokenClassification(tokenizer, return_tensors="np")
    types = sorted({tag[2:] for tags in sentences["tags"] for tag in tags if tag != "O"})

    def scores(dataset):
        return TokenClassificationEvaluator(dataset, model.config.id2label, types).evaluate(model)

    apart = scores(model.prepare_tf_dataset(data, batch_size=16, shuffle=False, collate_fn=collator))
    inside = scores(data.to_tf_dataset(columns=BERT_INPUTS + ["labels"], batch_size=16, collate_fn=collator))
    assert inside == pytest.approx(apart)
    assert 0 < apart["accuracy"] < 1  # an untrained model: some words right, some wrong


# --- 2. evaluate() before fit -----------------------------------------------------------------------------------

def test_evaluate_before_fit_without_a_model_says_what_is_missing_in_one_line(mrpc):
    from kerastx import ClassificationMetricsCallback
    from kerastx.errors import CallbackError

    _, _, validation, collator = mrpc
    callback = ClassificationMetricsCallback(labels_in_features(validation, collator), num_labels=2)
    with pytest.raises(CallbackError, match=r"has no model.*evaluate\(model\).*model=model") as error:
        callback.evaluate()
    assert "\n" not in str(error.value)


def test_evaluate_before_fit_measures_the_model_given_to_the_callback(mrpc):
    from kerastx import ClassificationMetricsCallback

    fresh_model, _, validation, collator = mrpc
    model = fresh_model()
    callback = ClassificationMetricsCallback(labels_in_features(validation, collator), num_labels=2, model=model)
    expected = expected_accuracy_and_f1(model, validation, collator)
    assert callback.evaluate() == pytest.approx({"val_accuracy": expected["accuracy"], "val_f1": expected["f1"]})


# --- 3. names Keras logs too ------------------------------------------------------------------------------------

def fit_with_keras_accuracy(model, train, validation, collator, callback, epochs):
    """``fit`` as the course writes it when Keras is asked for accuracy too; the warnings it raised."""
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(labels_in_features(train, collator), epochs=epochs, verbose=0, callbacks=[callback],
                            validation_data=labels_in_features(validation, collator))
    return history, [str(w.message) for w in caught if "Keras logs" in str(w.message)]


@pytest.mark.trains
def test_a_metric_name_keras_logs_too_is_ours_in_the_logs_with_one_warning_naming_it_and_the_fix(mrpc):
    from kerastx import ClassificationMetricsCallback

    fresh_model, train, validation, collator = mrpc
    checked = validation.select(range(32))  # our callback measures other rows than Keras' validation_data
    model = fresh_model()
    callback = ClassificationMetricsCallback(labels_in_features(checked, collator), num_labels=2, verbose=False)
    history, ours = fit_with_keras_accuracy(model, train, validation, collator, callback, epochs=2)
    assert len(ours) == 1 and "val_accuracy" in ours[0] and 'prefix="eval_"' in ours[0]
    assert history.history["val_accuracy"] == [h["val_accuracy"] for h in callback.history]
    assert history.history["val_accuracy"][-1] == pytest.approx(
        expected_accuracy_and_f1(model, checked, collator)["accuracy"])


@pytest.mark.trains
def test_another_prefix_keeps_keras_metric_and_ours_apart_without_a_warning(mrpc):
    from kerastx import ClassificationMetricsCallback

    fresh_model, train, validation, collator = mrpc
    checked = validation.select(range(32))
    model = fresh_model()
    callback = ClassificationMetricsCallback(labels_in_features(checked, collator), num_labels=2, verbose=False,
                                             prefix="eval_")
    history, ours = fit_with_keras_accuracy(model, train, validation, collator, callback, epochs=1)
    assert ours == []
    keras_accuracy = expected_accuracy_and_f1(model, validation, collator)["accuracy"]
    our_accuracy = expected_accuracy_and_f1(model, checked, collator)["accuracy"]
    assert history.history["val_accuracy"] == [pytest.approx(keras_accuracy)]
    assert history.history["eval_accuracy"] == [pytest.approx(our_accuracy)]
    assert callback.mode("eval_f1") == "max"


# --- 4. BLEU and ROUGE from one generation pass -----------------------------------------------------------------

@pytest.fixture(scope="module")
def marian(shared_data):
    """A scratch tiny Marian, 64 real Tatoeba pairs as (features, labels) batches, and 8 held-out pairs."""
    import datasets
    from transformers import DataCollatorForSeq2Seq, TFAutoModelForSeq2SeqLM

    from kerastx.models.scratch import ScratchSpec, train_tokenizer

    pairs = [line.split("\t")[:2] for line in
             (shared_data("en_fr/tatoeba") / "fra.txt").read_text(encoding="utf-8").splitlines()[4000:4288:4]]
    sources, targets = [p[0] for p in pairs], [p[1] for p in pairs]
    tokenizer = train_tokenizer(sources + targets, "marian", "unigram", 300)
    tf_keras.utils.set_random_seed(0)
    model = TFAutoModelForSeq2SeqLM.from_config(ScratchSpec.parse("scratch:marian-tiny").build_config(tokenizer, 32))
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
    data = datasets.Dataset.from_dict(dict(tokenizer(sources[:64], text_target=targets[:64], truncation=True,
                                                     max_length=32)))
    train = model.prepare_tf_dataset(data, batch_size=16, shuffle=False,
                                     collate_fn=DataCollatorForSeq2Seq(tokenizer, return_tensors="np"))
    return model, tokenizer, train, sources[64:], targets[64:]


@pytest.fixture
def generations(monkeypatch):
    """Every list of texts a BucketedGenerator is asked to generate for, in order."""
    from kerastx.generation.bucketed import BucketedGenerator

    calls = []
    generate = BucketedGenerator.__call__

    def counted(self, texts):
        calls.append(list(texts))
        return generate(self, texts)

    monkeypatch.setattr(BucketedGenerator, "__call__", counted)
    return calls


def generation_settings(tokenizer):
    from kerastx import GenerationOptions

    return {"tokenizer": tokenizer, "buckets": [16], "options": GenerationOptions(max_new_tokens=8), "batch_size": 8,
            "verbose": False}


@pytest.mark.trains
def test_bleu_and_rouge_callbacks_share_one_generation_per_evaluation(marian, generations):
    from kerastx import BleuCallback, RougeCallback
    from kerastx.metrics.generation import bleu_scores, rouge_scores

    model, tokenizer, train, sources, references = marian
    settings = generation_settings(tokenizer)
    bleu = BleuCallback(sources, references, evaluate_at_start=True, **settings)
    rouge = RougeCallback(sources, references, evaluate_at_start=True, **settings)
    model.fit(train, epochs=2, verbose=0, callbacks=[bleu, rouge])
    assert len(bleu.history) == len(rouge.history) == 3  # before training and after each epoch
    assert generations == [sources] * 3  # once per evaluation, not once per callback
    assert rouge.predictions == bleu.predictions
    assert bleu.history[-1]["val_bleu"] == pytest.approx(bleu_scores(bleu.predictions, references)["bleu"])
    assert rouge.history[-1]["val_rougeL"] == pytest.approx(rouge_scores(rouge.predictions, references)["rougeL"])
    # outside fit nothing says the weights are unchanged: each evaluate() generates, and finds the same texts
    assert bleu.evaluate() == pytest.approx({k: v for k, v in bleu.history[-1].items() if k.startswith("val_")})
    assert rouge.evaluate() == pytest.approx({k: v for k, v in rouge.history[-1].items() if k.startswith("val_")})
    assert len(generations) == 5


@pytest.mark.trains
def test_one_callback_logs_bleu_and_rouge_of_one_generation_per_evaluation(marian, generations):
    from kerastx import GenerationMetricsCallback
    from kerastx.metrics.generation import bleu_scores, rouge_scores

    model, tokenizer, train, sources, references = marian
    both = GenerationMetricsCallback(sources, references, metric_fn=[bleu_scores, rouge_scores],
                                     evaluate_at_start=True, **generation_settings(tokenizer))
    assert both.mode("val_bleu") == both.mode("val_rougeLsum") == "max"  # known before the first evaluation
    history = model.fit(train, epochs=1, verbose=0, callbacks=[both])
    assert generations == [sources] * 2
    expected = {**bleu_scores(both.predictions, references), **rouge_scores(both.predictions, references)}
    assert {name: history.history[f"val_{name}"][-1] for name in expected} == pytest.approx(expected)


def test_generations_are_shared_only_at_one_step_of_one_fit_with_the_same_sources_and_settings():
    from kerastx import GenerationOptions
    from kerastx.evaluation.generation import generated_once_per_step

    class Generator:
        """The settings a BucketedGenerator has, and a counter instead of a model."""

        def __init__(self, tokenizer, options):
            self.tokenizer, self.buckets, self.batch_size, self.options, self.prefix = tokenizer, [16], 8, options, ""
            self.calls = 0

        def __call__(self, texts):
            self.calls += 1
            return [f"{text} #{self.calls}" for text in texts]

    class Fit:  # what stands for one fit call (its History, in the callbacks)
        pass

    tokenizer, fit, sources = object(), Fit(), ["a", "b"]
    first, second = Generator(tokenizer, GenerationOptions()), Generator(tokenizer, GenerationOptions())
    shared = generated_once_per_step(first, sources, fit, 4)
    assert generated_once_per_step(second, list(sources), fit, 4) is shared and second.calls == 0
    assert generated_once_per_step(second, sources, fit, 5) == ["a #1", "b #1"]  # a new step
    assert generated_once_per_step(first, sources, Fit(), 5) == ["a #2", "b #2"]  # another fit
    assert generated_once_per_step(first, ["a"], fit, 5) == ["a #3"]  # other sources
    longer_texts = Generator(tokenizer, GenerationOptions(max_new_tokens=128))
    assert generated_once_per_step(longer_texts, sources, fit, 5) == ["a #1", "b #1"]  # other settings
    assert generated_once_per_step(Generator(object(), GenerationOptions()), sources, fit, 5) == ["a #1", "b #1"]


# --- 5. a Keras 3 callback in tf-keras fit ----------------------------------------------------------------------

@pytest.mark.trains
def test_a_keras3_callback_in_fit_is_a_one_line_error_naming_it_and_the_fix(mrpc):
    keras = pytest.importorskip("keras")
    if not keras.__version__.startswith("3"):
        pytest.skip(f"keras {keras.__version__} is not Keras 3")
    from kerastx.errors import NotTfKerasCallbackError

    class PrintLoss(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(logs)

    fresh_model, train, _, collator = mrpc
    model = fresh_model()
    expected = r"PrintLoss is a Keras 3 callback.*subclass tf_keras\.callbacks\.Callback"
    with pytest.raises(NotTfKerasCallbackError, match=expected) as error:
        model.fit(labels_in_features(train, collator), epochs=1, verbose=0, callbacks=[PrintLoss()])
    assert "\n" not in str(error.value) and isinstance(error.value, TypeError)
    with pytest.raises(NotTfKerasCallbackError, match="PrintLoss"):
        model.predict(labels_in_features(train, collator), verbose=0, callbacks=[PrintLoss()])


@pytest.mark.trains
def test_an_object_that_is_no_keras_callback_is_named_in_the_error(mrpc):
    from kerastx.errors import NotTfKerasCallbackError

    class EpochPrinter:
        def on_epoch_end(self, epoch, logs=None):
            print(epoch)

    fresh_model, train, _, collator = mrpc
    with pytest.raises(NotTfKerasCallbackError, match="EpochPrinter is not a tf-keras callback"):
        fresh_model().fit(labels_in_features(train, collator), epochs=1, verbose=0, callbacks=[EpochPrinter()])
