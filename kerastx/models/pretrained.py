"""Load pretrained weights into a Hugging Face TF model without torch.

Many checkpoints (the packaged MiniLM among them) only ship PyTorch-layout ``model.safetensors``.
``from_pretrained`` in transformers 4.57 cannot read those into TF without torch, so we read the
tensors as numpy arrays and hand them to transformers' own PyTorch->TF name mapping.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kerastx.errors import ModelError

log = logging.getLogger(__name__)


def safetensors_files(directory: Path) -> list[Path]:
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [directory / shard for shard in shards]
    single = directory / "model.safetensors"
    return [single] if single.is_file() else []


def _safetensors_format(file: Path) -> str:
    from safetensors import safe_open

    with safe_open(str(file), "np") as handle:
        return (handle.metadata() or {}).get("format", "pt")


def load_pretrained_tf(model_class, directory: str | Path, **config_overrides):
    """``model_class`` (a TFAutoModel... or TF model class) with the weights found in ``directory``.

    Heads that the checkpoint lacks (a classifier on a bare encoder) are newly initialised, as
    ``from_pretrained`` does; the names of such weights are logged.
    """
    from transformers import AutoConfig
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    directory = Path(directory)
    shards = safetensors_files(directory)
    if (directory / "tf_model.h5").is_file() or (directory / "tf_model.h5.index.json").is_file() or (
            shards and _safetensors_format(shards[0]) == "tf"):
        return model_class.from_pretrained(str(directory), **config_overrides)
    if not shards:
        found = ", ".join(sorted(p.name for p in directory.iterdir())) or "nothing"
        raise ModelError(f"{directory}: no TensorFlow or safetensors weights (found: {found}); "
                         "pytorch_model.bin needs torch: convert it to model.safetensors")
    from safetensors.numpy import load_file

    config = AutoConfig.from_pretrained(str(directory), **config_overrides)
    model = model_class.from_config(config) if hasattr(model_class, "from_config") else model_class(config)
    state = {}
    for shard in shards:
        state.update(load_file(str(shard)))
    model, info = load_pytorch_state_dict_in_tf2_model(model, state, allow_missing_keys=True,
                                                       output_loading_info=True, skip_logger_warnings=True)
    if info["missing_keys"]:
        log.info("newly initialised (not in the checkpoint): %s", ", ".join(info["missing_keys"]))
    return model
