-- numbering.sql: the counters behind number templates (numbering.c).  The
-- template check crm.number_template_ok is in tenancy.sql, before crm.accounts,
-- whose CHECKs use it.

