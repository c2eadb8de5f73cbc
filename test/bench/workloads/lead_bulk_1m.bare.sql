-- lead_bulk_1m (bare): lead_bulk.bare.sql of a million rows.
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                       contact_name, contact_phone, phone, campaign_id, status_changed_at)
SELECT 1, 'B-' || n, 1, n, 1, 1, 2, 'Bulk ' || g, '+7926' || lpad(g::text, 7, '0'), '+7926' || lpad(g::text, 7, '0'),
       1 + g % 20, now()
FROM (SELECT g, nextval('public.bare_number_seq') AS n FROM generate_series(1, :bulk1m) g) s;
