-- run_due.memory.sql: one line of memory figures of this backend, for run_due.note.crm.sql
-- (:rundue_n items handled, :rundue_how how).
\if :{?rundue_how}
\else
\set rundue_how 'in one call'
\endif
SELECT format('crm.run_due memory, %s items %s in a fresh backend: peak RSS (VmHWM) %s MB, shared memory %s MB, files %s MB, peak private ~ %s MB',
         :rundue_n, :'rundue_how', round(hwm / 1024.0, 1), round(shmem / 1024.0, 1), round(file / 1024.0, 1),
         round((hwm - shmem - file) / 1024.0, 1))
FROM (SELECT max(v) FILTER (WHERE k = 'VmHWM') AS hwm, max(v) FILTER (WHERE k = 'RssShmem') AS shmem,
             max(v) FILTER (WHERE k = 'RssFile') AS file
      FROM (SELECT split_part(l, ':', 1) AS k, (regexp_match(l, '([0-9]+) kB'))[1]::bigint AS v
            FROM regexp_split_to_table(pg_read_file('/proc/self/status'), E'\n') AS l) s) m;
