"""Turn ``--model`` into a tokenizer and a TF model: packaged MiniLM, local directory, hub id, or scratch."""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import ModelError
from kerastx.hub import hub_offline_by_setting, hub_reachable, offline_reason
from kerastx.models.minilm import HUB_ID as MINILM_HUB_ID, is_minilm_alias, minilm_directory
from kerastx.models.pretrained import load_pretrained_tf
from kerastx.models.scratch import ScratchSpec, train_tokenizer

CONFIG_PATTERNS = ["*.json", "*.txt", "*.model", "*.spm"]  # configs, tokenizer files, vocabularies


def is_scratch(spec: str) -> bool:
    return spec.startswith("scratch:")


def model_directory(spec: str) -> Path:
    """A local directory holding the model ``spec`` names, downloading it from the Hub when it is a hub id."""
    if is_minilm_alias(spec):
        return minilm_directory()
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{spec}: not a Hugging Face model directory (no config.json)")
        return path
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelError(f"{spec}: no such model directory")
    return _download(spec)


def base_model_id(spec: str) -> str | None:
    """The Hub id of the pretrained model ``spec`` names (the packaged MiniLM's original id for it); None
    for a scratch model or a local directory."""
    if is_scratch(spec):
        return None
    if is_minilm_alias(spec):
        return MINILM_HUB_ID
    if spec.startswith((".", "/", "~")) or Path(spec).expanduser().exists():
        return None
    return spec


def from_pretrained(model_class, name: str, **kwargs):
    """``model_class.from_pretrained(name, **kwargs)`` that works for TensorFlow without torch, and for
    ``name="minilm"``, the packaged all-MiniLM-L6-v2.

    ``name`` is "minilm", a local Hugging Face directory or a hub id (downloaded when the Hub is
    reachable, else read from the local cache). A TF model class (``TFAutoModelFor...``, ``TFBertModel``)
    gets the checkpoint's weights: native TF weights through the class's own ``from_pretrained``,
    PyTorch-layout safetensors (which that cannot read without torch) through transformers' PyTorch->TF
    name mapping; a head the checkpoint lacks is newly initialised, and ``kwargs`` override the config
    (``num_labels=9``, ``id2label=...``). Any other class (``AutoTokenizer``, ``AutoConfig``) is its own
    ``from_pretrained`` on the same directory. Call it inside a strategy's scope and after setting a
    precision policy, as for any Keras model.

    Example::

        import kerastx
        from transformers import AutoTokenizer, TFAutoModelForTokenClassification

        tokenizer = kerastx.from_pretrained(AutoTokenizer, "minilm")
        model = kerastx.from_pretrained(TFAutoModelForTokenClassification, "minilm", num_labels=9)
    """
    directory = model_directory(name)
    if _is_tf_model_class(model_class):
        return load_pretrained_tf(model_class, directory, **kwargs)
    return model_class.from_pretrained(str(directory), **kwargs)


def _is_tf_model_class(model_class) -> bool:
    from transformers import TFPreTrainedModel

    return model_class.__name__.startswith("TFAutoModel") or (
        isinstance(model_class, type) and issubclass(model_class, TFPreTrainedModel))


def _weight_patterns(files: list[str]) -> list[str]:
    """Only the weights TF can use, preferring native TF weights: a hub repo often holds several formats."""
    if any(f.startswith("tf_model") for f in files):
        return ["tf_model*"]
    return ["model*.safetensors", "model.safetensors.index.json"]


def _download(repo_id: str) -> Path:
    from huggingface_hub import HfApi, snapshot_download

    if hub_offline_by_setting():
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:
            raise ModelError(f"model '{repo_id}' is not in the local cache and {offline_reason()}; use "
                             "--model minilm (packaged), a local directory, or scratch:<architecture>-<size>") from None
    if not hub_reachable():
        raise ModelError(f"model '{repo_id}': {offline_reason()}; use --model minilm (packaged), a local directory, "
                         "or scratch:<architecture>-<size>")
    try:
        files = HfApi().list_repo_files(repo_id)
        return Path(snapshot_download(repo_id, allow_patterns=CONFIG_PATTERNS + _weight_patterns(files)))
    except Exception as err:
        raise ModelError(f"model '{repo_id}': {' '.join(str(err).split())[:300]}") from None


def load_tokenizer(config, training_texts=None):
    """The run's tokenizer: ``--tokenizer``, the model's own, or (scratch) one trained on ``training_texts``."""
    from transformers import AutoTokenizer

    if is_scratch(config.model) and config.tokenizer is None:
        if training_texts is None:
            raise ModelError("a scratch model needs training text to train its tokenizer on")
        spec = ScratchSpec.parse(config.model)
        return train_tokenizer(training_texts, spec.architecture, config.tokenizer_algorithm, config.vocab_size)
    source = config.tokenizer or config.model
    directory = model_directory(source)
    try:
        return AutoTokenizer.from_pretrained(str(directory))
    except Exception as err:
        raise ModelError(f"{source}: cannot load its tokenizer: {' '.join(str(err).split())[:200]}") from None


def load_model(model_class, config, tokenizer, **config_overrides):
    """``model_class`` (e.g. ``TFAutoModelForSequenceClassification``) for ``config.model``, built and ready.

    Call inside the distribution strategy's scope and after the precision policy is set.
    """
    if is_scratch(config.model):
        spec = ScratchSpec.parse(config.model)
        model_config = spec.build_config(tokenizer, config.max_length, **config_overrides)
        if config.dropout is not None:
            model_config.update(dropout_overrides(model_config, config.dropout))
        model = model_class.from_config(model_config)
    else:
        dropout = {}
        if config.dropout is not None:
            from transformers import AutoConfig

            dropout = dropout_overrides(AutoConfig.from_pretrained(str(model_directory(config.model))), config.dropout)
        model = from_pretrained(model_class, config.model, **config_overrides, **dropout)
    model(model.dummy_inputs, training=False)  # HF TF models build lazily; checkpoints need built weights
    return model


# What transformers' configs call the dropout between layers: BART/Marian, BERT and its kin, T5.
DROPOUT_NAMES = ("dropout", "hidden_dropout_prob", "dropout_rate")


def dropout_overrides(model_config, dropout: float) -> dict:
    """``{name: dropout}`` for each dropout setting ``model_config`` has."""
    return {name: dropout for name in DROPOUT_NAMES if hasattr(model_config, name)}


def load_trained(run_dir, model_class: str):
    """``(tokenizer, model)`` saved in a run directory; ``model_class`` names a transformers TF auto class.
    Transformers' loading notes are silenced, so that only predictions reach the output."""
    import transformers
    from transformers import AutoTokenizer

    transformers.logging.set_verbosity_error()
    return AutoTokenizer.from_pretrained(str(run_dir)), getattr(transformers, model_class).from_pretrained(str(run_dir))
