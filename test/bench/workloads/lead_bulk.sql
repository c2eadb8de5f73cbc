-- Bulk load: one INSERT ... SELECT of :bulk leads.
INSERT INTO crm.leads (contact_name, contact_phone, phone, campaign_id)
SELECT 'Bulk ' || g, '+7926' || lpad(g::text, 7, '0'), '+7926' || lpad(g::text, 7, '0'), 1 + g % 20
FROM generate_series(1, :bulk) g;
