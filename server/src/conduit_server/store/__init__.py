"""Persistence only: tables, migrations, database engines and blob stores."""
