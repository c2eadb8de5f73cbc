-- lead_bulk_1m: one INSERT ... SELECT of :bulk1m (a million) leads (crm and plpgsql run this text).
INSERT INTO crm.leads (contact_name, contact_phone, phone, campaign_id)
SELECT 'Bulk ' || g, '+7926' || lpad(g::text, 7, '0'), '+7926' || lpad(g::text, 7, '0'), 1 + g % 20
FROM generate_series(1, :bulk1m) g;
