"""vs_pytorch.py's plain-Keras worker: the Hugging Face course's TensorFlow recipe (``prepare_tf_dataset`` +
a transformers collator + ``create_optimizer`` + ``compile`` + ``fit``) on the same case, with no kerastx in
the training loop (kerastx only loads the packaged MiniLM's PyTorch-layout weights, which the course's
``from_pretrained`` cannot read without torch).

    python benchmarks/speed_keras.py CASE PRECISION MODEL_DIR
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.speed_cases import case_named, code_blocks, mrpc_rows, tatoeba_pairs, timing_summary, write_result  # noqa: E402


def rows_and_model(case, model_dir: str, tokenizer):
    import transformers

    if case.task == "classification":
        rows = {"input_ids": [], "token_type_ids": [], "attention_mask": [], "labels": []}
        for r in mrpc_rows():
            encoded = tokenizer(r["sentence1"], r["sentence2"], truncation=True, max_length=case.max_length)
            for key in ("input_ids", "token_type_ids", "attention_mask"):
                rows[key].append(encoded[key])
            rows["labels"].append(r["label"])
        if case.pretrained:
            from kerastx import from_pretrained

            return rows, from_pretrained(transformers.TFAutoModelForSequenceClassification, model_dir, num_labels=2)
        config = transformers.AutoConfig.from_pretrained(model_dir)
        return rows, transformers.TFAutoModelForSequenceClassification.from_config(config)
    config = transformers.AutoConfig.from_pretrained(model_dir)
    if case.task == "translation":
        rows = {"input_ids": [], "attention_mask": [], "labels": []}
        for en, fr in tatoeba_pairs():
            encoded = tokenizer(en, text_target=fr, truncation=True, max_length=case.max_length)
            for key in rows:
                rows[key].append(encoded[key])
        return rows, transformers.TFAutoModelForSeq2SeqLM.from_config(config)
    blocks = code_blocks(tokenizer, case)
    return {"input_ids": blocks, "labels": blocks}, transformers.TFAutoModelForCausalLM.from_config(config)


def collator(case, tokenizer, model):
    import transformers

    if case.task == "translation":
        return transformers.DataCollatorForSeq2Seq(tokenizer, model, pad_to_multiple_of=case.pad_to_multiple_of,
                                                   return_tensors="np")
    if case.task == "causal_lm":
        return transformers.DefaultDataCollator(return_tensors="np")
    padding = "max_length" if case.static_shapes else True
    return transformers.DataCollatorWithPadding(tokenizer, padding=padding, max_length=case.max_length,
                                                return_tensors="np")


def main(case_name: str, precision: str, model_dir: str) -> None:
    import datasets
    import transformers
    import tf_keras

    case = case_named(case_name)
    tf_keras.utils.set_random_seed(42)
    if precision != "fp32":
        tf_keras.mixed_precision.set_global_policy(precision)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    rows, model = rows_and_model(case, model_dir, tokenizer)
    collate = collator(case, tokenizer, model)
    shapes, step_ends, training = [], [], []

    def recording_collate(features):
        batch = collate(features)
        if training:  # prepare_tf_dataset also collates a few batches to learn their signature
            target = batch["labels"].shape[1] if case.task == "translation" else 0
            shapes.append((batch["input_ids"].shape[0], batch["input_ids"].shape[1], target))
        return batch

    class StepClock(tf_keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            training.append(True)

        def on_train_batch_end(self, batch, logs=None):
            step_ends.append(time.perf_counter())

    train = model.prepare_tf_dataset(datasets.Dataset.from_dict(rows), batch_size=case.batch_size, shuffle=True,
                                     collate_fn=recording_collate, drop_remainder=case.static_shapes)
    optimizer, _ = transformers.create_optimizer(
        init_lr=case.learning_rate, num_train_steps=case.total_steps,
        num_warmup_steps=int(case.warmup_ratio * case.total_steps), weight_decay_rate=case.weight_decay)
    model.compile(optimizer=optimizer)
    model.fit(train.take(case.total_steps), epochs=1, verbose=2, callbacks=[StepClock()])
    write_result({"framework": "plain_keras", **timing_summary(step_ends, shapes, case)})


if __name__ == "__main__":
    main(*sys.argv[1:4])
