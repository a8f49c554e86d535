"""kerastx: TensorFlow/Keras-first training recipes for Hugging Face transformers models.

Importing kerastx pins Keras 2 (``tf_keras``) for TensorFlow, because Hugging Face TF models are
tf-keras models: a Keras-3 optimizer, callback or precision policy silently breaks them. It must
therefore be imported before TensorFlow, or after a TensorFlow that was already set to legacy Keras.
It also lets ``transformers.pipeline(..., framework="tf")`` run without torch. What importing kerastx changes
in the process, and how to undo it: :mod:`kerastx.compat`.
"""

from kerastx.compat import env, torchless

__version__ = "0.1.0"

env.install()
torchless.install()

_PUBLIC = {
    "BleuCallback": "kerastx.callbacks.generation",
    "BucketedGenerator": "kerastx.generation.bucketed",
    "ClassificationMetricsCallback": "kerastx.callbacks.metrics",
    "GenerationMetricsCallback": "kerastx.callbacks.generation",
    "GenerationOptions": "kerastx.generation.bucketed",
    "length_buckets": "kerastx.generation.bucketed",
    "NoRepeatNGramProcessor": "kerastx.generation.no_repeat_ngram",
    "RougeCallback": "kerastx.callbacks.generation",
    "FeatureCollator": "kerastx.data.features",
    "FeatureSpec": "kerastx.data.features",
    "Feature": "kerastx.data.features",
    "ClassificationEvaluator": "kerastx.evaluation.classification",
    "GenerationEvaluator": "kerastx.evaluation.generation",
    "ExtractiveEvaluator": "kerastx.evaluation.extractive",
    "TokenClassificationEvaluator": "kerastx.evaluation.token_classification",
    "QuestionAnsweringEvaluator": "kerastx.evaluation.question_answering",
    "TextClassifier": "kerastx.inference.classification",
    "EntityPredictor": "kerastx.inference.entities",
    "AnswerPredictor": "kerastx.inference.answers",
    "ExtractiveSummarizer": "kerastx.generation.extractive",
    "load_predictor": "kerastx.recipes.registry",
    "RECIPES": "kerastx.recipes.registry",
    "SentenceScorer": "kerastx.generation.extractive",
    "EvaluationCallback": "kerastx.callbacks.metrics",
    "ExtractiveRougeCallback": "kerastx.callbacks.generation",
    "ProgressLogger": "kerastx.callbacks.progress",
    "PushToHubCallback": "kerastx.callbacks.hub_push",
    "HubUploader": "kerastx.hub_upload",
    "StepTensorBoard": "kerastx.callbacks.tensorboard",
    "WithValidationLoss": "kerastx.evaluation.loss",
    "KerastxError": "kerastx.errors",
    "load_model": "kerastx.models.resolve",
    "load_tokenizer": "kerastx.models.resolve",
    "from_pretrained": "kerastx.models.resolve",
    "build_tf_dataset": "kerastx.data.pipeline",
    "PerplexityEvaluator": "kerastx.evaluation.perplexity",
    "MaskFiller": "kerastx.inference.fill_mask",
    "Completer": "kerastx.inference.completion",
    "SamplingOptions": "kerastx.generation.seeded_sampling",
    "MaskingRule": "kerastx.data.masking",
    "mask_tokens": "kerastx.data.masking",
    "group_into_blocks": "kerastx.data.blocks",
    "read_text_corpus": "kerastx.data.readers.text_corpus",
    "ShardedBlocks": "kerastx.data.tfrecords",
    "write_shards": "kerastx.data.tfrecords",
    "run_recipe": "kerastx.training.trainer",
}


def __getattr__(name):
    """Public API is imported lazily, so that ``--help`` and config parsing never load TensorFlow."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kerastx' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_PUBLIC[name]), name)


__all__ = sorted(_PUBLIC)
