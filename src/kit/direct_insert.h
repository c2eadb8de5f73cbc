/*
 * kit/direct_insert.h
 *	  Rows crm appends to its own tables (a lead's history, the count
 *	  changes) written through the table access method and the indexes, as
 *	  the executor's INSERT writes them, without an SQL statement per row.
 *
 * A write opens the table once for its rows and closes it after them:
 *
 *	static const char *const event_names[] = {"account_id", "lead_id", "at", ...};
 *	static CrmColumnMap event_columns = {"crm.lead_events", 3, event_names};
 *	static const char *const event_triggers[] = {"lead_events_values", NULL};
 *	static CrmDirectTable events = {"lead_events", &event_columns, event_triggers};
 *
 *	CrmDirectWrite *w = crm_direct_begin(&events);
 *	if (w == NULL)
 *		... the INSERT through SPI, as before ...
 *	else
 *	{
 *		crm_direct_insert(w, values, nulls);	-- in the map's order
 *		crm_direct_end(w);
 *	}
 *
 * A row is written as INSERT would write it: a value is brought to its
 * column's type modifier (numeric(16, 2) rounds to cents and refuses what
 * does not fit, as the INSERT's assignment does); the table's identity column,
 * when the caller does not give it, takes its sequence's next value; NOT
 * NULL and CHECK constraints are checked (ExecConstraints); every index gets
 * its entry, unique ones checked at once.  Every other column the caller
 * does not give must have no default (the caller gives what the default
 * would: now() is the transaction's start), which the kit checks once per
 * version of the table's definition.  Like SPI's INSERT, a write gets a
 * command id of its own and the commands after it see its rows.
 *
 * crm_direct_begin returns NULL, and the caller writes through SPI, where
 * the INSERT would do more than this: a Citus table (kit/citus.h; its rows
 * are in shards only SQL reaches), a table whose row-level security applies
 * to the current role (crm's writes run as the owner, which it does not
 * apply to unless FORCE ROW LEVEL SECURITY; nor does crm's _account_guard
 * trigger then, which the kit knows), stored generated
 * columns, a column of a domain type (its constraints), a deferrable unique index, an identity column that is not
 * bigint, or a trigger on INSERT that own_triggers does not name (a foreign
 * key's check is such a trigger: an RI check crm does not prove keeps the
 * statement; one in proven_keys is proven by the caller).  A trigger own_triggers names is one whose rule the caller
 * applies to the row itself.  Heap inserts are logged as the executor's
 * are: logical decoding and publications see them as usual.
 *
 * The caller runs as the owner of the crm schema (the rows are crm's own
 * write; no grant or policy is asked).
 */
#ifndef CRM_KIT_DIRECT_INSERT_H
#define CRM_KIT_DIRECT_INSERT_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/relcache.h"

#include "kit/trigger.h"

#define CRM_DIRECT_MAX_TYPMODS 4

/* A given column whose type modifier the value is brought to (numeric(16, 2)). */
typedef struct CrmDirectTypmod
{
	int			col;			/* in the caller's order */
	int32		typmod;
	FmgrInfo	fn;				/* the type's length coercion */
} CrmDirectTypmod;

typedef struct CrmDirectTable
{
	const char *table;			/* of schema crm */
	CrmColumnMap *columns;		/* the columns the caller gives, in its order */
	const char *const *own_triggers;	/* NULL-terminated; NULL: none */
	/* kept by the kit */
	Oid			relid;			/* examined, InvalidOid: not yet (or forgotten) */
	bool		direct;			/* the verdict on relid */
	AttrNumber	identity;		/* the identity column the caller leaves, 0: none */
	Oid			sequence;		/* its sequence */
	int			ntypmods;
	CrmDirectTypmod typmods[CRM_DIRECT_MAX_TYPMODS];
	bool		registered;

	/*
	 * NULL-terminated names of foreign keys whose check the caller proves for
	 * every row it writes (NULL: none): the referenced row is one this
	 * transaction holds against a DELETE or a change of its key by anyone
	 * else (it wrote the row, locked it FOR UPDATE or FOR NO KEY UPDATE, or a
	 * foreign key's check locked it FOR KEY SHARE), so the check would find
	 * it and lock what is locked.  Such a key's INSERT check is left out
	 * rather than sending the table to SPI; the referenced table's own
	 * triggers (ON DELETE, ON UPDATE) are untouched.
	 */
	const char *const *proven_keys;
} CrmDirectTable;

typedef struct CrmDirectWrite CrmDirectWrite;

/* Opens t for writing its rows directly; NULL when they go through SPI (see above). */
extern CrmDirectWrite *crm_direct_begin(CrmDirectTable *t);

/*
 * Writes one row: values and nulls in the order of t->columns.  Returns the
 * value the identity column took (0 when the caller gave every column).
 */
extern int64 crm_direct_insert(CrmDirectWrite *w, const Datum *values, const bool *nulls);

/* Closes the table (its lock is kept to the end of the transaction). */
extern void crm_direct_end(CrmDirectWrite *w);

/*
 * For kit/direct_update.c: the executor's state for one result relation
 * (what ExecConstraints and ExecInsertIndexTuples read), its indexes open,
 * in memory of its own; and whether an INSERT (or UPDATE) would fire a
 * trigger of rel the writer cannot leave out: one that own_triggers does not
 * name, is not crm's _account_guard (see crm_direct_begin) and, for an
 * UPDATE of no key column, not a foreign key's (which skips such a row).
 */
typedef struct CrmResultRelation
{
	struct EState *estate;
	struct ResultRelInfo *rri;
} CrmResultRelation;

extern void crm_result_relation_open(CrmResultRelation *r, Relation rel, CommandId cid);
extern void crm_result_relation_close(CrmResultRelation *r);
extern bool crm_direct_foreign_triggers(Relation rel, const char *const *own_triggers,
										bool update);

/*
 * Opens crm.<table> (its oid kept in *kept, forgotten on an invalidation)
 * with RowExclusiveLock; NULL when its rows go through SPI (a Citus table).
 * Then crm_direct_allowed: whether the write may go on directly, given the
 * verdict on the table and this role's row-level security (false: rel is
 * closed); it checks what the executor checks first for command (a
 * read-only or parallel transaction).
 */
extern Relation crm_direct_open(const char *table, Oid *kept, bool *registered);
extern bool crm_direct_allowed(Relation rel, bool direct, const char *command);

#endif							/* CRM_KIT_DIRECT_INSERT_H */
