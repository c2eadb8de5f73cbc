-- locks.sql: the rows of crm's own locks (kit/locks.c).  No crm role holds any
-- privilege on crm.locks, so no login can take, and so hold, one of them.
COMMENT ON TABLE crm.locks IS
    'One row per lock crm takes for itself (phone buckets of linking, the fold of lead counts); locked FOR UPDATE, never changed.';
