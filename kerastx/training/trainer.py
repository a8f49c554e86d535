"""The shared trainer: config -> data -> model -> fit with callbacks -> run directory.

A recipe only declares its task-specific pieces (see :class:`kerastx.recipes.base.Recipe`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from kerastx.config import config_to_dict
from kerastx.data.pipeline import build_tf_dataset
from kerastx.data.splits import load_splits
from kerastx.models.resolve import is_scratch, load_model, load_tokenizer
from kerastx.report import model_card, plot_training_curves
from kerastx.run_dir import RunDirectory
from kerastx.training.keras import tf_keras
from kerastx.training.optimizer import build_optimizer
from kerastx.training.precision import float32_logits, set_precision
from kerastx.training.strategy import choose_strategy


@dataclass
class RunResult:
    output_dir: Path
    metrics: dict  # final validation metrics, e.g. {"val_accuracy": 0.85, "val_f1": 0.89}
    evaluations: list[dict]
    train_samples_per_second: float
    wall_seconds: float
    baselines: dict  # reference scores on the same evaluation data, e.g. lead-3 ROUGE; {} when none


class StopAtStep(tf_keras.callbacks.Callback):
    """Stops training after ``max_steps`` optimizer steps."""

    def __init__(self, max_steps: int):
        super().__init__()
        self.max_steps = max_steps
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps >= self.max_steps:
            self.model.stop_training = True


def run_recipe(recipe, config) -> RunResult:
    """Train, evaluate and save one run of ``recipe`` as ``config`` describes.

    Example::

        from kerastx.recipes.text_classification import TextClassification
        config = TextClassification.config_class(train_file="train.tsv", ...)
        result = run_recipe(TextClassification(), config)
        print(result.metrics["val_f1"])
    """
    started = time.perf_counter()
    tf_keras.utils.set_random_seed(config.seed)
    output_dir = config.output_dir or f"runs/{recipe.name}"
    with RunDirectory(output_dir, overwrite=config.overwrite_output_dir) as run:
        splits = load_splits(config, recipe.builtin_datasets, lambda path: recipe.read_file(config, path),
                             recipe.held_out_group(config))
        splits.require_columns(recipe.required_columns(config))
        texts = recipe.training_texts(config, splits) if is_scratch(config.model) and not config.tokenizer else None
        tokenizer = load_tokenizer(config, texts)
        prepared = recipe.prepare(config, splits, tokenizer)
        print(f"[data] {len(prepared.train)} training and {len(prepared.validation)} validation examples "
              f"from {splits.description} ({time.perf_counter() - started:.0f}s)", flush=True)

        strategy = choose_strategy(config.strategy, config.tpu)
        set_precision(config.precision, config.model)
        eval_batch_size = config.eval_batch_size or 2 * config.batch_size
        with strategy.scope():
            import transformers

            model = load_model(getattr(transformers, recipe.model_class), config, tokenizer, **prepared.model_overrides)
            float32_logits(model)
            collator = recipe.collator(config, tokenizer, static=config.static_shapes, model=model)
            train_ds = build_tf_dataset(model, prepared.train, collator, config.batch_size, shuffle=True,
                                        seed=config.seed, group_by_length=config.group_by_length,
                                        drop_remainder=config.static_shapes)
            eval_ds = build_tf_dataset(model, prepared.validation, collator, eval_batch_size, shuffle=False,
                                       group_by_length=config.group_by_length)
            steps_per_epoch = len(prepared.train) // config.batch_size if config.static_shapes else math.ceil(
                len(prepared.train) / config.batch_size)
            total_steps = config.max_steps or steps_per_epoch * config.epochs
            model.compile(optimizer=build_optimizer(config, total_steps), jit_compile=config.jit_compile)

        print(f"[model] {config.model} on {type(strategy).__name__} ({time.perf_counter() - started:.0f}s)", flush=True)
        metrics = recipe.metrics_callback(config, eval_ds, prepared)
        epochs = math.ceil(config.max_steps / steps_per_epoch) if config.max_steps else config.epochs
        fit_started = time.perf_counter()
        history = model.fit(train_ds, epochs=epochs, callbacks=_callbacks(recipe, config, metrics, run),
                            verbose=2 if _quiet() else 1)
        fit_seconds = time.perf_counter() - fit_started
        final = metrics.evaluate() if config.early_stopping_patience else {
            k: v for k, v in metrics.history[-1].items() if k.startswith("val_")}
        samples_seen = metrics.steps * config.batch_size if config.max_steps else len(prepared.train) * len(history.epoch)
        samples_per_second = samples_seen / fit_seconds

        print(f"[save] {output_dir} (fit took {fit_seconds:.0f}s)", flush=True)
        model.save_pretrained(run.path)
        tokenizer.save_pretrained(run.path)
        resolved = {**config_to_dict(config), "recipe": recipe.name}
        run.write_yaml("config.yaml", resolved)
        wall = time.perf_counter() - started
        run.write_json("metrics.json", {"final": final, "evaluations": metrics.history, "baselines": prepared.baselines,
                                        "train_loss": history.history.get("loss", []),
                                        "train_samples_per_second": samples_per_second,
                                        "fit_seconds": fit_seconds, "wall_seconds": wall})
        plot_training_curves(history.history, metrics.history, run.path / "training_curves.png")
        (run.path / "README.md").write_text(model_card(
            recipe.title, recipe.name, resolved, splits.description, final, metrics.history,
            prepared.card_details, wall), encoding="utf-8")
        for line in recipe.show_predictions(config, model, tokenizer, prepared, splits, count=5):
            print(f"[example] {line}", flush=True)
    shown = "  ".join(f"{k}={v:.4f}" for k, v in final.items())
    print(f"[done] {shown}  ({samples_per_second:.1f} train samples/s, {wall / 60:.1f} min) -> {output_dir}", flush=True)
    return RunResult(Path(output_dir), final, metrics.history, samples_per_second, wall, prepared.baselines)


def _callbacks(recipe, config, metrics, run) -> list:
    """The metrics callback first (the others read the values it writes into the logs), then the rest."""
    callbacks = [metrics, tf_keras.callbacks.TensorBoard(log_dir=str(run.path / "logs"))]
    if config.early_stopping_patience:
        callbacks.append(tf_keras.callbacks.EarlyStopping(
            monitor=config.metric_for_best or f"val_{recipe.main_metric}", mode="max",
            patience=config.early_stopping_patience, restore_best_weights=True))
    if config.max_steps:
        callbacks.append(StopAtStep(config.max_steps))
    return callbacks


def _quiet() -> bool:
    """One line per epoch instead of a progress bar when output is not a terminal (CI, logs)."""
    import sys

    return not sys.stdout.isatty()
