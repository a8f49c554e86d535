"""What a run reports while it trains: TensorBoard by optimizer step, progress lines for output that is not a
terminal, and the validation loss, each checked on a tiny fit against values computed on their own."""

import contextlib
import io

import numpy as np
import pytest

from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.callbacks.progress import ProgressLogger
from kerastx.callbacks.tensorboard import StepTensorBoard
from kerastx.compat.keras import tf_keras
from kerastx.evaluation.base import MIN

PEAK_LR, WARMUP, TOTAL = 0.05, 4, 10  # 2 epochs of 5 batches


def scheduled_lr(step: int) -> float:
    """create_optimizer's schedule at an optimizer step, from its definition: linear warm-up, then linear decay."""
    return PEAK_LR * step / WARMUP if step < WARMUP else PEAK_LR * (1 - (step - WARMUP) / (TOTAL - WARMUP))


class SquaredError:
    """A tiny evaluator: the mean squared error on fixed validation data."""

    directions = {"mse": MIN}

    def __init__(self, x, y):
        self.x, self.y = x, y

    def evaluate(self, model):
        return {"mse": float(np.mean((model(self.x).numpy() - self.y) ** 2))}


@pytest.fixture(scope="module", params=[0.0, 0.01], ids=["keras-adam", "legacy-adamw"])
def tiny_fit(request, tmp_path_factory):
    """A linear model fitted for 2 epochs of 5 batches, with every training loss recorded as it is computed."""
    import tensorflow as tf

    from kerastx.config import RunConfig
    from kerastx.training.optimizer import build_optimizer

    tf_keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    batch_losses = []

    def recorded_squared_error(y_true, y_pred):
        loss = tf.reduce_mean(tf.square(y_true - y_pred))
        batch_losses.append(float(loss.numpy()))
        return loss

    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(3,))])
    config = RunConfig(learning_rate=PEAK_LR, warmup_steps=WARMUP, weight_decay=request.param)
    model.compile(optimizer=build_optimizer(config, TOTAL), loss=recorded_squared_error, run_eagerly=True)
    evaluation = EvaluationCallback(SquaredError(x[40:], y[40:]), every_steps=3, evaluate_at_start=True, verbose=False)
    log_dir = tmp_path_factory.mktemp("logs")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.fit(x[:40], y[:40], batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[
            evaluation, StepTensorBoard(log_dir, evaluation, every_steps=2), ProgressLogger(8, every_seconds=0)])
    return {"losses": batch_losses, "evaluations": evaluation.history, "log_dir": log_dir,
            "printed": printed.getvalue().splitlines()}


def scalars(directory) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value), ...]} of the TensorBoard event files in ``directory``."""
    import tensorflow as tf

    found = {}
    for file in sorted(directory.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return found


@pytest.mark.trains
def test_tensorboard_gets_the_loss_every_n_steps_and_at_epoch_ends(tiny_fit):
    written = scalars(tiny_fit["log_dir"] / "train")
    steps = [step for step, _ in written["loss"]]
    assert steps == [2, 4, 5, 6, 8, 10]  # every 2 steps, and the end of epoch 1 (step 5)
    losses = tiny_fit["losses"]
    windows = zip([0, *steps[:-1]], steps)
    expected = [np.mean(losses[start:end]) for start, end in windows]  # each point: the mean since the previous one
    assert [value for _, value in written["loss"]] == pytest.approx(expected, rel=1e-4)


@pytest.mark.trains
def test_tensorboard_shows_the_learning_rate_warming_up(tiny_fit):
    written = scalars(tiny_fit["log_dir"] / "train")["learning_rate"]
    # the learning rate the optimizer used at that step (step 1 is optimizer step 0)
    assert [value for _, value in written] == pytest.approx([scheduled_lr(step - 1) for step, _ in written], rel=1e-5)
    values = [value for _, value in written]
    assert values[0] < values[1] < values[2] and values[2] > values[-1]


@pytest.mark.trains
def test_tensorboard_gets_every_evaluation_at_its_step_from_step_0(tiny_fit):
    written = scalars(tiny_fit["log_dir"] / "validation")
    evaluations = tiny_fit["evaluations"]
    assert [step for step, _ in written["mse"]] == [0, 3, 5, 6, 9, 10]  # before training, every 3 steps, epoch ends
    assert [step for step, _ in written["mse"]] == [e["step"] for e in evaluations]
    assert [value for _, value in written["mse"]] == pytest.approx([e["val_mse"] for e in evaluations])


@pytest.mark.trains
def test_progress_lines_give_step_loss_speed_and_eta(tiny_fit):
    lines = [line for line in tiny_fit["printed"] if line.startswith("[train] ")]
    assert len(lines) == TOTAL  # every_seconds=0: one line per step
    for step, (line, loss) in enumerate(zip(lines, tiny_fit["losses"]), start=1):
        assert line.startswith(f"[train] step {step}/{TOTAL}  epoch {1 if step <= 5 else 2}/2  loss {loss:.4f}  ")
        assert " samples/s  ETA " in line
    assert lines[-1].endswith("ETA 0s")


def test_validation_loss_is_the_loss_keras_computes_on_the_same_batches():
    import tensorflow as tf
    from transformers import BertConfig, TFBertForSequenceClassification

    from kerastx.evaluation.loss import WithValidationLoss

    tf_keras.utils.set_random_seed(0)
    model = TFBertForSequenceClassification(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1,
                                                       num_attention_heads=2, intermediate_size=32))
    model.compile(optimizer="adam")  # the internal Hugging Face loss, as the trainer compiles
    ids = np.random.default_rng(0).integers(1, 64, size=(10, 12))
    features = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    labels = np.arange(10) % 2
    as_tuples = tf.data.Dataset.from_tensor_slices((features, labels)).batch(4)  # batches of 4, 4 and 2
    as_dicts = tf.data.Dataset.from_tensor_slices({**features, "labels": labels}).batch(4)
    keras_loss = model.evaluate(as_tuples, verbose=0, return_dict=True)["loss"]
    nothing = type("NoMetrics", (), {"directions": {}, "evaluate": lambda self, model: {}})()
    for dataset in (as_tuples, as_dicts):
        evaluator = WithValidationLoss(nothing, dataset)
        assert evaluator.evaluate(model) == {"loss": pytest.approx(keras_loss, rel=1e-5)}
        assert evaluator.directions == {"loss": "min"}
