-- History detail follows the events' typing rule: ids, counts and money are JSON numbers,
-- times ISO 8601 strings in UTC with their offset, whatever the session's time zone.
BEGIN;
SELECT plan(9);

SELECT crm_test.company('History Co') AS a \gset
SELECT crm_test.id('employees', :a, 'Anna') AS anna, crm_test.id('employees', :a, 'Boris') AS boris \gset
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SET LOCAL timezone = 'Asia/Tokyo';

INSERT INTO crm.clients (name, email, category) VALUES ('Ivan', 'ivan@example.com', 'client') RETURNING id AS c \gset
INSERT INTO crm.leads (contact_name, deadline) VALUES ('Typed', '2026-03-01 10:00:00+00') RETURNING id AS l \gset
UPDATE crm.leads SET manager_id = :boris, deadline = '2026-03-02 10:00:00+00' WHERE id = :l;

SELECT is((SELECT jsonb_typeof(detail->'from') || ' ' || jsonb_typeof(detail->'to') || ' ' || (detail->>'to')
             FROM crm.lead_events WHERE lead_id = :l AND kind = 'manager_changed'),
          'number number ' || :boris, 'a lead''s manager change: the employees as JSON numbers');
SELECT is((SELECT detail->>'from' || ' ' || (detail->>'to')
             FROM crm.lead_events WHERE lead_id = :l AND kind = 'deadline_changed'),
          '2026-03-01T10:00:00+00:00 2026-03-02T10:00:00+00:00', 'a deadline change: times in UTC with the offset');
SELECT is((SELECT jsonb_typeof(detail->'number') FROM crm.lead_events WHERE lead_id = :l AND kind = 'created'),
          'string', 'the created event: the lead number is a string');

INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100) RETURNING id AS i \gset
INSERT INTO crm.payments (invoice_id, amount, kind, succeeded, at) VALUES (:i, 40, 'payment', true, '2026-03-01 12:00:00+00');
SELECT is((SELECT jsonb_typeof(detail->'amount') || ' ' || (detail->>'amount') FROM crm.invoice_events
            WHERE invoice_id = :i AND kind = 'created'), 'number 100.00', 'an invoice''s amount: a number with its scale');
SELECT is((SELECT jsonb_typeof(detail->'payment_id') || ' ' || jsonb_typeof(detail->'amount') || ' ' || (detail->>'at')
             FROM crm.invoice_events WHERE invoice_id = :i AND kind = 'payment'),
          'number number 2026-03-01T12:00:00+00:00', 'a payment: its id and amount numbers, its time in UTC');
UPDATE crm.invoices SET manager_id = :boris WHERE id = :i;
SELECT is((SELECT jsonb_typeof(detail->'to') FROM crm.invoice_events WHERE invoice_id = :i AND kind = 'manager_changed'),
          'number', 'an invoice''s manager change: the employee a number');

SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 10:05:00+00')).id AS k \gset
SELECT is((SELECT jsonb_typeof(detail->'call_id') || ' ' || jsonb_typeof(detail->'employee_id') || ' ' ||
                  (detail->>'next_call_at') || ' ' || (detail->>'outcome')
             FROM crm.invoice_events WHERE invoice_id = :i AND kind = 'call'),
          'number number 2026-03-02T11:05:00+00:00 no_answer', 'a call: ids numbers, the next call in UTC');
SELECT is((SELECT (detail->>'call_id')::bigint FROM crm.invoice_events WHERE invoice_id = :i AND kind = 'call'),
          :'k'::bigint, 'the call''s event names the call');

-- ->> reads a history row of either release the same way: the text of the id.
SELECT is((SELECT (detail->>'to')::bigint FROM crm.lead_events WHERE lead_id = :l AND kind = 'manager_changed'),
          :'boris'::bigint, '(detail->>''to'')::bigint reads the id');

SELECT * FROM finish();
ROLLBACK;
