/*
 * import/payments.c
 *	  Payments from crm.import_payments, of the invoices of the same run.
 *
 * Payments are facts of history here: each is checked on its own first
 * (crm_import_payments_check, before the invoices, whose state is made from
 * the payments that pass), then recorded on its invoice, which came in the
 * state they gave it (import/invoices.c): the payment trigger judges nothing
 * and moves nothing, and a failed payment alerts no one (alerts.c).  Each
 * payment's event is dated at its time.  A payment names its invoice by
 * number, and only an invoice imported by the same run: a payment of an
 * invoice already in crm goes through crm.record_payment.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "import/import.h"

enum
{
	P_ACCOUNT_ID, P_ID, P_INVOICE_ID, P_KIND, P_AMOUNT, P_SUCCEEDED, P_FAILURE_REASON,
	P_EXTERNAL_ID, P_AT, P_NCOLUMNS
};
static const char *const payment_names[] = {
	"account_id", "id", "invoice_id", "kind", "amount", "succeeded", "failure_reason",
	"external_id", "at"
};
static CrmColumnMap payment_columns = {"crm.payments", P_NCOLUMNS, payment_names};

ImportTable crm_import_payment_table = {"payments", &payment_columns};

enum
{
	S_STAGING_ID = 1, S_ID, S_INVOICE_NUMBER, S_KIND, S_AMOUNT, S_SUCCEEDED, S_FAILURE_REASON,
	S_EXTERNAL_ID, S_AT
};

#define STAGED_PAYMENT_COLUMNS \
	"SELECT s.staging_id, s.id, s.invoice_number, s.kind, s.amount, s.succeeded, " \
	"  s.failure_reason, s.external_id, s.at FROM crm.import_payments s WHERE s.account_id = $1 "

static CrmPlan read_payments = {
	STAGED_PAYMENT_COLUMNS "ORDER BY s.staging_id",
	2, {INT8OID, INT8OID}
};
/* The staged payments that passed the check. */
static CrmPlan read_checked_payments = {
	STAGED_PAYMENT_COLUMNS
	"AND NOT EXISTS (SELECT 1 FROM crm.import_rejects r WHERE r.account_id = $1 "
	"  AND r.batch_id = $2 AND r.kind = 'payment' AND r.staging_id = s.staging_id) "
	"ORDER BY s.staging_id",
	2, {INT8OID, INT8OID}
};

static const char *const kinds[] = {"payment", "prepayment", "autopay", "refund"};

/* ---- the check, before the invoices ---- */

static CrmPlan ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.payments p WHERE p.account_id = $1 AND p.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};
static CrmPlan external_ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(external_id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.payments p WHERE p.account_id = $1 AND p.external_id = u.external_id)",
	2, {INT8OID, TEXTARRAYOID}
};

/* The ids and external ids of the payments checked so far (the run's memory). */
typedef struct PaymentKeys
{
	ImportMap  *ids;
	ImportMap  *external_ids;
} PaymentKeys;

static bool
required(ImportRun *run, int64 sid, bool isnull, const char *column, const char *hint)
{
	if (!isnull)
		return true;
	crm_import_reject(run, sid, ERRCODE_NOT_NULL_VIOLATION,
					  psprintf("payment has no %s", column), psprintf("%s is empty.", column), hint);
	return false;
}

