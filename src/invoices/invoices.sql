-- invoices/invoices.sql: offers, invoices, items, invoice events, the invoice
-- actions and views (C: src/invoices/; payments are in invoices/payments.sql).
-- The ranges of its amounts, times and intervals are checked by its trigger of value_checks.sql.

COMMENT ON TABLE crm.offers IS 'What the account sells, with a default price; edited by crm_admin.';
COMMENT ON COLUMN crm.offers.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.offers.id IS 'The offer''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.offers.name IS 'The offer''s name.';
COMMENT ON COLUMN crm.offers.price IS
    'The price of one unit, a number of at least 0 (default 0): an invoice item without a price gets it.';
COMMENT ON COLUMN crm.offers.notify_on_failed_payment IS
    'Whether a failed payment of an invoice holding the offer alerts the employees who wrote to the client before it (default false).';
COMMENT ON COLUMN crm.offers.active IS 'Whether the offer is still sold (default true); for the application, crm does not read it.';
COMMENT ON COLUMN crm.offers.created_at IS 'When the offer was created (default: the transaction time).';

COMMENT ON TABLE crm.invoices IS
    E'@omit delete\n'
    '@foreignKey (status) references crm.invoice_statuses (value)\n'
    'Invoices of clients: numbered, moved from awaiting to prepaid, paid, cancelled, refunded or deleted by payments and the invoice actions, with auto-cancel, autopay and the call centre''s schedule. Never deleted: crm.delete_invoice marks one deleted.';
COMMENT ON COLUMN crm.invoices.account_id IS 'The account the row belongs to (default crm.current_account()); fixed.';
COMMENT ON COLUMN crm.invoices.id IS 'The invoice''s id (an identity; the key is (account_id, id)); fixed.';
COMMENT ON COLUMN crm.invoices.number IS
    'The number the writer gives (a web shop''s: kept, unique per account, never of the form of the template''s numbers), or else set by crm from the account''s invoice_number_template (gapless); fixed.';
COMMENT ON COLUMN crm.invoices.number_sequence_id IS E'@omit create,update\n'
    'Set by crm: the crm.number_sequences counter the number was drawn from (NULL for a number given); fixed.';
COMMENT ON COLUMN crm.invoices.number_seq IS E'@omit create,update\n'
    'Set by crm: the counter''s value in the number (NULL for a number given); fixed.';
COMMENT ON COLUMN crm.invoices.client_id IS 'The client the invoice is for.';
COMMENT ON COLUMN crm.invoices.manager_id IS
    'The employee in charge of the invoice; NULL on insert: the acting employee, if any (views show not assigned).';
COMMENT ON COLUMN crm.invoices.status IS
    'The invoice''s status: awaiting (every invoice starts so), prepaid, paid, cancelled, refunded or deleted; a move follows the invoice rules, by the actions, payments or UPDATE alike.';
COMMENT ON COLUMN crm.invoices.amount IS
    'The amount due, a number of at least 0 (default 0); each change of the items sets it to their sum. Changes only while awaiting.';
COMMENT ON COLUMN crm.invoices.paid_amount IS E'@omit create,update\n'
    'Set by crm: what the successful payments (not refunds) add up to.';
COMMENT ON COLUMN crm.invoices.refunded_amount IS E'@omit create,update\n'
    'Set by crm: what the successful refunds add up to.';
COMMENT ON COLUMN crm.invoices.income IS E'@omit create,update\n'
    'Set by crm: what the payments brought, paid_amount - refunded_amount (0 for an invoice confirmed by hand without a payment).';
COMMENT ON COLUMN crm.invoices.expenses IS
    'The expenses entered on the invoice, a number of at least 0 (default 0), for reporting; a reissue does not copy them.';
COMMENT ON COLUMN crm.invoices.auto_cancel_at IS
    'When crm.run_due cancels the invoice if it is still awaiting or prepaid (crm.set_auto_cancel); NULL: never.';
COMMENT ON COLUMN crm.invoices.autopay IS
    'Whether the invoice is charged every autopay_interval (default false); turning it off is for crm_admin, crm turns it off after the last charge or when the invoice closes.';
