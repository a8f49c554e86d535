"""The shared trainer: config -> data -> model -> fit with callbacks -> run directory.

A recipe only declares its task-specific parts (see :class:`kerastx.recipes.base.Recipe`). A run can be
killed at any moment: it checkpoints as it goes (:mod:`kerastx.training.checkpoints`), and the same
command continues an interrupted run at the exact step where its last checkpoint was taken.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kerastx import __version__
from kerastx.callbacks.best_model import BestModel
from kerastx.callbacks.checkpoint import CheckpointCallback, Progress
from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.callbacks.progress import ProgressLogger
from kerastx.callbacks.tensorboard import StepTensorBoard
from kerastx.compat.dropout import checkpointable_dropout
from kerastx.compat.keras import tf_keras
from kerastx.config import config_to_dict
from kerastx.data.features import FeatureCollator
from kerastx.data.pipeline import build_tf_dataset
from kerastx.data.sources import TrainingSource
from kerastx.errors import CheckpointError, ConfigError, KerastxError, shortened
from kerastx.evaluation.loss import WithValidationLoss
from kerastx.models.resolve import load_model
from kerastx.report import model_card, plot_training_curves
from kerastx.training.accumulation import accumulate_gradients
from kerastx.training.checkpoints import RunCheckpoints
from kerastx.training.hub_sync import PushEachEpoch, ignored_when_pushing, run_uploader
from kerastx.training.optimizer import build_optimizer
from kerastx.training.precision import Hardware, choose_precision, float32_logits, global_precision, precision_option
from kerastx.training.preparation import PreparedRun, prepare_run
from kerastx.training.stop_signals import stop_signals_caught
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
    resumed_from_step: int = 0  # the step an interrupted run continued from (0: a new run)
    checkpoint_seconds: list[float] | None = None  # how long each checkpoint of this process took to write


class StopAtStep(tf_keras.callbacks.Callback):
    """Stops training after ``max_steps`` optimizer steps (``done``: steps already trained, in a resumed run)."""

    def __init__(self, max_steps: int, done: int = 0):
        super().__init__()
        self.max_steps = max_steps
        self.steps = done

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps >= self.max_steps:
            self.model.stop_training = True


def run_recipe(recipe, config) -> RunResult:
    """Train, evaluate and save one run of ``recipe`` as ``config`` describes; an interrupted run of the same
    ``output_dir`` is continued from its last checkpoint (unless ``config.resume`` is False).

    Example::

        from kerastx.recipes.text_classification import RECIPE
        config = RECIPE.config_class(train_file="train.tsv", ...)
        result = run_recipe(RECIPE, config)
        print(result.metrics["val_f1"])
    """
    return train_prepared_run(prepare_run(recipe, config))


def train_prepared_run(ready: PreparedRun) -> RunResult:
    """The TensorFlow part of a run: model, fit (continued from a checkpoint when resuming), run directory."""
    recipe, config, prepared, tokenizer = ready.recipe, ready.config, ready.prepared, ready.tokenizer
    tf_keras.utils.set_random_seed(config.seed)
    strategy = choose_strategy(config.strategy, config.tpu)
    runtime = _runtime(config, strategy)
    resolved = {**_without_secrets(config_to_dict(config)), "recipe": recipe.name, "runtime": runtime}
    uploader = run_uploader(config, ready.run.final)
    with ready.run as run, global_precision(runtime["precision"], config.model), checkpointable_dropout():
        if run.resuming:
            _check_same_precision(run, runtime)
        else:
            run.write_yaml("config.yaml", resolved)
            tokenizer.save_pretrained(run.path)  # a resumed run trains on these token ids
        with strategy.scope():
            import transformers

            model = load_model(getattr(transformers, recipe.model_class), config, tokenizer, **prepared.model_overrides)
            float32_logits(model)
            if recipe.adapt_model is not None:
                recipe.adapt_model(config, model, tokenizer)
            collator = FeatureCollator.for_run(ready.data.feature_spec(tokenizer), config, model, tokenizer.padding_side)
            progress = Progress()
            steps_per_epoch = ready.source.steps_per_epoch()
            validation_batches = None if prepared.validation is None else build_tf_dataset(
                model, prepared.validation, collator, config.evaluation_batch_size, shuffle=False,
                group_by_length=config.group_by_length)
            total_steps = config.max_steps or steps_per_epoch * config.epochs
            model.compile(optimizer=build_optimizer(config, total_steps), jit_compile=config.jit_compile)
            accumulate_gradients(model, config.gradient_accumulation_steps)
            checkpoints = RunCheckpoints(run.checkpoints, model, config.checkpoints_to_keep)

        print(f"[model] {config.model} ({time.perf_counter() - ready.started:.0f}s)", flush=True)
        print(f"[train] {ready.source.describe()}{_accumulation_said(config)}", flush=True)
        predictor = recipe.predictor(config, model, tokenizer)
        evaluator = recipe.evaluator(config, prepared, validation_batches, predictor)
        if validation_batches is not None and "loss" not in evaluator.directions:
            evaluator = WithValidationLoss(evaluator, validation_batches)
        metrics = EvaluationCallback(evaluator, every_steps=config.eval_every_steps,
                                     evaluate_at_start=config.evaluate_before_training)
        watched = _watched_metric(recipe, config, metrics)
        best = BestModel(metrics, watched, metrics.mode(watched), run.path / "best", tokenizer,
                         patience=config.early_stopping_patience)
        resumed_from = _continue_interrupted_run(checkpoints, progress, metrics, best) if run.resuming else 0
        _check_workers_start_at_one_step(strategy, resumed_from)

        epochs = math.ceil(config.max_steps / steps_per_epoch) if config.max_steps else config.epochs
        fit_started = time.perf_counter()
        checkpointing = None
        if progress.step < total_steps and progress.position.epoch < epochs and not _stopped_early(best):
            with stop_signals_caught() as requests:
                checkpointing = CheckpointCallback(
                    checkpoints, progress, steps_per_epoch, config.checkpoint_every_steps, requests,
                    run_state=lambda: {"evaluations": metrics.history, "best_model": best.state()},
                    saved_step=resumed_from or None)
                callbacks = _callbacks(config, metrics, best, run, total_steps, progress, checkpointing)
                if uploader is not None:
                    callbacks.append(PushEachEpoch(uploader, run.path, ignored_when_pushing(config)))
                _fit(model, ready.source, collator, epochs, progress, callbacks)
        fit_seconds = time.perf_counter() - fit_started
        final_evaluation = _final_evaluation(model, metrics, best, progress)
        final = {k: v for k, v in final_evaluation.items() if k.startswith("val_")}
        best_summary = {"metric": watched, "mode": best.mode, **(best.best or {"value": None, "epoch": None,
                                                                              "step": None})}
        samples_per_second = (progress.step - resumed_from) * config.update_batch_size / max(fit_seconds, 1e-9)

        chief = run.worker is None
        print(f"[save] {run.final if chief else f'{run.final} is written by the chief'} (fit took {fit_seconds:.0f}s)",
              flush=True)
        wall = _save_run(run, model, ready, resolved, metrics, best, progress, final, best_summary,
                         {"train_samples_per_second": samples_per_second, "fit_seconds": fit_seconds,
                          "resumed_from_step": resumed_from})
        for line in _examples(predictor, prepared.samples[:EXAMPLES_SHOWN] if chief else []):
            print(f"[example] {line}", flush=True)
    if uploader is not None:
        _push_finished_run(uploader, run.final, config)
    shown = "  ".join(f"{k}={v:.4f}" for k, v in final.items())
    print(f"[done] {shown}  ({samples_per_second:.1f} train samples/s, {wall / 60:.1f} min) -> {run.final}", flush=True)
    return RunResult(run.final, final, metrics.history, samples_per_second, wall, prepared.baselines, best_summary,
                     resumed_from, checkpointing.save_seconds if checkpointing else [])


def _save_run(run, model, ready: PreparedRun, resolved: dict, metrics: EvaluationCallback, best: BestModel,
              progress: Progress, final: dict, best_summary: dict, timings: dict) -> float:
    """The finished run's files in the staging folder: model, tokenizer, metrics, curves, model card (and the best
    model, where it is not the final one). Returns the run's wall time. A full disk is one line, and the last
    checkpoint stays to finish from."""
    config, prepared = ready.config, ready.prepared
    try:
        model.save_pretrained(run.path)
        ready.tokenizer.save_pretrained(run.path)
        if config.early_stopping_patience or (best.best and best.best["step"] == progress.step):
            shutil.rmtree(run.path / "best", ignore_errors=True)  # the final model is the best: no second copy
        wall = time.perf_counter() - ready.started
        run.write_json("metrics.json", {"final": final, "best": best_summary, "directions": metrics.directions,
                                        "evaluations": metrics.history, "baselines": prepared.baselines,
                                        "train_loss": progress.epoch_losses, **timings, "wall_seconds": wall})
        plot_training_curves({"loss": progress.epoch_losses}, metrics.history, run.path / "training_curves.png")
        details = {**prepared.card_details, **{f"Baseline {k}": f"{v:.4f}" for k, v in prepared.baselines.items()}}
        run.write_text("README.md", model_card(ready.recipe, resolved, ready.data_description, final, best_summary,
                                               metrics.history, details, wall))
    except OSError as err:
        raise KerastxError(f"cannot write the finished run in {run.path}: {err.strerror or err}; the last "
                           f"checkpoint is kept there: free space (or fix permissions) and run the same command "
                           f"again to finish") from None
    return wall


def _fit(model, source: TrainingSource, collator, epochs: int, progress: Progress, callbacks: list) -> None:
    """``fit`` from ``progress.position`` to the last epoch, on what the run's ``source`` gives. An epoch an
    interrupted run had begun is finished by a ``fit`` of its own: Keras takes the number of steps of a fit's
    first epoch for all the others."""
    verbose = 1 if _on_terminal() else 2
    position = progress.position  # the callbacks move it on; a source reads it as it is when an epoch starts
    if position.batch:
        dataset, steps = source.dataset(position, 1, model, collator)
        model.fit(dataset, epochs=position.epoch + 1, initial_epoch=position.epoch, steps_per_epoch=steps,
                  verbose=verbose, callbacks=callbacks)
        if model.stop_training:
            return
    if position.epoch < epochs:
        dataset, steps = source.dataset(position, epochs - position.epoch, model, collator)
        model.fit(dataset, epochs=epochs, initial_epoch=position.epoch, steps_per_epoch=steps, verbose=verbose,
                  callbacks=callbacks)


def _continue_interrupted_run(checkpoints: RunCheckpoints, progress: Progress, metrics: EvaluationCallback,
                              best: BestModel) -> int:
    """Restore the latest checkpoint into the model, the optimizer, the data position and the callbacks;
    returns the step it was taken at."""
    saved = checkpoints.restore_latest()
    restored = Progress.from_dict(saved)
    progress.step, progress.epoch_losses, progress.epoch_loss_total = (
        restored.step, restored.epoch_losses, restored.epoch_loss_total)
    progress.position.epoch, progress.position.batch = restored.position.epoch, restored.position.batch
    metrics.history, metrics.steps = saved["evaluations"], restored.step
    best.restore(saved["best_model"])
    print(f"[resume] from the checkpoint of step {restored.step} (epoch {restored.position.epoch + 1}, "
          f"batch {restored.position.batch}) in {checkpoints.directory}", flush=True)
    return restored.step


def _check_workers_start_at_one_step(strategy, step: int) -> None:
    """In multi-worker training, every worker must continue from the same step: one that stopped at another step,
    or lost its checkpoints, would train on other batches from other weights, silently. Every worker takes part."""
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    local = tf.constant(float(step))
    mean = float(strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: tf.identity(local)), axis=None))
    if mean != step:
        raise CheckpointError(f"the workers would continue from different steps (this one from {step}, their mean "
                              f"{mean:g}): stop and start all workers together; --no-resume on all of them starts over")


def _stopped_early(best: BestModel) -> bool:
    return bool(best.patience and best.evaluations_since_best >= best.patience)


def _final_evaluation(model, metrics: EvaluationCallback, best: BestModel, progress: Progress) -> dict:
    """The evaluation the saved model has: with early stopping, the best one (its weights are restored from
    the best model's copy); else the last one."""
    if not best.patience or best.best is None:
        return metrics.history[-1]
    if best.best["step"] != progress.step:
        from transformers.modeling_tf_utils import load_tf_weights

        load_tf_weights(model, str(best.directory / "tf_model.h5"))
    return next(entry for entry in metrics.history if entry["step"] == best.best["step"]
                and entry.get(best.metric) == best.best["value"])


def _push_finished_run(uploader, folder: Path, config) -> None:
    """The complete run pushed, waiting for it; a failure is reported, and the run stays complete on disk."""
    result = uploader.push(folder, "End of training", wait=True, ignore_patterns=ignored_when_pushing(config))
    uploader.close()
    if result is not None and result.ok:
        print(f"[hub] pushed {folder} to {uploader.repo_id}", flush=True)
    else:
        print(f"[hub] the run is complete in {folder}, but not on the Hub ({uploader.last_error}): push it later "
              f"with `huggingface-cli upload {uploader.repo_id} {folder}`", flush=True)


def _without_secrets(grouped: dict) -> dict:
    """The config as written to config.yaml (and pushed to the Hub): no token."""
    if grouped["output"].get("hub_token"):
        grouped["output"]["hub_token"] = "<hidden>"
    return grouped


def _check_same_precision(run, runtime: dict) -> None:
    saved = (run.saved_config() or {}).get("runtime", {}).get("precision")
    if saved and saved != runtime["precision"]:
        raise ConfigError(f"{run.final} has an interrupted run trained in {saved}, but this run would use "
                          f"{runtime['precision']} ({runtime['precision_reason']}): give --precision "
                          f"{precision_option(saved)} to continue it, or --no-resume to start over")


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
    replicas = strategy.num_replicas_in_sync
    runtime = {"devices": hardware.describe(), "strategy": type(strategy).__name__, "replicas": replicas,
               "precision": policy, "precision_reason": reason, "kerastx_version": __version__}
    print(f"[setup] {runtime['devices']}; {runtime['strategy']}, {_batch_per_replica(config.batch_size, replicas)}; "
          f"precision {policy} ({reason})", flush=True)
    return runtime


def _batch_per_replica(batch_size: int, replicas: int) -> str:
    """The global --batch_size as each replica gets it: ``2 replicas x 16 = batch 32``."""
    share, rest = divmod(batch_size, replicas)
    each = f"{share}" if not rest else f"{share}-{share + 1}"
    return f"{replicas} replica{'s' if replicas > 1 else ''} x {each} = batch {batch_size}"


def _callbacks(config, metrics: EvaluationCallback, best: BestModel, run, total_steps: int, progress: Progress,
               checkpointing: CheckpointCallback) -> list:
    """The metrics callback first (the others read the values it writes into the logs), the checkpoints last
    (a checkpoint holds what the others did at its step); a progress line every PROGRESS_EVERY_SECONDS where
    Keras' progress bar has no terminal to draw on."""
    tensorboard = StepTensorBoard(run.path / "logs", metrics, every_steps=config.log_every_steps)
    tensorboard.step = progress.step
    callbacks = [metrics, best, tensorboard]
    if not _on_terminal():
        logger = ProgressLogger(config.update_batch_size, PROGRESS_EVERY_SECONDS, total_steps)
        logger.step = progress.step
        callbacks.append(logger)
    if config.max_steps:
        callbacks.append(StopAtStep(config.max_steps, done=progress.step))
    return callbacks + [checkpointing]


def _accumulation_said(config) -> str:
    steps = config.gradient_accumulation_steps
    if steps == 1:
        return ""
    return f"; each update accumulates the gradients of {steps} micro-batches of {config.batch_size}"


def _examples(predictor, samples: list[tuple[object, str]]) -> list[str]:
    """The predictor's answer for a few validation inputs, beside the true answer."""
    if not samples:
        return []
    results = predictor([given for given, _ in samples])
    return [f"{_one_line(predictor.format(result))}  <- {_preview(given)}  [true: {_preview(truth)}]"
            for (given, truth), result in zip(samples, results)]


def _one_line(text: str) -> str:
    """A result that spans lines (completed code) on one line, its line breaks shown."""
    return text.strip("\n").replace("\n", " \u23ce ")


def _preview(value) -> str:
    """An input or answer on one line: a pair joined by " / ", whitespace collapsed, cut to 100 characters."""
    text = " / ".join(value) if isinstance(value, tuple) else str(value)
    return shortened(" ".join(text.split()), 100)


def _on_terminal() -> bool:
    """Keras' progress bar on a terminal; one line per epoch, and ProgressLogger's lines, elsewhere (CI, logs)."""
    import sys

    return sys.stdout.isatty()
