"""Per-process request limits: token-bucket rate limits (`ratelimit`) and per-key concurrency slots (`quotas`).

In-process state the Runtime holds, not HTTP: each API replica counts its own clients. The API layer turns a
refusal into a 429; this package only decides."""