COMMENT ON COLUMN crm.invoices.autopay_interval IS
    'The time between autopay charges, needed to turn autopay on; moves time forward, at most 100 years.';
COMMENT ON COLUMN crm.invoices.autopay_limit IS 'The most successful autopay charges, at least 1; NULL: no limit.';
COMMENT ON COLUMN crm.invoices.autopay_count IS E'@omit create,update\n'
    'Set by crm: the successful autopay charges so far.';
COMMENT ON COLUMN crm.invoices.autopay_pending IS E'@omit create,update\n'
    'Set by crm: the charges queued whose result the payment provider has not reported yet.';
COMMENT ON COLUMN crm.invoices.autopay_queued IS E'@omit create,update\n'
    'Set by crm: the charges queued so far; the last one''s ordinal, as in its dedup_key charge:<invoice>:<n>.';
COMMENT ON COLUMN crm.invoices.autopay_last_charge_at IS E'@omit create,update\n'
    'Set by crm: the due time of the last charge queued; NULL before the first.';
COMMENT ON COLUMN crm.invoices.next_charge_at IS
    'When the next autopay charge is due: a time given with autopay on, else one interval after paid_at or the last charge, never at once. NULL: none (autopay off, the limit taken, or an unpaid invoice waiting for its purchase); written while autopay is off it is refused.';
COMMENT ON COLUMN crm.invoices.next_call_at IS
    'When the call centre calls about the invoice next (set by call outcomes or by hand); NULL: no call, the invoice is not in the call queue.';
COMMENT ON COLUMN crm.invoices.call_attempts IS 'Calls logged on the invoice so far (kept by crm).';
COMMENT ON COLUMN crm.invoices.calls_stopped IS
    'The call outcome that stopped the calls: already_paid, refused or wrong_contact; NULL while they go on.';
COMMENT ON COLUMN crm.invoices.source IS 'Where the sale came from, for reports (free text; copied by crm.reissue_invoice).';
COMMENT ON COLUMN crm.invoices.channel IS 'The sales channel, for reports (free text; copied by crm.reissue_invoice).';
COMMENT ON COLUMN crm.invoices.partner IS 'The partner of the sale, for reports (free text; copied by crm.reissue_invoice).';
COMMENT ON COLUMN crm.invoices.tag IS 'A label, for reports (free text; copied by crm.reissue_invoice).';
COMMENT ON COLUMN crm.invoices.delivery IS 'How the order is delivered (free text).';
COMMENT ON COLUMN crm.invoices.ip IS
    'The IP address the order came from; customer data: an invoice with an ip is hidden from an employee without can_see_customers.';
COMMENT ON COLUMN crm.invoices.paid_at IS E'@omit create,update\n'
    'Set by crm: when the invoice became paid (the at of the payment that paid it, or the time of its confirmation by hand); autopay''s first charge falls one autopay_interval after it.';
COMMENT ON COLUMN crm.invoices.replaces_invoice_id IS E'@omit create,update\n'
    'Set by crm.reissue_invoice: the invoice this one replaces; crm.partner_report counts an invoice and its replacements once; fixed.';
COMMENT ON COLUMN crm.invoices.note IS 'A note on the invoice; each change is a note event in its history.';
COMMENT ON COLUMN crm.invoices.created_at IS
    'When the invoice was created (default: the transaction time); the {YYYY} and {MM} of its number come from it; fixed.';
COMMENT ON COLUMN crm.invoices.updated_at IS E'@omit create,update\n'
    'Set by crm: the transaction time of the last change.';
COMMENT ON COLUMN crm.invoices.status_changed_at IS E'@omit create,update\n'
    'Set by crm: the transaction time of the last status move (created_at at first).';
COMMENT ON COLUMN crm.invoices.claimed_by IS
    'The employee who holds the invoice from crm.claim_next_call; cleared by the next call on it. NULL: not claimed.';
