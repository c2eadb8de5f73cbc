/*
 * import/import.h
 *	  What the files of the import family share: an import from another CRM,
 *	  from the staging tables (src/schema/import.sql) into crm's own.
 *
 * The family:
 *	run.c		crm.import_run, crm.import_staged, crm.import_clear, the staging
 *				lock (the trigger import_00_stage); the order of a run
 *	rows.c		what every kind uses: rejects, rows built as composites of
 *				their table, the set-based write of a chunk with its fallback,
 *				identity sequences moved past imported ids, reading staged rows
 *	checks.c	what every kind checks: values, keys that clash with crm, the
 *				counter of an old number
 *	names.c		the account's names (lead types, statuses, employees,
 *				campaigns, locations) and a map of strings
 *	clients.c	clients and their phones
 *	leads.c		leads: old numbers kept, history dated, deadlines marked
 *	orders.c	orders, linked to their leads
 *	invoices.c	invoices in the state their payments give them
 *	payments.c	payments of the invoices of the same run
 *
 * How a kind is imported: its staged rows are read in chunks (as the owner;
 * only crm reads staging tables); each row is checked in C against the
 * account's names and the rules, and either rejected (crm.import_rejects:
 * its staging id, SQLSTATE, message, detail and hint) or built whole as a
 * row of its table; rows of the chunk that clash with rows already in crm
 * (numbers, ids) are found with one query each.  The good rows are then
 * written by one statement per chunk, as the caller (grants, policies and
 * the customer right apply), in a CRM_WRITE_IMPORT scope that tells the
 * triggers the row is whole (kit/system_write.h).  A chunk that still fails
 * is written again in halves, each in a subtransaction, down to the one row
 * that fails, which is rejected with its error.
 */
#ifndef CRM_IMPORT_IMPORT_H
#define CRM_IMPORT_IMPORT_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "datatype/timestamp.h"

#include "crm.h"

/* Staged rows read and checked at a time. */
#define IMPORT_CHUNK 10000
/* Imported ids run from 1 to this (so that no import can use up a sequence). */
#define IMPORT_MAX_ID INT64CONST(1000000000000000)
#define IMPORT_MAX_ID_TEXT "1000000000000000"

typedef enum ImportKind
{
	IMPORT_CLIENT,
	IMPORT_LEAD,
	IMPORT_ORDER,
	IMPORT_INVOICE,
	IMPORT_PAYMENT,
	IMPORT_NKINDS
} ImportKind;

/* "client", "lead", ... (crm.import_rejects.kind) */
extern const char *const crm_import_kind_names[IMPORT_NKINDS];

typedef struct ImportCounts
{
	int64		staged;
	int64		imported;
	int64		rejected;
} ImportCounts;

typedef struct ImportReject
{
	int64		staging_id;
	int			sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;
} ImportReject;

/* The map of strings of names.c (opaque). */
typedef struct ImportMap ImportMap;

typedef struct ImportRun
{
	int64		account_id;
	int64		batch_id;
	int64		employee_id;
	bool		no_employee;
	TimestampTz as_of;			/* the run's now */
	char	   *as_of_text;
	char	   *region;			/* the account's default region */
	char	   *timezone;
	char	   *order_template;
	char	   *invoice_template;
	MemoryContext memory;		/* for the whole run */
	MemoryContext chunk;		/* reset before each chunk */
	ImportCounts counts[IMPORT_NKINDS];
	/* the kind being imported and its rejects not written yet */
	ImportKind	kind;
	ImportReject *rejects;
	int			nrejects;
	int			maxrejects;
	/* invoice number -> id of the invoices this run imported (payments.c) */
	ImportMap  *invoices;
} ImportRun;

/* ---- rows.c: rejects ---- */

/* Rejects a staged row of the current kind; the texts are copied. */
extern void crm_import_reject(ImportRun *run, int64 staging_id, int sqlstate,
							  const char *message, const char *detail, const char *hint);
/* Writes the rejects held (as the owner, connected to SPI). */
extern void crm_import_flush_rejects(ImportRun *run);

/* ---- rows.c: rows of a table, as composites ---- */

typedef struct ImportTable
{
	const char *name;			/* "leads", in schema crm */
	CrmColumnMap *map;			/* the columns the import writes */
	Oid			relid;
	Oid			arraytype;		/* the array of its row type */
	TupleDesc	desc;
	Oid			id_sequence;	/* the identity sequence of its id */
} ImportTable;

typedef struct ImportRow
{
	ImportTable *table;
	Datum	   *values;
	bool	   *nulls;
} ImportRow;

