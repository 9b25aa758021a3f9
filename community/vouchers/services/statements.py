"""The two statements that issue and spend a voucher, each in one round trip.

Every rule that money or a quota depends on holds in the database, whatever the number of app processes:

* the budget: one conditional ``UPDATE voucher_campaign ... WHERE reserved_fen + face_value_fen <=
  budget_fen`` (it takes the campaign's row lock, so claims queue on it and each sees the previous one's
  result), with a CHECK constraint that refuses an overspent budget even to code that forgets the condition;
* the caps per student and per product: counter rows upserted with ``ON CONFLICT DO UPDATE ... WHERE used <
  cap``, CHECK ``used <= cap``;
* single use: every state change is a conditional UPDATE on the voucher's current state, so of twenty
  concurrent redemptions exactly one finds it "claimed"; redemption codes and "one voucher per student per
  product" are unique indexes;
* every change writes a row of the audit log in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import text

CLAIM_SQL = text(
    """
    WITH reserved AS (
        UPDATE voucher_campaign AS c
        SET reserved_fen = c.reserved_fen + c.face_value_fen, issued_count = c.issued_count + 1
        WHERE c.id = :campaign_id AND c.status = 'active' AND c.starts_at <= :moment AND c.ends_at > :moment
            AND c.reserved_fen + c.face_value_fen <= c.budget_fen
            AND NOT EXISTS (
                SELECT 1 FROM voucher_student_quota AS q
                WHERE q.campaign_id = :campaign_id AND q.student_id = :student_id AND q.used >= q.cap
            )
        RETURNING c.id, c.face_value_fen, c.ends_at, c.per_student_cap
    ), quota AS (
        INSERT INTO voucher_student_quota AS q
            (id, campaign_id, student_id, used, cap, created_at, updated_at)
        SELECT :quota_id, id, :student_id, 1, per_student_cap, :moment, :moment FROM reserved
        ON CONFLICT ON CONSTRAINT uq_voucher_student_quota
        DO UPDATE SET used = q.used + 1, updated_at = :moment
        RETURNING used
    ), issued AS (
        INSERT INTO voucher (id, campaign_id, student_id, status, face_value_fen, expires_at, void_reason,
            created_at, updated_at)
        SELECT :voucher_id, id, :student_id, 'claimed', face_value_fen, ends_at, '', :moment, :moment
        FROM reserved
        RETURNING id
    ), logged AS (
        INSERT INTO voucher_event
            (id, voucher_id, from_status, to_status, actor_id, ip, reason, created_at, updated_at)
        SELECT :event_id, id, NULL, 'claimed', :student_id, CAST(CAST(:ip AS text) AS inet), '',
            :moment, :moment
        FROM issued
    )
    SELECT (SELECT id FROM issued)
    """
)
REDEEM_SQL = text(
    """
    WITH target AS (
        SELECT id FROM voucher
        WHERE id = :voucher_id AND student_id = :student_id AND status = 'claimed' AND expires_at > :moment
        FOR UPDATE
    ), quota AS (
        INSERT INTO voucher_product_quota AS q
            (id, campaign_id, product_id, used, cap, created_at, updated_at)
        SELECT :quota_id, :campaign_id, :product_id, 1, :cap, :moment, :moment FROM target
        ON CONFLICT ON CONSTRAINT uq_voucher_product_quota
        DO UPDATE SET used = q.used + 1, updated_at = :moment WHERE q.used < q.cap
        RETURNING used
    ), spent AS (
        UPDATE voucher
        SET status = 'redeemed', product_id = :product_id, redemption_code = :code, redeemed_at = :moment,
            redeemed_ip = CAST(CAST(:ip AS text) AS inet), updated_at = :moment
        WHERE id IN (SELECT id FROM target) AND EXISTS (SELECT 1 FROM quota)
        RETURNING id
    ), logged AS (
        INSERT INTO voucher_event
            (id, voucher_id, from_status, to_status, actor_id, ip, reason, created_at, updated_at)
        SELECT :event_id, id, 'claimed', 'redeemed', :student_id, CAST(CAST(:ip AS text) AS inet), '',
            :moment, :moment
        FROM spent
    )
    SELECT (SELECT count(*) FROM target) AS found, (SELECT id FROM spent) AS spent
    """
)
