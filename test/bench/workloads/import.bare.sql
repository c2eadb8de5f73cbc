-- import (bare): the staged leads written whole by one INSERT ... SELECT with every
-- trigger off: names joined, each number's place in L-{N:7} cut out by the client; no
-- check, no phone normalisation (the staged phones are already E.164), no history.
INSERT INTO crm.leads (account_id, number, number_sequence_id, number_seq, type_id, status_id, manager_id,
                       contact_name, contact_phone, phone, campaign_id, deadline, comment, created_at,
                       status_changed_at, closed_at, overdue_since)
SELECT 1, s.number, 1, substring(s.number FROM 3)::bigint, 1, st.id, e.id, s.contact_name, s.contact_phone,
       s.contact_phone, c.id, s.deadline, s.comment, s.created_at, s.created_at,
       CASE WHEN st.kind <> 'open' THEN s.created_at END,
       CASE WHEN st.kind = 'open' AND s.deadline < now() THEN s.deadline END
FROM crm.import_leads s
JOIN crm.statuses st ON st.account_id = 1 AND st.name = s.status
LEFT JOIN crm.employees e ON e.account_id = 1 AND e.email = s.manager
LEFT JOIN crm.campaigns c ON c.account_id = 1 AND c.name = s.campaign
WHERE s.account_id = 1;
DELETE FROM crm.import_leads WHERE account_id = 1;
