/*
 * kit/by_key.h
 *	  One row of a crm table found by its primary key through the index
 *	  itself, without a query: for a lookup that SPI would only wrap around
 *	  one index probe (the account row a cache reads).
 *
 * The row is read with the snapshot given and without the caller's grants or
 * row-level security, as crm's own reads run as the owner.  Not for a Citus
 * table, whose rows are in shards that only SQL reaches: crm_by_key_here()
 * says whether the table can be read here (kit/citus.h), and the caller goes
 * through SPI when it cannot.
 *
 *	static CrmKeyedTable accounts = {"accounts", "accounts_pkey"};
 *
 *	if (crm_by_key_here(&accounts))
 *		tuple = crm_by_key(&accounts, &id, 1, snapshot, &desc, &relid);
 *	else
 *		... the same through SPI ...
 */
#ifndef CRM_KIT_BY_KEY_H
#define CRM_KIT_BY_KEY_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/snapshot.h"

/* A table of schema crm and its primary key, on bigint columns. */
typedef struct CrmKeyedTable
{
	const char *table;
	const char *index;
} CrmKeyedTable;

/* Whether the table exists here with its rows (not a Citus table). */
extern bool crm_by_key_here(const CrmKeyedTable *t);

/*
 * The row whose first nkeys key columns equal keys, visible to snapshot, or
 * NULL; copied into the current memory, with a copy of the table's
 * descriptor in *desc and its oid in *relid (for crm_columns).
 */
extern HeapTuple crm_by_key(const CrmKeyedTable *t, const int64 *keys, int nkeys,
							Snapshot snapshot, TupleDesc *desc, Oid *relid);

#endif							/* CRM_KIT_BY_KEY_H */
