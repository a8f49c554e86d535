"""AdamW with linear warm-up and decay: transformers' ``create_optimizer``, plus gradient clipping."""

from __future__ import annotations


def warmup_steps_for(config, total_steps: int) -> int:
    return config.warmup_steps if config.warmup_steps is not None else int(config.warmup_ratio * total_steps)


def build_optimizer(config, total_steps: int):
    """The optimizer for ``total_steps`` optimizer steps; LayerNorm and bias weights get no weight decay."""
    from transformers import create_optimizer

    optimizer, _schedule = create_optimizer(
        init_lr=config.learning_rate,
        num_train_steps=total_steps,
        num_warmup_steps=warmup_steps_for(config, total_steps),
        weight_decay_rate=config.weight_decay,
        adam_global_clipnorm=config.clip_norm,
    )
    return optimizer
