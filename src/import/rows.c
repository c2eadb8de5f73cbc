/*
 * import/rows.c
 *	  What every kind of an import uses: rejects, rows built as composites of
 *	  their table, the set-based write of a chunk with its fallback, identity
 *	  sequences moved past imported ids, and the reading of staged rows.
 *
 * C API (import/import.h): crm_import_reject, crm_import_flush_rejects,
 * crm_import_table_open, crm_import_row_*, crm_import_rows_array,
 * crm_import_plan_rows, crm_import_next_id, crm_import_move_sequence,
 * crm_import_write, crm_import_write_history, crm_import_duplicate_*,
 * crm_import_*_array, crm_import_result_array,
 * crm_import_read_staged, crm_import_value*.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/sequence.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/typcache.h"

#include "import/import.h"
#include "values.h"

const char *const crm_import_kind_names[IMPORT_NKINDS] = {
	"client", "lead", "order", "invoice", "payment"
};

/* ---- arrays for parameters ---- */

Datum
crm_import_int64_array(const int64 *values, const bool *nulls, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_md_array(d, (bool *) nulls, 1, dims, lbs, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum
crm_import_text_array(char *const *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = values[i] == NULL;
		d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

/*
 * Column col (from 1) of the first n rows of SPI_tuptable as an array of
 * type, in the current memory context: it outlives the result.
 */
Datum
crm_import_result_array(uint64 n, int col, Oid type)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {(int) n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	for (uint64 i = 0; i < n; i++)
		d[i] = crm_get(i, col, &nulls[i]);
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, typlen, typbyval,
											  typalign));
}

/* ---- the history of what a chunk wrote ---- */

void
crm_import_write_history(ImportRun *run, CrmPlan *plan, Datum *args, char *nulls)
{
	CrmUserSwitch user;

	args[0] = Int64GetDatum(run->account_id);
	args[1] = Int64GetDatum(run->employee_id);
	nulls[1] = run->no_employee ? 'n' : ' ';
	args[2] = Int64GetDatum(run->batch_id);
	crm_become_owner(&user);
	crm_exec(plan, args, nulls, false, 0);
	crm_restore_user(&user);
}

/* ---- rejects ---- */

void
crm_import_reject(ImportRun *run, int64 staging_id, int sqlstate, const char *message,
				  const char *detail, const char *hint)
{
	MemoryContext old = MemoryContextSwitchTo(run->memory);
	ImportReject *r;

	if (run->nrejects == run->maxrejects)
	{
		run->maxrejects = Max(64, run->maxrejects * 2);
		run->rejects = run->rejects ? repalloc(run->rejects, sizeof(ImportReject) * run->maxrejects)
			: palloc(sizeof(ImportReject) * run->maxrejects);
	}
	r = &run->rejects[run->nrejects++];
	r->staging_id = staging_id;
	r->sqlstate = sqlstate;
	r->message = pstrdup(message);
	r->detail = detail ? pstrdup(detail) : NULL;
	r->hint = hint ? pstrdup(hint) : NULL;
	run->counts[run->kind].rejected++;
	MemoryContextSwitchTo(old);
}

#define REJECTS_INSERT(table) \
	"INSERT INTO crm.import_rejects (account_id, batch_id, kind, staging_id, sqlstate, " \
	"  message, detail, hint, staged_row) " \
	"SELECT $1, $2, $3, r.staging_id, r.sqlstate, r.message, r.detail, r.hint, " \
	"       pg_catalog.to_jsonb(s) OPERATOR(pg_catalog.-) 'account_id' " \
	"FROM ROWS FROM (pg_catalog.unnest($4::bigint[]), pg_catalog.unnest($5::text[]), " \
	"  pg_catalog.unnest($6::text[]), pg_catalog.unnest($7::text[]), pg_catalog.unnest($8::text[])) " \
	"  AS r(staging_id, sqlstate, message, detail, hint) " \
	"JOIN crm." table " s ON s.account_id = $1 AND s.staging_id = r.staging_id"
#define REJECTS_ARGS 8, {INT8OID, INT8OID, TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, \
	TEXTARRAYOID, TEXTARRAYOID}

static CrmPlan write_rejects[IMPORT_NKINDS] = {
	{REJECTS_INSERT("import_clients"), REJECTS_ARGS},
	{REJECTS_INSERT("import_leads"), REJECTS_ARGS},
	{REJECTS_INSERT("import_orders"), REJECTS_ARGS},
	{REJECTS_INSERT("import_invoices"), REJECTS_ARGS},
	{REJECTS_INSERT("import_payments"), REJECTS_ARGS},
};

