-- import (crm): every staged lead imported by one crm.import_run (old numbers kept,
-- names resolved, phones normalised, created events dated, past deadlines marked, the
-- kept counts and the counters moved); leads per second is the report's items/s.
SELECT sum(imported) FROM crm.import_run();
