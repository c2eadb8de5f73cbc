-- Call logging with retry scheduling (crm): one call on a random awaiting/prepaid invoice
-- (ids 10k .. 10k+4 of data/30_invoices.sql), outcome 60% no_answer (first or consecutive
-- retry, by the invoice's streak), 10% talked, 10% talked with a call-back interval, 20%
-- call_back with one; called_at within the 72 hours before the data's fixed now (the
-- window of the data's calls), never the clock, so the invoices stay due around that now.
-- No outcome that stops calls or cancels the invoice (already_paid, refused,
-- wrong_contact), so the pool of open invoices does not drain.
\set id 10 * random(1, :ninv / 10 - 1) + random(0, 4)
\set o random(1, 10)
\set at :calls_now - random(0, 259199)
SELECT crm.log_call(invoice_id => :id,
                    outcome => CASE WHEN :o <= 6 THEN 'no_answer' WHEN :o <= 8 THEN 'talked' ELSE 'call_back' END,
                    called_at => to_timestamp(:at),
                    callback_after => CASE WHEN :o >= 8 THEN interval '2 days' END);
