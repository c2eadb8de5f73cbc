/*
 * kit/by_key.h
 *	  One row of a crm table found by its primary key through the index
 *	  itself, without a query, for a lookup that SPI would only wrap around
 *	  one index probe (the account row a cache reads, a template by id).
 *
 * The row is read with the snapshot given and without the caller's grants or
 * row-level security, as crm's own reads run as the owner.  A Citus table
 * (kit/citus.h) has its rows in shards that only SQL reaches: there the same
 * lookup runs as the table's kept plan, through SPI, with the same snapshot.
 * Either way the row comes back as a CrmRow in the current memory, read
 * through the column map of the table or of the plan's result (the same
 * names: the plan selects the map's columns).
 *
 *	static CrmPlan account_plan = {"SELECT timezone FROM crm.accounts WHERE id = $1", 1, {INT8OID}};
 *	static CrmColumnMap account_columns = {"crm.accounts", 1, names};
 *	static CrmColumnMap account_result = {"crm.accounts", 1, names};
 *	static CrmKeyedTable accounts = {"accounts", "accounts_pkey", &account_plan,
 *									 &account_columns, &account_result};
 *
 *	if (crm_row_by_key(&accounts, &id, 1, snapshot, &row))
 *		timezone = crm_row_text(&row, 0);
 */
#ifndef CRM_KIT_BY_KEY_H
#define CRM_KIT_BY_KEY_H

#include "postgres.h"

#include "utils/snapshot.h"

#include "kit/spi.h"
#include "kit/trigger.h"

typedef struct CrmKeyedTable
{
	const char *table;			/* of schema crm */
	const char *index;			/* its primary key, on bigint columns */
	CrmPlan    *plan;			/* the lookup through SPI: the keys are $1, $2 */
	CrmColumnMap *table_columns;	/* the columns read, in the table */
	CrmColumnMap *result_columns;	/* the same names, in the plan's result */
} CrmKeyedTable;

/*
 * The row whose first nkeys key columns equal keys, visible to snapshot, into
 * *row (in the current memory); false when there is none.
 */
extern bool crm_row_by_key(const CrmKeyedTable *t, const int64 *keys, int nkeys,
						   Snapshot snapshot, CrmRow *row);

/*
 * The largest value of a bigint column among the rows whose first key
 * columns equal keys (SELECT max(column) ... WHERE k1 = $1 AND k2 = $2),
 * read from the end of an index on (k1, k2, column) through the index
 * itself: no query.  The snapshot is the one the query would have had as
 * SPI runs it read-write (the command counter advanced; a fresh snapshot
 * under READ COMMITTED, the transaction's under REPEATABLE READ), so rows
 * this statement wrote before are seen.  On a Citus table, through the plan
 * (read-write, as before); the caller is connected to SPI.
 */
typedef struct CrmKeyedMax
{
	const char *table;			/* of schema crm */
	const char *index;			/* on the key columns, then the column */
	CrmPlan    *plan;			/* the same as a query: keys $1, $2; one column */
} CrmKeyedMax;

/* The largest value, or false when no row has one. */
extern bool crm_max_by_key(const CrmKeyedMax *m, const int64 *keys, int nkeys, int64 *max);

#endif							/* CRM_KIT_BY_KEY_H */