static bool
check_payment(ImportRun *run, PaymentKeys *keys, SPITupleTable *t, uint64 i, int64 *id_out,
			  char **external_out)
{
	bool		isnull,
				id_null,
				amount_null,
				at_null;
	int64		sid = crm_import_value_int64(t, i, S_STAGING_ID, &isnull);
	int64		id = crm_import_value_int64(t, i, S_ID, &id_null);
	Datum		amount = crm_import_value(t, i, S_AMOUNT, &amount_null);
	TimestampTz at = DatumGetTimestampTz(crm_import_value(t, i, S_AT, &at_null));
	char	   *kind = crm_import_value_text(t, i, S_KIND);
	char	   *external = crm_import_value_text(t, i, S_EXTERNAL_ID);
	bool		known = kind == NULL;
	bool		found;

	for (int k = 0; k < lengthof(kinds) && !known; k++)
		known = strcmp(kind, kinds[k]) == 0;
	if ((!id_null && !crm_import_id_ok(run, sid, "payment", id)) ||
		!required(run, sid, crm_import_value_text(t, i, S_INVOICE_NUMBER) == NULL, "invoice_number",
				  "Give the number of the payment's invoice, staged in crm.import_invoices.") ||
		!required(run, sid, amount_null, "amount", "Give the amount paid, greater than 0.") ||
		!required(run, sid, at_null, "at", "Give the time the payment was made."))
		return false;
	if (!known)
	{
		crm_import_reject(run, sid, ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("payment kind \"%s\" is not known", kind),
						  "A payment's kind is one of payment, prepayment, autopay, refund.",
						  "Give one of those, or leave kind empty for payment.");
		return false;
	}
	if (!crm_import_amount_ok(run, sid, "crm.payments", "amount", amount, false, true) ||
		!crm_import_past_ok(run, sid, "crm.payments", "at", at, false))
		return false;
	if (!id_null && (crm_import_map_slot(keys->ids, psprintf(INT64_FORMAT, id), &found), found))
	{
		crm_import_reject(run, sid, ERRCODE_UNIQUE_VIOLATION,
						  psprintf("payment id %lld is already taken", (long long) id),
						  "An earlier staged payment of this import has the same id.",
						  "Give every payment its own id, or leave id empty for a new one.");
		return false;
	}
	if (external != NULL && (crm_import_map_slot(keys->external_ids, external, &found), found))
	{
		crm_import_reject(run, sid, ERRCODE_UNIQUE_VIOLATION,
						  psprintf("payment external_id \"%s\" is already taken", external),
						  "An earlier staged payment of this import has the same external_id.",
						  "A payment provider's id is reported once: leave out the repeated payment.");
		return false;
	}
	*id_out = id_null ? 0 : id;
	*external_out = external;
	return true;
}

static void
check_chunk(ImportRun *run, SPITupleTable *staged, uint64 n, void *arg)
{
	int64	   *sids = palloc(sizeof(int64) * n);
	int64	   *ids = palloc(sizeof(int64) * n);
	char	  **externals = palloc(sizeof(char *) * n);
	bool	   *taken_id = palloc0(sizeof(bool) * n);
	bool	   *taken_external = palloc0(sizeof(bool) * n);
	bool		isnull;
	int			m = 0;

	run->counts[IMPORT_PAYMENT].staged += n;
	for (uint64 i = 0; i < n; i++)
		if (check_payment(run, arg, staged, i, &ids[m], &externals[m]))
			sids[m++] = crm_import_value_int64(staged, i, S_STAGING_ID, &isnull);
	crm_import_find_taken(run, &ids_taken, crm_import_int64_array(ids, NULL, m), taken_id);
	crm_import_find_taken(run, &external_ids_taken, crm_import_text_array(externals, m),
						  taken_external);
	for (int i = 0; i < m; i++)
		if (taken_id[i])
			crm_import_reject(run, sids[i], ERRCODE_UNIQUE_VIOLATION,
							  psprintf("payment id %lld is already taken", (long long) ids[i]),
							  psprintf("Account %lld has a payment with id %lld.",
									   (long long) run->account_id, (long long) ids[i]),
							  "Give every payment its own id, or leave id empty for a new one.");
		else if (taken_external[i])
			crm_import_reject(run, sids[i], ERRCODE_UNIQUE_VIOLATION,
							  psprintf("payment external_id \"%s\" is already taken", externals[i]),
							  psprintf("Account %lld has a payment with external_id \"%s\".",
									   (long long) run->account_id, externals[i]),
							  "A payment provider's id is reported once: leave out the payment crm already has.");
}

void
crm_import_payments_check(ImportRun *run)
{
	PaymentKeys keys;

	run->kind = IMPORT_PAYMENT;
	keys.ids = crm_import_map_create_in(run->memory, 64);
	keys.external_ids = crm_import_map_create_in(run->memory, 64);
	crm_import_read_staged(run, &read_payments, check_chunk, &keys);
}

/* ---- recording them ---- */

typedef struct PaymentChunk
{
	int64	   *staging_ids;
	Datum	   *rows;
} PaymentChunk;

static const CrmWriteScope import_scope = {CRM_WRITE_IMPORT, NULL, NULL};

static CrmPlan insert_payments = {
	"INSERT INTO crm.payments AS p (account_id, id, invoice_id, kind, amount, succeeded, "
	"  failure_reason, external_id, at) "
	"SELECT r.account_id, r.id, r.invoice_id, r.kind, r.amount, r.succeeded, r.failure_reason, "
	"  r.external_id, r.at "
	"FROM pg_catalog.unnest($1) AS r "
	"RETURNING p.id",
	1, {InvalidOid}
};

