"""A line-oriented Server-Sent Events decoder, independent of any HTTP object."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched SSE frame."""

    data: str
    event: str = "message"
    id: str | None = None


@dataclass(slots=True)
class SSEDecoder:
    """Feed lines (without terminators); an empty line dispatches the pending frame."""

    _event: str = "message"
    _id: str | None = None
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> ServerSentEvent | None:
        line = line.rstrip("\r\n")
        if line == "":
            return self.flush()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value or "message"
        elif name == "id":
            self._id = value or None
        elif name == "data":
            self._data.append(value)
        return None

    def flush(self) -> ServerSentEvent | None:
        """Dispatch the pending frame, if it has data (also used at end of stream)."""
        frame = ServerSentEvent("\n".join(self._data), self._event, self._id) if self._data else None
        self._event, self._id, self._data = "message", None, []
        return frame
