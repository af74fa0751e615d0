"""Initial schema: Conduit tables and the procrastinate job-queue schema (pinned procrastinate 3.10.0).

Revision ID: 0001
Revises:
"""

from alembic import op
from conduit_server.store.tables import metadata
from procrastinate.schema import SchemaManager
from sqlalchemy import Table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Tables that later revisions create (each named with its revision): 0001 must not make them, or that revision's
# create_table fails on a table that already exists.
_ADDED_LATER = {"console_sessions"}  # 0002


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in _ADDED_LATER]


def upgrade() -> None:
    # Revision 0001 creates the schema as tables.py defined it when this revision was written; every later
    # change to tables.py needs its own revision with explicit op.* calls (the schema-drift test checks this),
    # and a table it adds goes into _ADDED_LATER above.
    bind = op.get_bind()
    metadata.create_all(bind, tables=_tables())
    op.execute(SchemaManager.get_schema())


# The job queue's schema: tables, functions and types, all named procrastinate_* (triggers, indexes and sequences
# go with their tables). Dropped too on downgrade, or upgrading again fails on "type ... already exists".
_DROP_QUEUE_SCHEMA = r"""
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'procrastinate\_%' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\_%' LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate\_%' AND t.typtype IN ('c', 'e', 'd') LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);
  END LOOP;
END $$
"""


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=_tables())
    op.execute(_DROP_QUEUE_SCHEMA)
