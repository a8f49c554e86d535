"""Configuration: defaults < YAML < flags, and every mistake is a one-line ConfigError."""

import subprocess
import sys

import pytest

from kerastx.config import config_to_dict, parse_config
from kerastx.errors import ConfigError
from kerastx.recipes.text_classification import TextClassificationConfig, main
from kerastx.recipes.translation import TranslationConfig
from tests_helpers import one_line_error


def parse(argv):
    return parse_config(TextClassificationConfig, argv, "prog", "test")[0]


def test_flags_override_yaml_which_overrides_defaults(tmp_path):
    config_file = tmp_path / "run.yaml"
    config_file.write_text("training:\n  learning_rate: 2.0e-4\n  epochs: 5\nbatch_size: 8\n")
    config = parse(["--config", str(config_file), "--epochs", "7"])
    assert config.learning_rate == 2e-4  # from YAML
    assert config.epochs == 7  # flag beats YAML
    assert config.batch_size == 8  # top-level YAML key
    assert config.seed == 42  # default


def test_a_yaml_section_whose_keys_are_all_commented_out_is_empty(tmp_path):
    config_file = tmp_path / "run.yaml"
    config_file.write_text("training:\n  # epochs: 5\n  # batch_size: 8\ndata:\n  max_length: 64\n")
    config = parse(["--config", str(config_file)])
    assert (config.epochs, config.batch_size, config.max_length) == (3, 32, 64)


def test_dashed_flags_and_lists():
    config = parse(["--learning-rate", "3e-5", "--label_names", "neg", "pos", "--group-by-length"])
    assert config.learning_rate == 3e-5
    assert config.label_names == ["neg", "pos"]
    assert config.group_by_length is True


