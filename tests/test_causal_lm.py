"""The causal-LM recipe on real Python code: a short fit of a scratch GPT-2 whose perplexity falls, bits per
byte that add up, the harness checks, completion matching the text-generation pipeline, the built-in
standard-library corpus, bad input."""

import gzip
import json
import math

import numpy as np
import pytest

from kerastx.recipes import causal_lm
from recipe_harness import check_bad_inputs, check_run_directory, write
from tests_helpers import ANY_MACHINE, as_flags


@pytest.fixture(scope="module")
def code_options(tmp_path_factory, shared_data):
    """120 files of the CPython standard library (gzip jsonl, codeparrot layout), 10% of them held out."""
    folder = tmp_path_factory.mktemp("clm")
    with gzip.open(shared_data("python_code") / "cpython312_stdlib_train.jsonl.gz", "rt", encoding="utf-8") as file:
        records = [json.loads(line) for _, line in zip(range(120), file)]
    corpus = folder / "code.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return {"train_file": str(corpus), "model": "scratch:gpt2-tiny", "vocab_size": 1000, "max_length": 64,
            "batch_size": 16, "max_steps": 60, "learning_rate": 2e-3, "warmup_steps": 5, "max_new_tokens": 16,
            "max_eval_samples": 200, **ANY_MACHINE}


@pytest.fixture(scope="module")
def clm_run(code_options, tmp_path_factory):
    """60 steps of a tiny scratch GPT-2 with its own byte-level BPE (about a minute on 2 cores)."""
    return causal_lm.main(as_flags({**code_options, "output_dir": tmp_path_factory.mktemp("out") / "run"}))


@pytest.mark.trains
def test_perplexity_falls_and_bits_per_byte_follow_from_the_loss(clm_run, code_options):
    from transformers import AutoTokenizer

    from kerastx.models.byte_level import bytes_per_token
    from kerastx.training.preparation import load_task_splits

    before, *_, after = clm_run.evaluations
    assert before["val_perplexity"] > 500 and after["val_perplexity"] < before["val_perplexity"] / 2
    assert after["val_perplexity"] == pytest.approx(math.exp(after["val_loss"]), rel=1e-6)
    # bits per byte: the same nats, divided by ln 2 and by the bytes of the predicted tokens of every block
    tokenizer = AutoTokenizer.from_pretrained(str(clm_run.output_dir))
    config = causal_lm.CausalLMConfig(**code_options)
    data = causal_lm.CausalLMData(config)
    labels = np.array(data.prepare(load_task_splits(causal_lm.RECIPE, config, data), tokenizer).validation["labels"])
    predicted = labels[:, 1:]
    text_bytes = bytes_per_token(tokenizer)[predicted].sum()
    assert after["val_bits_per_byte"] == pytest.approx(
        after["val_loss"] * predicted.size / math.log(2) / text_bytes, rel=1e-5)
    metrics = check_run_directory(causal_lm.RECIPE, clm_run)
    assert metrics["directions"]["val_bits_per_byte"] == "min" and metrics["best"]["metric"] == "val_perplexity"


@pytest.mark.trains
def test_completion_matches_the_text_generation_pipeline(clm_run, capsys):
    from transformers import pipeline

    from kerastx.predict import main as predict_main
    from kerastx.recipes.registry import load_predictor

    prompt = "def __init__(self, name):"
    [ours] = load_predictor(clm_run.output_dir)([prompt])
    assert ours.prompt == prompt and ours.completion.strip()
    capsys.readouterr()
    predict_main([str(clm_run.output_dir), prompt])
    assert capsys.readouterr().out == prompt + ours.completion + "\n"  # code keeps its lines
    generate = pipeline("text-generation", model=str(clm_run.output_dir), framework="tf", dtype=None)
    [theirs] = generate(prompt, max_new_tokens=16, do_sample=False, return_full_text=False)
    assert ours.completion == theirs["generated_text"]


