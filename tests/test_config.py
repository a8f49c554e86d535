"""Configuration: defaults < YAML < flags, and every mistake is a one-line ConfigError."""

import subprocess
import sys
import time

import pytest

from kerastx.config import config_to_dict, parse_config
from kerastx.errors import ConfigError
from kerastx.recipes.text_classification import TextClassificationConfig


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
    with pytest.raises(ConfigError, match="precision' must be one of fp32"):
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


def test_unknown_flag_is_one_line_and_exit_2():
    result = subprocess.run([sys.executable, "-m", "kerastx.recipes.text_classification", "--lr", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unrecognized arguments: --lr" in result.stderr


def test_help_is_fast_and_does_not_load_tensorflow():
    code = ("import sys, kerastx.recipes.text_classification as r, kerastx.predict;"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kerastx.recipes.text_classification", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "--learning_rate" in result.stdout
    assert time.perf_counter() - started < 3
