-- The figures of the demo's day (test/demo/day.sql), read from the database the demo
-- leaves: one line per figure, "ok <figure>" when it holds, "FAIL <figure>: <what was
-- found>" when it does not.  Run as the owner, in the account's time zone.
\set ON_ERROR_STOP on
SET crm.account_id = 1;
SET timezone = 'Europe/Moscow';

WITH f(figure, ok, found) AS (
  -- 1, 2: the shop order found Ivan's lead by phone and moved it to Won; revenue
  SELECT 'SHOP-1001 linked to Ivan''s lead, which is Won',
         coalesce(bool_and(l.contact_name = 'Ivan Petrov' AND s.name = 'Won' AND l.client_id = 1), false),
         string_agg(format('lead %s %s, status %s, client %s', l.number, l.contact_name, s.name, l.client_id), '; ')
  FROM crm.orders o JOIN crm.leads l ON l.id = o.lead_id JOIN crm.statuses s ON s.id = l.status_id
  WHERE o.number = 'SHOP-1001'
  UNION ALL
  SELECT 'every campaign with won leads has revenue, Search ads at least the 4500.00 of SHOP-1001',
         bool_and(revenue > 0 OR won = 0) AND bool_or(campaign = 'Search ads' AND revenue >= 4500),
         string_agg(format('%s: won %s, revenue %s', campaign, won, revenue), '; ' ORDER BY campaign)
  FROM crm.campaign_report
  UNION ALL
  -- 1: phones normalised, the first contact opened a lead, the import brought one
  SELECT 'the morning''s leads: phones in E.164, Ivan''s linked to client 1, the import''s on Trade fair',
         count(*) = 4 AND bool_and(l.phone IS NOT NULL)
           AND bool_or(l.contact_name = 'Ivan Petrov' AND l.phone = '+79161234567' AND l.client_id = 1)
           AND bool_or(l.contact_name = 'Natalia Sidorova' AND l.client_id IS NOT NULL)
           AND bool_or(l.contact_name = 'Tatiana Lebedeva' AND c.name = 'Trade fair'),
         string_agg(format('%s %s %s client %s %s', l.number, l.contact_name, l.phone, l.client_id, c.name), '; ')
  FROM crm.leads l LEFT JOIN crm.campaigns c ON c.id = l.campaign_id
  WHERE l.contact_name IN ('Ivan Petrov', 'Nikolai Belov', 'Natalia Sidorova', 'Tatiana Lebedeva')
  UNION ALL
  -- 3: invoices
  SELECT 'Ivan''s repair: prepaid, then paid, income 4500.00',
         coalesce(bool_and(i.status = 'paid' AND i.income = 4500
                           AND (SELECT string_agg(e.from_status || '>' || e.to_status, ',' ORDER BY e.id)
                                FROM crm.invoice_events e WHERE e.invoice_id = i.id AND e.kind = 'status_changed')
                               = 'awaiting>prepaid,prepaid>paid'), false),
         string_agg(format('%s %s income %s', i.number, i.status, i.income), '; ')
  FROM crm.invoices i JOIN crm.invoice_items it ON it.invoice_id = i.id
  WHERE i.client_id = 1 AND it.offer_id = 1
  UNION ALL
  SELECT 'Ivan''s protection plan: autopay on, limit 12, first charge a month after the purchase',
         coalesce(bool_and(i.autopay AND i.autopay_limit = 12 AND i.next_charge_at = i.paid_at + interval '1 month'
                           AND to_char(i.paid_at, 'HH24:MI') = '13:15'), false),
         string_agg(format('%s autopay %s limit %s paid %s next %s', i.number, i.autopay, i.autopay_limit,
                           i.paid_at, i.next_charge_at), '; ')
  FROM crm.invoices i JOIN crm.invoice_items it ON it.invoice_id = i.id
  WHERE i.client_id = 1 AND it.offer_id = 3
  UNION ALL
  SELECT 'Maria''s invoice auto-cancelled by the evening run (auto_cancel at 18:00)',
         coalesce(bool_and(i.status = 'cancelled' AND to_char(i.auto_cancel_at, 'HH24:MI') = '18:00'
                           AND EXISTS (SELECT 1 FROM crm.invoice_events e
                                       WHERE e.invoice_id = i.id AND e.to_status = 'cancelled'
                                         AND e.detail ->> 'reason' = 'auto_cancel')), false),
         string_agg(format('%s %s', i.number, i.status), '; ')
  FROM crm.invoices i WHERE i.client_id = 2
  UNION ALL
  -- 4: the call centre
  SELECT 'no answer at 10:05 comes back at 11:05; no answer again at 11:45 comes back the next day at 11:45',
         string_agg(to_char(k.called_at, 'HH24:MI') || ' -> ' || to_char(k.next_call_at, 'HH24:MI')
                    || ' +' || (k.next_call_at::date - k.called_at::date) || 'd', ', ' ORDER BY k.called_at)
           = '10:05 -> 11:05 +0d, 11:45 -> 11:45 +1d',
         string_agg(to_char(k.called_at, 'HH24:MI') || ' -> ' || to_char(k.next_call_at, 'YYYY-MM-DD HH24:MI'),
                    ', ' ORDER BY k.called_at)
  FROM crm.calls k WHERE k.client_id = 2 AND k.outcome = 'no_answer'
  UNION ALL
  SELECT 'the talked call queued the template email to Sergey with a copy to Boris',
         count(*) = 1 AND bool_and(o.recipient = 'sergey.volkov@example.com' AND o.cc = 'boris@northwind.example'
                                   AND o.body LIKE 'Dear Sergey Volkov, %' AND o.subject LIKE 'Invoice INV-%'),
         string_agg(format('%s to %s cc %s: %s', o.kind, o.recipient, o.cc, o.subject), '; ')
  FROM crm.calls k JOIN crm.outbox o ON o.dedup_key = 'call:' || k.id AND o.kind = 'email'
  WHERE k.client_id = 3 AND k.outcome = 'talked' AND k.template_id = 1 AND k.copy_to_manager
  UNION ALL
  -- 5: chats and the Important inbox
  SELECT 'Natalia''s first reply made Anna her responsible manager and her lead''s manager',
         coalesce(bool_and(r.name = 'Anna Petrova' AND m.name = 'Anna Petrova'), false),
         string_agg(format('responsible %s, lead manager %s', r.name, m.name), '; ')
  FROM crm.clients c LEFT JOIN crm.employees r ON r.id = c.responsible_id
  JOIN crm.leads l ON l.client_id = c.id LEFT JOIN crm.employees m ON m.id = l.manager_id
  WHERE c.name = 'Natalia Sidorova'
  UNION ALL
  SELECT 'the failed payment alerted Anna and Dmitry (who wrote before it), not Boris (who wrote after)',
         coalesce(string_agg(e.name, ', ' ORDER BY e.name), '') = 'Anna Petrova, Dmitry Sokolov'
           AND bool_and(a.offer_id = 3 AND a.conversation_id IS NOT NULL)
           AND (SELECT count(*) FROM crm.client_contacts cc JOIN crm.clients c ON c.id = cc.client_id
                JOIN crm.employees b ON b.id = cc.employee_id
                WHERE c.name = 'Natalia Sidorova' AND b.name = 'Boris Ivanov') = 1,
         coalesce(string_agg(e.name, ', ' ORDER BY e.name), 'no alert')
  FROM crm.clients c JOIN crm.alerts a ON a.client_id = c.id JOIN crm.employees e ON e.id = a.employee_id
  WHERE c.name = 'Natalia Sidorova'
  UNION ALL
  SELECT 'Natalia''s visit at 17:00 is confirmed',
         coalesce(bool_and(a.status = 'confirmed' AND to_char(a.starts_at, 'HH24:MI') = '17:00'), false),
         string_agg(a.status || ' ' || a.starts_at, '; ')
  FROM crm.appointments a JOIN crm.clients c ON c.id = a.client_id WHERE c.name = 'Natalia Sidorova'
  UNION ALL
  -- 6: the clock
  SELECT 'Nikolai''s lead overdue since its deadline (16:00), with one notice to Boris',
         coalesce(bool_and(l.overdue_since = l.deadline AND to_char(l.deadline, 'HH24:MI') = '16:00'
                           AND (SELECT count(*) FROM crm.outbox o
                                WHERE o.kind = 'notification' AND o.payload ->> 'lead_id' = l.id::text
                                  AND o.recipient = 'boris@northwind.example') = 1
                           AND EXISTS (SELECT 1 FROM crm.lead_events e WHERE e.lead_id = l.id AND e.kind = 'deadline_expired')),
                  false),
         string_agg(format('%s deadline %s overdue_since %s', l.number, l.deadline, l.overdue_since), '; ')
  FROM crm.leads l WHERE l.contact_name = 'Nikolai Belov'
  UNION ALL
  SELECT 'the evening run queued this month''s charge of Pavel''s plan',
         count(*) = 1, string_agg(o.dedup_key, '; ')
  FROM crm.outbox o JOIN crm.invoices i ON i.id = (o.payload ->> 'invoice_id')::bigint
  WHERE o.kind = 'charge' AND i.client_id = 4
  UNION ALL
  SELECT 'nothing of the day is left due at 20:00, and nothing was set aside',
         NOT EXISTS (SELECT 1 FROM crm.run_due(now => (SELECT date_trunc('day', now()) + interval '20 hours')) WHERE handled > 0)
           AND NOT EXISTS (SELECT 1 FROM crm.due_failures),
         (SELECT count(*) FROM crm.due_failures) || ' due failures'
)
SELECT CASE WHEN ok THEN 'ok   ' || figure ELSE 'FAIL ' || figure || ': ' || coalesce(found, 'nothing found') END
FROM f;
