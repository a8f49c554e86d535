"""A finished run as a versioned SavedModel that TF Serving loads (``<output>/<name>/<version>/``), with the
signatures its recipe declares (:mod:`kerastx.serving.base`), checked in a fresh process before it is put in place.

The version folder holds ``saved_model.pb`` and ``variables/`` (what TF Serving reads) and ``assets.extra/``
(what it ignores): ``serving.json`` (signatures, their inputs and outputs, a REST request body for each, and what
the model cannot serve and why), the tokenizer files and ``labels.txt``. It is written under a hidden name and
renamed into place only once every signature answered, in a process that imports only TensorFlow, as the trained
model does: a failed export leaves no version behind.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from kerastx.errors import ExportError
from kerastx.serving.base import Signature, Unsupported

SERVING_FORMAT = 1  # the layout of serving.json; raised when a client would have to read it differently
DEFAULT_ORDER = ("predict_text", "generate_text", "generate_ids", "predict_ids")  # serving_default: the first present


@dataclass
class Export:
    """Where an export went and what it holds."""

    path: Path  # the version folder
    signatures: list[str]
    unsupported: dict[str, str]
    checks: list[str] = field(default_factory=list)  # one line per compared output


def next_version(model_folder: Path) -> int:
    """One more than the highest numbered version in ``model_folder`` (1 for a new model): TF Serving serves the
    highest, so a new export takes over from the one before it."""
    versions = [int(child.name) for child in model_folder.glob("*") if child.name.isdigit()]
    return max(versions, default=0) + 1


def default_signature(names: list[str]) -> str:
    """What ``serving_default`` is: text in when the model takes it, else generation, else ids."""
    return next((name for name in DEFAULT_ORDER if name in names), names[0])


def save_signatures(model, parts: list, folder: Path) -> None:
    """Save ``model`` with the signatures among ``parts`` as a SavedModel in ``folder``."""
    import tensorflow as tf

    signatures = [part for part in parts if isinstance(part, Signature)]
    root = tf.Module()
    # the weights, not the Keras model: saving a model object traces every layer's call again (twice the time)
    root.weights = list(model.weights)
    # the in-graph tokenizers and tables a signature closes over must be reachable from the root to be saved
    root.serving_parts = [trackable for signature in signatures for trackable in signature.trackables]
    functions = {signature.name: signature.function for signature in signatures}
    functions["serving_default"] = functions[default_signature(list(functions))]
    tf.saved_model.save(root, str(folder), signatures=functions)


def check_in_fresh_process(folder: Path, signatures: list[Signature]) -> list[str]:
    """Compare every signature's outputs for its examples, computed by a process that loads ``folder`` with only
    TensorFlow (+ tensorflow_text), with what the trained model says; one line per compared output."""
    import numpy as np

    from kerastx.export.fresh_process import run_signatures

    answered = run_signatures(folder, {s.name: s.examples for s in signatures}, any(s.needs_text_ops for s in signatures))
    lines = []
    for signature in signatures:
        expected = signature.expected()
        for output, tolerance in signature.tolerance.items():
            got, want = answered[signature.name][output], np.asarray(expected[output])
            if got.shape != want.shape:
                raise ExportError(f"{signature.name}: output {output} has shape {got.shape} after reloading, "
                                  f"{want.shape} from the trained model")
            if tolerance == 0:
                if not np.array_equal(got, want):
                    raise ExportError(f"{signature.name}: output {output} differs from the trained model's after "
                                      f"reloading: {got.tolist()!r:.200} vs {want.tolist()!r:.200}")
                lines.append(f"{signature.name}.{output}: identical to the trained model's")
                continue
            difference = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
            if not difference <= tolerance:
                raise ExportError(f"{signature.name}: output {output} differs from the trained model's by up to "
                                  f"{difference:.2e} after reloading (allowed: {tolerance:.0e})")
            lines.append(f"{signature.name}.{output}: max |difference| {difference:.1e} (allowed {tolerance:.0e})")
    return lines


def describe(parts: list, recipe_name: str, versions: dict) -> dict:
    """The content of ``serving.json``."""
    import tensorflow as tf

    signatures = {}
    for part in parts:
        if not isinstance(part, Signature):
            continue
        specs = {spec.name: spec for spec in part.function.input_signature}
        outputs = part.function.get_concrete_function().structured_outputs
        signatures[part.name] = {
            "summary": part.summary,
            "inputs": {name: {"dtype": specs[name].dtype.name, "shape": _shape(specs[name].shape), "meaning": meaning}
                       for name, meaning in part.inputs.items()},
            "outputs": {name: {"dtype": outputs[name].dtype.name, "shape": _shape(outputs[name].shape),
                               "meaning": meaning} for name, meaning in part.outputs.items()},
            "needs_tensorflow_text": part.needs_text_ops,
            "rest_request": {"signature_name": part.name, "inputs": part.examples},
        }
    return {"format": SERVING_FORMAT, "recipe": recipe_name, "versions": {**versions, "tensorflow": tf.__version__},
            # a process must import tensorflow_text (TF Serving links its ops) to load the model at all, whichever
            # signature it calls
            "needs_tensorflow_text": any(s["needs_tensorflow_text"] for s in signatures.values()),
            "serving_default": default_signature(list(signatures)), "signatures": signatures,
            "unsupported": {part.name: part.reason for part in parts if isinstance(part, Unsupported)}}


def _shape(shape) -> list:
    return [-1 if size is None else size for size in shape.as_list()]


def staging_folder(target: Path) -> Path:
    """The hidden folder beside ``target`` that :func:`written_in_place` writes in."""
    return target.with_name(f".{target.name}.partial")


def written_in_place(target: Path, write):
    """``write(folder)`` into a hidden folder beside ``target``, renamed to ``target`` once it returned: on any failure,
    a signal included, nothing is left at ``target``, nor the hidden folder, nor a folder above it that this call
    made and left empty. Returns what ``write`` returned."""
    if target.exists():
        raise ExportError(f"{target} exists: versions are never overwritten")
    made = [folder for folder in target.parents if not folder.exists()]  # deepest first
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(target)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = write(staging)
        staging.rename(target)
    except BaseException:  # a signal (KeyboardInterrupt, StoppedBySignal) too
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):  # not empty: something else was written there meanwhile
                folder.rmdir()
        raise
    return written


def write_version(model, tokenizer, parts: list, target: Path, recipe_name: str, versions: dict,
                  labels: dict | None = None, verify: bool = True) -> Export:
    """Save, describe and (with ``verify``) check the export, put in place at ``target`` only once all of it
    succeeded (:func:`written_in_place`). ``labels`` (id -> name) go to ``labels.txt``."""
    signatures = [part for part in parts if isinstance(part, Signature)]
    if not signatures:
        reasons = "; ".join(f"{part.name}: {part.reason}" for part in parts)
        raise ExportError(f"no signature can be exported for this model ({reasons})")

    def write(folder: Path) -> tuple[dict, list[str]]:
        save_signatures(model, parts, folder)
        extra = folder / "assets.extra"
        tokenizer.save_pretrained(str(extra / "tokenizer"))
        if labels:
            (extra / "labels.txt").write_text("".join(f"{labels[i]}\n" for i in sorted(labels)), encoding="utf-8")
        description = describe(parts, recipe_name, versions)
        (extra / "serving.json").write_text(json.dumps(description, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        return description, check_in_fresh_process(folder, signatures) if verify else []

    description, checks = written_in_place(target, write)
    return Export(target, [s.name for s in signatures], description["unsupported"], checks)
