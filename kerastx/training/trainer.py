"""The shared trainer: config -> data -> model -> fit with callbacks -> run directory.

A recipe only declares its task-specific parts (see :class:`kerastx.recipes.base.Recipe`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.callbacks.progress import ProgressLogger
from kerastx.callbacks.tensorboard import StepTensorBoard
from kerastx.config import config_to_dict
from kerastx.data.features import FeatureCollator
from kerastx.data.pipeline import build_tf_dataset
from kerastx.data.splits import load_splits
from kerastx.errors import ConfigError, shortened
from kerastx.evaluation.loss import WithValidationLoss
from kerastx.models.resolve import is_scratch, load_model, load_tokenizer
from kerastx.report import best_evaluation, model_card, plot_training_curves
from kerastx.run_dir import RunDirectory
from kerastx.training.keras import tf_keras
from kerastx.training.optimizer import build_optimizer
from kerastx.training.precision import Hardware, choose_precision, float32_logits, global_precision
from kerastx.training.strategy import choose_strategy

EXAMPLES_SHOWN = 5
PROGRESS_EVERY_SECONDS = 30.0  # how often a progress line is printed when output is not a terminal


@dataclass
class RunResult:
    output_dir: Path
    metrics: dict  # final validation metrics, e.g. {"val_accuracy": 0.85, "val_f1": 0.89}
    evaluations: list[dict]
    train_samples_per_second: float
    wall_seconds: float
    baselines: dict  # reference scores on the same evaluation data, e.g. lead-3 ROUGE; {} when none
    best: dict  # the best evaluation of the watched metric: {"metric", "mode", "value", "epoch", "step"}


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

        from kerastx.recipes.text_classification import RECIPE
        config = RECIPE.config_class(train_file="train.tsv", ...)
        result = run_recipe(RECIPE, config)
        print(result.metrics["val_f1"])
    """
    started = time.perf_counter()
    recipe.check(config)
    tf_keras.utils.set_random_seed(config.seed)
    output_dir = config.output_dir or f"runs/{recipe.name}"
    strategy = choose_strategy(config.strategy, config.tpu)
    runtime = _runtime(config, strategy)
    data = recipe.data(config)
    with RunDirectory(output_dir, overwrite=config.overwrite_output_dir) as run, \
            global_precision(runtime["precision"], config.model):
        splits = load_splits(config, recipe.builtin_datasets, data.read_file, data.held_out_group())
        splits.require_columns(data.required_columns())
        texts = data.training_texts(splits) if is_scratch(config.model) and not config.tokenizer else None
        tokenizer = load_tokenizer(config, texts)
        prepared = data.prepare(splits, tokenizer)
        print(f"[data] {len(prepared.train)} training and {prepared.validation_size} validation examples "
              f"from {splits.description} ({time.perf_counter() - started:.0f}s)", flush=True)
        for name, value in prepared.baselines.items():
            print(f"[baseline] {name}={value:.4f} on the same validation examples", flush=True)

        with strategy.scope():
            import transformers

            model = load_model(getattr(transformers, recipe.model_class), config, tokenizer, **prepared.model_overrides)
            float32_logits(model)
            collator = FeatureCollator.for_run(data.feature_spec(tokenizer), config, model, tokenizer.padding_side)
            train_ds = build_tf_dataset(model, prepared.train, collator, config.batch_size, shuffle=True,
                                        seed=config.seed, group_by_length=config.group_by_length,
                                        drop_remainder=config.static_shapes)
            validation_batches = None if prepared.validation is None else build_tf_dataset(
                model, prepared.validation, collator, config.evaluation_batch_size, shuffle=False,
                group_by_length=config.group_by_length)
            steps_per_epoch = len(prepared.train) // config.batch_size if config.static_shapes else math.ceil(
                len(prepared.train) / config.batch_size)
            total_steps = config.max_steps or steps_per_epoch * config.epochs
            model.compile(optimizer=build_optimizer(config, total_steps), jit_compile=config.jit_compile)

        print(f"[model] {config.model} ({time.perf_counter() - started:.0f}s)", flush=True)
        predictor = recipe.predictor(config, model, tokenizer)
        evaluator = recipe.evaluator(config, prepared, validation_batches, predictor)
        if validation_batches is not None:
            evaluator = WithValidationLoss(evaluator, validation_batches)
        metrics = EvaluationCallback(evaluator, every_steps=config.eval_every_steps,
                                     evaluate_at_start=config.evaluate_before_training)
        watched = _watched_metric(recipe, config, metrics)
        epochs = math.ceil(config.max_steps / steps_per_epoch) if config.max_steps else config.epochs
        fit_started = time.perf_counter()
        history = model.fit(train_ds, epochs=epochs, verbose=1 if _on_terminal() else 2,
                            callbacks=_callbacks(config, metrics, watched, run, total_steps))
        fit_seconds = time.perf_counter() - fit_started
        final = metrics.evaluate() if config.early_stopping_patience else {
            k: v for k, v in metrics.history[-1].items() if k.startswith("val_")}
        best = best_evaluation(metrics.history, watched, metrics.mode(watched))
        samples_seen = metrics.steps * config.batch_size if config.max_steps else len(prepared.train) * len(history.epoch)
        samples_per_second = samples_seen / fit_seconds

        print(f"[save] {output_dir} (fit took {fit_seconds:.0f}s)", flush=True)
        model.save_pretrained(run.path)
        tokenizer.save_pretrained(run.path)
        resolved = {**config_to_dict(config), "recipe": recipe.name, "runtime": runtime}
        run.write_yaml("config.yaml", resolved)
        wall = time.perf_counter() - started
        run.write_json("metrics.json", {"final": final, "best": best, "directions": metrics.directions,
                                        "evaluations": metrics.history, "baselines": prepared.baselines,
                                        "train_loss": history.history.get("loss", []),
                                        "train_samples_per_second": samples_per_second,
                                        "fit_seconds": fit_seconds, "wall_seconds": wall})
        plot_training_curves(history.history, metrics.history, run.path / "training_curves.png")
        details = {**prepared.card_details, **{f"Baseline {k}": f"{v:.4f}" for k, v in prepared.baselines.items()}}
        (run.path / "README.md").write_text(model_card(
            recipe, resolved, splits.description, final, best, metrics.history, details, wall), encoding="utf-8")
        for line in _examples(predictor, prepared.samples[:EXAMPLES_SHOWN]):
            print(f"[example] {line}", flush=True)
    shown = "  ".join(f"{k}={v:.4f}" for k, v in final.items())
    print(f"[done] {shown}  ({samples_per_second:.1f} train samples/s, {wall / 60:.1f} min) -> {output_dir}", flush=True)
    return RunResult(Path(output_dir), final, metrics.history, samples_per_second, wall, prepared.baselines, best)


