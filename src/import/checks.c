/*
 * import/checks.c
 *	  What every kind of an import checks: staged values against the ranges
 *	  of their columns, the keys of a chunk that clash with crm (numbers, ids,
 *	  the client named), and the counter an old number belongs to.
 *
 * C API (import/import.h): crm_import_*_ok, crm_import_time_text,
 * crm_import_find_taken, crm_import_drop_clashes, crm_import_counter,
 * crm_import_row_number.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "import/import.h"
#include "numbering.h"
#include "values.h"

/* ---- values ---- */

static char *
time_text(TimestampTz t)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t)));
}

bool
crm_import_time_ok(ImportRun *run, int64 staging_id, const char *table, const char *column,
				   TimestampTz t, bool isnull)
{
	if (isnull || crm_time_in_range(t))
		return true;
	crm_import_reject(run, staging_id, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
					  psprintf("%s \"%s\" is out of range", column, time_text(t)),
					  psprintf("%s.%s takes times from %s.", table, column, CRM_TIME_RANGE_TEXT),
					  "Give a finite time in that range.");
	return false;
}

bool
crm_import_past_ok(ImportRun *run, int64 staging_id, const char *table, const char *column,
				   TimestampTz t, bool isnull)
{
	if (!crm_import_time_ok(run, staging_id, table, column, t, isnull))
		return false;
	if (isnull || t <= run->as_of)
		return true;
	crm_import_reject(run, staging_id, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
					  psprintf("%s \"%s\" is after the import's time", column, time_text(t)),
					  psprintf("The import runs as of %s; what it brings happened before.",
							   run->as_of_text),
					  "Give the time it happened, or run crm.import_run with a later as_of.");
	return false;
}

bool
crm_import_date_ok(ImportRun *run, int64 staging_id, const char *table, const char *column,
				   Datum d, bool isnull)
{
	DateADT		date = DatumGetDateADT(d);
	DateADT		lo = date2j(1900, 1, 1) - POSTGRES_EPOCH_JDATE;
	DateADT		hi = date2j(10000, 1, 1) - POSTGRES_EPOCH_JDATE;

	if (isnull || (date >= lo && date < hi))
		return true;
	crm_import_reject(run, staging_id, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
					  psprintf("%s \"%s\" is out of range", column,
							   DatumGetCString(DirectFunctionCall1(date_out, d))),
					  psprintf("%s.%s takes dates from 1900-01-01 to 9999-12-31.", table, column),
					  "Give a finite date in that range.");
	return false;
}

/* a compared with 0 (which 0) or with the first amount too large (which 1). */
static int
numeric_compare(Datum a, int which)
{
	static Datum bounds[2];

	if (bounds[0] == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		bounds[0] = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
		bounds[1] = DirectFunctionCall3(numeric_in, CStringGetDatum("999999999999.995"),
										ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		MemoryContextSwitchTo(old);
	}
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, bounds[which]));
}

bool
crm_import_amount_ok(ImportRun *run, int64 staging_id, const char *table, const char *column,
					 Datum amount, bool isnull, bool positive)
{
	Numeric		num;
	const char *text;
	const char *range = positive ? "greater than 0" : "of at least 0";

	if (isnull)
		return true;
	num = DatumGetNumeric(amount);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, amount));
	if (numeric_is_nan(num) || numeric_is_inf(num))
		crm_import_reject(run, staging_id, ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("%s \"%s\" is not a number", column, text),
						  psprintf("%s.%s is %s; it takes numbers %s.", table, column, text, range),
						  psprintf("Give a finite number %s.", range));
	else if (positive ? numeric_compare(amount, 0) <= 0 : numeric_compare(amount, 0) < 0)
		crm_import_reject(run, staging_id, ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf(positive ? "%s %s is not positive" : "%s %s is negative", column, text),
						  psprintf("%s.%s is %s; it takes numbers %s.", table, column, text, range),
						  psprintf("Give a finite number %s.", range));
	else if (numeric_compare(amount, 1) >= 0)
		crm_import_reject(run, staging_id, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						  psprintf("%s %s is out of range", column, text),
						  psprintf("%s.%s takes numbers below 1000000000000, with two decimals.",
								   table, column),
						  "Give the amount in the account's currency.");
	else
		return true;
	return false;
}

bool
crm_import_id_ok(ImportRun *run, int64 staging_id, const char *what, int64 id)
{
	if (id >= 1 && id <= IMPORT_MAX_ID)
		return true;
	crm_import_reject(run, staging_id, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
					  psprintf("%s id %lld is out of range", what, (long long) id),
					  "An import keeps ids from 1 to " IMPORT_MAX_ID_TEXT ".",
					  psprintf("Give the id the %s had, or leave id empty for a new one.", what));
	return false;
}

char *
crm_import_time_text(TimestampTz t)
{
	return time_text(t);
}

