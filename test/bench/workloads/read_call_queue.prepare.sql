-- Every point starts from the data's queue: no claim held.
UPDATE crm.invoices SET claimed_by = NULL, claimed_until = NULL WHERE account_id = 1 AND claimed_by IS NOT NULL;
UPDATE crm.call_tasks SET claimed_by = NULL, claimed_until = NULL WHERE account_id = 1 AND claimed_by IS NOT NULL;