/* Each payment's event, dated when it was made, as payments.c writes it. */
static CrmPlan insert_events = {
	"INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail) "
	"SELECT $1, p.invoice_id, p.at, $2, "
	"  CASE WHEN NOT p.succeeded THEN 'payment_failed' WHEN p.kind = 'refund' THEN 'refund' "
	"       ELSE 'payment' END, "
	"  pg_catalog.jsonb_build_object('payment_id', p.id, 'kind', p.kind, 'amount', p.amount, "
	/* the time as the triggers write it: ISO 8601 in UTC with its offset */
	"    'at', (pg_catalog.to_jsonb(p.at AT TIME ZONE 'UTC') #>> '{}') || '+00:00', "
	"    'failure_reason', p.failure_reason, "
	"    'external_id', p.external_id, 'import_batch', $3) "
	"FROM crm.payments p WHERE p.account_id = $1 AND p.id = ANY ($4::bigint[]) "
	"ORDER BY p.id",
	4, {INT8OID, INT8OID, INT8OID, INT8ARRAYOID}
};

static void
write_payments(ImportRun *run, void *arg, int lo, int hi)
{
	PaymentChunk *c = arg;
	Datum		rows = crm_import_rows_array(&crm_import_payment_table, c->rows + lo, hi - lo);
	uint64		n = crm_write_exec(&import_scope, &insert_payments, &rows, NULL);
	Datum		args[4];
	char		nulls[5] = "    ";

	MemoryContextSwitchTo(run->chunk);
	args[3] = crm_import_result_array(n, 1, INT8OID);
	SPI_freetuptable(SPI_tuptable);
	crm_import_write_history(run, &insert_events, args, nulls);
}

static int64
payment_staging_id(void *arg, int i)
{
	return ((PaymentChunk *) arg)->staging_ids[i];
}

static void
payment_chunk(ImportRun *run, SPITupleTable *t, uint64 n, void *arg)
{
	PaymentChunk c;
	int			kept = 0;

	c.staging_ids = palloc(sizeof(int64) * n);
	c.rows = palloc(sizeof(Datum) * n);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull,
					id_null;
		int64		sid = crm_import_value_int64(t, i, S_STAGING_ID, &isnull);
		int64		id = crm_import_value_int64(t, i, S_ID, &id_null);
		char	   *number = crm_import_value_text(t, i, S_INVOICE_NUMBER);
		char	   *kind = crm_import_value_text(t, i, S_KIND);
		Datum		succeeded = crm_import_value(t, i, S_SUCCEEDED, &isnull);
		int64		invoice;
		ImportRow	row;

		if (!crm_import_map_get(run->invoices, number, &invoice))
		{
			crm_import_reject(run, sid, ERRCODE_FOREIGN_KEY_VIOLATION,
							  psprintf("invoice \"%s\" is not imported", number),
							  psprintf("This import brought no invoice numbered \"%s\" (or rejected it: see crm.import_rejects).",
									   number),
							  "Stage the payment's invoice in crm.import_invoices; record a payment on an invoice crm already has with crm.record_payment.");
			continue;
		}
		crm_import_row_start(&crm_import_payment_table, &row);
		crm_import_row_set(&row, P_ACCOUNT_ID, Int64GetDatum(run->account_id), false);
		crm_import_row_set(&row, P_ID, Int64GetDatum(id_null ? crm_import_next_id(&crm_import_payment_table) : id),
						   false);
		crm_import_row_set(&row, P_INVOICE_ID, Int64GetDatum(invoice), false);
		crm_import_row_text(&row, P_KIND, kind ? kind : "payment");
		crm_import_row_numeric(&row, P_AMOUNT, crm_import_value(t, i, S_AMOUNT, &id_null), false);
		crm_import_row_set(&row, P_SUCCEEDED, isnull ? BoolGetDatum(true) : succeeded, false);
		crm_import_row_text(&row, P_FAILURE_REASON, crm_import_value_text(t, i, S_FAILURE_REASON));
		crm_import_row_text(&row, P_EXTERNAL_ID, crm_import_value_text(t, i, S_EXTERNAL_ID));
		crm_import_row_set(&row, P_AT, crm_import_value(t, i, S_AT, &id_null), false);
		c.staging_ids[kept] = sid;
		c.rows[kept] = crm_import_row_datum(&row);
		kept++;
	}
	crm_import_write(run, &c, kept, write_payments, payment_staging_id, NULL);
}

void
crm_import_payments(ImportRun *run)
{
	run->kind = IMPORT_PAYMENT;
	crm_import_plan_rows(&insert_payments, &crm_import_payment_table);
	crm_import_read_staged(run, &read_checked_payments, payment_chunk, NULL);
}
