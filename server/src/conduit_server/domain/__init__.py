"""Pure types and rules: ids, time formatting, job statuses and stages, domain errors, the target selector and
the stored job requests (`requests`)."""