/* Finds the table, its row type and its id sequence (once per run). */
extern void crm_import_table_open(ImportRun *run, ImportTable *table);
/* A row with every column NULL, in the current memory context. */
extern void crm_import_row_start(ImportTable *table, ImportRow *row);
extern void crm_import_row_set(ImportRow *row, int col, Datum value, bool isnull);
extern void crm_import_row_text(ImportRow *row, int col, const char *value);
/* A numeric, rounded to the scale of its column (its range is checked before). */
extern void crm_import_row_numeric(ImportRow *row, int col, Datum value, bool isnull);
extern Datum crm_import_row_datum(ImportRow *row);
/* An array of row datums of the table, for "unnest($1::crm.<table>[])". */
extern Datum crm_import_rows_array(ImportTable *table, Datum *rows, int n);
/*
 * Makes plan's first argument the table's array of rows (a plan kept for the
 * array of an older row type, from before the extension was made again, is
 * prepared again).
 */
extern void crm_import_plan_rows(CrmPlan *plan, ImportTable *table);
/* A new id from the table's identity sequence. */
extern int64 crm_import_next_id(ImportTable *table);

/*
 * Moves the table's identity sequence past max_id (when it is behind), so
 * that the next id it gives is free.  Holds the sequence only while it moves
 * it: it waits for the transactions that took ids from it to end.
 */
extern void crm_import_move_sequence(ImportTable *table, int64 max_id);

/* ---- rows.c: writing a chunk ---- */

/*
 * Writes rows [lo, hi) of a chunk with set-based statements; raises on any
 * error (the whole range is then undone).
 */
typedef void (*ImportWriteFn) (ImportRun *run, void *chunk, int lo, int hi);
/* The staging id of row i of a chunk. */
typedef int64 (*ImportStagingIdFn) (void *chunk, int i);

/*
 * Writes rows [0, n) of the chunk: in one subtransaction, and after an error
 * in halves, each in its own, down to single rows; a single row that fails is
 * rejected with its error.  Errors that are not the row's (cancel, out of
 * memory, deadlock, serialization) end the run.  Counts what is imported;
 * sets written[i] for each row written (written may be NULL).
 */
extern void crm_import_write(ImportRun *run, void *chunk, int n, ImportWriteFn write,
							 ImportStagingIdFn staging_id, bool *written);

/*
 * Marks dup[i] for each row whose value an earlier row of the chunk has
 * (0 or NULL: none): ids and texts (numbers, external ids).
 */
extern void crm_import_duplicate_ids(const int64 *ids, int n, bool *dup);
extern void crm_import_duplicate_texts(char *const *texts, int n, bool *dup);
/* Arrays for parameters (NULL strings are NULL elements). */
extern Datum crm_import_int64_array(const int64 *values, const bool *nulls, int n);
extern Datum crm_import_text_array(char *const *values, int n);
/*
 * Column col (from 1) of the first n rows of SPI_tuptable as an array of
 * type, in the current memory context (it outlives the result).
 */
extern Datum crm_import_result_array(uint64 n, int col, Oid type);

/*
 * Writes the history rows of a chunk (lead or invoice events) through plan,
 * as the owner: fills $1 with the run's account, $2 its employee (NULL
 * without one) and $3 its batch; the caller gives args[3...] (the chunk's
 * arrays) and nulls for them.
 */
extern void crm_import_write_history(ImportRun *run, CrmPlan *plan, Datum *args, char *nulls);

/*
 * Reads the account's staged rows of plan (which takes the account id and the
 * batch id) in chunks as the owner: calls chunk_fn for each chunk of n rows, in run->chunk
 * (reset before each), then writes the chunk's rejects.
 */
typedef void (*ImportChunkFn) (ImportRun *run, SPITupleTable *staged, uint64 n, void *arg);
extern void crm_import_read_staged(ImportRun *run, CrmPlan *plan, ImportChunkFn chunk_fn, void *arg);

/* Column col (from 1) of row i of a chunk; text in the current memory context or NULL. */
extern Datum crm_import_value(SPITupleTable *staged, uint64 i, int col, bool *isnull);
extern char *crm_import_value_text(SPITupleTable *staged, uint64 i, int col);
extern int64 crm_import_value_int64(SPITupleTable *staged, uint64 i, int col, bool *isnull);

/* ---- checks.c: values ---- */

/*
 * Checks a staged value against its column's range; false after rejecting
 * the row (column: "created_at"; table: "crm.leads").
 */
extern bool crm_import_time_ok(ImportRun *run, int64 staging_id, const char *table,
							   const char *column, TimestampTz t, bool isnull);
/* A time of the past: in range and not after the run's as_of. */
extern bool crm_import_past_ok(ImportRun *run, int64 staging_id, const char *table,
							   const char *column, TimestampTz t, bool isnull);
extern bool crm_import_date_ok(ImportRun *run, int64 staging_id, const char *table,
							   const char *column, Datum d, bool isnull);
/* An amount: a number, at least 0 (greater with positive), below 10^12. */
extern bool crm_import_amount_ok(ImportRun *run, int64 staging_id, const char *table,
								 const char *column, Datum amount, bool isnull, bool positive);
/* An id to keep: from 1 to IMPORT_MAX_ID. */
extern bool crm_import_id_ok(ImportRun *run, int64 staging_id, const char *what, int64 id);
/* "2024-01-02 03:04:05+00", whatever the session's TimeZone */
extern char *crm_import_time_text(TimestampTz t);

