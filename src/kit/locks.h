/*
 * kit/locks.h
 *	  Locks crm takes for itself that no tenant can take: row locks on rows of
 *	  crm.locks, a table no crm role holds any privilege on.  An advisory lock
 *	  would not do: any role may take any advisory key (and pg_locks shows the
 *	  keys in use), so a login of one account could stall another's writes.
 *
 * A lock is (account_id, key) and lasts until the transaction ends.  Keys are
 * named below, one range per use, so that two uses never share a row.
 * Connected to SPI (a lock's row is made by an INSERT, as the schema owner).
 */
#ifndef CRM_KIT_LOCKS_H
#define CRM_KIT_LOCKS_H

#include "postgres.h"

/* Keys 0 .. CRM_LOCK_PHONE_BUCKETS - 1: the phone buckets of linking. */
#define CRM_LOCK_PHONE_BUCKETS	64
/* The fold of an account's kept-up lead counts. */
#define CRM_LOCK_FOLD_COUNTS	1000
/* An account's import: shared by each statement that stages rows, taken by a run. */
#define CRM_LOCK_IMPORT			1001
/* Keys CRM_LOCK_SENDERS .. + CRM_LOCK_SENDER_BUCKETS - 1: the senders of crm.receive_message. */
#define CRM_LOCK_SENDERS		2000
#define CRM_LOCK_SENDER_BUCKETS 64

/* Waits for the lock. */
extern void crm_lock(int64 account_id, int32 key);
/* Waits for the lock, shared with others who take it shared (FOR SHARE). */
extern void crm_lock_shared(int64 account_id, int32 key);
/* Takes the lock if it is free; false when another transaction holds it. */
extern bool crm_try_lock(int64 account_id, int32 key);

#endif							/* CRM_KIT_LOCKS_H */
