-- outbox.sql: the transactional outbox (C: src/outbox.c).  Rows are queued in
-- the transaction that decides to send them (emails from calls, charges from
-- autopay, deadline notifications) and delivered from outside the database;
-- dedup_key makes a second queueing of the same message a no-op.

