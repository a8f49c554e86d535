"""Mixed precision for tf-keras models (a Keras-3 policy has no effect on Hugging Face TF models).

``--precision auto`` (the default) asks the hardware: :func:`choose_precision` is the rule,
:meth:`Hardware.detect` the facts it reads, and the run logs and records the choice with its reason.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from kerastx.config import PRECISION_POLICIES

FLOAT32, MIXED_FLOAT16, MIXED_BFLOAT16 = PRECISION_POLICIES.values()  # the tf-keras names, as config lists them

# oneDNN's instruction-set masks (dnnl_cpu_isa_t): a level includes another when its mask holds all of the
# other's bits. ONEDNN_MAX_CPU_ISA caps oneDNN at one of them; aliases name the same mask.
ONEDNN_ISA_MASKS = {
    "SSE41": 0x1, "AVX": 0x3, "AVX2": 0x7, "AVX2_VNNI": 0xF, "AVX2_VNNI_2": 0x1F, "AVX512_CORE": 0x27,
    "AVX512_CORE_VNNI": 0x67, "AVX512_CORE_BF16": 0xE7, "AVX10_1_512": 0x1EF, "AVX512_CORE_FP16": 0x1EF,
    "AVX10_1_512_AMX": 0xFEF, "AVX512_CORE_AMX": 0xFEF, "AVX10_1_512_AMX_FP16": 0x1FEF,
    "AVX512_CORE_AMX_FP16": 0x1FEF,
}
# CPU flags (as /proc/cpuinfo names them) that compute bfloat16 natively, with the oneDNN level that uses them.
NATIVE_BF16_FLAGS = {"avx512_bf16": "AVX512_CORE_BF16", "amx_bf16": "AVX512_CORE_AMX"}
SHOWN_CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
T5_FAMILY = ("t5", "mt5", "umt5", "byt5")


class Gpu(NamedTuple):
    name: str
    capability: tuple[int, int]  # CUDA compute capability, e.g. (8, 0) for an A100


@dataclass(frozen=True)
class Hardware:
    """What decides the precision: the device kind the strategy trains on ("CPU", "GPU" or "TPU"), its
    GPUs, and on CPU the instruction-set flags and the cap ``ONEDNN_MAX_CPU_ISA`` puts on oneDNN."""

    device: str
    gpus: tuple[Gpu, ...] = ()
    cpu_flags: frozenset[str] = field(default_factory=frozenset)
    onednn_max_isa: str | None = None

    @classmethod
    def detect(cls, strategy) -> Hardware:
        """The hardware ``strategy`` (a ``tf.distribute`` strategy) trains on."""
        import tensorflow as tf

        flags, cap = cpu_flags(), os.environ.get("ONEDNN_MAX_CPU_ISA")
        if isinstance(strategy, tf.distribute.TPUStrategy):
            return cls("TPU", cpu_flags=flags, onednn_max_isa=cap)
        if any("GPU" in device.upper() for device in strategy.extended.worker_devices):
            gpus = []
            for gpu in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(gpu)
                capability = tuple(details.get("compute_capability", (0, 0)))  # none for non-CUDA GPUs
                gpus.append(Gpu(details.get("device_name", gpu.name), capability))
            return cls("GPU", tuple(gpus), flags, cap)
        return cls("CPU", cpu_flags=flags, onednn_max_isa=cap)

    def native_bf16_flags(self) -> list[str]:
        """The CPU's bfloat16 flags that oneDNN may use under ``ONEDNN_MAX_CPU_ISA``."""
        cap = ONEDNN_ISA_MASKS.get((self.onednn_max_isa or "").upper())  # unset, ALL, DEFAULT: no cap
        return [flag for flag, level in NATIVE_BF16_FLAGS.items() if flag in self.cpu_flags
                and (cap is None or cap & ONEDNN_ISA_MASKS[level] == ONEDNN_ISA_MASKS[level])]

    def describe(self) -> str:
        """E.g. ``CPU (avx2 avx512f avx512_bf16 amx_bf16)`` or ``GPU: NVIDIA A100 (compute capability 8.0)``."""
        if self.device == "GPU":
            return "GPU: " + ", ".join(f"{gpu.name} (compute capability {gpu.capability[0]}.{gpu.capability[1]})"
                                       for gpu in self.gpus)
        if self.device == "TPU":
            return "TPU"
        shown = [flag for flag in SHOWN_CPU_FLAGS if flag in self.cpu_flags]
        if self.onednn_max_isa:
            shown.append(f"ONEDNN_MAX_CPU_ISA={self.onednn_max_isa}")
        return f"CPU ({' '.join(shown)})" if shown else "CPU"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's instruction-set flags from ``/proc/cpuinfo`` (empty where there is none, e.g. macOS)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def is_t5_family(model_name: str) -> bool:
    """T5, mT5, ByT5... by name (``t5-small``, ``google/flan-t5-base``, ``scratch:t5-tiny``) or, for a local
    directory, by the ``model_type`` in its ``config.json``."""
    import json

    config = Path(model_name) / "config.json"
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("model_type") in T5_FAMILY
    except (OSError, ValueError, AttributeError):  # not a local directory, or not a model's (loading says so later)
        return "t5" in model_name.lower()


