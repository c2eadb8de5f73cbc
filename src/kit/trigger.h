/*
 * kit/trigger.h
 *	  What every crm trigger needs: its calling protocol checked, its rows,
 *	  columns found once per relation, changes to a row, and the one way to
 *	  return a tuple.
 *
 * A row trigger begins with crm_trigger_start(), may connect to SPI with
 * crm_trigger_connect(), and ends with crm_trigger_return(): the tuple it
 * returns is then in the memory of its caller (the executor), never in SPI's,
 * which SPI_finish frees.
 *
 * A restore (kit/restore.h) brings rows as they were dumped: a trigger that
 * acts on INSERT returns at once when t->restoring is set,
 *
 *	if (trig.restoring)
 *		return crm_trigger_return(&trig, trig.new);
 *
 * so that a restored row is neither numbered, linked, announced nor checked
 * again (its constraints and foreign keys still are).
 */
#ifndef CRM_KIT_TRIGGER_H
#define CRM_KIT_TRIGGER_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "commands/trigger.h"
#include "fmgr.h"

/* The events a trigger function accepts (a mask). */
#define CRM_ON_INSERT	0x01
#define CRM_ON_UPDATE	0x02
#define CRM_ON_DELETE	0x04
#define CRM_ON_TRUNCATE 0x08		/* fired for each statement, as TRUNCATE triggers are */

typedef enum CrmTriggerWhen
{
	CRM_BEFORE,
	CRM_AFTER
} CrmTriggerWhen;

typedef struct CrmTrigger
{
	TriggerData *data;
	TupleDesc	desc;
	Oid			relid;
	bool		is_insert;
	bool		is_update;
	bool		is_delete;
	HeapTuple	old;			/* the row before: UPDATE and DELETE, else NULL */
	HeapTuple	new;			/* the row after: INSERT and UPDATE, else NULL */
	MemoryContext caller;		/* where a returned tuple must live */
	bool		connected;		/* connected to SPI by crm_trigger_connect */
	bool		restoring;		/* an INSERT of a restore: leave the row as it is */
} CrmTrigger;

/*
 * Checks the calling protocol, as contrib/tcn does: called as a trigger, for
 * each row, before or after, by one of the events in the mask; raises 39P01
 * naming the function otherwise.  With CRM_ON_TRUNCATE in the mask it also
 * accepts TRUNCATE, which fires for each statement (t->old and t->new NULL).
 */
extern void crm_trigger_start(CrmTrigger *t, FunctionCallInfo fcinfo, const char *name,
							  CrmTriggerWhen when, int events);

/*
 * The same check for a statement trigger: for each statement, before or after
 * one of the events in the mask, and with the statement's transition tables
 * when transition_tables is set.  t->old and t->new are NULL; the transition
 * tables are t->data->tg_oldtable and tg_newtable.
 */
extern void crm_trigger_start_statement(CrmTrigger *t, FunctionCallInfo fcinfo, const char *name,
										CrmTriggerWhen when, int events, bool transition_tables);

/* Connects to SPI for the rest of the trigger (once; later calls do nothing). */
extern void crm_trigger_connect(CrmTrigger *t);

/*
 * Ends the trigger: the tuple (which may be NULL, t->old, t->new or one built
 * anywhere) is copied into the caller's memory when it is not there already,
 * then SPI is left if crm_trigger_connect connected it.
 */
extern Datum crm_trigger_return(CrmTrigger *t, HeapTuple tuple);

/* ---- columns found once per relation ---- */

#define CRM_MAX_MAP_COLUMNS 64

/*
 * The columns a concept reads, by name, resolved to attribute numbers the
 * first time a relation is seen and again after its relcache entry is
 * invalidated (ALTER TABLE).  Declare one per table as a static:
 *
 *	enum { LEAD_ID, LEAD_NUMBER, LEAD_NCOLUMNS };
 *	static const char *const lead_names[] = {"id", "number"};
 *	static CrmColumnMap lead_columns = {"crm.leads", LEAD_NCOLUMNS, lead_names};
 */
typedef struct CrmColumnMap
{
	const char *table;			/* for messages */
	int			ncolumns;
	const char *const *names;
	/* filled by crm_columns() */
	Oid			relid;
	bool		valid;
	bool		registered;
	AttrNumber	attnum[CRM_MAX_MAP_COLUMNS];
} CrmColumnMap;

/* Resolves map for the relation described by desc (relid) and returns it. */
extern const CrmColumnMap *crm_columns(CrmColumnMap *map, Oid relid, TupleDesc desc);

/* The same for a trigger's relation. */
static inline const CrmColumnMap *
crm_trigger_columns(CrmTrigger *t, CrmColumnMap *map)
{
	return crm_columns(map, t->relid, t->desc);
}

/*
 * The columns a trigger's arguments name (a trigger told which columns to
 * read, as crm._due_changed('deadline') is), as a map of its relation: kept
 * per trigger, and taken again from the trigger's arguments after a relcache
 * invalidation (CREATE OR REPLACE TRIGGER sends one too).
 */
extern const CrmColumnMap *crm_trigger_arg_columns(CrmTrigger *t);

/* ---- a row and its columns ---- */

typedef struct CrmRow
{
	HeapTuple	tuple;
	TupleDesc	desc;
	const CrmColumnMap *map;
} CrmRow;

extern Datum crm_row_get(const CrmRow *row, int col, bool *isnull);
extern bool crm_row_isnull(const CrmRow *row, int col);
extern int64 crm_row_int64(const CrmRow *row, int col, bool *isnull);
extern int32 crm_row_int32(const CrmRow *row, int col, bool *isnull);
extern bool crm_row_bool(const CrmRow *row, int col);	/* NULL reads as false */
extern char *crm_row_text(const CrmRow *row, int col);	/* palloc'd, or NULL */
extern char *crm_row_out(const CrmRow *row, int col);	/* the type's output text, or NULL */
/* A column into a JSON object, typed as crm_json_datum types it (kit/spi.h). */
struct CrmJson;
extern void crm_json_row(struct CrmJson *j, const char *key, const CrmRow *row, int col);

/* Same value in both rows: both NULL, or equal bytes once detoasted. */
extern bool crm_row_same(const CrmRow *a, const CrmRow *b, int col);

/* A tuple of a trigger's relation (t->old, t->new, ...) read through map. */
static inline CrmRow
crm_trigger_row(CrmTrigger *t, HeapTuple tuple, CrmColumnMap *map)
{
	CrmRow		row;

	row.tuple = tuple;
	row.desc = t->desc;
	row.map = crm_trigger_columns(t, map);
	return row;
}

/* ---- changes to a row ---- */

#define CRM_MAX_CHANGES 24

typedef struct CrmChanges
{
	int			n;
	int			attnums[CRM_MAX_CHANGES];
	Datum		values[CRM_MAX_CHANGES];
	bool		nulls[CRM_MAX_CHANGES];
} CrmChanges;

/* Sets column col (of row's map) to value; a later change of the same column wins. */
extern void crm_change(CrmChanges *ch, const CrmRow *row, int col, Datum value, bool isnull);
extern void crm_change_text(CrmChanges *ch, const CrmRow *row, int col, const char *value);

/* The row with the changes applied (the row itself when there are none). */
extern HeapTuple crm_changes_apply(const CrmRow *row, const CrmChanges *ch);

#endif							/* CRM_KIT_TRIGGER_H */
