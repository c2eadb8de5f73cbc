-- import (plpgsql): the same staged leads through the PL/pgSQL twin (plpgsql/80_import.sql).
SELECT crm_pl.import_leads(now());