def choose_precision(requested: str, model_name: str, hardware: Hardware) -> tuple[str, str]:
    """The Keras policy for ``requested`` ("auto", "fp32", "mixed_float16" or "mixed_bfloat16") and why.

    "auto" picks mixed_bfloat16 where the hardware computes bfloat16 natively (a TPU; a GPU of compute
    capability >= 8.0; a CPU with AVX512_BF16 or AMX-BF16), mixed_float16 with loss scaling on GPUs with
    float16 tensor cores (compute capability 7.x) except for the T5 family, whose activations overflow
    float16, and float32 everywhere else, where reduced precision is emulated (CPU) or not faster (GPU).

    On CPU, ``ONEDNN_MAX_CPU_ISA`` counts: capped below AVX512_CORE_BF16 (e.g. ``AVX2`` or ``AVX512_CORE``),
    oneDNN does not use the bf16 instructions, so "auto" picks float32 even on a CPU that has them. That is
    also how to see what a CPU without AVX-512 gets, on one with it: run with ``ONEDNN_MAX_CPU_ISA=AVX2``.

    Example::

        choose_precision("auto", "scratch:marian-mini", Hardware("GPU", (Gpu("Tesla T4", (7, 5)),)))
        # ("mixed_float16", "auto: Tesla T4 (compute capability 7.5) has float16 tensor cores but no native bfloat16")
    """
    if requested != "auto":
        return keras_policy(requested), "as configured"
    if hardware.device == "TPU":
        return MIXED_BFLOAT16, "auto: TPUs compute bfloat16 natively"
    if hardware.device == "GPU":
        weakest = min(hardware.gpus, key=lambda gpu: gpu.capability)
        shown = f"{weakest.name} (compute capability {weakest.capability[0]}.{weakest.capability[1]})"
        if weakest.capability >= (8, 0):
            return MIXED_BFLOAT16, f"auto: {shown} computes bfloat16 natively"
        if weakest.capability < (7, 0):
            return FLOAT32, f"auto: {shown} has no float16 tensor cores"
        if is_t5_family(model_name):
            return FLOAT32, f"auto: {shown} has no native bfloat16, and T5 models overflow in float16"
        return MIXED_FLOAT16, f"auto: {shown} has float16 tensor cores but no native bfloat16 (loss scaling on)"
    native = hardware.native_bf16_flags()
    if native:
        return MIXED_BFLOAT16, f"auto: this CPU computes bfloat16 natively with {', '.join(native)}"
    bf16_flags = [flag for flag in NATIVE_BF16_FLAGS if flag in hardware.cpu_flags]
    if bf16_flags:
        return FLOAT32, (f"auto: ONEDNN_MAX_CPU_ISA={hardware.onednn_max_isa} keeps oneDNN from this CPU's "
                         f"{', '.join(bf16_flags)}, so bfloat16 would be emulated")
    return FLOAT32, "auto: this CPU has no AVX512_BF16 or AMX, so bfloat16 would be emulated (slower than float32)"


def check_precision_fits(requested: str, model_name: str) -> None:
    """Refuse, before anything loads, a precision known to break the model: T5 models under mixed_float16."""
    from kerastx.errors import ConfigError

    if requested == MIXED_FLOAT16 and is_t5_family(model_name):
        raise ConfigError(f"precision mixed_float16 with {model_name}: T5 models overflow float16 and their loss "
                          f"becomes NaN; use --precision mixed_bfloat16 (TPU, GPU of compute capability >= 8, CPU "
                          f"with AVX512_BF16 or AMX) or fp32")


def keras_policy(precision: str) -> str:
    """The tf-keras policy a ``--precision`` value sets (``fp32`` -> ``float32``); a policy name is itself."""
    return PRECISION_POLICIES.get(precision, precision)


def precision_option(policy: str) -> str:
    """The ``--precision`` value that sets a tf-keras ``policy`` (``float32`` -> ``fp32``)."""
    return next((option for option, name in PRECISION_POLICIES.items() if name == policy), policy)


@contextlib.contextmanager
def global_precision(precision: str, model_name: str = ""):
    """The tf-keras global policy for ``precision`` (``fp32`` or a Keras policy name) inside the block, for the
    models built in it; after it, everything it changed is as before: the policy and, where a mixed policy
    needed it, Marian's and BART's classes (see :mod:`kerastx.compat.mixed_precision`).

    Example::

        with global_precision("mixed_bfloat16", "Helsinki-NLP/opus-mt-en-fr"):
            model = TFAutoModelForSeq2SeqLM.from_pretrained("Helsinki-NLP/opus-mt-en-fr")
    """
    from kerastx.compat.mixed_precision import global_policy

    policy = keras_policy(precision)
    check_precision_fits(policy, model_name)
    with global_policy(policy):
        yield


def float32_logits(model) -> None:
    """Make ``model`` return float32 logits under a mixed policy, as the Keras mixed-precision guide
    advises for a model's outputs. Hugging Face TF models return them in the compute dtype
    (bfloat16/float16), which beam search and logits processors cannot add to their float32 scores.
    """
    import functools

    import tensorflow as tf

    if model.compute_dtype == "float32":
        return
    compute_call = model.call

    @functools.wraps(compute_call)  # generate() checks its arguments against call's signature
    def call_with_float32_logits(*args, **kwargs):
        outputs = compute_call(*args, **kwargs)
        if getattr(outputs, "logits", None) is not None:
            outputs.logits = tf.cast(outputs.logits, tf.float32)
        return outputs

    model.call = call_with_float32_logits