def test_the_default_corpus_is_this_pythons_standard_library():
    from kerastx.training.preparation import load_task_splits

    config = causal_lm.CausalLMConfig()
    splits = load_task_splits(causal_lm.RECIPE, config, causal_lm.CausalLMData(config))
    assert splits.description.startswith("python-stdlib")
    paths = set(splits.train["path"]) | set(splits.validation["path"])
    assert any(path.endswith("os.py") for path in paths)
    assert not set(splits.train["path"]) & set(splits.validation["path"])  # whole files held out


def test_bad_input_is_one_line(code_options, tmp_path, capsys):
    check_bad_inputs(causal_lm.main, code_options, tmp_path, capsys, [
        (lambda o, t: {**o, "train_file": write(t / "tiny.txt", "x = 1\ny = 2\n"), "validation_file": t / "tiny.txt"},
         "fewer than one block of max_length=64"),
        (lambda o, t: {**o, "model": "scratch:bert-tiny"}, "architecture in gpt2"),
        (lambda o, t: {**o, "top_p": 0.9}, "only applies with --do_sample"),
        (lambda o, t: {**o, "keyword_alpha": 2.0}, "give --keywords too"),
        (lambda o, t: {**o, "max_new_tokens": 64}, "leaves no room for a prompt"),
        (lambda o, t: {**o, "keywords": "self,zqxjvw"}, "keyword 'zqxjvw' is not one token of this tokenizer"),
    ])


@pytest.mark.trains
def test_keyword_weighted_loss_trains_the_model(code_options, tmp_path):
    """--keywords: the first step's loss is the weighted one, above the model's own (keywords weigh more)."""
    options = {**code_options, "max_steps": 2, "warmup_steps": 1, "evaluate_before_training": False,
               "checkpoint_every_steps": 1}
    plain = causal_lm.main(as_flags({**options, "output_dir": tmp_path / "plain"}))
    weighted = causal_lm.main(as_flags({**options, "keywords": "self,def,return", "keyword_alpha": 1.0,
                                        "output_dir": tmp_path / "weighted"}))
    assert weighted.metrics["val_loss"] == pytest.approx(plain.metrics["val_loss"], rel=0.05)  # the same model...
    plain_loss = json.loads((tmp_path / "plain" / "metrics.json").read_text())["train_loss"][0]
    weighted_loss = json.loads((tmp_path / "weighted" / "metrics.json").read_text())["train_loss"][0]
    assert weighted_loss > plain_loss * 1.1  # ... trained on a loss that weighs keyword-rich examples more


@pytest.mark.trains
def test_export_completes_prompts_with_the_predictors_ids_in_a_fresh_process(clm_run, code_options, tmp_path):
    from kerastx.recipes.registry import load_predictor
    from recipe_harness import check_export
    from serving_helpers import run_in_fresh_process

    version, serving, _ = check_export(clm_run.output_dir, tmp_path, ["--no_verify"])
    assert serving["serving_default"] == "generate_ids" and "generate_text" in serving["unsupported"]
    assert "byte-level BPE" in serving["unsupported"]["generate_text"]
    with open(code_options["train_file"], encoding="utf-8") as file:
        sources = [json.loads(line)["content"] for line in file][:4]
    # real code cut at line ends, at several lengths, and inside blocks, where a 60-step model writes other things
    prompts = ["\n".join(source.splitlines()[:3 + 2 * i]) + "\n" for i, source in enumerate(sources)] + [
        "class Point:\n\n    def __init__(self, x, y):\n", "def main():\n", "    return", "x = ["]
    completer = load_predictor(clm_run.output_dir)
    input_ids, attention_mask = completer.pad(completer.tokenizer(prompts)["input_ids"])
    input_ids, attention_mask = input_ids[:len(prompts)], attention_mask[:len(prompts)]
    expected = np.asarray(completer.generate_padded(input_ids, attention_mask))
    served = run_in_fresh_process(version, "generate_ids", {"input_ids": input_ids, "attention_mask": attention_mask})
    assert np.array_equal(served["sequences"], expected)
    assert len({tuple(row) for row in expected}) > 1  # completions differ by prompt: not a trivial comparison
    assert served["text"].tolist() == completer.tokenizer.batch_decode(expected, skip_special_tokens=True)
    assert np.array_equal(served["prompt_and_sequences"][:, input_ids.shape[1]:], expected)