COMMENT ON COLUMN crm.invoices.claimed_until IS 'Until when the claim holds: the invoice is hidden from other operators'' call queue meanwhile.';
COMMENT ON COLUMN crm.invoices.no_answer_streak IS E'@omit create,update\n'
    'Kept by crm: the no_answer calls in a row so far (0 after any other outcome), which choose the retry interval.';

COMMENT ON TABLE crm.invoice_items IS
    'The lines of an invoice: an offer, a quantity and a price; they change only while the invoice is awaiting, and make its amount.';
COMMENT ON COLUMN crm.invoice_items.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.invoice_items.id IS 'The item''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.invoice_items.invoice_id IS 'The invoice the item belongs to.';
COMMENT ON COLUMN crm.invoice_items.offer_id IS 'The offer sold.';
COMMENT ON COLUMN crm.invoice_items.quantity IS 'How many units, a number greater than 0 with up to 3 decimal places (default 1).';
COMMENT ON COLUMN crm.invoice_items.price IS
    'The price of one unit, a number of at least 0; NULL on insert: the offer''s price.';

COMMENT ON TABLE crm.invoice_events IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName invoiceEvents\n'
    'The history of every invoice, written by crm; append-only: UPDATE, DELETE and TRUNCATE raise 42501 for every role.';
COMMENT ON COLUMN crm.invoice_events.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.invoice_events.id IS 'The event''s id (an identity; the key is (account_id, id)), in the order of the events.';
COMMENT ON COLUMN crm.invoice_events.invoice_id IS 'The invoice the event belongs to.';
COMMENT ON COLUMN crm.invoice_events.at IS 'When: the transaction time of the change (for a call, its called_at).';
COMMENT ON COLUMN crm.invoice_events.employee_id IS 'The acting employee; NULL: none (crm.run_due, or a session without one).';
COMMENT ON COLUMN crm.invoice_events.kind IS
    'What happened: created, status_changed, payment, payment_failed, refund, note, auto_cancel_changed, manager_changed, amount_changed, autopay_on, autopay_off, charge_queued, next_charge_changed, reissued or call.';
COMMENT ON COLUMN crm.invoice_events.from_status IS 'For status_changed: the status before the move; else NULL.';
COMMENT ON COLUMN crm.invoice_events.to_status IS 'For created and status_changed: the status after it; else NULL.';
COMMENT ON COLUMN crm.invoice_events.detail IS
    'JSON of the event (from and to, amount, comment, ...); a change crm made itself carries its reason (payment, refund, autopay, auto_cancel, items_changed, call_refused).';

GRANT SELECT ON crm.offers, crm.invoices, crm.invoice_items, crm.invoice_events TO crm_reader;

GRANT INSERT, UPDATE ON crm.offers TO crm_admin;
-- crm_manager writes the columns of crm.invoices but those crm fills (@omit create,update):
-- those are refused (42501), but for the ones a trigger refuses with an explanation (428C9).
REVOKE INSERT, UPDATE ON crm.invoices FROM crm_manager;
GRANT INSERT (account_id, id, number, client_id, manager_id, status, amount, paid_amount,
    refunded_amount, income, expenses, auto_cancel_at, autopay, autopay_interval, autopay_limit,
    autopay_count, autopay_pending, autopay_queued, autopay_last_charge_at, next_charge_at,
    next_call_at, call_attempts, calls_stopped, source, channel, partner, tag, delivery, ip,
    note, created_at, claimed_by, claimed_until, paid_at, replaces_invoice_id), UPDATE
    (account_id, id, number, client_id, manager_id, status, amount, paid_amount,
    refunded_amount, income, expenses, auto_cancel_at, autopay, autopay_interval, autopay_limit,
    autopay_count, autopay_pending, autopay_queued, autopay_last_charge_at, next_charge_at,
    next_call_at, call_attempts, calls_stopped, source, channel, partner, tag, delivery, ip,
    note, created_at, claimed_by, claimed_until, paid_at, replaces_invoice_id) ON crm.invoices
    TO crm_manager;
