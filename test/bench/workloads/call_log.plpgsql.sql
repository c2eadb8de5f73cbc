-- call_log.sql through the PL/pgSQL twin crm_pl.log_call (plpgsql variant).
\set id 10 * random(1, :ninv / 10 - 1) + random(0, 4)
\set o random(1, 10)
\set at :calls_now - random(0, 259199)
SELECT crm_pl.log_call(invoice_id => :id,
                       outcome => CASE WHEN :o <= 6 THEN 'no_answer' WHEN :o <= 8 THEN 'talked' ELSE 'call_back' END,
                       called_at => to_timestamp(:at),
                       callback_after => CASE WHEN :o >= 8 THEN interval '2 days' END);
