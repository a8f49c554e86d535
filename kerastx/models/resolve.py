"""Turn ``--model`` into a tokenizer and a TF model: packaged MiniLM, local directory, hub id, or scratch."""

from __future__ import annotations

import json
from pathlib import Path

from kerastx.errors import ConfigError, ModelError
from kerastx.hub import hub_offline_by_setting, hub_reachable, offline_reason
from kerastx.models.fewer_ops import use_fewer_ops
from kerastx.models.minilm import HUB_ID as MINILM_HUB_ID, is_minilm_alias, minilm_directory
from kerastx.models.pretrained import load_pretrained_tf
from kerastx.models.scratch import ScratchSpec, train_tokenizer
from kerastx.models.tokenizer_files import check_tokenizer_files

CONFIG_PATTERNS = ["*.json", "*.txt", "*.model", "*.spm"]  # configs, tokenizer files, vocabularies
OFFLINE_MODELS = "--model minilm (packaged), a local directory, or scratch:<architecture>-<size>"

# transformers' TF auto classes (a recipe's model_class) -> their tables of model types, in
# transformers.models.auto.modeling_tf_auto (importing it does not load TensorFlow)
MODEL_TYPE_TABLES = {
    "TFAutoModelForSequenceClassification": "TF_MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",
    "TFAutoModelForTokenClassification": "TF_MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",
    "TFAutoModelForQuestionAnswering": "TF_MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",
    "TFAutoModelForSeq2SeqLM": "TF_MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
    "TFAutoModelForMaskedLM": "TF_MODEL_FOR_MASKED_LM_MAPPING_NAMES",
    "TFAutoModelForCausalLM": "TF_MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
}
# Models whose positions are relative (no table of positions to run past); some configs still carry an unused
# n_positions (t5-small says 512).
RELATIVE_POSITIONS = frozenset({"t5", "mt5", "umt5", "longt5", "xlnet", "transfo-xl"})
# RoBERTa and its kin number positions from pad_token_id + 1, so max_position_embeddings 514 holds 512 tokens.
POSITIONS_AFTER_PADDING = frozenset({"roberta", "xlm-roberta", "camembert", "longformer", "mpnet",
                                     "roberta-prelayernorm"})


def is_scratch(spec: str) -> bool:
    return spec.startswith("scratch:")


def model_directory(spec: str, instead: str = OFFLINE_MODELS) -> Path:
    """A local directory holding the model ``spec`` names, downloading it from the Hub when it is a hub id;
    ``instead`` is what the error says to use when the Hub cannot be reached."""
    if is_minilm_alias(spec):
        return minilm_directory()
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{spec}: not a Hugging Face model directory (no config.json)")
        return path
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelError(f"{spec}: no such model directory")
    return _download(spec, instead)


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


def _download(repo_id: str, instead: str = OFFLINE_MODELS) -> Path:
    from huggingface_hub import HfApi, snapshot_download

    if hub_offline_by_setting():
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:
            raise ModelError(f"model '{repo_id}' is not in the local cache and {offline_reason()}; use "
                             f"{instead}") from None
    if not hub_reachable():
        raise ModelError(f"model '{repo_id}': {offline_reason()}; use {instead}")
    try:
        files = HfApi().list_repo_files(repo_id)
        return Path(snapshot_download(repo_id, allow_patterns=CONFIG_PATTERNS + _weight_patterns(files)))
    except Exception as err:
        raise ModelError(f"model '{repo_id}': {' '.join(str(err).split())[:300]}") from None


def check_pretrained(config, task: str, model_class: str, scratch_architectures: tuple[str, ...]) -> None:
    """Before anything loads: the pretrained ``config.model`` is found (locally, in the cache or on the Hub), is
    of a type ``model_class`` builds (a BERT encoder cannot translate), and has positions for ``max_length``
    source tokens and, for seq2seq, ``max_target_length`` and ``max_new_tokens`` target tokens.

    ``task`` names the recipe in messages; what they suggest instead fits it (``scratch_architectures``).

    Example::

        check_pretrained(config, "translation", "TFAutoModelForSeq2SeqLM", ("marian", "bart", "t5"))
        # ModelError: --model minilm is a bert model, which translation cannot use (...); use --model
        # scratch:marian-mini (trained from scratch here; ...), or a local directory
    """
    from transformers.models.auto import modeling_tf_auto

    model_types = tuple(getattr(modeling_tf_auto, MODEL_TYPE_TABLES[model_class]))
    packaged = "minilm (packaged), " if "bert" in model_types else ""  # the packaged MiniLM is a BERT
    instead = (f"--model {packaged}scratch:{scratch_architectures[0]}-mini (trained from scratch here; architectures: "
               f"{', '.join(scratch_architectures)}), or a local directory")
    directory = model_directory(config.model, instead)
    try:
        saved = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"{directory / 'config.json'}: cannot read the model's config: {err}") from None
    model_type = saved.get("model_type")
    if model_type is not None and model_type not in model_types:
        raise ModelError(f"--model {config.model} is a {model_type} model, which {task} cannot use ({model_class} "
                         f"takes {', '.join(model_types)}); use {instead}")
    for option, limit, key in _length_limits(saved):
        value = getattr(config, option, None)
        if value is not None and value > limit:
            raise ConfigError(f"{option} {value} is more than {config.model} can take: its position embeddings "
                              f"cover {limit} tokens ({key} in its config.json); use --{option} {limit} or less")


