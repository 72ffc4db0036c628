"""Create the tables of dataset format 1, the import audit log and the store's meta facts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Written out in full rather than derived from `kiban.store.tables`, so that this revision stays
what it was when later ones change the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firms",
        sa.Column("firm_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("sector", sa.Text(), nullable=True),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("revenue_jpy", sa.Double(), nullable=True),
        sa.Column("defense_revenue_jpy", sa.Double(), nullable=True),
        sa.Column("operating_margin", sa.Double(), nullable=True),
        sa.Column("cyber_level", sa.BigInteger(), nullable=True),
        sa.Column("has_successor", sa.Boolean(), nullable=True),
        sa.Column("foreign_ownership", sa.Double(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("final_demand_jpy", sa.Double(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=True),
        sa.Column("observed_at", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("firm_id", name="pk_firms"),
    )
    op.create_table(
        "items",
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("custom", sa.Boolean(), nullable=True),
        sa.Column("qualification_days", sa.BigInteger(), nullable=True),
        sa.Column("unit_cost_jpy", sa.Double(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name="pk_items"),
    )
    op.create_table(
        "bom",
        sa.Column("parent_item_id", sa.Text(), nullable=False),
        sa.Column("child_item_id", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_item_id"], ["items.item_id"], name="fk_bom_parent_item_id_items"
        ),
        sa.ForeignKeyConstraint(
            ["child_item_id"], ["items.item_id"], name="fk_bom_child_item_id_items"
        ),
        sa.PrimaryKeyConstraint("parent_item_id", "child_item_id", name="pk_bom"),
    )
    op.create_index("ix_bom_child_item_id", "bom", ["child_item_id"])
    op.create_table(
        "supplies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("supplier_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=True),
        sa.Column("share", sa.Double(), nullable=True),
        sa.Column("annual_value_jpy", sa.Double(), nullable=True),
        sa.Column("lead_time_days", sa.BigInteger(), nullable=True),
        sa.Column("observed_at", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["firms.firm_id"], name="fk_supplies_supplier_id_firms"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["firms.firm_id"], name="fk_supplies_customer_id_firms"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.item_id"], name="fk_supplies_item_id_items"),
        sa.PrimaryKeyConstraint("id", name="pk_supplies"),
        sa.UniqueConstraint(
            "supplier_id",
            "customer_id",
            "item_id",
            name="uq_supplies_supplier_id_customer_id_item_id",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_supplies_customer_id", "supplies", ["customer_id"])
    op.create_index("ix_supplies_item_id", "supplies", ["item_id"])
    op.create_table(
        "programs",
        sa.Column("program_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("prime_id", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("annual_quantity", sa.Double(), nullable=True),
        sa.Column("unit_price_jpy", sa.Double(), nullable=True),
        sa.Column("designated", sa.Boolean(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.item_id"], name="fk_programs_item_id_items"),
        sa.ForeignKeyConstraint(["prime_id"], ["firms.firm_id"], name="fk_programs_prime_id_firms"),
        sa.PrimaryKeyConstraint("program_id", name="pk_programs"),
    )
    op.create_index("ix_programs_item_id", "programs", ["item_id"])
    op.create_index("ix_programs_prime_id", "programs", ["prime_id"])
    op.create_table(
        "imports",
        sa.Column("import_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("row_counts", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", name="pk_imports"),
    )
    meta = op.create_table(
        "meta",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_meta"),
    )
    op.bulk_insert(meta, [{"name": "format_version", "value": "1"}])


def downgrade() -> None:
    for name in ("meta", "imports", "programs", "supplies", "bom", "items", "firms"):
        op.drop_table(name)
