"""What kerastx changes in your process, and how each change is undone.

kerastx's adjustments to the libraries it runs on (tf_keras, transformers, datasets, the import system) live
here, on the ground floor: every other package may import from here, and nothing here imports from them (only
from kerastx.errors). Each module of :data:`PATCHES` has ``is_installed()`` and ``uninstall()``; :func:`installed`
lists what is in place now::

    python -c "import kerastx, kerastx.compat as c; print(c.installed())"   # ['env', 'torchless']

Held for as long as the process (until ``uninstall()``):

- ``env``: ``import kerastx`` sets ``TF_USE_LEGACY_KERAS=1``, ``TF_ENABLE_ONEDNN_OPTS=1`` and
  ``TF_CPP_MIN_LOG_LEVEL=2`` where you have not set them (``--verbose``: ``TF_CPP_MIN_LOG_LEVEL=0``).
  TensorFlow reads them once, when it is imported.
- ``torchless``: ``import kerastx`` wraps ``transformers.pipeline`` (through an import hook until
  ``transformers.pipelines`` is imported) so that ``framework="tf"`` works without torch.
- ``callback_check``: importing ``kerastx.compat.keras`` (as every kerastx callback and training module does)
  makes ``tf_keras.callbacks.CallbackList`` refuse a Keras 3 callback with one line.
- ``quiet_logs``: a command's start (``kerastx.startup_logs.quiet_start_up``: the command-line entry points,
  and a language-modeling run that reads shards) filters transformers' "TensorFlow and JAX classes are
  deprecated" warning and, when stderr is not a terminal, turns off datasets' progress bars.

Held for a block, then put back as it was:

- ``mixed_precision``: tf-keras' global policy, inside ``kerastx.training.precision.global_precision`` (a
  training run, an export).
- ``embed_scale``: under a mixed policy, the ``__init__`` of the encoder and decoder classes of Marian, BART,
  mBART, Pegasus and Blenderbot, inside the same block.
- ``dropout``: tf-keras' switch to ``tf.random.Generator`` dropout, during a training run.

Not undone, and not listed: a training run seeds Python's, NumPy's and TensorFlow's global random generators
(``tf_keras.utils.set_random_seed(seed)``); the run owns the process. Held only inside a call, never listed:
transformers' log verbosity while a finished run loads (errors only), a SIGTERM handler while an entry point
runs, SIGTERM, SIGINT and SIGUSR1 handlers while a run's ``fit`` runs, huggingface_hub's progress bars while a
Hub upload runs, a warnings filter while a TFLite model loads.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Patch:
    """One process-wide change: ``name`` is its module in ``kerastx.compat``, which makes and undoes it."""

    name: str
    changes: str
    why: str
    undo: str

    def is_installed(self) -> bool:
        """In place now (a change whose module was never imported never was)."""
        module = sys.modules.get(f"{__name__}.{self.name}")
        return module is not None and module.is_installed()

    def uninstall(self) -> None:
        module = sys.modules.get(f"{__name__}.{self.name}")
        if module is not None:
            module.uninstall()


PATCHES = (
    Patch("env", "TF_USE_LEGACY_KERAS=1, TF_ENABLE_ONEDNN_OPTS=1, TF_CPP_MIN_LOG_LEVEL=2 where unset (0: --verbose)",
          "Hugging Face TF models are tf-keras models; oneDNN nearly doubles matmul speed on AMD CPUs; quiet C++ logs",
          "unsets them, or gives back the values from before (TensorFlow, once imported, keeps what it read)"),
    Patch("torchless", "transformers.pipeline wrapped (an import hook until transformers.pipelines is imported)",
          "pipeline(framework='tf') without torch: its dtype='auto' default asks torch",
          "removes the import hook and unwraps pipeline"),
    Patch("callback_check", "tf_keras.callbacks.CallbackList.__init__ checks its callbacks",
          "a Keras 3 callback fails with one line, not an AttributeError inside fit",
          "puts tf-keras' own __init__ back"),
    Patch("quiet_logs", "a filter on 4 transformers loggers; datasets' progress bars off (quiet_start_up)",
          "a run's log holds its own lines, not a known deprecation warning and redrawn progress bars",
          "removes the filters; turns the bars back on if they were on"),
    Patch("mixed_precision", "tf_keras' global mixed-precision policy, in a global_precision block",
          "--precision: the models built in a run compute in its policy",
          "the policy from before, when the block ends"),
    Patch("embed_scale", "__init__ of Marian, BART, mBART, Pegasus, Blenderbot encoders and decoders",
          "their float32 embed_scale tensor cannot multiply bfloat16/float16 embeddings",
          "the original __init__ of each class, when the global_precision block ends"),
    Patch("dropout", "tf-keras dropout draws from tf.random.Generator (enable_tf_random_generator), in a run",
          "a checkpoint holds the generators' state, so a resumed run draws the same dropout masks",
          "switched back (disable_tf_random_generator) when the run ends, if it was off"),
)


def installed() -> list[str]:
    """The names of the :data:`PATCHES` in place now."""
    return [patch.name for patch in PATCHES if patch.is_installed()]
