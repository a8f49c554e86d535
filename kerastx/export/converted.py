"""TFLite and ONNX copies of an export's ``predict_ids`` signature, each run on the signature's examples and
compared with the trained model before it is put in place (``<name>-tflite/<version>/``, ``<name>-onnx/<version>/``)."""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import ExportError
from kerastx.export.savedmodel import staging_folder, written_in_place
from kerastx.serving.base import Signature

FLOAT_TOLERANCE = 1e-4  # float32 kernels of another runtime: a different order of sums, not a different model


def convert_ids_signature(export, parts: list, model_folder: Path, version: int, tflite: bool, onnx: bool) -> list[str]:
    """Convert ``predict_ids`` of ``export`` (a :class:`~kerastx.export.savedmodel.Export`) as asked; one line per
    file written, saying how far its outputs are from the trained model's."""
    import numpy as np

    ids = next((part for part in parts if isinstance(part, Signature) and part.name == "predict_ids"), None)
    if ids is None:
        raise ExportError("this model has no predict_ids signature to convert to TFLite or ONNX")
    inputs = {name: np.asarray(values, np.int32) for name, values in ids.examples.items()}
    expected = ids.expected()
    lines = []
    if tflite:
        from kerastx.export.tflite import convert_to_tflite, run_tflite

        def write_tflite(folder: Path) -> list[str]:
            written = []
            for file_name, int8 in (("model.tflite", False), ("model_int8.tflite", True)):
                path = convert_to_tflite(export.path, folder / file_name, int8=int8)
                kind = "int8 TFLite (dynamic range)" if int8 else "float TFLite"
                written.append(_compared(kind, path, run_tflite(path, inputs), expected, ids.tolerance,
                                         None if int8 else FLOAT_TOLERANCE))
            return written

        lines += _written_in_place(model_folder.with_name(f"{model_folder.name}-tflite") / str(version), write_tflite)
    if onnx:
        from kerastx.export.onnx import convert_to_onnx, run_onnx

        def write_onnx(folder: Path) -> list[str]:
            path = convert_to_onnx(export.path, folder / "model.onnx")
            return [_compared("ONNX", path, run_onnx(path, inputs), expected, ids.tolerance, FLOAT_TOLERANCE)]

        lines += _written_in_place(model_folder.with_name(f"{model_folder.name}-onnx") / str(version), write_onnx)
    return lines


def _written_in_place(target: Path, write) -> list[str]:
    """:func:`~kerastx.export.savedmodel.written_in_place`, with the lines ``write`` returns naming ``target`` rather
    than the hidden folder the files were written in."""
    staging = staging_folder(target)
    return [line.replace(str(staging), str(target)) for line in written_in_place(target, write)]


def _compared(kind: str, path: Path, got: dict, expected: dict, outputs: dict, tolerance: float | None) -> str:
    """One line comparing a converted model's outputs with the trained model's; an ExportError past ``tolerance``
    (None: measured and reported only, as for int8 weights)."""
    import numpy as np

    notes = []
    for output in outputs:
        want = np.asarray(expected[output], np.float64)
        difference = float(np.max(np.abs(np.asarray(got[output], np.float64) - want)))
        if tolerance is not None and not difference <= tolerance:
            raise ExportError(f"{path}: {kind} output {output} is {difference:.2e} from the trained model's (allowed: "
                              f"{tolerance:.0e})")
        note = f"{output} max |difference| {difference:.1e}"
        if output.endswith("logits"):
            note += f", same argmax {int(np.sum(np.argmax(got[output], -1) == np.argmax(want, -1)))}/{want[..., 0].size}"
        notes.append(note)
    size = path.stat().st_size / 2**20
    return f"{kind} {path} ({size:.1f} MiB): {'; '.join(notes)}"
