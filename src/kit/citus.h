/*
 * kit/citus.h
 *	  What crm needs to know of Citus, where it runs on a Citus node.
 *
 * On a Citus worker a trigger fires on a shard, and the SQL it runs reaches
 * the colocated shards of its account (Citus allows it inside a trigger).
 * Statements crm runs outside a trigger, in a backend Citus drives (the
 * events written when a transaction commits, a policy's read of the
 * employee or the login binding beside the row), Citus refuses as "a
 * distributed query from a query on a shard"; when they touch only the
 * shards of the accounts whose rows this node holds, or a reference table
 * (a copy on every node), they are as safe as a trigger's, and crm allows
 * them for their duration:
 *
 *	int level = crm_citus_nesting_begin();
 *	... SPI on the accounts this node holds ...
 *	crm_citus_nesting_end(level);
 *
 * Without Citus loaded they do nothing.
 *
 * And whether a relation is a Citus table (distributed, reference or local to
 * the coordinator: any relation of pg_dist_partition):
 *
 * On a Citus node the plain name of such a table is a shell: its rows are
 * in shards, which only SQL reaches (Citus routes a query to the shard that
 * holds the row).  Code that reads or writes a crm table directly (index
 * scans, tuple locks, table_tuple_insert) asks here first and goes through
 * SPI when the answer is true.
 *
 * The answer is kept per backend and forgotten on a relcache invalidation of
 * the relation (Citus sends one when it distributes or undistributes it).
 * Without the citus extension the answer is false, with no query.
 */
#ifndef CRM_KIT_CITUS_H
#define CRM_KIT_CITUS_H

#include "postgres.h"

#include "kit/spi.h"

/* Sets citus.allow_nested_distributed_execution for a while; returns the GUC nest level (0: no Citus). */
extern int	crm_citus_nesting_begin(void);
extern void crm_citus_nesting_end(int level);

/* Whether the citus extension is installed in this database (asked once per transaction). */
extern bool crm_citus_active(void);

/*
 * This node's Citus group (pg_dist_local_group): 0 on the coordinator (and on
 * a server with citus installed but no cluster), the worker's group on a
 * worker node; -1, with no query, without the citus extension.
 */
extern int64 crm_citus_local_group(void);

/*
 * Whether this backend runs a task of a distributed query for a Citus node
 * (a worker's part of the coordinator's transaction, which ends with PREPARE
 * TRANSACTION: no NOTIFY there).
 */
extern bool crm_citus_in_task(void);

/*
 * The name of the table a trigger fires for: in a task on a Citus worker the
 * relation is a shard (<table>_<shard id>), and crm's messages name the table.
 */
#include "utils/relcache.h"
extern const char *crm_citus_table_name(Relation rel);

/*
 * crm_become_owner for a read of crm.<table>, except on the Citus
 * coordinator when the caller may read the table itself (its policies
 * decide what it sees): Citus refuses a connection as another user to a
 * shard this transaction wrote through the caller's, so crm does not switch
 * there after the caller's writes.  crm_restore_user undoes either.
 */
extern void crm_become_owner_to_read(CrmUserSwitch *save, const char *table);

/*
 * Whether this backend's Citus counts itself inside the planning of a
 * subquery or CTE (Citus's GeneratingSubplans(), looked up in citus.so, not
 * linked): there it delegates no function call.  Citus 13.2 leaves it so for
 * the rest of the session after an error raised while it planned one, which
 * a subtransaction (or Citus itself, for a CTE it tried inlined) caught.
 * False without Citus loaded, or a Citus without the function.
 */
extern bool crm_citus_generating_subplans(void);

/* Whether relid is a Citus table; false, with no query, without citus. */
extern bool crm_relation_is_distributed(Oid relid);

#endif							/* CRM_KIT_CITUS_H */
