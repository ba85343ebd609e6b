"""How an exported ONNX graph stores its weights, and reading them back under their torch names.

``fp32``  every initializer as it is.
``fp16``  float32 initializers of 1024 or more elements as ``<name>__fp16`` (fp16) feeding a Cast to fp32.
``int8``  matrices and kernels (two or more dimensions, 1024 or more elements) as ``<name>__int8`` with
          one fp32 scale per output channel (``<name>__scale``, symmetric, the first axis: torch's output
          axis for linear, convolution and embedding weights) feeding a Cast and a Mul; the other large
          tensors (biases, norms) as in ``fp16``.

Either way ONNX Runtime folds the Casts and Muls when it loads the graph, so it computes in fp32 with the
stored numbers; :func:`read_weights` gives torch the very same numbers (``Cast`` then ``Mul`` in fp32).
Writing and reading need the ``onnx`` package (imported when called).
"""

from __future__ import annotations

import numpy as np

WEIGHT_DTYPES = ("fp32", "fp16", "int8")
FP16_SUFFIX = "__fp16"
INT8_SUFFIX = "__int8"
SCALE_SUFFIX = "__scale"
MIN_ELEMENTS = 1024


def quantize_int8(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with one scale per slice of the first axis: ``(q, scale)`` with ``q * scale`` ≈
    ``weight`` (``scale`` shaped to broadcast against ``weight``)."""
    w = np.asarray(weight, dtype=np.float32)
    peak = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    scale = scale.reshape((-1,) + (1,) * (w.ndim - 1))
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def store_weights(model_bytes: bytes, dtype: str, min_elements: int = MIN_ELEMENTS) -> bytes:
    """A graph whose float32 initializers of ``min_elements`` or more are stored as ``dtype`` (module
    docstring) behind the nodes that turn them back into fp32 under their own names."""
    if dtype not in WEIGHT_DTYPES:
        raise ValueError(f"weights are stored as one of {', '.join(WEIGHT_DTYPES)}, not {dtype!r}")
    if dtype == "fp32":
        return model_bytes
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    proto = onnx.load_from_string(model_bytes)
    graph = proto.graph
    decode: list[onnx.NodeProto] = []
    kept = []
    for init in graph.initializer:
        dims = tuple(init.dims)
        if init.data_type != TensorProto.FLOAT or int(np.prod(dims)) < min_elements:
            kept.append(init)
            continue
        value = numpy_helper.to_array(init)
        name = init.name
        if dtype == "int8" and len(dims) >= 2:
            q, scale = quantize_int8(value)
            kept += [
                numpy_helper.from_array(q, name + INT8_SUFFIX),
                numpy_helper.from_array(scale, name + SCALE_SUFFIX),
            ]
            as_float = name + "__int8_as_float"
            decode += [
                helper.make_node("Cast", [name + INT8_SUFFIX], [as_float], to=TensorProto.FLOAT),
                helper.make_node("Mul", [as_float, name + SCALE_SUFFIX], [name]),
            ]
        else:
            kept.append(numpy_helper.from_array(value.astype(np.float16), name + FP16_SUFFIX))
            decode.append(helper.make_node("Cast", [name + FP16_SUFFIX], [name], to=TensorProto.FLOAT))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(decode + nodes)
    return proto.SerializeToString()


def read_weights(proto) -> dict[str, np.ndarray]:
    """Every initializer of a loaded graph under its own name, as the numbers the graph computes with
    (fp16 and int8 ones decoded to fp32)."""
    from onnx import numpy_helper

    raw = {init.name: numpy_helper.to_array(init) for init in proto.graph.initializer}
    weights: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        if name.endswith(INT8_SUFFIX):
            base = name.removesuffix(INT8_SUFFIX)
            weights[base] = value.astype(np.float32) * raw[base + SCALE_SUFFIX]
        elif name.endswith(FP16_SUFFIX):
            weights[name.removesuffix(FP16_SUFFIX)] = value.astype(np.float32)
        else:
            weights[name] = value
    return weights
