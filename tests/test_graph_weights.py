"""Weights stored in a graph as fp16, int8 or int4 read back as the numbers ONNX Runtime computes with."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch

from fmtts.graph_weights import (
    INT4_SUFFIX,
    INT8_SUFFIX,
    dequantize_int4,
    quantize_int4,
    quantize_int8,
    read_weights,
    store_weights,
)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def test_int8_rounds_each_output_channel_to_its_own_scale() -> None:
    w = np.random.default_rng(0).normal(size=(6, 5, 3)).astype(np.float32)
    w[2] *= 100.0  # one loud channel must not cost the others their precision
    w[4] = 0.0
    q, scale = quantize_int8(w)
    assert q.dtype == np.int8 and scale.shape == (6, 1, 1)
    back = q.astype(np.float32) * scale
    assert np.all(np.abs(back - w) <= scale / 2 + 1e-7)
    assert np.array_equal(back[4], w[4])
    assert np.abs(q).max() == 127


def test_int4_rounds_each_group_of_a_channel_to_its_own_scale() -> None:
    w = np.random.default_rng(0).normal(size=(6, 5, 15)).astype(np.float32)  # 75 values: 3 groups, padded
    w[2, 0] *= 100.0  # a loud stretch costs only its own group its precision
    w[4] = 0.0
    packed, scale = quantize_int4(w)
    assert packed.dtype == np.uint8 and packed.size == 6 * 3 * 32 // 2
    assert scale.dtype == np.float16 and scale.shape == (6, 3, 1)
    back = dequantize_int4(packed, scale, w.shape)
    step = np.repeat(scale.astype(np.float32), 32, axis=2).reshape(6, -1)[:, :75].reshape(w.shape)
    assert np.all(np.abs(back - w) <= step / 2 + 1e-6)
    assert np.array_equal(back[4], w[4])
    assert np.abs(back[2, 3:]).max() < 5  # the channel's other groups kept their own small scale
    assert ((packed & 15) > 0).all() and ((packed >> 4) > 0).all()  # levels 1..15: −7..7 offset by 8


def _graph() -> tuple[torch.nn.Module, bytes]:
    # 90 values per output channel in the first kernel: int4's last group of each channel is padded
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(30, 128, 3, padding=1), torch.nn.GELU(), torch.nn.Conv1d(128, 30, 3)
    )
    buf = io.BytesIO()
    x = torch.randn(1, 30, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter, as fmtts uses it
        torch.onnx.export(
            net,
            (x,),
            buf,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch", 2: "frames"}},
            do_constant_folding=False,
            dynamo=False,
        )
    return net, buf.getvalue()


@pytest.mark.parametrize("dtype", ["fp16", "int8", "int4"])
def test_stored_weights_read_back_as_onnx_runtime_computes(dtype: str) -> None:
    net, graph = _graph()
    stored = store_weights(graph, dtype)
    proto = onnx.load_from_string(stored)
    names = {i.name for i in proto.graph.initializer}
    assert ("0.weight" + INT8_SUFFIX in names) == (dtype == "int8")
    assert ("0.weight" + INT4_SUFFIX in names) == (dtype == "int4")
    weights = read_weights(proto)
    assert set(net.state_dict()) <= set(weights)
    rebuilt = torch.nn.Sequential(
        torch.nn.Conv1d(30, 128, 3, padding=1), torch.nn.GELU(), torch.nn.Conv1d(128, 30, 3)
    )
    rebuilt.load_state_dict({k: torch.from_numpy(weights[k].copy()) for k in net.state_dict()})
    x = torch.randn(2, 30, 30)
    session = ort.InferenceSession(stored, providers=["CPUExecutionProvider"])
    (y_ort,) = session.run(None, {"x": x.numpy()})
    with torch.no_grad():
        y_torch = rebuilt(x).numpy()
        y_fp32 = net(x).numpy()
    assert np.allclose(y_ort, y_torch, atol=1e-5)
    drift = np.abs(y_ort - y_fp32).max() / np.abs(y_fp32).max()
    assert 0 < drift < {"fp16": 0.002, "int8": 0.01, "int4": 0.2}[dtype], drift
    ratio = len(stored) / len(graph)
    assert ratio < {"fp16": 0.6, "int8": 0.35, "int4": 0.25}[dtype], ratio


def test_unknown_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="int8"):
        store_weights(b"", "int2")
