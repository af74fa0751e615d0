"""Decoded audio kept on disk, read back a slice at a time, so memory does not grow with the recording's length.

A 4 h recording is 230 M samples: 920 MB as float32 in memory, and a 2.6 MB upload of silence decodes to that.
The pipeline instead streams the decoded chunks into an anonymous temporary file (float32, so a slice reads back
bit for bit what was decoded) and every stage reads only the samples it works on: segmentation 10 s chunks,
embeddings 1 s windows, ASR one piece of speech at a time, prosody one utterance. The file has no name, so it
disappears when closed or when the process dies. Reads use `pread` into fresh arrays rather than a memory map: a
map would count every page ever touched in the process's resident memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

import numpy as np

__all__ = ["PcmFile", "Samples"]

_DTYPE = np.dtype("<f4")


class Samples(Protocol):
    """Mono 16 kHz float32 samples that can be sliced: a numpy array, or a `PcmFile`."""

    def __len__(self) -> int: ...

    def __getitem__(self, key: slice, /) -> np.ndarray: ...


class PcmFile:
    """An append-then-read float32 sample file. `len()` is the sample count; `pcm[a:b]` reads a copy of a slice
    (step 1 only). Use as a context manager, or `close()` it."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory, prefix="conduit-pcm-")  # noqa: SIM115
        self._size = 0

    def extend(self, chunks: Iterable[np.ndarray]) -> PcmFile:
        """Append every chunk (any float dtype, converted to float32) and return self."""
        for chunk in chunks:
            data = np.ascontiguousarray(chunk, dtype=_DTYPE).reshape(-1)
            self._file.write(data.tobytes())
            self._size += data.size
        self._file.flush()
        return self

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, key: slice, /) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("a PcmFile is read by slices: pcm[a:b]")
        start, stop, step = key.indices(self._size)
        if step != 1:
            raise ValueError("a PcmFile slice has step 1")
        out = np.empty(max(0, stop - start), _DTYPE)
        view, done = out.data.cast("B"), 0
        while done < view.nbytes:
            got = os.preadv(self._file.fileno(), [view[done:]], start * _DTYPE.itemsize + done)
            if got <= 0:
                raise OSError(f"short read from the PCM file at sample {start + done // _DTYPE.itemsize}")
            done += got
        return out

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PcmFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
