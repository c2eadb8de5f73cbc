/*
 * kit/spi.h
 *	  SPI as crm uses it: statements prepared once per backend and kept,
 *	  result getters, running as the owner of the crm schema, and a typed
 *	  JSON builder for event details and payloads.
 */
#ifndef CRM_KIT_SPI_H
#define CRM_KIT_SPI_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"

/*
 * A statement prepared once per backend and kept (SPI_prepare + SPI_keepplan).
 * Declare one as a static with its text and argument types; crm_plan()
 * prepares it on first use.  custom (set it with .custom = true) asks for a
 * plan made for each call's values, for statements whose best plan depends
 * on them (a claim whose limit or instant changes the index to use).
 */
#define CRM_PLAN_MAX_ARGS 12
typedef struct CrmPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[CRM_PLAN_MAX_ARGS];
	SPIPlanPtr	plan;
	bool		custom;
} CrmPlan;

extern SPIPlanPtr crm_plan(CrmPlan *p);

/*
 * Runs a kept plan; returns SPI_processed.  nulls follows SPI's convention
 * (' ' not null, 'n' null) and may be NULL when no argument is null.
 */
extern uint64 crm_exec(CrmPlan *p, Datum *values, const char *nulls,
					   bool read_only, long tcount);

/*
 * Runs a kept plan read-only with the latest snapshot rather than the
 * transaction's (what a backend cache keeps: kit/backend_cache.h); returns
 * SPI_processed.
 */
extern uint64 crm_exec_latest(CrmPlan *p, Datum *values, const char *nulls, long tcount);

/* Result getters for row `row` (from 0) and column `col` (from 1) of SPI_tuptable. */
extern Datum crm_get(uint64 row, int col, bool *isnull);
extern int64 crm_get_int64(uint64 row, int col, bool *isnull);
extern bool crm_get_bool(uint64 row, int col, bool *isnull);
/*
 * A column that is an int8[] of exactly `want` elements (what a delegated
 * function returns its counts as) into out[want]; `what` names the function
 * in the error otherwise.
 */
extern void crm_get_int64_array(uint64 row, int col, int64 *out, int want, const char *what);
/* Text of a column, palloc'd in the memory current before SPI_connect (so it outlives SPI_finish), or NULL. */
extern char *crm_get_text(uint64 row, int col);
/* A column's value copied into the memory current before SPI_connect. */
extern Datum crm_get_copy(uint64 row, int col, bool *isnull);

/*
 * Row `row` as a composite of crm.<table>'s row type, copied like
 * crm_get_copy, from columns first..: the table's columns in order, as
 * "RETURNING x.*" or "SELECT x.*" gives them.  crm reads rows it returns so,
 * never as one whole-row column ("RETURNING x"): on Citus that column is of
 * the shard's row type (crm.leads_102008), which is not crm.leads.
 */
extern Datum crm_get_row_copy(uint64 row, int first, const char *table);

/*
 * Copies the first n rows of SPI_tuptable into a set-returning function's
 * result (InitMaterializedSRF done; the rows have the result's columns).
 */
typedef struct ReturnSetInfo ReturnSetInfo;
extern void crm_result_rows(ReturnSetInfo *rsinfo, uint64 n);

/*
 * Internal writes (history, counters, the outbox) run as the owner of the
 * crm schema, as PostgreSQL's RI triggers do: the caller's grants and
 * policies decide what it may touch, the rules then record what follows.
 */
typedef struct CrmUserSwitch
{
	Oid			saved_userid;
	int			saved_sec_context;
} CrmUserSwitch;

/* The owner of schema crm (who runs crm's internal writes). */
extern Oid	crm_schema_owner(void);
extern void crm_become_owner(CrmUserSwitch *save);
extern void crm_restore_user(CrmUserSwitch *save);

/* ---- JSON ---- */

/*
 * A JSON object built key by key, each value in its JSON type:
 *
 *	CrmJson j;
 *	crm_json_begin(&j);
 *	crm_json_int64(&j, "invoice_id", id, false);
 *	crm_json_text(&j, "reason", reason);
 *	detail = crm_json_jsonb(&j);
 */
typedef struct CrmJson
{
	StringInfoData buf;
	int			n;
} CrmJson;

extern void crm_json_begin(CrmJson *j);
extern void crm_json_text(CrmJson *j, const char *key, const char *value);	/* NULL: null */
extern void crm_json_int64(CrmJson *j, const char *key, int64 value, bool isnull);
extern void crm_json_bool(CrmJson *j, const char *key, bool value, bool isnull);
extern void crm_json_numeric(CrmJson *j, const char *key, Datum value, bool isnull);
extern void crm_json_timestamptz(CrmJson *j, const char *key, TimestampTz value, bool isnull);	/* ISO 8601, UTC */
/* A value of any type by its type: integers and numeric as numbers, bool, timestamptz as above, the rest as its text. */
extern void crm_json_datum(CrmJson *j, const char *key, Datum value, Oid typid, bool isnull);
extern Datum crm_json_jsonb(CrmJson *j);
extern char *crm_json_cstring(CrmJson *j);

#endif							/* CRM_KIT_SPI_H */
