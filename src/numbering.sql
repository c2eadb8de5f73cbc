-- numbering.sql: the counters behind number templates (numbering.c).  The
-- template check crm.number_template_ok is in setup.sql, before crm.accounts,
-- whose CHECKs use it.
COMMENT ON TABLE crm.number_sequences IS
    'One counter per expansion of a number template (a template with {YYYY} has one per year); written by crm, which locks it once per transaction and takes the next number from the numbered table.';
COMMENT ON COLUMN crm.number_sequences.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.number_sequences.id IS
    'The counter''s id (an identity), which numbered rows name in their number_sequence_id.';
COMMENT ON COLUMN crm.number_sequences.key IS
    'The template expanded with its {N} or {N:width} left in (L-{YYYY}-{N:5} gives L-2026-{N:5} in 2026); unique per account.';
COMMENT ON COLUMN crm.number_sequences.last_used_at IS E'@omit create,update\n'
    'Set by crm: the transaction time of the last transaction that drew a number from the counter.';