/*
 * The rows of a chunk whose value is already taken in crm: plan takes
 * (account_id, values[]) and returns the 1-based places in the array of the
 * values found.  taken[i] is set for each; values may hold NULLs.
 */
extern void crm_import_find_taken(ImportRun *run, CrmPlan *plan, Datum array, bool *taken);

/* ---- checks.c: keys ---- */

/* What a kind's keys are: its name and the queries for what crm already has. */
typedef struct ImportKeyRules
{
	const char *what;			/* "lead" */
	const char *a_what;			/* "a lead" */
	CrmPlan    *numbers_taken;	/* (account, text[]) -> places of numbers taken */
	CrmPlan    *ids_taken;		/* (account, bigint[]) -> places of ids taken */
	bool		client_required;	/* the hint of a missing client */
} ImportKeyRules;

/*
 * Rejects the rows of a chunk (those not dropped yet) whose number or id crm
 * already has or an earlier row of the chunk has, or whose client does not
 * exist, and sets dropped[i] for them.  numbers may be NULL (kinds without
 * numbers); ids are the ids given, 0 for a new one; clients may be NULL, 0
 * for none.
 */
extern void crm_import_drop_clashes(ImportRun *run, const ImportKeyRules *rules, int n,
									const int64 *staging_ids, char **numbers, const int64 *ids,
									const int64 *clients, bool *dropped);

/*
 * The place of an old number among tmpl's counters (numbering.h): the
 * counter row's id (locked for the rest of the run; counters maps the
 * counters met so far) and the number's place; false when tmpl does not make
 * it (or it is NULL).
 */
extern bool crm_import_counter(ImportRun *run, ImportMap *counters, const char *tmpl,
							   const char *number, int64 *sequence_id, int64 *seq);

/*
 * Sets a row's number (column number_col) and, when tmpl makes it, its
 * counter and place (the next two columns of the table's map: number_seq_id
 * and number_seq).
 */
extern void crm_import_row_number(ImportRun *run, ImportMap *counters, const char *tmpl,
								  const char *number, ImportRow *row, int number_col);

/* ---- names.c ---- */

/* A map of strings to int64, in the current memory (keys are copied). */
extern ImportMap *crm_import_map_create(int size);
extern ImportMap *crm_import_map_create_in(MemoryContext memory, int size);
/* The value of key, entered (as 0, *found false) when missing. */
extern int64 *crm_import_map_slot(ImportMap *map, const char *key, bool *found);
extern bool crm_import_map_get(ImportMap *map, const char *key, int64 *value);

/* The account's names of one kind: lead types, statuses, campaigns, locations. */
typedef struct ImportName
{
	const char *name;
	int64		id;
	int64		extra;			/* lead type: its initial status; status: 1 when open */
	const char *text;			/* lead type: its number template; status: its kind */
} ImportName;

typedef struct ImportNames
{
	const char *what;			/* "lead type" */
	const char *plural;			/* "lead types" */
	const char *table;			/* "crm.lead_types" */
	ImportName *items;
	int			n;
	ImportMap  *by_name;
	char	   *listing;		/* "\"New\", \"Won\"" for hints */
	int64		default_index;	/* lead types: the default one, or -1 */
} ImportNames;

/* Reads the names of one kind of the run's account (as the owner, connected). */
extern ImportNames *crm_import_lead_types(ImportRun *run);
extern ImportNames *crm_import_statuses(ImportRun *run);
extern ImportNames *crm_import_campaigns(ImportRun *run);
extern ImportNames *crm_import_locations(ImportRun *run);
/* The entry named name, or NULL after rejecting the row (23503). */
extern const ImportName *crm_import_name(ImportRun *run, int64 staging_id, ImportNames *names,
										 const char *column, const char *name);

/* The employees of the account, by email (any case) and by name. */
typedef struct ImportEmployees ImportEmployees;
extern ImportEmployees *crm_import_employees(ImportRun *run);
/*
 * The employee given by email or name (column says which staged column), or
 * false after rejecting the row: none (23503) or several (21000).
 */
extern bool crm_import_employee(ImportRun *run, int64 staging_id, ImportEmployees *employees,
								const char *column, const char *given, int64 *employee_id);

/* ---- the kinds ---- */

extern void crm_import_clients(ImportRun *run);
extern void crm_import_leads(ImportRun *run);
extern void crm_import_orders(ImportRun *run);
extern void crm_import_invoices(ImportRun *run);
extern void crm_import_payments_check(ImportRun *run);
extern void crm_import_payments(ImportRun *run);

/* Each kind's table for the sequences moved first (clients.c, leads.c, ...). */
extern ImportTable crm_import_client_table;
extern ImportTable crm_import_lead_table;
extern ImportTable crm_import_order_table;
extern ImportTable crm_import_invoice_table;
extern ImportTable crm_import_payment_table;

#endif							/* CRM_IMPORT_IMPORT_H */
