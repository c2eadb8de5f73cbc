/*
 * kit/citus.h
 *	  Whether crm runs on Citus, and crm's own reads from inside a query on a
 *	  shard.
 *
 * On a Citus worker a policy runs inside the worker's query on a shard
 * (crm.leads_102008); a query it runs through SPI is a distributed query,
 * which Citus refuses there unless nested execution is allowed.  crm's
 * policies read only what lives beside the row (the employee of the row's
 * account, colocated) or on every node (a reference table), so the read is
 * local; crm_citus_nested_begin/end allow it for that one read.
 *
 *	int level = crm_citus_nested_begin();
 *	... SPI read of a colocated or reference table ...
 *	crm_citus_nested_end(level);
 */
#ifndef CRM_KIT_CITUS_H
#define CRM_KIT_CITUS_H

#include "postgres.h"

/* Whether the citus extension is installed in this database (asked once per transaction). */
extern bool crm_citus_active(void);

/*
 * Whether this backend runs a task of a distributed query for a Citus node
 * (a worker's part of the coordinator's transaction, which ends with PREPARE
 * TRANSACTION: no NOTIFY there).
 */
extern bool crm_citus_in_task(void);

/*
 * Allows a nested distributed read until crm_citus_nested_end (also undone
 * by an error, with the (sub)transaction).  0 and nothing done without Citus.
 */
extern int	crm_citus_nested_begin(void);
extern void crm_citus_nested_end(int level);

/*
 * crm_become_owner for a read of crm.<table>, except on the Citus
 * coordinator when the caller may read the table itself (its policies
 * decide what it sees): Citus refuses a connection as another user to a
 * shard this transaction wrote through the caller's, so crm does not switch
 * there after the caller's writes.  crm_restore_user undoes either.
 */
#include "kit/spi.h"
extern void crm_become_owner_to_read(CrmUserSwitch *save, const char *table);

#endif							/* CRM_KIT_CITUS_H */
