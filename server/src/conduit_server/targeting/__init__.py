"""Target selection and voice identities: which speaker of a processed media a job is about (`target`, with the
`magic_hint` strategy in `hint`) and which workspace entity each speaker is (`entities`).

Pure functions over a `MediaAnalysis` and voiceprints already computed: no audio decoding and no models, so the
API process validates a target selector without importing the speech pipeline's libraries (docs/targeting.md)."""