def test_unknown_yaml_key_names_file_and_suggests(tmp_path):
    config_file = tmp_path / "typo.yaml"
    config_file.write_text("lerning_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"typo.yaml: unknown option 'lerning_rate' \(did you mean 'learning_rate'\?\)"):
        parse(["--config", str(config_file)])


def test_key_in_wrong_section(tmp_path):
    config_file = tmp_path / "sections.yaml"
    config_file.write_text("data:\n  learning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="belongs in section 'training'"):
        parse(["--config", str(config_file)])


def test_malformed_yaml_reports_line(tmp_path):
    config_file = tmp_path / "bad.yaml"
    config_file.write_text("epochs: 3\nmodel: [unclosed\nseed: 1\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid YAML at line \d"):
        parse(["--config", str(config_file)])


def test_wrong_type_and_choice(tmp_path):
    config_file = tmp_path / "types.yaml"
    config_file.write_text("epochs: three\n")
    with pytest.raises(ConfigError, match="option 'epochs' expects int, got 'three'"):
        parse(["--config", str(config_file)])
    with pytest.raises(ConfigError, match="precision' must be one of auto, fp32"):
        parse(["--precision", "fp8"])


@pytest.mark.parametrize("argv, message", [
    (["--dataset_config", "mrpc", "--train_file", "x.csv"], "'dataset_config' would be ignored"),
    (["--dataset_revision", "refs/convert/parquet", "--train_file", "x.csv"], "'dataset_revision' would be ignored"),
    (["--warmup_steps", "10", "--warmup_ratio", "0.1"], "'warmup_ratio' would be ignored"),
    (["--vocab_size", "100"], "'vocab_size' would be ignored: it only applies to a scratch model"),
    (["--static_shapes", "--pad_to_multiple_of", "8"], "'pad_to_multiple_of' would be ignored"),
    (["--validation_file", "v.csv", "--validation_split", "0.2"], "'validation_split' would be ignored"),
    (["--batch_size", "0"], "batch_size must be a positive number"),
])
def test_options_that_would_be_ignored_or_are_out_of_range(argv, message):
    with pytest.raises(ConfigError, match=message):
        parse(argv)


def test_resolved_config_is_grouped_by_section():
    grouped = config_to_dict(parse(["--epochs", "2"]))
    assert grouped["training"]["epochs"] == 2
    assert grouped["data"]["text_column"] == "text"
    assert set(grouped) == {"data", "model", "training", "evaluation", "output"}


def test_unknown_flag_is_one_line_exit_2_and_suggests_the_closest_flag(capsys):
    error = one_line_error(main, ["--lerning_rate", "1"], capsys)
    assert "unrecognized arguments: --lerning_rate 1 (did you mean --learning_rate?)" in error
    assert "did you mean" not in one_line_error(main, ["--lr", "1"], capsys)  # nothing close: no guess


@pytest.mark.spawns
def test_every_recipe_answers_help_without_loading_tensorflow():
    """In a fresh interpreter: kerastx.recipes.registry's test covers importing; this covers answering --help
    (every option's help text formatted: a bare % in one would crash argparse)."""
    code = ("import sys\nfrom kerastx.cli import run_cli\nfrom kerastx.recipes.registry import RECIPES\n"
            "for recipe in RECIPES.values():\n    try:\n        run_cli(recipe, ['--help'])\n"
            "    except SystemExit as done:\n        assert done.code == 0\n"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("usage: ") == 8 and "--model_name_or_path" in result.stdout  # the epilog names them
    assert "(80% shown as" in result.stdout


# --- the names of transformers' example scripts ---------------------------------------------------------------

def parse_with_notes(argv, capsys, config_class=TextClassificationConfig):
    capsys.readouterr()
    config, explicit = parse_config(config_class, argv, "prog", "test")
    return config, explicit, [line.removeprefix("prog: note: ") for line in capsys.readouterr().err.splitlines()]


def test_example_script_names_are_our_options(capsys):
    config, explicit, notes = parse_with_notes([
        "--model_name_or_path", "bert-base-uncased", "--tokenizer-name", "bert-base-cased", "--num_train_epochs", "3.0",
        "--max_seq_length", "96", "--max_grad_norm", "0.5", "--eval_steps", "40", "--eval_on_start", "--xla",
        "--logging_steps", "25", "--save_steps", "200", "--save_total_limit", "3",
        "--early_stopping_patience", "2", "--metric_for_best_model", "eval_accuracy"], capsys)
    assert (config.model, config.tokenizer, config.epochs, config.max_length, config.clip_norm) == \
        ("bert-base-uncased", "bert-base-cased", 3, 96, 0.5)
    assert (config.eval_every_steps, config.evaluate_before_training, config.jit_compile) == (40, True, True)
    assert (config.log_every_steps, config.checkpoint_every_steps, config.checkpoints_to_keep) == (25, 200, 3)
    assert config.metric_for_best == "val_accuracy"  # transformers' eval_ prefix is our val_
    assert {"model", "tokenizer", "epochs", "max_length", "clip_norm", "eval_every_steps", "jit_compile"} <= explicit
    assert notes == []  # the same meaning: nothing to say


def test_an_example_script_name_applies_only_where_the_recipe_has_its_counterpart(capsys):
    config, _, _ = parse_with_notes(["--forced_bos_token", "fr_XX", "--model", "Helsinki-NLP/opus-mt-en-fr",
                                     "--max_source_length", "64", "--val_max_target_length", "40"], capsys,
                                    TranslationConfig)
    assert (config.target_lang_code, config.max_length, config.max_new_tokens) == ("fr_XX", 64, 40)
    error = one_line_error(main, ["--forced_bos_token", "fr_XX"], capsys)  # text classification has no target language
    assert "unrecognized arguments: --forced_bos_token" in error


def test_per_device_batch_sizes_are_global_with_a_note(capsys):
    config, _, notes = parse_with_notes(["--per_device_train_batch_size", "16", "--per_device_eval_batch_size", "8"],
                                        capsys)
    assert (config.batch_size, config.eval_batch_size) == (16, 8)
    assert len(notes) == 2 and all("global" in note for note in notes)
    assert notes[0].startswith("--per_device_train_batch_size 16 is taken as --batch_size 16")


def test_switches_set_our_options_from_flags_and_yaml(tmp_path, capsys):
    assert parse(["--fp16"]).precision == "mixed_float16"
    assert parse(["--bf16", "true"]).precision == "mixed_bfloat16"
    assert parse(["--bf16", "false"]).precision == parse([]).precision  # off: our default stays
    config, _, notes = parse_with_notes(["--pad_to_max_length"], capsys)
    assert config.static_shapes is True and notes == [
        "--pad_to_max_length is taken as --static_shapes: which also drops the last partial batch "
        "(one shape, as XLA and TPUs need)"]
    config_file = tmp_path / "hf.yaml"
    config_file.write_text("model_name_or_path: bert-base-uncased\ntraining:\n  num_train_epochs: 2\n  bf16: true\n"
                           "  do_train: true\n")
    config, _, notes = parse_with_notes(["--config", str(config_file), "--num_train_epochs", "4"], capsys)
    assert (config.model, config.epochs, config.precision) == ("bert-base-uncased", 4, "mixed_bfloat16")  # flag beats YAML
    assert notes == ["--do_train has no effect: kerastx always trains"]


def test_what_kerastx_always_does_is_accepted_with_a_note(capsys):
    config, explicit, notes = parse_with_notes(
        ["--do_train", "--do_eval", "--overwrite_cache",
         "--eval_strategy", "steps", "--eval_steps", "50", "--lr_scheduler_type", "linear"], capsys)
    assert config == parse(["--eval_every_steps", "50"]) and explicit == {"eval_every_steps"}
    assert [note.split(" has no effect: ")[0] for note in notes] == [
        "--do_train", "--do_eval", "--overwrite_cache", "--eval_strategy steps",
        "--lr_scheduler_type linear"]
    _, _, notes = parse_with_notes(["--predict_with_generate", "--ignore_pad_token_for_loss"], capsys, TranslationConfig)
    assert len(notes) == 2
    assert parse_with_notes(["--do_eval", "false"], capsys)[2] == []


@pytest.mark.parametrize("argv, message", [
    (["--do_predict"], "option 'do_predict' of the transformers example scripts: kerastx has no test split; predict "
                       "with the finished run: python -m kerastx.predict OUTPUT_DIR --file inputs.txt"),
    (["--save_strategy", "no"], "kerastx checkpoints every --checkpoint_every_steps steps"),
    (["--resume_from_checkpoint", "runs/x/checkpoint-500"], "run the same command again"),
    (["--task_name", "mrpc"], "--dataset glue --dataset_config mrpc"),
    (["--gradient_accumulation_steps", "0"], "gradient_accumulation_steps must be a positive number"),
    (["--gradient_accumulation_steps", "2", "--jit_compile"], "gradient_accumulation_steps with jit_compile needs "
                                                              "static_shapes"),
    (["--lr_scheduler_type", "cosine"], "linear decay after a linear warm-up"),
    (["--evaluation_strategy", "no"], "kerastx evaluates at the end of every epoch; there is no switching it off"),
    (["--eval_strategy", "steps"], "'eval_strategy steps': give --eval_steps N (ours: --eval_every_steps N)"),
    (["--eval_strategy", "often"], "option 'eval_strategy' must be one of epoch, steps, no; got 'often'"),
    (["--load_best_model_at_end"], "give --early_stopping_patience N"),
    (["--model", "a", "--model_name_or_path", "b"], "'model' and 'model_name_or_path' both set option 'model'; give one"),
    (["--fp16", "--bf16"], "'fp16' and 'bf16' both set option 'precision'"),
    (["--num_train_epochs", "2.5"], "option 'epochs' expects int, got '2.5' (given as 'num_train_epochs')"),
    (["--dataset_config_name", "mrpc"], "option 'dataset_config' would be ignored"),
    (["--fp16", "maybe"], "option 'fp16' expects bool, got 'maybe'"),
])
def test_example_script_names_kerastx_cannot_honour_are_one_line_errors(argv, message):
    with pytest.raises(ConfigError) as error:
        parse(argv)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_example_script_names_are_errors_in_yaml_too(tmp_path):
    config_file = tmp_path / "hf.yaml"
    config_file.write_text("do_predict: true\n")
    with pytest.raises(ConfigError, match=f"^{config_file}: option 'do_predict' of the transformers example scripts"):
        parse(["--config", str(config_file)])
