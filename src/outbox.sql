-- outbox.sql: the transactional outbox (C: src/outbox.c).  Rows are queued in
-- the transaction that decides to send them (emails from calls, charges from
-- autopay, deadline notifications) and delivered from outside the database;
-- dedup_key makes a second queueing of the same message a no-op.

COMMENT ON TABLE crm.outbox IS
    E'@foreignKey (kind) references crm.outbox_kinds (value)\n'
    'Messages crm queues, in the transaction that decides to send them (call emails, overdue notices, autopay charges), for a crm_delivery login to deliver (crm.claim_outbox). Customer data.';
COMMENT ON COLUMN crm.outbox.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.outbox.id IS 'The message''s id (an identity; the key is (account_id, id)), in the order queued.';
COMMENT ON COLUMN crm.outbox.kind IS
    'What the message is: email (a call''s template email, or a notification rule''s email to an employee), notification (an in-app notice of a notification rule for employee_id, such as an overdue lead''s notice to its manager) or charge (an autopay charge for the payment provider).';
COMMENT ON COLUMN crm.outbox.recipient IS
    'The email address to send to; NULL for a charge, or an in-app notice for an employee without an email.';
COMMENT ON COLUMN crm.outbox.cc IS 'An address to send a copy to (the manager, for a call with copy_to_manager); NULL: none.';
COMMENT ON COLUMN crm.outbox.subject IS 'The rendered subject; NULL for a charge.';
COMMENT ON COLUMN crm.outbox.body IS 'The rendered body; NULL for a charge.';
COMMENT ON COLUMN crm.outbox.payload IS
    'JSON for the deliverer: a charge has invoice_id, number, client_id, amount, charge and due_at; a notice of a notification rule event, lead_id, number, manager_id, status_id, employee_id, channel and what the event adds (deadline, from_status_id, from_manager_id, order_id); a call email call_id.';
COMMENT ON COLUMN crm.outbox.dedup_key IS
    'What the message is about (call:<call>, charge:<invoice>:<n>; for a notice lead_created:<lead>, lead_overdue:<lead>:<deadline epoch> or lead_order_linked:<lead>:<order>, then :<channel>:<employee>): unique per account, so a message is queued once; NULL: no such key (a notice of an event that may come again).';
COMMENT ON COLUMN crm.outbox.created_at IS 'When the message was queued (the transaction time).';
COMMENT ON COLUMN crm.outbox.sent_at IS 'When the message was delivered (crm.outbox_sent); NULL while it waits.';
COMMENT ON COLUMN crm.outbox.attempts IS 'Delivery attempts so far: each claim counts one.';
COMMENT ON COLUMN crm.outbox.next_attempt_at IS
    'When the message is due for delivery again: the end of a claim''s lease, or the retry after a failure; NULL: from created_at.';
COMMENT ON COLUMN crm.outbox.last_error IS 'What went wrong at the latest failed delivery (crm.outbox_failed, up to 1000 bytes); NULL: none.';
COMMENT ON COLUMN crm.outbox.provider_ref IS 'The delivery provider''s reference, from crm.outbox_sent; NULL: none.';
COMMENT ON COLUMN crm.outbox.employee_id IS
    'The employee a notice of a notification rule is for (crm.notification_rules); NULL for other messages.';
COMMENT ON COLUMN crm.outbox.dead_at IS
    'When delivery was given up, after crm.outbox_max_attempts failed attempts; NULL: not given up.';

-- Delivery (outbox_delivery.c): for logins in crm_delivery, which hold no table privilege.
CREATE OR REPLACE FUNCTION crm.claim_outbox(kinds text[] DEFAULT NULL, max integer DEFAULT 100,
                                            lease interval DEFAULT '5 minutes', now timestamptz DEFAULT NULL)
    RETURNS SETOF crm.outbox
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_claim_outbox';
REVOKE ALL ON FUNCTION crm.claim_outbox(text[], integer, interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.claim_outbox(text[], integer, interval, timestamptz) TO crm_delivery;
COMMENT ON FUNCTION crm.claim_outbox(text[], integer, interval, timestamptz) IS
    'Claims up to max due outbox rows of every account (of the given kinds; NULL: all), oldest due first, leased until now + lease (at most 1 day); for crm_delivery.';

CREATE OR REPLACE FUNCTION crm.outbox_sent(id bigint, provider_ref text DEFAULT NULL) RETURNS crm.outbox
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_outbox_sent';
REVOKE ALL ON FUNCTION crm.outbox_sent(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.outbox_sent(bigint, text) TO crm_delivery;
COMMENT ON FUNCTION crm.outbox_sent(bigint, text) IS
    'Marks an outbox row sent (with the provider''s reference); a second report changes nothing; for crm_delivery.';

CREATE OR REPLACE FUNCTION crm.outbox_failed(id bigint, error text, retry_at timestamptz DEFAULT NULL,
                                             now timestamptz DEFAULT NULL) RETURNS crm.outbox
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_outbox_failed';
REVOKE ALL ON FUNCTION crm.outbox_failed(bigint, text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.outbox_failed(bigint, text, timestamptz, timestamptz) TO crm_delivery;
COMMENT ON FUNCTION crm.outbox_failed(bigint, text, timestamptz, timestamptz) IS
    'Records a failed delivery: due again at retry_at or after the backoff (1 minute doubling to 1 day), dead after crm.outbox_max_attempts attempts; for crm_delivery.';

CREATE OR REPLACE FUNCTION crm.purge_outbox(older_than interval, now timestamptz DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_purge_outbox';
REVOKE ALL ON FUNCTION crm.purge_outbox(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.purge_outbox(interval, timestamptz) TO crm_delivery;
COMMENT ON FUNCTION crm.purge_outbox(interval, timestamptz) IS
    'Deletes outbox rows sent or given up more than older_than before now; returns how many; for crm_delivery and the owner.';

GRANT USAGE ON SCHEMA crm TO crm_delivery;

CREATE OR REPLACE FUNCTION crm._outbox_wake() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_outbox_wake';
REVOKE ALL ON FUNCTION crm._outbox_wake() FROM PUBLIC;
COMMENT ON FUNCTION crm._outbox_wake() IS
    'Trigger outbox_90_wake: NOTIFY crm_outbox with an empty payload, once per transaction that queues messages, so a delivery worker claims them.';
-- NOTIFY crm_outbox, empty: a delivery worker's LISTEN wakes it; nothing for anyone else to read.
CREATE OR REPLACE TRIGGER outbox_90_wake AFTER INSERT ON crm.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION crm._outbox_wake();