-- crm.import_run (crm_admin) writes the kept columns of the invoices it makes whole.
GRANT INSERT (number_sequence_id, number_seq, updated_at, status_changed_at) ON crm.invoices TO crm_admin;
GRANT INSERT, UPDATE, DELETE ON crm.invoice_items TO crm_manager;

-- Triggers: numbering and the state machine (10), history (90).
CREATE OR REPLACE FUNCTION crm._invoice_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_before_insert';
REVOKE ALL ON FUNCTION crm._invoice_before_insert() FROM PUBLIC;
COMMENT ON FUNCTION crm._invoice_before_insert() IS
    'Trigger invoice_10_before_insert: the number, manager, starting state and autopay schedule of a new invoice.';
CREATE OR REPLACE FUNCTION crm._invoice_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_before_update';
REVOKE ALL ON FUNCTION crm._invoice_before_update() FROM PUBLIC;
COMMENT ON FUNCTION crm._invoice_before_update() IS
    'Trigger invoice_10_before_update: fixed and derived columns, the status moves, the autopay rules.';
CREATE OR REPLACE FUNCTION crm._invoice_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_after_write';
REVOKE ALL ON FUNCTION crm._invoice_after_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._invoice_after_write() IS
    'Trigger invoice_90_history: one crm.invoice_events row per change worth keeping.';
CREATE OR REPLACE FUNCTION crm._invoice_item_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_item_before_write';
REVOKE ALL ON FUNCTION crm._invoice_item_before_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._invoice_item_before_write() IS
    'Trigger invoice_item_10_before_write: items change only while their invoice is awaiting; an item without a price gets its offer''s.';
CREATE OR REPLACE FUNCTION crm._invoice_item_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_item_after_write';
REVOKE ALL ON FUNCTION crm._invoice_item_after_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._invoice_item_after_write() IS
    'Trigger invoice_item_90_amount: the invoice amount is the sum of its items.';

CREATE OR REPLACE TRIGGER invoice_10_before_insert BEFORE INSERT ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._invoice_before_insert();
CREATE OR REPLACE TRIGGER invoice_10_before_update BEFORE UPDATE ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._invoice_before_update();
CREATE OR REPLACE TRIGGER invoice_90_history AFTER INSERT OR UPDATE ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._invoice_after_write();
CREATE OR REPLACE TRIGGER invoice_no_delete BEFORE DELETE ON crm.invoices
    FOR EACH ROW EXECUTE FUNCTION crm._forbid_delete('Delete an invoice with crm.delete_invoice: it keeps its number and history.');
CREATE OR REPLACE TRIGGER invoice_no_truncate BEFORE TRUNCATE ON crm.invoices
    FOR EACH STATEMENT EXECUTE FUNCTION crm._forbid_delete('Delete an invoice with crm.delete_invoice: it keeps its number and history.');
CREATE OR REPLACE TRIGGER invoice_item_10_before_write BEFORE INSERT OR UPDATE OR DELETE ON crm.invoice_items
    FOR EACH ROW EXECUTE FUNCTION crm._invoice_item_before_write();
CREATE OR REPLACE TRIGGER invoice_item_90_amount AFTER INSERT OR UPDATE OR DELETE ON crm.invoice_items
    FOR EACH ROW EXECUTE FUNCTION crm._invoice_item_after_write();
CREATE OR REPLACE TRIGGER invoice_events_append_only BEFORE UPDATE OR DELETE ON crm.invoice_events
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER invoice_events_no_truncate BEFORE TRUNCATE ON crm.invoice_events
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

