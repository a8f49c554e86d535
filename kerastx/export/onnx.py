"""A SavedModel signature as an ONNX model (converted by tf2onnx), and running one with onnxruntime.

The ONNX model keeps the signature's input and output names, with batch and length left dynamic.

Exact GELU. tf_keras' ``gelu`` (the activation of transformers' TF BERT family) is ``0.5 * x * erfc(-x / sqrt(2))``
in the TensorFlow graph, and tf2onnx has no conversion for ``Erfc``: it logs "Tensorflow op [.../Gelu/Erfc: Erfc] is
not supported", writes the model all the same, and onnxruntime refuses to load it ("No Op registered for Erfc with
domain_version of 15"). ONNX has ``Erf``, so each ``Erfc(y)`` is converted as ``1 - Erf(y)``. That is exact to
float32 rounding: ``1 - Erf(y)`` is within float32's spacing near 1 (6e-8) of erfc(y), so GELU's output moves by at
most 3e-8 * |x|, a large relative change only for inputs below about -5, where GELU itself is smaller than 2e-6.

Any other op tf2onnx cannot convert is an ExportError naming it, instead of a file onnxruntime would refuse.

Example::

    from kerastx.export.onnx import convert_to_onnx, run_onnx

    path = convert_to_onnx("export/mrpc/1", "mrpc.onnx")
    run_onnx(path, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})["probabilities"]
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from kerastx.errors import ExportError
from kerastx.export.conversion import as_declared, first_line, require_signature


def convert_to_onnx(saved_model_dir: str | Path, output_path: str | Path, signature: str = "predict_ids",
                    opset: int | None = None) -> Path:
    """Write ``signature`` of the SavedModel in ``saved_model_dir`` to ``output_path`` as an ONNX model of ``opset``
    (None: tf2onnx's default, 15 in tf2onnx 1.17); returns ``output_path``."""
    tf2onnx = _needed("tf2onnx")
    import onnx
    import tensorflow as tf

    folder = require_signature(saved_model_dir, signature)
    saved = tf.saved_model.load(str(folder))  # held while converting: the signature reads its variables
    function = saved.signatures[signature]
    inputs = sorted(function.structured_input_signature[1].items())
    names = [name for name, _ in inputs]
    specs = [tf.TensorSpec(spec.shape, spec.dtype, name=name) for name, spec in inputs]

    @tf.function
    def by_position(*tensors):  # tf2onnx traces a function of positional inputs; a signature takes keywords
        return function(**dict(zip(names, tensors)))

    try:
        model, _ = tf2onnx.convert.from_function(by_position, input_signature=specs, opset=opset,
                                                 custom_op_handlers={"Erfc": (_one_minus_erf, ["Erf"])})
    except Exception as err:
        raise ExportError(f"{folder}: ONNX conversion of signature {signature} failed: {first_line(err)}") from None
    # tf2onnx leaves an op it has no conversion for as it is, under its TensorFlow name, in ONNX's own domain
    unconverted = {node.op_type for node in model.graph.node
                   if node.domain in ("", "ai.onnx") and not onnx.defs.has(node.op_type)}
    if unconverted:
        raise ExportError(f"{folder}: signature {signature} uses TensorFlow ops tf2onnx cannot convert to ONNX: "
                          f"{', '.join(sorted(unconverted))}")
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(model.SerializeToString())
    return output


def run_onnx(path: str | Path, inputs: dict) -> dict:
    """The outputs (name -> numpy array) of the ONNX model at ``path`` for ``inputs`` (name -> array-like, e.g. a
    tokenizer's ``return_tensors="np"`` batch), computed by onnxruntime on the CPU."""
    _needed("onnxruntime")
    import numpy as np

    if not Path(path).is_file():
        raise ExportError(f"{path}: no such ONNX model")
    session = _session(str(Path(path).resolve()), Path(path).stat().st_mtime_ns)
    declared = {tensor.name: np.dtype(_numpy_type(tensor.type)) for tensor in session.get_inputs()}
    names = [tensor.name for tensor in session.get_outputs()]
    return dict(zip(names, session.run(names, as_declared(path, declared, inputs))))


@functools.lru_cache(maxsize=2)
def _session(path: str, modified_ns: int):
    """An onnxruntime session for the model at ``path`` as it was at ``modified_ns``: kept between calls, because
    loading one takes half a second for MiniLM and a caller runs a dataset batch by batch."""
    import onnxruntime

    try:
        return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime's own exception types, with the failing node in the first line
        raise ExportError(f"{path}: onnxruntime cannot load it: {first_line(err)}") from None


def _needed(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportError(f"ONNX export needs {module}, which is not installed: pip install 'kerastx[onnx]'") from None


def _numpy_type(onnxruntime_type: str) -> str:
    """numpy's name for an onnxruntime tensor type: ``tensor(int32)`` -> int32, ``tensor(float)`` -> float32."""
    element = onnxruntime_type.removeprefix("tensor(").removesuffix(")")
    return {"float": "float32", "double": "float64"}.get(element, element)


def _one_minus_erf(graph, node, name, args):
    """tf2onnx handler for ``Erfc``: the node has become ``Erf`` (the ``["Erf"]`` in its registration); its
    consumers now read ``1 - Erf(y)``."""
    import numpy as np
    from tf2onnx import utils

    dtype = graph.get_dtype(node.output[0])
    one = graph.make_const(utils.make_name(f"{name}/one"), np.array(1, dtype=utils.map_onnx_to_numpy_type(dtype)))
    complement = graph.insert_new_node_on_output("Sub", node.output[0], inputs=[one.output[0], node.output[0]])
    graph.set_dtype(complement.output[0], dtype)
    graph.copy_shape(node.output[0], complement.output[0])
