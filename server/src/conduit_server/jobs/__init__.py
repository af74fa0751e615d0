"""The job engine: procrastinate on PostgreSQL, task bodies, worker entry points, maintenance."""
