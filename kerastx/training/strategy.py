"""Distribution strategy: TPU, multi-worker, mirrored GPUs or one device, chosen by the environment or a flag."""

from __future__ import annotations

import json
import logging
import os

from kerastx.errors import ConfigError

log = logging.getLogger(__name__)


def _connect_tpu(tpu: str | None):
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _tf_config() -> dict:
    try:
        return json.loads(os.environ.get("TF_CONFIG", "{}"))
    except json.JSONDecodeError:
        raise ConfigError("TF_CONFIG is not valid JSON") from None


def _multi_worker_configured() -> bool:
    return sum(len(tasks) for tasks in _tf_config().get("cluster", {}).values()) > 1


def non_chief_task() -> str | None:
    """In multi-worker training (``TF_CONFIG``), this task's name ("worker-1") when it is not the chief, which
    writes the run (the "chief" task, or worker 0 where there is none); None on the chief and outside a
    cluster. Read without TensorFlow."""
    config = _tf_config()
    task = config.get("task") or {}
    if not _multi_worker_configured() or not task:
        return None
    kind, index = task.get("type"), int(task.get("index", 0))
    chief = kind == "chief" or (kind == "worker" and index == 0 and "chief" not in config.get("cluster", {}))
    return None if chief else f"{kind}-{index}"


def choose_strategy(name: str = "auto", tpu: str | None = None):
    """The ``tf.distribute`` strategy for ``name`` ('auto', 'tpu', 'multi_worker', 'mirrored', 'one_device').

    'auto' tries a TPU only where one is announced (a TPU name, or ``TPU_NAME``/``COLAB_TPU_ADDR``),
    so that CPU and GPU machines do not wait on a TPU lookup.
    """
    import tensorflow as tf

    if name == "tpu" or (name == "auto" and (tpu or os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR"))):
        try:
            return _connect_tpu(tpu)
        except (ValueError, tf.errors.OpError) as err:
            if name == "tpu":
                raise ConfigError(f"strategy tpu: no TPU reachable ({' '.join(str(err).split())[:200]})") from None
            log.warning("no TPU reachable, falling back: %s", err)
    if name == "multi_worker" or (name == "auto" and _multi_worker_configured()):
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return tf.distribute.MirroredStrategy()
    device = gpus[0].name if gpus else "/cpu:0"
    return tf.distribute.OneDeviceStrategy(device)
