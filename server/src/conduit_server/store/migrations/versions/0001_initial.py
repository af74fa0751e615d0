"""Initial schema: Conduit tables and the procrastinate job-queue schema (pinned procrastinate 3.10.0).

Revision ID: 0001
Revises:
"""

from alembic import op
from conduit_server.store.tables import metadata
from procrastinate.schema import SchemaManager

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Revision 0001 creates the schema as tables.py defined it when this revision was written; every later
    # change to tables.py needs its own revision with explicit op.* calls (the schema-drift test checks this).
    bind = op.get_bind()
    metadata.create_all(bind)
    op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind)
