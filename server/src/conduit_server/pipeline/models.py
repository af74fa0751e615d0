"""`Models`: the heavy speech models of one worker process, each loaded once, lazily, thread-safely.

Create one `Models` per process (in the worker/app factory) and hand it to every `SpeechPipeline`; nothing
here is global. Paths come in through the constructor: the environment is read at the edge.
"""

from __future__ import annotations

import threading
from pathlib import Path

from conduit_server.pipeline.campplus import CamPlusPlusEmbedder
from conduit_server.pipeline.segmentation import SegmentationModel
from conduit_server.pipeline.transcribe import FILLER_PROMPT, Transcriber, ensure_whisper_model
from conduit_server.pipeline.voiceprint import Embedder

__all__ = ["Models"]


class Models:
    """Lazily loaded Whisper, speaker embedder and speech/overlap detector.

    models_dir: writable folder where the bundled Whisper base is joined once (e.g. <data>/models).
    asr_model_dir: a ready CTranslate2 Whisper folder that replaces the bundled model (CONDUIT_ASR_MODEL).
    embedder: an already built `Embedder` to use instead of the default CAM++ one.
    """

    def __init__(
        self,
        models_dir: Path,
        *,
        asr_model_dir: Path | None = None,
        embedder: Embedder | None = None,
        cpu_threads: int = 2,
        compute_type: str = "int8",
        asr_device: str = "cpu",
        beam_size: int = 1,  # greedy: RTF 0.13 vs 0.19 at beam 5 on 10 min, WER 2.1 vs 2.0 % (bench/pipeline.py)
        filler_prompt: bool = True,  # transcribe "um"/"uh" (transcribe.FILLER_PROMPT)
    ) -> None:
        self.models_dir = Path(models_dir)
        self.asr_model_dir = Path(asr_model_dir) if asr_model_dir is not None else None
        self.cpu_threads = cpu_threads
        self.compute_type = compute_type
        self.asr_device = asr_device
        self.beam_size = beam_size
        self.filler_prompt = filler_prompt
        self._lock = threading.Lock()  # guards loading only; the pipeline runs one job at a time per process
        self._transcriber: Transcriber | None = None
        self._embedder: Embedder | None = embedder
        self._vad: SegmentationModel | None = None

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            with self._lock:
                if self._transcriber is None:
                    model_dir = self.asr_model_dir or ensure_whisper_model(self.models_dir)
                    self._transcriber = Transcriber(model_dir, cpu_threads=self.cpu_threads,
                                                    compute_type=self.compute_type, device=self.asr_device,
                                                    beam_size=self.beam_size,
                                                    filler_prompt=FILLER_PROMPT if self.filler_prompt else None)
        return self._transcriber

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = CamPlusPlusEmbedder(threads=self.cpu_threads)
        return self._embedder

    @property
    def vad(self) -> SegmentationModel:
        """Speech and overlapped-speech detection (pyannote segmentation-3.0)."""
        if self._vad is None:
            with self._lock:
                if self._vad is None:
                    self._vad = SegmentationModel(threads=self.cpu_threads)
        return self._vad

    def load_all(self) -> None:
        """Load everything now (worker start-up), so the first job doesn't pay for it."""
        _ = self.vad, self.embedder, self.transcriber

    @property
    def loaded(self) -> dict[str, bool]:
        return {
            "asr": self._transcriber is not None,
            "embedder": self._embedder is not None,
            "vad": self._vad is not None,
        }
