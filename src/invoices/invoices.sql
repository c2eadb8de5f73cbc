-- invoices/invoices.sql: offers, invoices, items, invoice events, the invoice
-- actions and views (C: src/invoices/; payments are in invoices/payments.sql).
-- The ranges of its amounts, times and intervals are CHECK constraints in values.sql.

GRANT SELECT ON crm.offers, crm.invoices, crm.invoice_items, crm.invoice_events TO crm_reader;

GRANT INSERT, UPDATE ON crm.offers TO crm_admin;
GRANT INSERT, UPDATE ON crm.invoices TO crm_manager;
GRANT INSERT, UPDATE, DELETE ON crm.invoice_items TO crm_manager;

-- Triggers: numbering and the state machine (10), history (90).
CREATE OR REPLACE FUNCTION crm._invoice_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_before_insert';
REVOKE ALL ON FUNCTION crm._invoice_before_insert() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._invoice_before_update() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_before_update';
REVOKE ALL ON FUNCTION crm._invoice_before_update() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._invoice_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_after_write';
REVOKE ALL ON FUNCTION crm._invoice_after_write() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._invoice_item_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_item_before_write';
REVOKE ALL ON FUNCTION crm._invoice_item_before_write() FROM PUBLIC;
CREATE OR REPLACE FUNCTION crm._invoice_item_after_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_invoice_item_after_write';
REVOKE ALL ON FUNCTION crm._invoice_item_after_write() FROM PUBLIC;

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
COMMENT ON FUNCTION crm.delete_invoice(bigint, text) IS 'Soft-deletes an invoice: status deleted; the row and its history stay.';
CREATE OR REPLACE FUNCTION crm.set_auto_cancel(invoice_id bigint, at timestamptz) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_set_auto_cancel';
REVOKE ALL ON FUNCTION crm.set_auto_cancel(bigint,timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION crm.set_auto_cancel(bigint, timestamptz) IS
    'Sets, moves or (with NULL) removes the time at which an unpaid invoice is cancelled.';
CREATE OR REPLACE FUNCTION crm.set_autopay(invoice_id bigint, "on" boolean) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_set_autopay';
REVOKE ALL ON FUNCTION crm.set_autopay(bigint,boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm.set_autopay(bigint, boolean) IS
    'Turns autopay on (needs autopay_interval) or off (crm_admin only).';
CREATE OR REPLACE FUNCTION crm.reissue_invoice(invoice_id bigint, cancel_old boolean DEFAULT false) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_reissue_invoice';
REVOKE ALL ON FUNCTION crm.reissue_invoice(bigint,boolean) FROM PUBLIC;
COMMENT ON FUNCTION crm.reissue_invoice(bigint, boolean) IS
    'A new invoice for the same client and items; with cancel_old the old one is cancelled in the same transaction.';

-- Views.
CREATE OR REPLACE VIEW crm.invoice_card WITH (security_invoker = true) AS
SELECT i.account_id,
       i.id,
       i.number,
       i.status,
       i.client_id,
       c.name AS client,
       c.address,
       c.city,
       i.manager_id,
       coalesce(m.name, 'not assigned') AS manager,
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
       c.note,
       i.note AS invoice_note,
       i.source,
       i.channel,
       i.partner,
       i.tag,
       i.delivery,
       i.created_at,
       i.status_changed_at
FROM crm.invoices i
LEFT JOIN crm.clients c ON c.account_id = i.account_id AND c.id = i.client_id
LEFT JOIN crm.employees m ON m.account_id = i.account_id AND m.id = i.manager_id;

CREATE OR REPLACE VIEW crm.invoice_history WITH (security_invoker = true) AS
SELECT e.account_id,
       e.id,
       e.invoice_id,
       i.number,
       e.at,
       e.employee_id,
       coalesce(m.name, CASE WHEN e.detail ? 'reason' THEN 'system' END) AS employee,
       e.kind,
       e.from_status,
       e.to_status,
       e.detail ->> 'reason' AS reason,
       e.detail
FROM crm.invoice_events e
JOIN crm.invoices i ON i.account_id = e.account_id AND i.id = e.invoice_id
LEFT JOIN crm.employees m ON m.account_id = e.account_id AND m.id = e.employee_id;

GRANT SELECT ON crm.invoice_card, crm.invoice_history TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.confirm_invoice(bigint, text), crm.cancel_invoice(bigint, text),
    crm.delete_invoice(bigint, text),
    crm.set_auto_cancel(bigint, timestamptz), crm.set_autopay(bigint, boolean),
    crm.reissue_invoice(bigint, boolean) TO crm_manager;
