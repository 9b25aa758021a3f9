"""member pages: one content version that every change to what listings show moves on, so that the shared
fragments of the listing pages are rendered again at once in every process

Revision ID: 1000_member_pages
Revises: 0920_question_routing
Create Date: 2026-12-07 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1000_member_pages"
down_revision: str | None = "0920_question_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the listings show (community.web.fragments.CONTENT_TABLES says the same; a test compares them).
CONTENT_TABLES = (
    "forum_category", "forum_tag", "forum_topic", "forum_topic_tag", "forum_post",
    "scenario", "capability_profile", "capability_item", "product", "product_rating", "policy",
    "talent_position", "talent_board", "talent_profile", "event", "event_registration", "organization",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "content_version",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_content_version")),
    )
    op.execute("INSERT INTO content_version (name, version) VALUES ('content', 0)")
    # The version moves on in the writing transaction, so readers see the new version exactly when they
    # can see the change (MVCC): a fragment rendered under a version always holds that version's rows.
    op.execute(
        """
        CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO content_version AS v (name, version) VALUES ('content', 1)
            ON CONFLICT (name) DO UPDATE SET version = v.version + 1;
            RETURN NULL;
        END
        $$
        """
    )
    for table in CONTENT_TABLES:
        op.execute(
            f"CREATE TRIGGER content_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()"
        )
    # Accounts: only what a listing shows of a member (their name, whether they are still active).
    op.execute(
        "CREATE TRIGGER content_version_user_account AFTER INSERT OR DELETE OR UPDATE OF display_name, is_active "
        "ON user_account FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()"
    )


def downgrade() -> None:
    for table in (*CONTENT_TABLES, "user_account"):
        op.execute(f"DROP TRIGGER IF EXISTS content_version_{table} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_content_version()")
    op.drop_table("content_version")
