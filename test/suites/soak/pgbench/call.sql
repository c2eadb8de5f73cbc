-- An operator (Anna or Boris) claims the next call of the queue and logs its outcome.
\set a random(1, :accounts)
\set e random(2, 3)
\set o random(1, 10)
SELECT crm_soak.attempt('call', :a, :e, $$
SELECT crm.log_call(invoice_id => CASE q.kind WHEN 'invoice' THEN q.id END, task_id => CASE q.kind WHEN 'task' THEN q.id END,
         outcome => (ARRAY['talked', 'no_answer', 'no_answer', 'no_answer', 'call_back', 'call_back',
                           'already_paid', 'refused', 'wrong_contact', 'talked'])[:o],
         callback_after => CASE WHEN :o IN (5, 6) THEN interval '30 seconds' END,
         template_id => CASE WHEN :o = 1 THEN i.tpl END, copy_to_manager => :o = 1)
FROM crm.claim_next_call(now(), '1 minute') q, crm_soak.ids i
WHERE q.id IS NOT NULL AND i.account_id = :a$$);
