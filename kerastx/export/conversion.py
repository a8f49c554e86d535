"""What the TFLite and ONNX conversions share: the SavedModel signature to convert, and a client's arrays as the
inputs a converted model declares."""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import ExportError


def require_signature(saved_model_dir: str | Path, signature: str) -> Path:
    """``saved_model_dir`` as a Path, checked to be a SavedModel with ``signature``. Reads only ``saved_model.pb``,
    not the variables, so that a wrong name fails before a conversion loads the model."""
    from tensorflow.core.protobuf import saved_model_pb2

    folder = Path(saved_model_dir)
    graph_file = folder / "saved_model.pb"
    if not graph_file.is_file():
        raise ExportError(f"{folder}: not a SavedModel folder (no saved_model.pb)")
    saved = saved_model_pb2.SavedModel.FromString(graph_file.read_bytes())
    # "__saved_model_init_op" is TensorFlow's own entry (table initialisers), not a signature a client can call
    names = sorted({name for graph in saved.meta_graphs for name in graph.signature_def if not name.startswith("__")})
    if signature not in names:
        raise ExportError(f"{folder}: no signature {signature!r} to convert; it has {', '.join(names) or 'none'}")
    return folder


def as_declared(model_path: str | Path, declared: dict, inputs: dict) -> dict:
    """``inputs`` (name -> array-like) as numpy arrays of the dtypes ``declared`` (name -> dtype) by the converted
    model at ``model_path``: a tokenizer's int64 ids become the int32 the signature takes. A missing or unknown name,
    or a value of another kind (floats for ids), is an ExportError."""
    import numpy as np

    if set(inputs) != set(declared):
        raise ExportError(f"{model_path} takes inputs {', '.join(sorted(declared))}; got "
                          f"{', '.join(sorted(inputs)) or 'none'}")
    arrays = {}
    for name, dtype in declared.items():
        value = np.asarray(inputs[name])
        try:
            arrays[name] = value.astype(dtype, casting="same_kind")
        except TypeError:
            raise ExportError(f"{model_path}: input {name} must be {np.dtype(dtype).name}, got {value.dtype.name}"
                              ) from None
    return arrays


def first_line(err: Exception, width: int = 300) -> str:
    """The first line of a converter's or runtime's error (they run to pages), cut to ``width`` characters."""
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:width]