def _watched_metric(recipe, config, metrics: EvaluationCallback) -> str:
    """The metric early stopping and the model card's "best" watch; it must be one with a direction."""
    watched = config.metric_for_best or f"val_{recipe.main_metric}"
    if watched not in metrics.directions:
        raise ConfigError(f"metric_for_best '{watched}' is not a metric of {recipe.name} "
                          f"(metrics: {', '.join(metrics.directions)})")
    return watched


def _runtime(config, strategy) -> dict:
    """Where the run trains and at which precision (``--precision auto`` resolved), printed as the run's
    first line and recorded in its ``config.yaml`` under ``runtime``."""
    hardware = Hardware.detect(strategy)
    policy, reason = choose_precision(config.precision, config.model, hardware)
    runtime = {"devices": hardware.describe(), "strategy": type(strategy).__name__, "precision": policy,
               "precision_reason": reason}
    print(f"[setup] {runtime['devices']}; {runtime['strategy']}; precision {policy} ({reason})", flush=True)
    return runtime


def _callbacks(config, metrics: EvaluationCallback, watched: str, run, total_steps: int) -> list:
    """The metrics callback first (the others read the values it writes into the logs), then the rest;
    a progress line every PROGRESS_EVERY_SECONDS where Keras' progress bar has no terminal to draw on."""
    callbacks = [metrics, StepTensorBoard(run.path / "logs", metrics, every_steps=config.log_every_steps)]
    if not _on_terminal():
        callbacks.append(ProgressLogger(config.batch_size, PROGRESS_EVERY_SECONDS, total_steps))
    if config.early_stopping_patience:
        callbacks.append(tf_keras.callbacks.EarlyStopping(
            monitor=watched, mode=metrics.mode(watched), patience=config.early_stopping_patience,
            restore_best_weights=True))
    if config.max_steps:
        callbacks.append(StopAtStep(config.max_steps))
    return callbacks


def _examples(predictor, samples: list[tuple[object, str]]) -> list[str]:
    """The predictor's answer for a few validation inputs, beside the true answer."""
    if not samples:
        return []
    results = predictor([given for given, _ in samples])
    return [f"{predictor.format(result)}  <- {_preview(given)}  [true: {_preview(truth)}]"
            for (given, truth), result in zip(samples, results)]


def _preview(value) -> str:
    """An input or answer on one line: a pair joined by " / ", whitespace collapsed, cut to 100 characters."""
    text = " / ".join(value) if isinstance(value, tuple) else str(value)
    return shortened(" ".join(text.split()), 100)


def _on_terminal() -> bool:
    """Keras' progress bar on a terminal; one line per epoch, and ProgressLogger's lines, elsewhere (CI, logs)."""
    import sys

    return sys.stdout.isatty()
