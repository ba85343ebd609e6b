"""How an exported ONNX graph stores its weights, and reading them back under their torch names.

``fp32``  every initializer as it is.
``fp16``  float32 initializers of 1024 or more elements as ``<name>__fp16`` (fp16) feeding a Cast to fp32.
``int8``  matrices and kernels (two or more dimensions, 1024 or more elements) as ``<name>__int8`` with
          one fp32 scale per output channel (``<name>__scale``, symmetric, the first axis: torch's output
          axis for linear, convolution and embedding weights) feeding a Cast and a Mul; the other large
          tensors (biases, norms) as in ``fp16``.
``int4``  the same matrices and kernels in groups of 32 consecutive values of one output channel (the
          last group zero-padded), each group with its own fp16 scale (symmetric, levels −7..7): two
          values a byte as ``<name>__int4`` (uint8, the even value in the low half), ``<name>__scale``
          (output channels × groups × 1) and the shapes ``<name>__shape[_groups|_rows|_cols]``, feeding
          nodes of plain arithmetic (Cast, Div, Floor, Mul, Sub, Unsqueeze, Concat, Reshape, Slice) that
          unpack them; the other large tensors as in ``fp16``.

Every way, ONNX Runtime folds the decoding nodes when it loads the graph, so it computes in fp32 with the
stored numbers; :func:`read_weights` gives torch the very same numbers (decoded in fp32 as the graph does).
Writing and reading need the ``onnx`` package (imported when called).
"""

from __future__ import annotations

import numpy as np

WEIGHT_DTYPES = ("fp32", "fp16", "int8", "int4")
FP16_SUFFIX = "__fp16"
INT8_SUFFIX = "__int8"
INT4_SUFFIX = "__int4"
SHAPE_SUFFIX = "__shape"
INT4_GROUP = 32  # values per int4 scale
SHAPES = tuple(SHAPE_SUFFIX + part for part in ("", "_groups", "_rows", "_cols"))  # int4 decoding's shapes
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


def quantize_int4(weight: np.ndarray, group: int = INT4_GROUP) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int4 in groups of ``group`` values along each output channel (the first axis, the rest
    flattened and zero-padded to whole groups): ``(packed, scale)``, ``packed`` uint8 holding two levels
    + 8 a byte (the even value in the low half), ``scale`` fp16 (channels, groups, 1)."""
    w = np.asarray(weight, dtype=np.float32).reshape(weight.shape[0], -1)
    pad = -w.shape[1] % group
    g = np.pad(w, ((0, 0), (0, pad))).reshape(w.shape[0], -1, group)
    peak = np.abs(g).max(axis=2, keepdims=True)
    # fp16 scales: the smallest normal one for quiet groups (a zero or subnormal scale loses them)
    scale = np.maximum(peak / 7.0, np.finfo(np.float16).tiny).astype(np.float16)
    levels = np.clip(np.rint(g / scale.astype(np.float32)), -7, 7).astype(np.int16) + 8
    flat = levels.reshape(-1).astype(np.uint8)
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8), scale


def dequantize_int4(packed: np.ndarray, scale: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The fp32 weight :func:`quantize_int4` stored, by the arithmetic the graph's decoding nodes do."""
    p = packed.astype(np.float32)
    high = np.floor(p / 16.0)
    levels = np.stack([p - 16.0 * high, high], axis=1).reshape(scale.shape[0], scale.shape[1], -1)
    w = ((levels - 8.0) * scale.astype(np.float32)).reshape(scale.shape[0], -1)
    return w[:, : int(np.prod(shape[1:]))].reshape(shape)


