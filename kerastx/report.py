"""What a run leaves for people: the training-curves plot and the model card (README.md)."""

from __future__ import annotations

from pathlib import Path


def plot_training_curves(history: dict[str, list[float]], evaluations: list[dict], target: Path) -> Path:
    """Loss per epoch and every validation metric per evaluation, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric_names = sorted({k for entry in evaluations for k in entry if k.startswith("val_")})
    figure, (loss_axes, metric_axes) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = range(1, len(history.get("loss", [])) + 1)
    loss_axes.plot(list(epochs), history.get("loss", []), marker="o", label="train loss")
    loss_axes.set(xlabel="epoch", ylabel="loss", title="Training loss")
    loss_axes.legend()
    steps = [entry["step"] for entry in evaluations]
    for name in metric_names:
        metric_axes.plot(steps, [entry.get(name) for entry in evaluations], marker="o", label=name)
    metric_axes.set(xlabel="optimizer step", title="Validation metrics")
    if metric_names:
        metric_axes.legend()
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target


def best_evaluation(evaluations: list[dict], metric: str, mode: str) -> dict:
    """The evaluation where ``metric`` was best (highest for mode "max", lowest for "min"); the earliest on ties."""
    scored = [entry for entry in evaluations if metric in entry]
    if not scored:
        return {"metric": metric, "mode": mode, "value": None, "epoch": None, "step": None}
    pick = max if mode == "max" else min
    best = pick(scored, key=lambda entry: entry[metric])
    return {"metric": metric, "mode": mode, "value": best[metric], "epoch": best["epoch"], "step": best["step"]}


def model_card(recipe, config: dict, data: str, final: dict, best: dict, evaluations: list[dict], details: dict,
               wall_seconds: float) -> str:
    """The run's model card (README.md): Hub metadata, then a human-readable body.

    The metadata (huggingface_hub's ``ModelCardData``) names the base model and the hub dataset when the
    run used them, the pipeline task, and the final validation metrics as a ``model-index``.
    ``library_name`` is "transformers": the run directory is a transformers ``save_pretrained``
    directory (config.json, tf_model.h5, tokenizer files), so the Hub shows transformers' loading code
    and tags it TensorFlow from tf_model.h5; "tf-keras" would promise a Keras SavedModel that
    ``from_pretrained_keras`` loads, which this is not.
    """
    from huggingface_hub import ModelCard

    metadata = _card_data(recipe, config, data, final).to_yaml()
    body = _card_body(recipe, config, data, final, best, evaluations, details, wall_seconds)
    return str(ModelCard(f"---\n{metadata}\n---\n{body}"))


def _card_data(recipe, config: dict, data: str, final: dict):
    from huggingface_hub import EvalResult, ModelCardData

    from kerastx.models.resolve import base_model_id

    dataset = _hub_dataset(recipe, config["data"])
    task_type = recipe.pipeline_task or recipe.name.replace("_", "-")
    results = [EvalResult(task_type=task_type, task_name=recipe.title, dataset_type=dataset or "local",
                          dataset_name=data, dataset_config=config["data"]["dataset_config"] if dataset else None,
                          dataset_split="validation", metric_type=name.removeprefix("val_"), metric_name=name,
                          metric_value=round(float(value), 4))
               for name, value in final.items() if isinstance(value, float)]
    languages = [config["data"][key] for key in ("source_lang", "target_lang") if key in config["data"]]
    return ModelCardData(base_model=base_model_id(config["model"]["model"]), datasets=[dataset] if dataset else None,
                         language=languages or None, library_name="transformers", pipeline_tag=recipe.pipeline_task,
                         tags=["tensorflow", "tf-keras", "kerastx", recipe.name],
                         model_name=Path(config["output"]["output_dir"] or recipe.name).name,
                         eval_results=results or None)


def _hub_dataset(recipe, data_config: dict) -> str | None:
    """The hub dataset the run trained on; None for local files and the recipe's built-in data."""
    dataset = data_config.get("dataset")
    return dataset if dataset and dataset not in recipe.builtin_datasets else None


def _card_body(recipe, config: dict, data: str, final: dict, best: dict, evaluations: list[dict], details: dict,
               wall_seconds: float) -> str:
    training = config["training"]
    names = sorted({k for entry in evaluations for k in entry if k.startswith("val_")})
    rows = "\n".join(f"| {e['epoch']} | {e['step']} | " + " | ".join(f"{e.get(n, float('nan')):.4f}" for n in names) + " |"
                     for e in evaluations)
    extra = "".join(f"- {key}: {value}\n" for key, value in details.items())
    final_lines = "".join(f"- **{name}**: {value:.4f}\n" for name, value in final.items() if isinstance(value, float))
    direction = "higher" if best["mode"] == "max" else "lower"
    best_line = (f"Best {best['metric']} ({direction} is better): {best['value']:.4f} at epoch {best['epoch']}, "
                 f"step {best['step']}." if best["value"] is not None else "")
    return f"""
# {recipe.title}

Trained with `python -m kerastx.recipes.{recipe.name}` (kerastx), TensorFlow/Keras.

- Base model: {_base_model(config['model']['model'])}
- Data: {data}
{extra}
## Results on the validation data

{final_lines}
{best_line}

| epoch | step | {' | '.join(names)} |
|---|---|{'---|' * len(names)}
{rows}

## Training hyperparameters

- epochs: {training['epochs']}, max_steps: {training['max_steps']}
- batch size: {training['batch_size']}, learning rate: {training['learning_rate']}, warm-up: {training['warmup_steps'] if training['warmup_steps'] is not None else f"{training['warmup_ratio']:.0%} of steps"}
- weight decay: {training['weight_decay']}, gradient clipping: {training['clip_norm']}
- precision: {config.get('runtime', {}).get('precision', training['precision'])}, XLA: {training['jit_compile']}, seed: {training['seed']}
- wall time: {wall_seconds / 60:.1f} min

The full configuration is in `config.yaml`; every evaluation is in `metrics.json`.

## Use

{_usage(recipe)}"""


def _base_model(spec: str) -> str:
    """E.g. "`minilm` (sentence-transformers/all-MiniLM-L6-v2)", "`scratch:marian-mini` (trained from scratch)"."""
    from kerastx.models.resolve import base_model_id, is_scratch

    if is_scratch(spec):
        return f"`{spec}` (trained from scratch)"
    hub_id = base_model_id(spec)
    return f"`{spec}` ({hub_id})" if hub_id and hub_id != spec else f"`{spec}`"


def _usage(recipe) -> str:
    """How to predict with the run: transformers' pipeline where one gives the task's answer, and the
    recipe's own predictor (``kerastx-predict``) always."""
    kerastx_usage = """```bash
kerastx-predict <this directory> --file inputs.txt   # one input per line, one result per line
```

```python
import kerastx

predictor = kerastx.load_predictor("<this directory>")
inputs = [predictor.parse(line) for line in open("inputs.txt", encoding="utf-8").read().splitlines()]
for result in predictor(inputs):
    print(predictor.format(result))
```
"""
    if recipe.pipeline_task is None:
        return f"No transformers pipeline gives this task's answer; kerastx's predictor does:\n\n{kerastx_usage}"
    return f"""```python
import kerastx  # first: transformers' pipeline() then loads TensorFlow models without torch
from transformers import pipeline

predictor = pipeline("{recipe.pipeline_task}", model="<this directory>", framework="tf")
```

Or with the recipe's own predictor:

{kerastx_usage}"""