void
crm_import_find_taken(ImportRun *run, CrmPlan *plan, Datum array, bool *taken)
{
	Datum		args[2] = {Int64GetDatum(run->account_id), array};
	CrmUserSwitch user;
	MemoryContext caller = CurrentMemoryContext;
	uint64		n;

	/* not read-only: it must see what the run wrote before (a new snapshot) */
	crm_become_owner(&user);
	n = crm_exec(plan, args, NULL, false, 0);
	crm_restore_user(&user);
	for (uint64 i = 0; i < n; i++)
		taken[crm_get_int64(i, 1, NULL) - 1] = true;
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
}

/* ---- keys that clash with crm ---- */

static CrmPlan clients_missing = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE u.id IS NOT NULL "
	"  AND NOT EXISTS (SELECT 1 FROM crm.clients c WHERE c.account_id = $1 AND c.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};

/* An array of ids, 0 standing for none (NULL). */
static Datum
ids_array(const int64 *ids, int n)
{
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));

	for (int i = 0; i < n; i++)
		nulls[i] = ids[i] == 0;
	return crm_import_int64_array(ids, nulls, n);
}

void
crm_import_drop_clashes(ImportRun *run, const ImportKeyRules *rules, int n, const int64 *staging_ids,
						char **numbers, const int64 *ids, const int64 *clients, bool *dropped)
{
	bool	   *dup_number = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *dup_id = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *taken_number = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *taken_id = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *no_client = palloc0(sizeof(bool) * Max(n, 1));
	const char *what = rules->what;

	if (numbers != NULL)
	{
		crm_import_duplicate_texts(numbers, n, dup_number);
		crm_import_find_taken(run, rules->numbers_taken, crm_import_text_array(numbers, n), taken_number);
	}
	crm_import_duplicate_ids(ids, n, dup_id);
	crm_import_find_taken(run, rules->ids_taken, ids_array(ids, n), taken_id);
	if (clients != NULL)
		crm_import_find_taken(run, &clients_missing, ids_array(clients, n), no_client);
	for (int i = 0; i < n; i++)
	{
		int64		sid = staging_ids[i];

		if (dropped[i])
			continue;
		dropped[i] = true;
		if (taken_number[i] || dup_number[i])
			crm_import_reject(run, sid, ERRCODE_UNIQUE_VIOLATION,
							  psprintf("%s number \"%s\" is already taken", what, numbers[i]),
							  taken_number[i]
							  ? psprintf("Account %lld has %s numbered \"%s\".", (long long) run->account_id,
										 rules->a_what, numbers[i])
							  : psprintf("An earlier staged %s of this import has the same number.", what),
							  psprintf("Each %s keeps its own number: give every %s another one, or leave number empty to number it from its template.",
									   what, what));
		else if (taken_id[i] || dup_id[i])
			crm_import_reject(run, sid, ERRCODE_UNIQUE_VIOLATION,
							  psprintf("%s id %lld is already taken", what, (long long) ids[i]),
							  taken_id[i]
							  ? psprintf("Account %lld has %s with id %lld.", (long long) run->account_id,
										 rules->a_what, (long long) ids[i])
							  : psprintf("An earlier staged %s of this import has the same id.", what),
							  psprintf("Give every %s its own id, or leave id empty for a new one.", what));
		else if (no_client[i])
			crm_import_reject(run, sid, ERRCODE_FOREIGN_KEY_VIOLATION,
							  psprintf("client %lld does not exist", (long long) clients[i]),
							  psprintf("Account %lld has no client with id %lld.",
									   (long long) run->account_id, (long long) clients[i]),
							  rules->client_required
							  ? "Stage the client in crm.import_clients with its id."
							  : "Stage the client in crm.import_clients with its id, or leave client_id empty.");
		else
			dropped[i] = false;
	}
}

/* ---- the counter of an old number ---- */

bool
crm_import_counter(ImportRun *run, ImportMap *counters, const char *tmpl, const char *number,
				   int64 *sequence_id, int64 *seq)
{
	MemoryContext caller = CurrentMemoryContext;
	CrmUserSwitch user;
	char	   *key;
	int64	   *counter;
	bool		found;

	if (number == NULL || !crm_number_match(tmpl, number, &key, seq))
		return false;
	counter = crm_import_map_slot(counters, key, &found);
	if (!found)
	{
		crm_become_owner(&user);
		*counter = crm_number_counter(run->account_id, key);
		crm_restore_user(&user);
		MemoryContextSwitchTo(caller);
	}
	*sequence_id = *counter;
	return true;
}

void
crm_import_row_number(ImportRun *run, ImportMap *counters, const char *tmpl, const char *number,
					  ImportRow *row, int number_col)
{
	int64		sequence_id,
				seq;

	crm_import_row_text(row, number_col, number);
	if (!crm_import_counter(run, counters, tmpl, number, &sequence_id, &seq))
		return;
	crm_import_row_set(row, number_col + 1, Int64GetDatum(sequence_id), false);
	crm_import_row_set(row, number_col + 2, Int64GetDatum(seq), false);
}
