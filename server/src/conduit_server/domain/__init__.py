"""Pure types and rules: ids, time formatting, job statuses and stages, domain errors."""
