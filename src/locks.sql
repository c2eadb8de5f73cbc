-- locks.sql: the rows of crm's own locks (kit/locks.c).  No crm role holds any
-- privilege on crm.locks, so no login can take, and so hold, one of them.
COMMENT ON TABLE crm.locks IS
    'One row per lock crm takes for itself (phone buckets of linking, the fold of lead counts, an account''s import); locked FOR UPDATE or FOR SHARE, never changed.';
COMMENT ON COLUMN crm.locks.account_id IS 'The account whose work the lock serialises.';
COMMENT ON COLUMN crm.locks.key IS
    'Which lock: 0 to 63 the phone buckets of linking, 1000 the fold of the lead counts, 1001 an account''s import.';