def _int4_parts(name: str, value: np.ndarray) -> tuple[list, list]:
    """The initializers that store ``value`` as int4 and the nodes that decode them into the fp32 ``name``
    (as :func:`dequantize_int4`; the constants ``__int4_*`` are shared, see :data:`INT4_CONSTANTS`)."""
    from onnx import TensorProto, helper, numpy_helper

    packed, scale = quantize_int4(value)
    rows, cols = value.shape[0], int(np.prod(value.shape[1:]))
    shapes = dict(zip(SHAPES, (value.shape, (rows, scale.shape[1], -1), (rows, -1), (cols,)), strict=True))
    initializers = [
        numpy_helper.from_array(packed, name + INT4_SUFFIX),
        numpy_helper.from_array(scale, name + SCALE_SUFFIX),
    ] + [numpy_helper.from_array(np.array(v, np.int64), name + k) for k, v in shapes.items()]
    n, make = name + "__int4_", helper.make_node
    nodes = [
        make("Cast", [name + INT4_SUFFIX], [n + "p"], to=TensorProto.FLOAT),
        make("Div", [n + "p", "__int4_16"], [n + "q"]),
        make("Floor", [n + "q"], [n + "hi"]),
        make("Mul", [n + "hi", "__int4_16"], [n + "hi16"]),
        make("Sub", [n + "p", n + "hi16"], [n + "lo"]),
        make("Unsqueeze", [n + "lo", "__int4_axis1"], [n + "lo1"]),
        make("Unsqueeze", [n + "hi", "__int4_axis1"], [n + "hi1"]),
        make("Concat", [n + "lo1", n + "hi1"], [n + "pairs"], axis=1),
        make("Reshape", [n + "pairs", name + SHAPE_SUFFIX + "_groups"], [n + "levels"]),
        make("Sub", [n + "levels", "__int4_8"], [n + "centred"]),
        make("Cast", [name + SCALE_SUFFIX], [n + "scale"], to=TensorProto.FLOAT),
        make("Mul", [n + "centred", n + "scale"], [n + "grouped"]),
        make("Reshape", [n + "grouped", name + SHAPE_SUFFIX + "_rows"], [n + "rows"]),
        make(
            "Slice", [n + "rows", "__int4_zero", name + SHAPE_SUFFIX + "_cols", "__int4_axis1"], [n + "cut"]
        ),
        make("Reshape", [n + "cut", name + SHAPE_SUFFIX], [name]),
    ]
    return initializers, nodes


INT4_CONSTANTS = {
    "__int4_16": np.float32(16),
    "__int4_8": np.float32(8),
    "__int4_zero": np.array([0], np.int64),
    "__int4_axis1": np.array([1], np.int64),
}


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
    shared = False  # the int4 decoders' constants, added once
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
        elif dtype == "int4" and len(dims) >= 2:
            initializers, nodes = _int4_parts(name, value)
            kept += initializers
            decode += nodes
            shared = True
        else:
            kept.append(numpy_helper.from_array(value.astype(np.float16), name + FP16_SUFFIX))
            decode.append(helper.make_node("Cast", [name + FP16_SUFFIX], [name], to=TensorProto.FLOAT))
    if shared:
        kept += [numpy_helper.from_array(np.asarray(v), k) for k, v in INT4_CONSTANTS.items()]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(decode + nodes)
    return proto.SerializeToString()


def read_weights(proto) -> dict[str, np.ndarray]:
    """Every initializer of a loaded graph under its own name, as the numbers the graph computes with
    (fp16, int8 and int4 ones decoded to fp32)."""
    from onnx import numpy_helper

    raw = {init.name: numpy_helper.to_array(init) for init in proto.graph.initializer}
    weights: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        if name.endswith(SCALE_SUFFIX) or name.endswith(SHAPES) or name in INT4_CONSTANTS:
            continue
        if name.endswith(INT4_SUFFIX):
            base = name.removesuffix(INT4_SUFFIX)
            shape = tuple(int(d) for d in raw[base + SHAPE_SUFFIX])
            weights[base] = dequantize_int4(value, raw[base + SCALE_SUFFIX], shape)
        elif name.endswith(INT8_SUFFIX):
            base = name.removesuffix(INT8_SUFFIX)
            weights[base] = value.astype(np.float32) * raw[base + SCALE_SUFFIX]
        elif name.endswith(FP16_SUFFIX):
            weights[name.removesuffix(FP16_SUFFIX)] = value.astype(np.float32)
        else:
            weights[name] = value
    return weights
