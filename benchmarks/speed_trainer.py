"""vs_pytorch.py's PyTorch worker: the same case with transformers' ``Trainer`` (``Seq2SeqTrainer`` for
translation), run by the separate ``.venv-torch`` (``make bench-torch``): torch never enters kerastx's own
environment.

    .venv-torch/bin/python benchmarks/speed_trainer.py CASE PRECISION MODEL_DIR

MODEL_DIR: the packaged MiniLM's folder for a pretrained case; for a scratch case, the run folder of the
kerastx worker (its config.json and the tokenizer it trained: the same model and token ids, newly
initialised).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.speed_cases import (  # noqa: E402
    case_named, code_blocks, mrpc_rows, non_embedding_params, tatoeba_pairs, timing_summary, write_result)  # noqa: E402


def rows_and_model(case, model_dir: str, tokenizer):
    """The tokenized training rows and the model, as the course's PyTorch chapters build them."""
    import transformers

    if case.task == "classification":
        rows = [dict(tokenizer(r["sentence1"], r["sentence2"], truncation=True, max_length=case.max_length),
                     labels=r["label"]) for r in mrpc_rows()]
        if case.pretrained:
            model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
        else:
            config = transformers.AutoConfig.from_pretrained(model_dir)
            model = transformers.AutoModelForSequenceClassification.from_config(config)
        return rows, model
    config = transformers.AutoConfig.from_pretrained(model_dir)
    if case.task == "translation":
        rows = [tokenizer(en, text_target=fr, truncation=True, max_length=case.max_length)
                for en, fr in tatoeba_pairs()]
        return [dict(r) for r in rows], transformers.AutoModelForSeq2SeqLM.from_config(config)
    return [{"input_ids": block, "labels": block} for block in code_blocks(tokenizer, case)], transformers.AutoModelForCausalLM.from_config(config)


def collator(case, tokenizer, model):
    import transformers

    if case.task == "translation":
        return transformers.DataCollatorForSeq2Seq(tokenizer, model, pad_to_multiple_of=case.pad_to_multiple_of)
    if case.task == "causal_lm":
        return transformers.default_data_collator
    padding = "max_length" if case.static_shapes else True
    return transformers.DataCollatorWithPadding(tokenizer, padding=padding, max_length=case.max_length,
                                                pad_to_multiple_of=case.pad_to_multiple_of)


def main(case_name: str, precision: str, model_dir: str) -> None:
    import torch
    import transformers

    case = case_named(case_name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    rows, model = rows_and_model(case, model_dir, tokenizer)
    collate = collator(case, tokenizer, model)
    shapes, step_ends = [], []

    def recording_collate(features):
        batch = collate(features)
        target = batch["labels"].shape[1] if case.task == "translation" else 0
        shapes.append((batch["input_ids"].shape[0], batch["input_ids"].shape[1], target))
        return batch

    class StepClock(transformers.TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            step_ends.append(time.perf_counter())

    arguments = dict(
        per_device_train_batch_size=case.batch_size, learning_rate=case.learning_rate, warmup_ratio=case.warmup_ratio,
        weight_decay=case.weight_decay, lr_scheduler_type="linear", max_steps=case.total_steps,
        group_by_length=case.group_by_length, bf16=precision == "mixed_bfloat16", seed=42, use_cpu=True,
        logging_steps=10, save_strategy="no", eval_strategy="no", report_to=[], disable_tqdm=True,
        dataloader_drop_last=case.static_shapes)
    trainer_class, arguments_class = ((transformers.Seq2SeqTrainer, transformers.Seq2SeqTrainingArguments)
                                      if case.task == "translation" else
                                      (transformers.Trainer, transformers.TrainingArguments))
    with tempfile.TemporaryDirectory() as scratch:
        trainer = trainer_class(model=model, args=arguments_class(output_dir=scratch, **arguments),
                                train_dataset=rows, data_collator=recording_collate, callbacks=[StepClock()])
        trainer.train()
    counts = non_embedding_params((name, parameter.numel()) for name, parameter in model.named_parameters())
    write_result({"framework": "trainer", "torch": torch.__version__, "threads": torch.get_num_threads(),
                  **timing_summary(step_ends, shapes, case), "model": counts})


if __name__ == "__main__":
    main(*sys.argv[1:4])