void
crm_import_flush_rejects(ImportRun *run)
{
	int			n = run->nrejects;
	int64	   *ids;
	char	  **texts[4];
	Datum		args[8];
	CrmUserSwitch user;
	MemoryContext caller = CurrentMemoryContext;

	if (n == 0)
		return;
	ids = palloc(sizeof(int64) * n);
	for (int t = 0; t < 4; t++)
		texts[t] = palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		ImportReject *r = &run->rejects[i];

		ids[i] = r->staging_id;
		/* unpack_sql_state returns a static buffer */
		texts[0][i] = pstrdup(unpack_sql_state(r->sqlstate));
		texts[1][i] = r->message;
		texts[2][i] = r->detail;
		texts[3][i] = r->hint;
	}
	args[0] = Int64GetDatum(run->account_id);
	args[1] = Int64GetDatum(run->batch_id);
	args[2] = CStringGetTextDatum(crm_import_kind_names[run->kind]);
	args[3] = crm_import_int64_array(ids, NULL, n);
	for (int t = 0; t < 4; t++)
		args[4 + t] = crm_import_text_array(texts[t], n);
	crm_become_owner(&user);
	crm_exec(&write_rejects[run->kind], args, NULL, false, 0);
	crm_restore_user(&user);
	MemoryContextSwitchTo(caller);
	run->nrejects = 0;
}

/* ---- rows of a table ---- */

void
crm_import_table_open(ImportRun *run, ImportTable *table)
{
	MemoryContext old = MemoryContextSwitchTo(run->memory);
	Oid			rowtype;

	table->relid = get_relname_relid(table->name, get_namespace_oid("crm", false));
	if (!OidIsValid(table->relid))
		elog(ERROR, "crm: table crm.%s is missing", table->name);
	rowtype = get_rel_type_id(table->relid);
	table->arraytype = get_array_type(rowtype);
	table->desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
	table->id_sequence = getIdentitySequence(table->relid, get_attnum(table->relid, "id"), false);
	crm_columns(table->map, table->relid, table->desc);
	MemoryContextSwitchTo(old);
}

void
crm_import_row_start(ImportTable *table, ImportRow *row)
{
	int			natts = table->desc->natts;

	row->table = table;
	row->values = palloc0(sizeof(Datum) * natts);
	row->nulls = palloc(sizeof(bool) * natts);
	memset(row->nulls, true, sizeof(bool) * natts);
}

void
crm_import_row_set(ImportRow *row, int col, Datum value, bool isnull)
{
	AttrNumber	attnum = row->table->map->attnum[col];

	row->values[attnum - 1] = isnull ? (Datum) 0 : value;
	row->nulls[attnum - 1] = isnull;
}

void
crm_import_row_text(ImportRow *row, int col, const char *value)
{
	crm_import_row_set(row, col, value ? CStringGetTextDatum(value) : (Datum) 0, value == NULL);
}

void
crm_import_row_numeric(ImportRow *row, int col, Datum value, bool isnull)
{
	AttrNumber	attnum = row->table->map->attnum[col];
	int32		typmod = TupleDescAttr(row->table->desc, attnum - 1)->atttypmod;

	if (!isnull && typmod >= 0)
		value = DirectFunctionCall2(numeric, value, Int32GetDatum(typmod));
	crm_import_row_set(row, col, value, isnull);
}

Datum
crm_import_row_datum(ImportRow *row)
{
	HeapTuple	tuple = heap_form_tuple(row->table->desc, row->values, row->nulls);

	return heap_copy_tuple_as_datum(tuple, row->table->desc);
}

Datum
crm_import_rows_array(ImportTable *table, Datum *rows, int n)
{
	return PointerGetDatum(construct_array(rows, n, table->desc->tdtypeid, -1, false,
										   TYPALIGN_DOUBLE));
}

void
crm_import_plan_rows(CrmPlan *plan, ImportTable *table)
{
	if (plan->argtypes[0] == table->arraytype)
		return;
	if (plan->plan != NULL)
	{
		SPI_freeplan(plan->plan);
		plan->plan = NULL;
	}
	plan->argtypes[0] = table->arraytype;
}

/* Marks dup[i] for the places whose key an earlier place has (order: the given one). */
static const int64 *sort_keys;

static int
compare_places(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;

	if (sort_keys[i] != sort_keys[j])
		return sort_keys[i] < sort_keys[j] ? -1 : 1;
	return i - j;
}

void
crm_import_duplicate_ids(const int64 *ids, int n, bool *dup)
{
	int		   *places = palloc(sizeof(int) * Max(n, 1));
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (ids[i] != 0)
			places[m++] = i;
	sort_keys = ids;
	qsort(places, m, sizeof(int), compare_places);
	for (int k = 1; k < m; k++)
		if (ids[places[k]] == ids[places[k - 1]])
			dup[places[k]] = true;
	pfree(places);
}

void
crm_import_duplicate_texts(char *const *texts, int n, bool *dup)
{
	ImportMap  *seen = crm_import_map_create(n);

	for (int i = 0; i < n; i++)
	{
		bool		found;

		if (texts[i] == NULL)
			continue;
		(void) crm_import_map_slot(seen, texts[i], &found);
		if (found)
			dup[i] = true;
	}
}

int64
crm_import_next_id(ImportTable *table)
{
	return nextval_internal(table->id_sequence, false);
}

