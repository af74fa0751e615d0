"""Prometheus metrics (docs/operations.md, "Metrics"): what each process counts (`instruments`, `pool`, `http`) and
the text every `/metrics` scrape answers (`exposition`). What the database says at scrape time is SQL, so it lives in
`store.gauges`; the worker's metrics-only HTTP server is `conduit_server.metrics_server`. This package imports
nothing else of Conduit's, so every layer (the store's engine included) may count into it.

Counters and histograms live in the process that did the work. With `PROMETHEUS_MULTIPROC_DIR` set (before the
process starts), prometheus_client keeps them in files in that folder, and a scrape of any process sharing it sums
every process's values; without it (the embedded default: one process) the plain registry is used.
"""