-- Actions.  Each runs its write as the caller, so grants and policies apply;
-- the triggers enforce the rules and write the history.
CREATE OR REPLACE FUNCTION crm.confirm_invoice(invoice_id bigint, comment text DEFAULT NULL) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_confirm_invoice';
REVOKE ALL ON FUNCTION crm.confirm_invoice(bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.confirm_invoice(bigint, text) IS 'Marks an awaiting or prepaid invoice paid by hand.';
CREATE OR REPLACE FUNCTION crm.cancel_invoice(invoice_id bigint, comment text DEFAULT NULL) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_cancel_invoice';
REVOKE ALL ON FUNCTION crm.cancel_invoice(bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.cancel_invoice(bigint, text) IS 'Cancels an awaiting or prepaid invoice.';
CREATE OR REPLACE FUNCTION crm.delete_invoice(invoice_id bigint, comment text DEFAULT NULL) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_delete_invoice';
REVOKE ALL ON FUNCTION crm.delete_invoice(bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.delete_invoice(bigint, text) IS
    'Soft-deletes an invoice that is not paid (a paid one: refund it first, or reissue it): status deleted; the row and its history stay.';
CREATE OR REPLACE FUNCTION crm.set_auto_cancel(invoice_id bigint, at timestamptz) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_set_auto_cancel';
REVOKE ALL ON FUNCTION crm.set_auto_cancel(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.set_auto_cancel(bigint, timestamptz) IS
    'Sets, moves or (with NULL) removes the time at which an unpaid invoice is cancelled.';
CREATE OR REPLACE FUNCTION crm.set_autopay(invoice_id bigint, "on" boolean) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_set_autopay';
REVOKE ALL ON FUNCTION crm.set_autopay(bigint,boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm.set_autopay(bigint, boolean) IS
    'Turns autopay on (needs autopay_interval; the first charge one interval after the purchase, never at once) or off (crm_admin only).';
CREATE OR REPLACE FUNCTION crm.reissue_invoice(invoice_id bigint, cancel_old boolean DEFAULT false) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_reissue_invoice';
REVOKE ALL ON FUNCTION crm.reissue_invoice(bigint,boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm.reissue_invoice(bigint, boolean) IS
    'A new awaiting invoice for the same client and items that replaces the old one (replaces_invoice_id); nothing received, no expenses; with cancel_old the old one, unless paid, is cancelled in the same transaction.';
CREATE OR REPLACE FUNCTION crm._reissue_invoice(account bigint, invoice_id bigint, cancel_old boolean) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_reissue_invoice';
REVOKE ALL ON FUNCTION crm._reissue_invoice(bigint, bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm._reissue_invoice(bigint, bigint, boolean) IS
    'The reissue of crm.reissue_invoice on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s).';

-- Views.
-- The client, the manager and where the client is (client_place.sql: from its first
-- phone, at query time) are subqueries in the select list, one in each column's
-- expression, so that they run only for the rows and columns a query reads (after a
-- LIMIT; count(*) reads none). No outer join: on Citus, one is refused beside the
-- policies' account conditions (their equalities become pseudoconstant quals); this
-- shape runs there on the account's shards. A client its policy hides shows as none
-- (NULL), and so does its place: its phones are hidden with it.
CREATE OR REPLACE VIEW crm.invoice_card WITH (security_invoker = true) AS
SELECT i.account_id,
       i.id,
       i.number,
       i.status,
       i.client_id,
       (SELECT c.name FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) AS client,
       (SELECT c.address FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) AS address,
       (SELECT c.city FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) AS city,
       i.manager_id,
       coalesce((SELECT m.name FROM crm.employees m WHERE m.account_id = i.account_id AND m.id = i.manager_id),
                'not assigned') AS manager,
       coalesce((SELECT jsonb_agg(jsonb_build_object('offer_id', it.offer_id, 'offer', o.name,
                                                     'quantity', it.quantity, 'price', it.price,
                                                     'total', it.quantity * it.price) ORDER BY it.id)
                 FROM crm.invoice_items it
                 JOIN crm.offers o ON o.account_id = it.account_id AND o.id = it.offer_id
                 WHERE it.account_id = i.account_id AND it.invoice_id = i.id), '[]'::jsonb) AS items,
       i.amount,
       i.paid_amount - i.refunded_amount AS prepaid,
       i.paid_amount,
       i.refunded_amount,
       i.income,
       i.expenses,
       i.autopay,
       CASE WHEN i.autopay THEN 'on'
            WHEN i.autopay_limit IS NOT NULL AND i.autopay_count >= i.autopay_limit THEN 'finished'
            ELSE 'off' END AS autopay_state,
       i.autopay_interval,
       i.autopay_limit,
       i.autopay_count,
       i.next_charge_at,
       i.auto_cancel_at,
       (SELECT c.note FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) AS note,
       i.note AS invoice_note,
       i.source,
       i.channel,
       i.partner,
       i.tag,
       i.delivery,
       i.created_at,
       i.status_changed_at,
       i.paid_at,
       i.replaces_invoice_id,
       crm.phone_country((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = i.account_id AND p.client_id = i.client_id ORDER BY p.id LIMIT 1)) AS client_country,
       crm.phone_area((SELECT p.phone FROM crm.client_phones p
                WHERE p.account_id = i.account_id AND p.client_id = i.client_id ORDER BY p.id LIMIT 1)) AS client_area,
       CASE WHEN (SELECT c.id FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) IS NOT NULL
            THEN coalesce((SELECT c.timezone FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id),
                          crm.country_timezone(crm.phone_country((SELECT p.phone FROM crm.client_phones p
                          WHERE p.account_id = i.account_id AND p.client_id = i.client_id ORDER BY p.id LIMIT 1))),
                          (SELECT a.timezone FROM crm.accounts a WHERE a.id = i.account_id)) END AS client_timezone,
       now() AT TIME ZONE CASE WHEN (SELECT c.id FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id) IS NOT NULL
                               THEN coalesce((SELECT c.timezone FROM crm.clients c WHERE c.account_id = i.account_id AND c.id = i.client_id),
                                             crm.country_timezone(crm.phone_country((SELECT p.phone FROM crm.client_phones p
                                             WHERE p.account_id = i.account_id AND p.client_id = i.client_id ORDER BY p.id LIMIT 1))),
                                             (SELECT a.timezone FROM crm.accounts a WHERE a.id = i.account_id)) END AS client_local_time
FROM crm.invoices i;
COMMENT ON VIEW crm.invoice_card IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.invoices (account_id,id)|@fieldName invoice|@foreignSingleFieldName card|@foreignFieldName cards\n'
    '@foreignKey (status) references crm.invoice_statuses (value)\n'
    'An invoice as its card shows it: client, manager, items, amounts, autopay and notes.';
COMMENT ON COLUMN crm.invoice_card.account_id IS 'The account of the invoice.';
COMMENT ON COLUMN crm.invoice_card.id IS 'The invoice''s id (crm.invoices.id).';
COMMENT ON COLUMN crm.invoice_card.number IS 'The invoice''s number.';
COMMENT ON COLUMN crm.invoice_card.status IS 'The invoice''s status: awaiting, prepaid, paid, cancelled, refunded or deleted.';
COMMENT ON COLUMN crm.invoice_card.client_id IS 'The client''s id.';
COMMENT ON COLUMN crm.invoice_card.client IS 'The client''s name; NULL for an employee without can_see_customers.';
COMMENT ON COLUMN crm.invoice_card.address IS 'The client''s address.';
COMMENT ON COLUMN crm.invoice_card.city IS 'The client''s city.';
COMMENT ON COLUMN crm.invoice_card.manager_id IS 'The manager''s id; NULL: none.';
COMMENT ON COLUMN crm.invoice_card.manager IS 'The manager''s name, or not assigned.';
COMMENT ON COLUMN crm.invoice_card.items IS
    'The items in order, a JSON array of objects with offer_id, offer, quantity, price and total ([] without items).';
COMMENT ON COLUMN crm.invoice_card.amount IS 'The amount due.';
COMMENT ON COLUMN crm.invoice_card.prepaid IS 'What the client has paid and not had refunded: paid_amount - refunded_amount.';
COMMENT ON COLUMN crm.invoice_card.paid_amount IS 'What the successful payments add up to.';
COMMENT ON COLUMN crm.invoice_card.refunded_amount IS 'What the successful refunds add up to.';
COMMENT ON COLUMN crm.invoice_card.income IS 'What the payments brought: paid_amount - refunded_amount.';
COMMENT ON COLUMN crm.invoice_card.expenses IS 'The expenses entered on the invoice.';
COMMENT ON COLUMN crm.invoice_card.autopay IS 'Whether autopay is on.';
COMMENT ON COLUMN crm.invoice_card.autopay_state IS 'The state of autopay: on, off, or finished (off with its limit reached).';
COMMENT ON COLUMN crm.invoice_card.autopay_interval IS 'The time between autopay charges; NULL: none.';
COMMENT ON COLUMN crm.invoice_card.autopay_limit IS 'The most successful autopay charges; NULL: no limit.';
COMMENT ON COLUMN crm.invoice_card.autopay_count IS 'The successful autopay charges so far.';
COMMENT ON COLUMN crm.invoice_card.next_charge_at IS 'When the next autopay charge is due; NULL: none.';
COMMENT ON COLUMN crm.invoice_card.auto_cancel_at IS 'When the invoice is cancelled if still unpaid; NULL: never.';
COMMENT ON COLUMN crm.invoice_card.note IS 'The client''s note, shown on every invoice of the client.';
COMMENT ON COLUMN crm.invoice_card.invoice_note IS 'The invoice''s own note.';
COMMENT ON COLUMN crm.invoice_card.source IS 'Where the sale came from.';
COMMENT ON COLUMN crm.invoice_card.channel IS 'The sales channel.';
COMMENT ON COLUMN crm.invoice_card.partner IS 'The partner of the sale.';
COMMENT ON COLUMN crm.invoice_card.tag IS 'The invoice''s label.';
COMMENT ON COLUMN crm.invoice_card.delivery IS 'How the order is delivered.';
COMMENT ON COLUMN crm.invoice_card.created_at IS 'When the invoice was created.';
COMMENT ON COLUMN crm.invoice_card.status_changed_at IS 'When the invoice last changed status.';
COMMENT ON COLUMN crm.invoice_card.paid_at IS 'When the invoice became paid; NULL: never.';
COMMENT ON COLUMN crm.invoice_card.replaces_invoice_id IS 'The invoice this one replaces (a reissue); NULL: none.';
COMMENT ON COLUMN crm.invoice_card.client_country IS
    'The country of the client''s first phone (ISO 3166 alpha-2, libphonenumber); NULL without a phone.';
COMMENT ON COLUMN crm.invoice_card.client_area IS
    'The offline geocoder''s description of the client''s first phone, in English: the area of a fixed line (Moscow), the country of a mobile (Russia); NULL without a phone.';
COMMENT ON COLUMN crm.invoice_card.client_timezone IS
    'The client''s time zone: clients.timezone, else the zone of its first phone''s country when that country has only one, else the account''s; NULL when the client is not visible.';
COMMENT ON COLUMN crm.invoice_card.client_local_time IS
    'The client''s current time: now() in client_timezone, at the time of the query.';

-- A sale is an invoice and every invoice that replaces it (replaces_invoice_id, by
-- reissue), followed down the chain; it counts once, as its newest paid invoice (or,
-- when none is paid, its newest invoice not deleted), for that invoice's partner; a
-- sale whose invoices are all deleted does not count.
CREATE OR REPLACE FUNCTION crm._partner_report()
    RETURNS TABLE (account_id bigint, partner text, invoices bigint, paid_invoices bigint, paid_amount numeric)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_partner_report';
REVOKE ALL ON FUNCTION crm._partner_report() FROM PUBLIC;
COMMENT ON FUNCTION crm._partner_report() IS
    'The rows of crm.partner_report, read as the caller: the acting account''s (named as a value, so that Citus routes the recursive query to its shards), or every account''s for the owner or a superuser.';
GRANT EXECUTE ON FUNCTION crm._partner_report() TO crm_reader;

CREATE OR REPLACE VIEW crm.partner_report WITH (security_invoker = true) AS
SELECT r.account_id, r.partner, r.invoices, r.paid_invoices, r.paid_amount::numeric(14, 2) AS paid_amount
FROM crm._partner_report() r;

COMMENT ON VIEW crm.partner_report IS
    E'@primaryKey account_id,partner\n'
    'Per partner: the sales it brought, an invoice and the invoices that replace it (crm.reissue_invoice) counted once, and what the paid ones brought.';
COMMENT ON COLUMN crm.partner_report.account_id IS 'The account.';
COMMENT ON COLUMN crm.partner_report.partner IS 'The partner (invoices.partner of the sale''s invoice that counts).';
COMMENT ON COLUMN crm.partner_report.invoices IS
    'Sales: invoices, each with its replacements counted once, but for those deleted.';
COMMENT ON COLUMN crm.partner_report.paid_invoices IS 'Of them, the sales with a paid invoice.';
COMMENT ON COLUMN crm.partner_report.paid_amount IS
    'What the paid sales brought: each one''s amount, or what was received on it when more (autopay charges), less refunds.';

-- The employee's name is a select-list subquery, not an outer join: Citus refuses
-- an outer join beside the policies' account conditions.
CREATE OR REPLACE VIEW crm.invoice_history WITH (security_invoker = true) AS
SELECT e.account_id,
       e.id,
       e.invoice_id,
       i.number,
       e.at,
       e.employee_id,
       coalesce((SELECT m.name FROM crm.employees m WHERE m.account_id = e.account_id AND m.id = e.employee_id),
                CASE WHEN e.detail ? 'reason' THEN 'system' END) AS employee,
       e.kind,
       e.from_status,
       e.to_status,
       e.detail ->> 'reason' AS reason,
       e.detail
FROM crm.invoice_events e
JOIN crm.invoices i ON i.account_id = e.account_id AND i.id = e.invoice_id;
COMMENT ON VIEW crm.invoice_history IS
    E'@primaryKey account_id,id\n'
    '@foreignKey (account_id,id) references crm.invoice_events (account_id,id)|@fieldName event|@foreignSingleFieldName historyRow|@foreignFieldName historyRows\n'
    '@foreignKey (account_id,invoice_id) references crm.invoices (account_id,id)|@fieldName invoice|@foreignFieldName history\n'
    '@foreignKey (from_status) references crm.invoice_statuses (value)\n'
    '@foreignKey (to_status) references crm.invoice_statuses (value)\n'
    'The history of every invoice with its number, the name of whoever acted (system for crm''s own changes) and the reason.';
COMMENT ON COLUMN crm.invoice_history.account_id IS 'The account of the invoice.';
COMMENT ON COLUMN crm.invoice_history.id IS 'The event''s id (crm.invoice_events.id).';
COMMENT ON COLUMN crm.invoice_history.invoice_id IS 'The invoice''s id.';
COMMENT ON COLUMN crm.invoice_history.number IS 'The invoice''s number.';
COMMENT ON COLUMN crm.invoice_history.at IS 'When the event happened.';
COMMENT ON COLUMN crm.invoice_history.employee_id IS 'The acting employee; NULL: none.';
COMMENT ON COLUMN crm.invoice_history.employee IS
    'The acting employee''s name; system for a change crm made itself without one; else NULL.';
COMMENT ON COLUMN crm.invoice_history.kind IS 'What happened (see crm.invoice_events.kind).';
COMMENT ON COLUMN crm.invoice_history.from_status IS 'For status_changed: the status before the move.';
COMMENT ON COLUMN crm.invoice_history.to_status IS 'For created and status_changed: the status after it.';
COMMENT ON COLUMN crm.invoice_history.reason IS
    'Why crm made the change itself (payment, refund, autopay, auto_cancel, items_changed, call_refused); NULL for an employee''s change.';
COMMENT ON COLUMN crm.invoice_history.detail IS 'The event''s JSON detail.';

GRANT SELECT ON crm.invoice_card, crm.invoice_history, crm.partner_report TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.confirm_invoice(bigint, text), crm.cancel_invoice(bigint, text),
    crm.delete_invoice(bigint, text),
    crm.set_auto_cancel(bigint, timestamptz), crm.set_autopay(bigint, boolean),
    crm.reissue_invoice(bigint, boolean), crm._reissue_invoice(bigint, bigint, boolean) TO crm_manager;
