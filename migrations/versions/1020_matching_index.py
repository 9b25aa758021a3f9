"""matching indexes: a version row per kind of index, bumped (and NOTIFYed) by every write to what it holds;
vectors stored as float16 bytes

Revision ID: 1020_matching_index
Revises: 1070_handles_and_drafts
Create Date: 2026-12-06 23:50:00
"""

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "1020_matching_index"
down_revision: str | None = "1070_handles_and_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, trigger suffix, event, kinds of index it bumps). Statement triggers: a statement of many rows bumps
# once. An UPDATE with a column list fires only when one of those columns is set.
TRIGGERS = (
    ("scenario", "all", "INSERT OR UPDATE OR DELETE", "scenario"),
    ("capability_profile", "all", "INSERT OR UPDATE OR DELETE", "profile"),
    ("capability_item", "all", "INSERT OR UPDATE OR DELETE", "profile"),
    ("talent_position", "all", "INSERT OR UPDATE OR DELETE", "position"),
    ("talent_profile", "all", "INSERT OR UPDATE OR DELETE", "talent"),
    # The cards show the organization's name and link to its slug.
    ("organization", "name", "UPDATE OF name, slug", "scenario,profile,position"),
    # Emptied tables (tests do it between tests): every process must forget what it built of them.
    ("match_embedding", "truncate", "TRUNCATE", "scenario,profile,position,talent"),
    ("scenario", "truncate", "TRUNCATE", "scenario"),
    ("capability_profile", "truncate", "TRUNCATE", "profile"),
    ("talent_position", "truncate", "TRUNCATE", "position"),
    ("talent_profile", "truncate", "TRUNCATE", "talent"),
)
BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "match_index_version",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_match_index_version")),
    )
    # Not owned by a column: TRUNCATE ... RESTART IDENTITY leaves it, so a version number never repeats. A
    # version only grows (GREATEST: two writers may take their numbers in one order and commit in the other).
    op.execute("CREATE SEQUENCE match_index_version_seq")
    op.execute(
        """
        CREATE FUNCTION community_matching_bump(kinds text[]) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            k text;
        BEGIN
            FOREACH k IN ARRAY kinds LOOP
                INSERT INTO match_index_version (kind, version)
                VALUES (k, nextval('match_index_version_seq'))
                ON CONFLICT (kind) DO UPDATE
                SET version = GREATEST(match_index_version.version + 1, EXCLUDED.version);
                PERFORM pg_notify('community_matching', k);
            END LOOP;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION community_matching_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM community_matching_bump(string_to_array(TG_ARGV[0], ','));
            RETURN NULL;
        END
        $$
        """
    )
    # Vectors: the kinds of the rows written (transition tables: one trigger per event).
    op.execute(
        """
        CREATE FUNCTION community_matching_vectors_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM community_matching_bump(ARRAY(SELECT DISTINCT owner_type::text FROM old_rows));
            ELSE
                PERFORM community_matching_bump(ARRAY(SELECT DISTINCT owner_type::text FROM new_rows));
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table, suffix, event, kinds in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_matching_{suffix} AFTER {event} ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION community_matching_changed('{kinds}')"
        )
    for event, table_name in (("INSERT", "new_rows"), ("UPDATE", "new_rows"), ("DELETE", "old_rows")):
        op.execute(
            f"CREATE TRIGGER match_embedding_{event.lower()} AFTER {event} ON match_embedding"
            f" REFERENCING {'OLD' if event == 'DELETE' else 'NEW'} TABLE AS {table_name}"
            " FOR EACH STATEMENT EXECUTE FUNCTION community_matching_vectors_changed()"
        )
    # float4[] -> float16 bytes (little-endian): half the size, and read back without a Python float each.
    op.add_column("match_embedding", sa.Column("packed", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    last = None
    while True:
        query = "SELECT id, vector FROM match_embedding"
        params: dict[str, object] = {}
        if last is not None:
            query += " WHERE id > :last"
            params["last"] = last
        rows = bind.execute(sa.text(query + f" ORDER BY id LIMIT {BATCH}"), params).all()
        if not rows:
            break
        bind.execute(
            sa.text("UPDATE match_embedding SET packed = :packed WHERE id = :id"),
            [{"id": r[0], "packed": np.asarray(r[1], dtype="<f2").tobytes()} for r in rows],
        )
        last = rows[-1][0]
    op.drop_constraint(op.f("ck_match_embedding_vector_has_dim"), "match_embedding", type_="check")
    op.drop_column("match_embedding", "vector")
    op.alter_column("match_embedding", "packed", new_column_name="vector", nullable=False)
    op.create_check_constraint(
        op.f("ck_match_embedding_vector_has_dim"), "match_embedding", "octet_length(vector) = 2 * dim"
    )


def downgrade() -> None:
    op.add_column("match_embedding", sa.Column("floats", sa.ARRAY(sa.REAL()), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, vector FROM match_embedding")).all()
    if rows:
        bind.execute(
            sa.text("UPDATE match_embedding SET floats = :floats WHERE id = :id"),
            [{"id": r[0], "floats": np.frombuffer(r[1], dtype="<f2").astype(float).tolist()} for r in rows],
        )
    op.drop_constraint(op.f("ck_match_embedding_vector_has_dim"), "match_embedding", type_="check")
    op.drop_column("match_embedding", "vector")
    op.alter_column("match_embedding", "floats", new_column_name="vector", nullable=False)
    op.create_check_constraint(
        op.f("ck_match_embedding_vector_has_dim"), "match_embedding", "cardinality(vector) = dim"
    )
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS match_embedding_{event} ON match_embedding")
    for table, suffix, _event, _kinds in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_matching_{suffix} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS community_matching_vectors_changed()")
    op.execute("DROP FUNCTION IF EXISTS community_matching_changed()")
    op.execute("DROP FUNCTION IF EXISTS community_matching_bump(text[])")
    op.execute("DROP SEQUENCE IF EXISTS match_index_version_seq")
    op.drop_table("match_index_version")
