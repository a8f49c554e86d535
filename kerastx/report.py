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
    """A Hugging Face style model card: base model, data, hyperparameters and a metrics table."""
    training = config["training"]
    names = sorted({k for entry in evaluations for k in entry if k.startswith("val_")})
    rows = "\n".join(f"| {e['epoch']} | {e['step']} | " + " | ".join(f"{e.get(n, float('nan')):.4f}" for n in names) + " |"
                     for e in evaluations)
    extra = "".join(f"- {key}: {value}\n" for key, value in details.items())
    final_lines = "".join(f"- **{name}**: {value:.4f}\n" for name, value in final.items() if isinstance(value, float))
    direction = "higher" if best["mode"] == "max" else "lower"
    best_line = (f"Best {best['metric']} ({direction} is better): {best['value']:.4f} at epoch {best['epoch']}, "
                 f"step {best['step']}." if best["value"] is not None else "")
    return f"""---
library_name: transformers
tags: [tensorflow, keras, kerastx, {recipe.name}]
---

# {recipe.title}

Trained with `python -m kerastx.recipes.{recipe.name}` (kerastx), TensorFlow/Keras.

- Base model: `{config['model']['model']}`
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
- precision: {training['precision']}, XLA: {training['jit_compile']}, seed: {training['seed']}
- wall time: {wall_seconds / 60:.1f} min

The full configuration is in `config.yaml`; every evaluation is in `metrics.json`.

## Use

```python
from transformers import pipeline
# dtype=None: without torch installed, transformers 4.57's pipeline() fails on its default dtype lookup
predictor = pipeline("{recipe.pipeline_task}", model="<this directory>", framework="tf", dtype=None)
```
"""
