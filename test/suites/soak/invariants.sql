-- soak/invariants.sql: what must hold after the soak besides test/suites/lib/invariants.sql
-- (same variables :now and :check_overdue); prints one line per violation.

-- Autopay never charges past its limit (the soak reports results only of queued charges).
SELECT format('invoice %s/%s: %s successful and %s pending charges over a limit of %s',
              account_id, id, autopay_count, autopay_pending, autopay_limit)
FROM crm.invoices WHERE autopay_count + autopay_pending > autopay_limit;

-- A client some employee wrote to has a responsible manager (nobody clears it here).
SELECT format('client %s/%s was written to by employee %s but has no responsible manager', c.account_id, c.id, min(k.employee_id))
FROM crm.clients c JOIN crm.client_contacts k ON k.account_id = c.account_id AND k.client_id = c.id
WHERE c.responsible_id IS NULL GROUP BY c.account_id, c.id;

-- Nothing is set aside (no item is poisoned here), and nothing is due any more at :now.
SELECT format('due item %s %s/%s set aside: %s %s', kind, account_id, item_id, sqlstate, message)
FROM crm.due_failures WHERE :check_overdue;
SELECT format('crm.next_due() is %s, not after %s', crm.next_due(), :now)
WHERE :check_overdue AND crm.next_due() <= :now;
