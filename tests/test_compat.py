"""Every process-wide change kerastx makes is listed in kerastx.compat and comes undone: each test installs one,
undoes it, and checks that what it changed is as before (the training-run ones in tests/test_precision.py)."""

import logging
import os
import sys
import types

import pytest

import kerastx.compat
from kerastx.compat import callback_check, env, quiet_logs, torchless
from kerastx.compat.dropout import checkpointable_dropout
from kerastx.compat.keras import tf_keras
from kerastx.errors import NotTfKerasCallbackError


def test_every_listed_change_has_a_module_that_checks_and_undoes_it():
    import importlib

    for patch in kerastx.compat.PATCHES:
        module = importlib.import_module(f"kerastx.compat.{patch.name}")
        assert callable(module.is_installed) and callable(module.uninstall), patch.name
    assert {"torchless", "callback_check"} <= set(kerastx.compat.installed())
    # env sets only what the environment does not: a process started by one that imported kerastx inherits the values
    assert ("env" in kerastx.compat.installed()) == kerastx.compat.env.is_installed()


def test_env_gives_back_what_was_there_and_leaves_what_the_user_set(monkeypatch):
    monkeypatch.setattr(env, "_before", {})
    monkeypatch.setattr(env, "_set", {})
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    env.install()
    env.put("TF_CPP_MIN_LOG_LEVEL", "0")  # as --verbose does
    assert (os.environ["TF_ENABLE_ONEDNN_OPTS"], os.environ["TF_CPP_MIN_LOG_LEVEL"]) == ("1", "0")
    assert env.is_installed()
    env.uninstall()
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ and os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert not env.is_installed()


def test_env_accepts_a_process_where_keras_3_is_imported_beside_tf_keras_as_tf_keras(monkeypatch):
    """As after ``import kerastx, tensorflow, keras``: tf.keras is tf_keras (lazily loaded, no __version__ of its
    own), so installing again refuses nothing."""
    import keras
    import tensorflow as tf

    assert keras.__version__.startswith("3") and tf.keras.Model.__module__.startswith("tf_keras")
    monkeypatch.setattr(env, "_before", {})
    monkeypatch.setattr(env, "_set", {})
    env.install()


def test_torchless_removes_its_import_hook(monkeypatch):
    monkeypatch.setattr(torchless, "_installed", torchless.is_installed())
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.delitem(sys.modules, torchless.PIPELINES, raising=False)
    monkeypatch.delitem(sys.modules, "transformers", raising=False)  # uninstall must not unwrap the real pipeline
    torchless.uninstall()
    torchless.install()
    hooks = [finder for finder in sys.meta_path if isinstance(finder, torchless._PatchOnImport)]
    assert len(hooks) == 1 and torchless.is_installed()
    torchless.uninstall()
    assert not any(isinstance(finder, torchless._PatchOnImport) for finder in sys.meta_path)


def test_torchless_unwraps_pipeline_in_both_modules_and_leaves_other_references_inert(monkeypatch):
    def pipeline(task, **kwargs):
        return task, kwargs

    pipelines, transformers = types.ModuleType(torchless.PIPELINES), types.ModuleType("transformers")
    pipelines.pipeline = transformers.pipeline = pipeline
    monkeypatch.setattr(torchless, "_installed", torchless.is_installed())
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # uninstall also removes the hook
    monkeypatch.setitem(sys.modules, torchless.PIPELINES, pipelines)
    monkeypatch.setitem(sys.modules, "transformers", transformers)
    torchless.install()
    wrapper = pipelines.pipeline
    assert wrapper is not pipeline and transformers.pipeline is wrapper
    torchless.uninstall()
    assert pipelines.pipeline is pipeline and transformers.pipeline is pipeline
    assert not torchless.is_installed()
    assert wrapper("translation") == ("translation", {})  # as a module transformers replaced would hold it


def test_callback_check_gives_tf_keras_its_callback_list_back():
    callback_list = tf_keras.callbacks.CallbackList
    checking = callback_list.__init__
    try:
        callback_check.uninstall()
        assert callback_list.__init__ is checking.__wrapped__ and not callback_check.is_installed()
    finally:
        callback_check.install()
    with pytest.raises(NotTfKerasCallbackError):
        callback_list([object()])


def test_quiet_logs_removes_its_filter_and_turns_the_progress_bars_back_on():
    import datasets

    record = logging.LogRecord("transformers.modeling_tf_utils", logging.WARNING, __file__, 1,
                               f"{quiet_logs.TRANSFORMERS_DEPRECATION} in v5", None, None)
    logger = logging.getLogger(record.name)
    was_installed = quiet_logs.is_installed()
    quiet_logs.uninstall()
    datasets.enable_progress_bars()
    try:
        quiet_logs.install(hide_progress_bars=True)
        assert not logger.filter(record) and not datasets.is_progress_bar_enabled()
        quiet_logs.uninstall()
        assert logger.filter(record) and datasets.is_progress_bar_enabled() and not quiet_logs.is_installed()
    finally:
        if was_installed:
            quiet_logs.install(hide_progress_bars=True)


@pytest.mark.parametrize("on_before", [False, True])
def test_checkpointable_dropout_puts_the_random_generator_switch_back(on_before):
    experimental = tf_keras.backend.experimental
    was = experimental.is_tf_random_generator_enabled()
    (experimental.enable_tf_random_generator if on_before else experimental.disable_tf_random_generator)()
    try:
        with checkpointable_dropout():
            assert experimental.is_tf_random_generator_enabled()
            assert ("dropout" in kerastx.compat.installed()) is not on_before  # listed only if kerastx turned it on
        assert experimental.is_tf_random_generator_enabled() is on_before
        assert "dropout" not in kerastx.compat.installed()
    finally:
        (experimental.enable_tf_random_generator if was else experimental.disable_tf_random_generator)()
