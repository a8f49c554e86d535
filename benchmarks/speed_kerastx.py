"""vs_pytorch.py's kerastx worker: one run of a case's recipe config, as a user starts it, with a clock on
every step end and a record of the batch shapes its collator made.

    python benchmarks/speed_kerastx.py CASE PRECISION OUTPUT_DIR [extra kerastx flags]
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.speed_cases import case_named, non_embedding_params, ROOT, timing_summary, write_result  # noqa: E402


def model_shape(model) -> dict:
    """Non-embedding parameters (encoder side and decoder side), layers and hidden size, for model FLOPs."""
    config = model.config
    counts = non_embedding_params((weight.name, weight.shape.num_elements()) for weight in model.trainable_weights)
    layers = getattr(config, "encoder_layers", None) or getattr(config, "num_hidden_layers", None) or config.n_layer
    hidden = getattr(config, "d_model", None) or getattr(config, "hidden_size", None) or config.n_embd
    return {**counts, "layers": layers, "hidden": hidden}


def main(case_name: str, precision: str, output_dir: str, extra: list[str]) -> None:
    import kerastx  # noqa: F401  (legacy Keras before TensorFlow)
    from kerastx.cli import run_cli
    from kerastx.compat.keras import tf_keras
    from kerastx.data.features import FeatureCollator
    from kerastx.recipes.registry import RECIPES
    from kerastx.training import trainer

    case = case_named(case_name)
    shapes, step_ends, shape_of_model = [], [], {}

    class StepClock(tf_keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step_ends.append(time.perf_counter())

        def on_train_end(self, logs=None):
            shape_of_model.update(model_shape(self.model))

    collate = FeatureCollator.__call__

    def recording_collate(self, rows):
        batch = collate(self, rows)
        target = batch.get("labels")
        shapes.append((len(rows), batch["input_ids"].shape[1],
                       target.shape[1] if target is not None and target.ndim == 2 and case.task == "translation" else 0))
        return batch

    FeatureCollator.__call__ = recording_collate
    callbacks = trainer._callbacks
    trainer._callbacks = lambda *args, **kwargs: [*callbacks(*args, **kwargs), StepClock()]

    os.chdir(ROOT)
    run_cli(RECIPES[case.recipe], case.kerastx_argv(output_dir, precision) + extra)
    if case.static_shapes:  # collated row by row, then batched in tf.data: every batch has the one shape
        shapes = [(case.batch_size, case.max_length, case.max_target_length or 0)] * case.total_steps
    write_result({"framework": "kerastx", **timing_summary(step_ends, shapes, case), "model": shape_of_model})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
