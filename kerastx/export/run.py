"""Export a finished run: ``export_recipe_run(recipe, "runs/mrpc")`` -> ``runs/mrpc/export/mrpc/1/`` (TF Serving's
layout), and with ``tflite``/``onnx`` the ``predict_ids`` signature converted beside it (``<name>-tflite/<version>/``,
``<name>-onnx/<version>/``), each checked against the trained model.

What is wrong with the run (not a finished run, written by another kerastx, files missing) is found before
TensorFlow loads and said in one line; a signature the model cannot have is named with its reason, and the others
are exported.
"""

from __future__ import annotations

from pathlib import Path

from kerastx import __version__
from kerastx.errors import ExportError
from kerastx.export.savedmodel import next_version, write_version
from kerastx.serving.base import Unsupported

LABELLED = ("TFAutoModelForSequenceClassification", "TFAutoModelForTokenClassification")


def check_exportable(run_dir: Path, saved: dict, config_class) -> None:
    """A run folder kerastx can export: its model files complete (:func:`~kerastx.model_files.check_model_files`),
    written by this kerastx version (or one that recorded none), with no option this version does not know."""
    from kerastx.config import SECTIONS, config_fields
    from kerastx.model_files import check_model_files

    check_model_files(run_dir)
    written_by = (saved.get("runtime") or {}).get("kerastx_version")
    if written_by and written_by.split(".")[:2] != __version__.split(".")[:2]:
        raise ExportError(f"{run_dir} was written by kerastx {written_by}; this is kerastx {__version__}: export it "
                          f"with kerastx {written_by} (pip install kerastx=={written_by})")
    known = {f.name for f in config_fields(config_class)}
    unknown = sorted(name for section in SECTIONS for name in (saved.get(section) or {}) if name not in known)
    if unknown:
        raise ExportError(f"{run_dir}/config.yaml has options this kerastx {__version__} does not know "
                          f"({', '.join(unknown)}): it was written by another version")


def export_recipe_run(recipe, run_dir: str | Path, output: str | Path | None = None, name: str | None = None,
                      version: int | None = None, tflite: bool = False, onnx: bool = False, verify: bool = True,
                      without_text: bool = False, log=print):
    """Export the run in ``run_dir``, which ``recipe`` trained; returns the :class:`~kerastx.export.savedmodel.Export`
    of its SavedModel. ``without_text`` leaves out the signatures that tokenize in the graph, for servers without
    tensorflow-text. (``kerastx.recipes.registry.read_run(run_dir)`` says which recipe trained a run.)

    Example::

        export = export_recipe_run(text_classification.RECIPE, "runs/mrpc", tflite=True)
        export.path        # runs/mrpc/export/mrpc/1
        export.signatures  # ['predict_ids', 'predict_text']
    """
    from kerastx.config import parse_saved_config
    from kerastx.model_files import read_saved_run

    run_dir = Path(run_dir)
    saved = read_saved_run(run_dir)
    if saved["recipe"] != recipe.name:
        raise ExportError(f"{run_dir} was trained by the {saved['recipe']} recipe, not by {recipe.name}")
    check_exportable(run_dir, saved, recipe.config_class)
    config = parse_saved_config(recipe.config_class, saved)
    if recipe.serving is None:
        raise ExportError(f"the {recipe.name} recipe declares no serving signatures")
    name = name or run_dir.resolve().name
    if not name.strip() or "/" in name or name.startswith("."):
        raise ExportError(f"--name {name!r}: give a plain folder name (TF Serving's model name)")
    model_folder = Path(output) if output else run_dir / "export"
    version = version or next_version(model_folder / name)
    target = model_folder / name / str(version)
    if target.exists():  # before the model loads (written_in_place checks it again when writing)
        raise ExportError(f"{target} exists: TF Serving versions are never overwritten; leave --version out to "
                          "take the next one")

    import transformers

    from kerastx.models.resolve import load_trained
    from kerastx.training.precision import global_precision

    # float32 whatever the run trained in (and whatever policy this process holds, e.g. after --export): a served
    # model should not compute in bfloat16 on CPUs that only emulate it
    with global_precision("fp32"):
        tokenizer, model = load_trained(run_dir, recipe.model_class)
        parts = recipe.serving(config, recipe.predictor(config, model, tokenizer))
    if without_text:
        parts = [Unsupported(part.name, "left out by --without_text (a server without tensorflow-text ops)")
                 if getattr(part, "needs_text_ops", False) else part for part in parts]
    for part in parts:
        if not hasattr(part, "function"):
            log(f"[export] {part.name}: not exported: {part.reason}")
    labels = dict(model.config.id2label) if recipe.model_class in LABELLED else None
    versions = {"kerastx": __version__, "transformers": transformers.__version__}
    export = write_version(model, tokenizer, parts, target, recipe.name, versions, labels, verify=verify)
    log(f"[export] SavedModel {export.path}: signatures {', '.join(export.signatures)}")
    for line in export.checks:
        log(f"[export] checked in a fresh TensorFlow process: {line}")
    if tflite or onnx:
        from kerastx.export.converted import convert_ids_signature

        for line in convert_ids_signature(export, parts, model_folder / name, version, tflite=tflite, onnx=onnx):
            log(f"[export] {line}")
    return export
