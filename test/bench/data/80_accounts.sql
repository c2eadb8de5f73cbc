-- data/80_accounts.sql: accounts 2 .. 50 for the workloads NAME@50 (writes spread
-- over 50 accounts, the account picked per transaction: one account's numbering
-- counter serialises its own lead inserts by design).  Each account is set up as
-- account 1 (its settings copied), with the same ids: statuses 1-4, lead types 1-2,
-- the transition rules, campaigns 1-20, employees 1 .. 10, counter 1 (L-{N:7}),
-- and leads 1 .. :n_acc_leads numbered L-0000001 ..  with their 'created' events
-- (the lead counts follow in 90_lead_counts.sql).  Written with triggers off, as
-- the rules would make them.  Account 1 keeps the data of the other files.
\set ON_ERROR_STOP 1
SELECT greatest(100, (100000 * :scale)::int) AS n_acc_leads \gset
SET session_replication_role = replica;
INSERT INTO crm.accounts (id, name, default_region, timezone, client_link_mode, order_link_mode, order_won_status_id,
                          no_answer_first_retry, no_answer_next_retry, invoice_number_template,
                          order_number_template, lead_manager_mode, inbound_lead_mode)
SELECT g, 'Bench ' || g, default_region, timezone, client_link_mode, order_link_mode, order_won_status_id,
       no_answer_first_retry, no_answer_next_retry, invoice_number_template, order_number_template,
       lead_manager_mode, inbound_lead_mode
FROM crm.accounts a, generate_series(2, 50) g WHERE a.id = 1;
INSERT INTO crm.statuses (account_id, id, name, kind, position)
SELECT g, s.id, s.name, s.kind, s.position FROM crm.statuses s, generate_series(2, 50) g WHERE s.account_id = 1;
INSERT INTO crm.lead_types (account_id, id, name, initial_status_id, number_template, is_default)
SELECT g, t.id, t.name, t.initial_status_id, t.number_template, t.is_default
FROM crm.lead_types t, generate_series(2, 50) g WHERE t.account_id = 1;
INSERT INTO crm.status_transitions (account_id, lead_type_id, from_status_id, to_status_id)
SELECT g, r.lead_type_id, r.from_status_id, r.to_status_id
FROM crm.status_transitions r, generate_series(2, 50) g WHERE r.account_id = 1;
INSERT INTO crm.campaigns (account_id, id, name)
SELECT g, c.id, c.name FROM crm.campaigns c, generate_series(2, 50) g WHERE c.account_id = 1;
INSERT INTO crm.employees (account_id, id, name, email, role)
SELECT g, e, 'Employee ' || e, 'e' || e || '.' || g || '@example.com', CASE WHEN e = 1 THEN 'admin' ELSE 'manager' END
FROM generate_series(2, 50) g, generate_series(1, 10) e;
INSERT INTO crm.number_sequences (account_id, id, key) SELECT g, 1, 'L-{N:7}' FROM generate_series(2, 50) g;
INSERT INTO crm.event_counters (account_id, last_id)
SELECT g, 0 FROM generate_series(1, 50) g ON CONFLICT (account_id) DO NOTHING;
INSERT INTO crm.leads (account_id, id, number, number_sequence_id, number_seq, type_id, status_id,
                       contact_name, contact_phone, phone, campaign_id, manager_id, created_at, status_changed_at)
SELECT g, k, 'L-' || lpad(k::text, 7, '0'), 1, k, 1, 1 + k % 2, 'Contact ' || k,
       '+7918' || lpad(k::text, 7, '0'), '+7918' || lpad(k::text, 7, '0'), 1 + k % 20, 2 + k % 9,
       timestamptz '2026-01-01' + k * interval '1 second', timestamptz '2026-01-01' + k * interval '1 second'
FROM generate_series(2, 50) g, generate_series(1, :n_acc_leads) k;
INSERT INTO crm.lead_events (account_id, lead_id, at, kind, to_status_id, detail)
SELECT account_id, id, created_at, 'created', 1, jsonb_build_object('number', number)
FROM crm.leads WHERE account_id BETWEEN 2 AND 50;
RESET session_replication_role;
INSERT INTO public.bench_vars VALUES ('naccounts', 50), ('nacclead', :n_acc_leads);
