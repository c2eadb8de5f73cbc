/*
 * kit/direct_update.h
 *	  A row of crm's own counters (crm.number_sequences, crm.event_counters)
 *	  found by its key through the index, locked as UPDATE locks it and
 *	  changed in place, without an SQL statement.
 *
 *	static const char *const names[] = {"last_id"};	-- changed first, then read
 *	static CrmColumnMap columns = {"crm.event_counters", 1, names};
 *	static CrmUpdatedTable counters = {"event_counters", "event_counters_pkey", 1,
 *									   &columns, 1, NULL};
 *
 *	static void add_one(const CrmRow *old, Datum *values, bool *nulls, void *arg)
 *	{ values[0] = Int64GetDatum(crm_row_int64(old, 0, NULL) + 1); }
 *
 *	switch (crm_update_by_key(&counters, keys, add_one, NULL, &row))
 *	{ case CRM_UPDATE_DONE: ... row is the new version ...
 *	  case CRM_UPDATE_NO_ROW: ... none with that key (UPDATE 0) ...
 *	  case CRM_UPDATE_BY_SPI: ... the UPDATE through SPI, as before ... }
 *
 * What the UPDATE ... WHERE key = $1 gave, kept: the row is found in the
 * snapshot the statement would have (a fresh one under READ COMMITTED, the
 * transaction's under REPEATABLE READ) and locked FOR NO KEY UPDATE (the
 * lock an UPDATE of no key column takes, which foreign-key checks do not
 * wait for), waiting for a concurrent writer.  Under READ COMMITTED a row
 * another transaction changed meanwhile is followed to its newest version
 * and its key checked again (the UPDATE's recheck); one deleted counts as
 * none.  Under REPEATABLE READ or SERIALIZABLE a row changed or deleted by a
 * transaction this one does not see fails with 40001, as the UPDATE fails.
 * The new version is written by the table access method (HOT when it can
 * be), with NOT NULL and CHECK constraints checked and index entries made
 * when it is not HOT.  The command counter is advanced before and after, as
 * around SPI's UPDATE.
 *
 * The first nchanged columns of the map are the ones change() may set; none
 * may be a column of an index or a foreign key (so no foreign key's check,
 * which such an UPDATE skips, is left out), of a domain type or with a type
 * modifier.  CRM_UPDATE_BY_SPI where the UPDATE would do more: a Citus table
 * (kit/citus.h), a table whose row-level security applies to the current
 * role, stored generated columns, or an UPDATE trigger that is neither a
 * foreign key's nor one own_triggers names (whose rule the caller applies
 * itself).  The caller runs as the owner of the crm schema.
 */
#ifndef CRM_KIT_DIRECT_UPDATE_H
#define CRM_KIT_DIRECT_UPDATE_H

#include "postgres.h"

#include "fmgr.h"

#include "kit/trigger.h"

#define CRM_UPDATE_MAX_KEYS 2

typedef struct CrmUpdatedTable
{
	const char *table;			/* of schema crm */
	const char *index;			/* a unique index whose first nkeys columns are the key */
	int			nkeys;
	CrmColumnMap *columns;		/* the columns changed (first) and read */
	int			nchanged;
	const char *const *own_triggers;	/* NULL-terminated; NULL: none */
	/* kept by the kit */
	Oid			relid;			/* examined, InvalidOid: not yet (or forgotten) */
	Oid			indexid;
	bool		direct;
	FmgrInfo	key_eq[CRM_UPDATE_MAX_KEYS];	/* the recheck of a newer version's key */
	Oid			key_collation[CRM_UPDATE_MAX_KEYS];
	bool		registered;
} CrmUpdatedTable;

/* Sets values[i] and nulls[i] of the first nchanged columns from the old row. */
typedef void (*CrmRowChange) (const CrmRow *old, Datum *values, bool *nulls, void *arg);

typedef enum CrmUpdateResult
{
	CRM_UPDATE_DONE,
	CRM_UPDATE_NO_ROW,
	CRM_UPDATE_BY_SPI
} CrmUpdateResult;

/*
 * Changes the row whose key is keys (in the index's column order and types);
 * when done, *row is its new version (in the current memory, through the
 * table's column map).
 */
extern CrmUpdateResult crm_update_by_key(CrmUpdatedTable *t, const Datum *keys,
										 CrmRowChange change, void *arg, CrmRow *row);

#endif							/* CRM_KIT_DIRECT_UPDATE_H */