static CrmPlan sequence_last = {
	"SELECT pg_catalog.pg_sequence_last_value($1)", 1, {REGCLASSOID}
};
static CrmPlan sequence_set = {
	"SELECT pg_catalog.setval($1, $2)", 2, {REGCLASSOID, INT8OID}
};

/*
 * ShareRowExclusiveLock (what ALTER SEQUENCE takes) waits for every
 * transaction holding the sequence (nextval holds RowExclusiveLock to its
 * end) and keeps new ones out while the position is read and set, so no id
 * is given twice; it is let go at once, as the position is not
 * transactional.
 */
void
crm_import_move_sequence(ImportTable *table, int64 max_id)
{
	Datum		args[2] = {ObjectIdGetDatum(table->id_sequence), Int64GetDatum(max_id)};
	CrmUserSwitch user;
	MemoryContext caller = CurrentMemoryContext;
	bool		isnull;
	int64		last;

	if (max_id <= 0)
		return;
	LockRelationOid(table->id_sequence, ShareRowExclusiveLock);
	crm_become_owner(&user);
	crm_exec(&sequence_last, args, NULL, false, 1);
	last = crm_get_int64(0, 1, &isnull);
	if (isnull || last < max_id)
		crm_exec(&sequence_set, args, NULL, false, 1);
	crm_restore_user(&user);
	UnlockRelationOid(table->id_sequence, ShareRowExclusiveLock);
	MemoryContextSwitchTo(caller);
}

/* ---- writing a chunk ---- */

/* Errors that are not a row's fault: they end the run. */
static bool
error_ends_run(int sqlerrcode)
{
	int			category = ERRCODE_TO_CATEGORY(sqlerrcode);

	return category == ERRCODE_TRANSACTION_ROLLBACK ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_SYSTEM_ERROR ||
		category == ERRCODE_INTERNAL_ERROR ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/* Writes [lo, hi) in a subtransaction; false with *error when it failed. */
static bool
try_write(ImportRun *run, void *chunk, int lo, int hi, ImportWriteFn write, ErrorData **error)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool written = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		write(run, chunk, lo, hi);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		written = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (error_ends_run(edata->sqlerrcode))
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		*error = edata;
	}
	PG_END_TRY();
	return written;
}

static void
write_range(ImportRun *run, void *chunk, int lo, int hi, ImportWriteFn write,
			ImportStagingIdFn staging_id, bool *written)
{
	ErrorData  *error = NULL;
	int			mid;

	if (lo >= hi)
		return;
	if (try_write(run, chunk, lo, hi, write, &error))
	{
		run->counts[run->kind].imported += hi - lo;
		for (int i = lo; written && i < hi; i++)
			written[i] = true;
		return;
	}
	if (hi - lo == 1)
	{
		crm_import_reject(run, staging_id(chunk, lo), error->sqlerrcode, error->message,
						  error->detail, error->hint);
		FreeErrorData(error);
		return;
	}
	FreeErrorData(error);
	mid = lo + (hi - lo) / 2;
	write_range(run, chunk, lo, mid, write, staging_id, written);
	write_range(run, chunk, mid, hi, write, staging_id, written);
}

void
crm_import_write(ImportRun *run, void *chunk, int n, ImportWriteFn write,
				 ImportStagingIdFn staging_id, bool *written)
{
	write_range(run, chunk, 0, n, write, staging_id, written);
}

/* ---- reading staged rows ---- */

Datum
crm_import_value(SPITupleTable *staged, uint64 i, int col, bool *isnull)
{
	return SPI_getbinval(staged->vals[i], staged->tupdesc, col, isnull);
}

char *
crm_import_value_text(SPITupleTable *staged, uint64 i, int col)
{
	bool		isnull;
	Datum		d = crm_import_value(staged, i, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

int64
crm_import_value_int64(SPITupleTable *staged, uint64 i, int col, bool *isnull)
{
	Datum		d = crm_import_value(staged, i, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

void
crm_import_read_staged(ImportRun *run, CrmPlan *plan, ImportChunkFn chunk_fn, void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[2] = {Int64GetDatum(run->account_id), Int64GetDatum(run->batch_id)};
	CrmUserSwitch user;
	Portal		portal;

	/* not read-only: it sees what the run wrote before it (rejects, clients) */
	crm_become_owner(&user);
	portal = SPI_cursor_open(NULL, crm_plan(plan), args, NULL, false);
	crm_restore_user(&user);
	for (;;)
	{
		uint64		n;
		SPITupleTable *chunk;

		crm_become_owner(&user);
		SPI_cursor_fetch(portal, true, IMPORT_CHUNK);
		crm_restore_user(&user);
		n = SPI_processed;
		chunk = SPI_tuptable;
		if (n == 0)
			break;
		MemoryContextReset(run->chunk);
		MemoryContextSwitchTo(run->chunk);
		chunk_fn(run, chunk, n, arg);
		crm_import_flush_rejects(run);
		SPI_freetuptable(chunk);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(caller);
}
