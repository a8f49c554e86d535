"""--precision auto: the rule on fake hardware, the facts read from this machine, loss scaling under
mixed_float16, and a recipe run that records its choice."""

import numpy as np
import pytest
import yaml

import kerastx.compat
from kerastx.compat.keras import tf_keras
from kerastx.config import PRECISION_POLICIES
from kerastx.training.precision import (Gpu, Hardware, choose_precision, cpu_flags, global_precision, is_t5_family,
                                        keras_policy, precision_option)
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files

AVX2_ONLY = frozenset({"sse4_2", "avx", "avx2", "fma"})
AVX512_NO_BF16 = AVX2_ONLY | {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"}  # e.g. Skylake/Cascade Lake
AVX512_BF16 = AVX512_NO_BF16 | {"avx512_bf16"}  # e.g. Cooper Lake, Zen 4
AMX = AVX512_BF16 | {"amx_tile", "amx_int8", "amx_bf16"}  # Sapphire Rapids and later


def cpu(flags, onednn_max_isa=None):
    return Hardware("CPU", cpu_flags=flags, onednn_max_isa=onednn_max_isa)


def gpu(major, minor, name="GPU"):
    return Hardware("GPU", (Gpu(name, (major, minor)),))


@pytest.mark.parametrize("hardware, model, policy, because", [
    (cpu(AVX2_ONLY), "minilm", "float32", "no AVX512_BF16 or AMX"),
    (cpu(AVX512_NO_BF16), "minilm", "float32", "no AVX512_BF16 or AMX"),
    (cpu(AVX512_BF16), "minilm", "mixed_bfloat16", "natively with avx512_bf16"),
    (cpu(AMX), "minilm", "mixed_bfloat16", "natively with avx512_bf16, amx_bf16"),
    (cpu(frozenset()), "minilm", "float32", "no AVX512_BF16 or AMX"),  # no /proc/cpuinfo (macOS)
    (gpu(7, 5, "Tesla T4"), "scratch:marian-mini", "mixed_float16", "Tesla T4 (compute capability 7.5)"),
    (gpu(7, 5), "t5-small", "float32", "T5 models overflow in float16"),
    (gpu(7, 5), "google/flan-t5-base", "float32", "T5 models overflow in float16"),
    (gpu(8, 0, "A100"), "minilm", "mixed_bfloat16", "A100 (compute capability 8.0) computes bfloat16"),
    (gpu(8, 0), "t5-small", "mixed_bfloat16", "computes bfloat16 natively"),
    (gpu(6, 1), "minilm", "float32", "no float16 tensor cores"),
    # with several GPUs, the weakest decides
    (Hardware("GPU", (Gpu("A100", (8, 0)), Gpu("V100", (7, 0)))), "minilm", "mixed_float16", "V100"),
    (Hardware("TPU"), "minilm", "mixed_bfloat16", "TPU"),
])
def test_auto_follows_the_hardware(hardware, model, policy, because):
    chosen, reason = choose_precision("auto", model, hardware)
    assert chosen == policy
    assert reason.startswith("auto: ") and because in reason, reason


@pytest.mark.parametrize("cap, policy", [
    ("AVX2", "float32"), ("AVX512_CORE", "float32"), ("AVX512_CORE_VNNI", "float32"), ("avx2_vnni_2", "float32"),
    ("AVX512_CORE_BF16", "mixed_bfloat16"), ("AVX512_CORE_AMX", "mixed_bfloat16"),
    ("AVX10_1_512_AMX", "mixed_bfloat16"),
    ("ALL", "mixed_bfloat16"), ("DEFAULT", "mixed_bfloat16"),
])
def test_a_onednn_cap_below_bf16_means_float32_on_a_bf16_cpu(cap, policy):
    chosen, reason = choose_precision("auto", "minilm", cpu(AMX, cap))
    assert chosen == policy
    if policy == "float32":
        assert f"ONEDNN_MAX_CPU_ISA={cap}" in reason and "emulated" in reason


def test_amx_alone_needs_a_cap_that_allows_amx():
    amx_only = frozenset({"avx512f", "amx_bf16"})
    assert choose_precision("auto", "minilm", cpu(amx_only, "AVX512_CORE_BF16"))[0] == "float32"
    assert choose_precision("auto", "minilm", cpu(amx_only, "AVX512_CORE_AMX"))[0] == "mixed_bfloat16"


@pytest.mark.parametrize("requested, policy", [
    ("fp32", "float32"), ("mixed_float16", "mixed_float16"), ("mixed_bfloat16", "mixed_bfloat16")])
def test_an_explicit_policy_is_kept_whatever_the_hardware(requested, policy):
    for hardware in (cpu(AVX2_ONLY), cpu(AMX), gpu(7, 5), Hardware("TPU")):
        assert choose_precision(requested, "minilm", hardware) == (policy, "as configured")


def test_cpu_flags_come_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\n"
                       "processor\t: 1\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_t5_family_by_name_or_by_the_model_type_of_a_local_directory(tmp_path):
    assert is_t5_family("t5-small") and is_t5_family("scratch:t5-tiny") and is_t5_family("google/mt5-base")
    assert not is_t5_family("minilm") and not is_t5_family("Helsinki-NLP/opus-mt-en-fr")
    (tmp_path / "config.json").write_text('{"model_type": "mt5"}')
    assert is_t5_family(str(tmp_path))
    (tmp_path / "config.json").write_text('{"model_type": "marian"}')
    assert not is_t5_family(str(tmp_path))


def test_detect_reads_the_onednn_cap_and_the_cpu_of_a_cpu_strategy(monkeypatch):
    import tensorflow as tf

    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    hardware = Hardware.detect(tf.distribute.OneDeviceStrategy("/cpu:0"))
    assert (hardware.device, hardware.onednn_max_isa, hardware.cpu_flags) == ("CPU", "AVX2", cpu_flags())
    assert choose_precision("auto", "minilm", hardware)[0] == "float32"  # this is how to try a CPU without AVX-512


def test_each_precision_option_and_its_keras_policy_name_each_other():
    assert keras_policy("fp32") == "float32" and precision_option("float32") == "fp32"
    assert all(precision_option(keras_policy(option)) == option for option in PRECISION_POLICIES)
    assert keras_policy("mixed_bfloat16") == "mixed_bfloat16"  # a Keras policy name is itself


def test_leaving_global_precision_puts_back_the_policy_and_the_marian_and_bart_classes():
    from transformers.models.bart.modeling_tf_bart import TFBartDecoder, TFBartEncoder
    from transformers.models.marian.modeling_tf_marian import TFMarianDecoder, TFMarianEncoder

    originals = {cls: cls.__init__ for cls in (TFMarianEncoder, TFMarianDecoder, TFBartEncoder, TFBartDecoder)}
    installed_before = kerastx.compat.installed()
    with global_precision("mixed_bfloat16"):
        assert tf_keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert all(cls.__init__ is not init for cls, init in originals.items())
        assert {"mixed_precision", "embed_scale"} <= set(kerastx.compat.installed())
        with global_precision("fp32"):  # as an export after a mixed run: the classes stay patched for the outer block
            assert tf_keras.mixed_precision.global_policy().name == "float32"
        assert all(cls.__init__ is not init for cls, init in originals.items())
    assert {cls: cls.__init__ for cls in originals} == originals
    assert tf_keras.mixed_precision.global_policy().name == "float32"
    assert kerastx.compat.installed() == installed_before


@pytest.mark.trains
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])  # create_optimizer: Keras Adam, or its legacy AdamWeightDecay
def test_mixed_float16_trains_with_loss_scaling(weight_decay):
    from transformers import BertConfig, TFBertForSequenceClassification

    from kerastx.config import RunConfig
    from kerastx.training.optimizer import build_optimizer

    with global_precision("mixed_float16"):
        model = TFBertForSequenceClassification(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1,
                                                           num_attention_heads=2, intermediate_size=32))
        model.compile(optimizer=build_optimizer(RunConfig(weight_decay=weight_decay, learning_rate=1e-3), 4))
        ids = np.random.default_rng(0).integers(1, 64, size=(8, 12))
        history = model.fit({"input_ids": ids, "attention_mask": np.ones_like(ids)}, np.arange(8) % 2,
                            batch_size=4, epochs=1, verbose=0)
    assert model.layers[0].compute_dtype == "float16"
    assert isinstance(model.optimizer, tf_keras.mixed_precision.LossScaleOptimizer)
    assert np.isfinite(history.history["loss"]).all()
    assert tf_keras.mixed_precision.global_policy().name == "float32"  # restored after the block


@pytest.mark.trains
def test_a_recipe_run_logs_and_records_what_auto_chose(tmp_path, shared_data, capsys):
    from kerastx.recipes.registry import load_run
    from kerastx.recipes.text_classification import main
    from kerastx.training.strategy import choose_strategy

    options = {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=32, dev_rows=16), **TINY_TRAINING,
               "precision": "auto", "max_steps": 2, "output_dir": tmp_path / "out"}
    main(as_flags(options))
    policy, reason = choose_precision("auto", TINY_TRAINING["model"], Hardware.detect(choose_strategy()))
    data_line, setup_line = capsys.readouterr().out.splitlines()[:2]  # the data is read before TensorFlow loads
    assert data_line.startswith("[data] ")
    assert setup_line.startswith("[setup] ") and f"precision {policy} ({reason})" in setup_line
    saved = yaml.safe_load((tmp_path / "out" / "config.yaml").read_text())
    assert saved["training"]["precision"] == "auto"
    assert (saved["runtime"]["precision"], saved["runtime"]["precision_reason"]) == (policy, reason)
    assert load_run(tmp_path / "out")[1].precision == "auto"  # the saved config still reads back
    assert tf_keras.mixed_precision.global_policy().name == "float32"  # the run leaves the policy as it found it
