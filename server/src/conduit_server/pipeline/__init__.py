"""The offline speech pipeline: decode -> VAD -> speaker embeddings -> clustering -> Whisper ASR -> turns ->
prosody. Knows nothing of HTTP or the database; target selection and voice identities are `conduit_server.targeting`.

Deliberately empty of imports: `pipeline.types` (the `MediaAnalysis` every layer reads) must be importable without
loading av, numpy, onnxruntime or faster-whisper, which only `pipeline.pipeline` and `pipeline.models` need (worker
processes). Import the module you need: `conduit_server.pipeline.pipeline.SpeechPipeline`, `.models.Models`,
`.types.MediaAnalysis`."""
