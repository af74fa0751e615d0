"""HTTP API: one module per resource. Knows nothing of models; talks to the store and the job queue."""
