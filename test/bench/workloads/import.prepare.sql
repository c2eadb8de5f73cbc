-- import.prepare.sql (every variant, not timed): stages :bulk leads of another CRM in
-- crm.import_leads, as an admin copies them in (COPY or INSERT; the staging table has
-- no triggers that matter to the timing): numbers of the template L-{N:7} after the
-- largest in use, which the import keeps; statuses and campaigns by name, managers by
-- email, contact phones; created over the year before; a third with a deadline, about
-- half of those already past (marked overdue by the import, never announced).
\set ON_ERROR_STOP 1
SELECT coalesce(max(number_seq), 0) AS import_from FROM crm.leads WHERE account_id = 1 AND number_sequence_id = 1 \gset
INSERT INTO crm.import_leads (number, status, manager, contact_name, contact_phone, campaign, deadline, comment, created_at)
SELECT 'L-' || lpad((:import_from + g)::text, 7, '0'), (ARRAY['New', 'In work', 'Won', 'Lost'])[1 + g % 4],
       'e' || (1 + g % :nemp) || '@example.com', 'Imported ' || g, '+7925' || lpad((g % 10000000)::text, 7, '0'),
       'Campaign ' || (1 + g % 20), CASE WHEN g % 3 = 0 THEN now() + ((g % 40) - 20) * interval '1 day' END,
       'from the other CRM', now() - interval '1 year' + g * interval '1 second'
FROM generate_series(1, :bulk) g;
ANALYZE crm.import_leads;
