"""jobs worker: inserting a job or a search outbox entry NOTIFYs the workers' channel

Revision ID: 0900_jobs_worker
Revises: 0810_search_synonyms
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0900_jobs_worker"
down_revision: str | None = "0810_search_synonyms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A statement trigger, so that every writer wakes the workers (enqueue, the search outbox, a raw INSERT) and a
# statement of many rows sends one notification. pg_notify belongs to the transaction: delivered at commit,
# never for a rollback; identical notifications of one transaction are folded into one.
TRIGGERS = (("job", "community_jobs"), ("search_outbox", "community_search_outbox"))


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION community_notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_ARGV[0], '');
            RETURN NULL;
        END
        $$
        """
    )
    for table, channel in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION community_notify_channel('{channel}')"
        )


def downgrade() -> None:
    for table, _channel in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS community_notify_channel()")
