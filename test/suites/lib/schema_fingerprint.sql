-- schema_fingerprint.sql: one sorted line per fact of crm's schema that an update
-- must reproduce exactly — columns (in order, with types, defaults, nullability,
-- identity), constraints, indexes, triggers, policies, row-level security, views,
-- functions (full definitions, owners' settings, volatility), sequences, grants,
-- comments, extension members and pg_dump marks.  The upgrade suite compares an
-- updated database with a fresh install line by line.
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'crm'),
rels AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'crm'::regnamespace),
facts(line) AS (
  -- Live columns in their order (an ADD COLUMN must land where CREATE TABLE puts it).
  SELECT format('column %s.%s #%s %s%s%s%s%s', r.relname, a.attname,
                row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
                format_type(a.atttypid, a.atttypmod),
                CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END,
                CASE WHEN a.attgenerated <> '' THEN ' generated' ELSE '' END,
                coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''))
  FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE r.relkind IN ('r', 'p', 'v')
  UNION ALL
  SELECT format('table %s kind %s rls %s forced %s options %s', r.relname, c.relkind, c.relrowsecurity,
                c.relforcerowsecurity, coalesce(c.reloptions::text, '{}'))
  FROM rels r JOIN pg_class c ON c.oid = r.oid WHERE r.relkind IN ('r', 'p', 'v', 'S')
  UNION ALL
  SELECT format('constraint %s.%s %s', r.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM rels r JOIN pg_constraint k ON k.conrelid = r.oid
  UNION ALL
  SELECT format('index %s', pg_get_indexdef(i.indexrelid))
  FROM rels r JOIN pg_index i ON i.indrelid = r.oid
  UNION ALL
  SELECT format('trigger %s%s', pg_get_triggerdef(t.oid), CASE t.tgenabled WHEN 'O' THEN '' ELSE ' enabled ' || t.tgenabled::text END)
  FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
  UNION ALL
  SELECT format('policy %s.%s %s %s roles %s using %s check %s', r.relname, p.polname,
                CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END, p.polcmd,
                (SELECT string_agg(CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END, ',' ORDER BY 1)
                 FROM unnest(p.polroles) x),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
  FROM rels r JOIN pg_policy p ON p.polrelid = r.oid
  UNION ALL
  SELECT format('view %s %s', r.relname, pg_get_viewdef(r.oid)) FROM rels r WHERE r.relkind = 'v'
  UNION ALL
  SELECT format('sequence %s %s', r.relname, (SELECT format('%s %s %s %s %s', s.seqtypid::regtype, s.seqstart,
                s.seqincrement, s.seqmax, s.seqcycle) FROM pg_sequence s WHERE s.seqrelid = r.oid))
  FROM rels r WHERE r.relkind = 'S'
  UNION ALL
  SELECT format('grant %s %s', r.relname, coalesce(c.relacl::text, 'default'))
  FROM rels r JOIN pg_class c ON c.oid = r.oid
  UNION ALL
  SELECT format('column grant %s.%s %s', r.relname, a.attname, a.attacl::text)
  FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attacl IS NOT NULL
  UNION ALL
  SELECT format('function %s', pg_get_functiondef(p.oid))
  FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace
  UNION ALL
  SELECT format('function grant %s %s', p.oid::regprocedure, coalesce(p.proacl::text, 'default'))
  FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace
  UNION ALL
  SELECT format('type %s', t.typname) FROM pg_type t
  WHERE t.typnamespace = 'crm'::regnamespace AND t.typrelid = 0 AND t.typelem = 0
  UNION ALL
  SELECT format('comment %s: %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
  FROM pg_description d
  WHERE pg_describe_object(d.classoid, d.objoid, d.objsubid) LIKE '%crm.%'
     OR d.classoid = 'pg_namespace'::regclass AND d.objoid = 'crm'::regnamespace
  UNION ALL
  SELECT format('schema grant %s', n.nspacl::text) FROM pg_namespace n WHERE n.nspname = 'crm'
  UNION ALL
  SELECT format('member %s', pg_describe_object(d.classid, d.objid, 0))
  FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
  UNION ALL
  SELECT format('dump mark %s %s', c::regclass, coalesce(x.extcondition[i], ''))
  FROM pg_extension x, unnest(x.extconfig) WITH ORDINALITY AS u(c, i) WHERE x.extname = 'crm'
)
SELECT line FROM facts ORDER BY line COLLATE "C";