def _length_limits(saved: dict):
    """``(option, most tokens, config key)`` for each length option the model's positions bound."""
    if saved.get("model_type") in RELATIVE_POSITIONS or saved.get("position_biased_input") is False:
        return []  # DeBERTa without absolute positions, T5: relative positions only
    shared = next((key for key in ("max_position_embeddings", "n_positions") if isinstance(saved.get(key), int)), None)
    offset = saved.get("pad_token_id", 1) + 1 if saved.get("model_type") in POSITIONS_AFTER_PADDING else 0
    limits = []
    for options, own_key in ((("max_length",), "max_encoder_position_embeddings"),  # LED: encoder and decoder differ
                             (("max_target_length", "max_new_tokens"), "max_decoder_position_embeddings")):
        key = own_key if isinstance(saved.get(own_key), int) else shared
        if key is not None:
            limits += [(option, saved[key] - offset, key) for option in options]
    return limits


def load_tokenizer(config, training_texts=None):
    """The run's tokenizer: ``--tokenizer``, the model's own, or (scratch) one trained on ``training_texts``."""
    from transformers import AutoTokenizer

    if is_scratch(config.model) and config.tokenizer is None:
        if training_texts is None:
            raise ModelError("a scratch model needs training text to train its tokenizer on")
        spec = ScratchSpec.parse(config.model)
        return train_tokenizer(training_texts, spec.architecture, config.tokenizer_algorithm, config.vocab_size)
    source = config.tokenizer or config.model
    saved_tokenizer = Path(source).expanduser() / "tokenizer_config.json"  # a tokenizer's own folder has no config.json
    directory = saved_tokenizer.parent if saved_tokenizer.is_file() else model_directory(source)
    check_tokenizer_files(directory, source, given_as_tokenizer=config.tokenizer is not None)
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
        from transformers import AutoConfig

        model_config = AutoConfig.from_pretrained(str(model_directory(config.model)), **config_overrides)
        _check_vocabulary_fits(config, tokenizer, model_config)
        dropout = {} if config.dropout is None else dropout_overrides(model_config, config.dropout)
        if getattr(config, "from_scratch", False):  # the architecture alone, with new weights
            model_config.update(dropout)
            model = model_class.from_config(model_config)
        else:
            model = from_pretrained(model_class, config.model, **config_overrides, **dropout)
    model(model.dummy_inputs, training=False)  # HF TF models build lazily; checkpoints need built weights
    use_fewer_ops(model)
    return model


def _check_vocabulary_fits(config, tokenizer, model_config) -> None:
    """A tokenizer with more tokens than the model has embeddings (another model's, given with --tokenizer)
    would index past the embedding table."""
    vocab_size = getattr(model_config, "vocab_size", None)
    if tokenizer is not None and vocab_size is not None and len(tokenizer) > vocab_size:
        raise ModelError(f"the tokenizer ({config.tokenizer or config.model}) has {len(tokenizer)} tokens but "
                         f"{config.model} embeds only {vocab_size}: use the model's own tokenizer, or one it was "
                         "trained with")


# What transformers' configs call the dropout between layers: BART/Marian, BERT and kin, T5, GPT-2 (resid, embd).
DROPOUT_NAMES = ("dropout", "hidden_dropout_prob", "dropout_rate", "resid_pdrop", "embd_pdrop")


def dropout_overrides(model_config, dropout: float) -> dict:
    """``{name: dropout}`` for each dropout setting ``model_config`` has."""
    return {name: dropout for name in DROPOUT_NAMES if hasattr(model_config, name)}


def load_trained(run_dir, model_class: str):
    """``(tokenizer, model)`` saved in a run directory; ``model_class`` names a transformers TF auto class.
    Transformers' loading notes are silenced while it loads, so that only predictions reach the output."""
    import transformers
    from transformers import AutoTokenizer

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(run_dir))
        return tokenizer, getattr(transformers, model_class).from_pretrained(str(run_dir))
    finally:
        transformers.logging.set_verbosity(verbosity)
