-- snapshot.sql: one line per crm table (rows and md5 of the rows in text order)
-- and per crm sequence (last_value, is_called), from the catalog so that every
-- table any concept adds is covered.  Run as a superuser (no row-level security).
SELECT format('SELECT %L || '' rows='' || count(*) || '' md5='' || coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text)), ''-'') FROM %s t',
              'table ' || c.oid::regclass::text, c.oid::regclass)
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname
\gexec
SELECT format('SELECT %L || '' last_value='' || last_value || '' is_called='' || is_called FROM %s',
              'sequence ' || c.oid::regclass::text, c.oid::regclass)
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'S'
ORDER BY c.relname
\gexec
