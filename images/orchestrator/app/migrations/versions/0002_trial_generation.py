"""Release 1.0.1: evolution trials record their generation.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("evolution_trials", sa.Column("generation", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("evolution_trials", "generation")
