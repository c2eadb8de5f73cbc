/*
 * import/invoices.c
 *	  Invoices from crm.import_invoices, in the state their payments gave
 *	  them.
 *
 * A staged invoice keeps its id, number (placed in the counter of the
 * account's invoice template when that could have made it), client, manager
 * or none, amount and created_at.  Its staged payments (import/payments.c,
 * which checks them first) make its paid and refunded amounts and its status:
 * awaiting with no successful payment, refunded when refunds reach what was
 * paid, paid when what is paid reaches the amount, prepaid before.  A status
 * given must agree with that; cancelled (of an awaiting or prepaid invoice)
 * and deleted (of one not paid) are kept as given, as the invoice rules move
 * them.  Its income is what the payments brought, it was paid (paid_at) when
 * its last payment was made, and its status changed at its last payment or
 * refund.  The 'created' event is dated at created_at; the payments write
 * their own events.  Autopay is off, and no call is scheduled.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "import/import.h"

enum
{
	I_ACCOUNT_ID, I_ID, I_NUMBER, I_NUMBER_SEQUENCE_ID, I_NUMBER_SEQ, I_CLIENT_ID, I_MANAGER_ID,
	I_STATUS, I_AMOUNT, I_PAID_AMOUNT, I_REFUNDED_AMOUNT, I_AUTOPAY_COUNT, I_NOTE, I_SOURCE,
	I_CHANNEL, I_PARTNER, I_TAG, I_CREATED_AT, I_UPDATED_AT, I_STATUS_CHANGED_AT, I_INCOME,
	I_PAID_AT, I_NCOLUMNS
};
static const char *const invoice_names[] = {
	"account_id", "id", "number", "number_sequence_id", "number_seq", "client_id", "manager_id",
	"status", "amount", "paid_amount", "refunded_amount", "autopay_count", "note", "source",
	"channel", "partner", "tag", "created_at", "updated_at", "status_changed_at", "income",
	"paid_at"
};
static CrmColumnMap invoice_columns = {"crm.invoices", I_NCOLUMNS, invoice_names};

ImportTable crm_import_invoice_table = {"invoices", &invoice_columns};

enum
{
	S_STAGING_ID = 1, S_ID, S_NUMBER, S_CLIENT_ID, S_MANAGER, S_STATUS, S_AMOUNT, S_CREATED_AT,
	S_NOTE, S_SOURCE, S_CHANNEL, S_PARTNER, S_TAG
};

/* The staged rows with a number first, then those without (numbered after them). */
static CrmPlan read_invoices_numbered = {
	"SELECT staging_id, id, number, client_id, manager, status, amount, created_at, note, source, "
	"  channel, partner, tag "
	"FROM crm.import_invoices WHERE account_id = $1 AND number IS NOT NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};
static CrmPlan read_invoices_unnumbered = {
	"SELECT staging_id, id, number, client_id, manager, status, amount, created_at, note, source, "
	"  channel, partner, tag "
	"FROM crm.import_invoices WHERE account_id = $1 AND number IS NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};

typedef struct InvoiceNames
{
	ImportEmployees *employees;
	ImportMap  *counters;
} InvoiceNames;

typedef struct InvoiceChunk
{
	int			n;
	int64	   *staging_ids;
	ImportRow  *rows;
	Datum	   *datums;
	int64	   *ids;			/* the ids given (0: a new one) */
	int64	   *invoice_ids;	/* the ids written */
	char	  **numbers;
	int64	   *clients;
	char	  **statuses;		/* as given, or NULL */
	Datum	   *amounts;
	TimestampTz *created;
	bool	   *dropped;
	bool	   *written;
} InvoiceChunk;

static bool
status_known(const char *status)
{
	static const char *const known[] = {"awaiting", "prepaid", "paid", "cancelled", "refunded", "deleted"};

	for (int i = 0; i < lengthof(known); i++)
		if (strcmp(status, known[i]) == 0)
			return true;
	return false;
}

static void
resolve_invoice(ImportRun *run, InvoiceNames *names, SPITupleTable *t, uint64 i, InvoiceChunk *c)
{
	bool		isnull,
				id_null,
				client_null,
				amount_null,
				created_null;
	int64		sid = crm_import_value_int64(t, i, S_STAGING_ID, &isnull);
	int64		id = crm_import_value_int64(t, i, S_ID, &id_null);
	int64		client = crm_import_value_int64(t, i, S_CLIENT_ID, &client_null);
	Datum		amount = crm_import_value(t, i, S_AMOUNT, &amount_null);
	TimestampTz created = DatumGetTimestampTz(crm_import_value(t, i, S_CREATED_AT, &created_null));
	char	   *manager = crm_import_value_text(t, i, S_MANAGER);
	char	   *status = crm_import_value_text(t, i, S_STATUS);
	int64		manager_id = 0;
	ImportRow  *row;
	int			k;

	if (!id_null && !crm_import_id_ok(run, sid, "invoice", id))
		return;
	if (client_null)
	{
		crm_import_reject(run, sid, ERRCODE_NOT_NULL_VIOLATION, "invoice has no client",
						  "client_id is empty.", "Give the id of the invoice's client.");
		return;
	}
	if (status != NULL && !status_known(status))
	{
		crm_import_reject(run, sid, ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("invoice status \"%s\" is not known", status),
						  "An invoice's status is one of awaiting, prepaid, paid, cancelled, refunded, deleted.",
						  "Give one of those, or leave status empty to take it from the invoice's payments.");
		return;
	}
	if ((manager != NULL &&
		 !crm_import_employee(run, sid, names->employees, "manager", manager, &manager_id)) ||
		!crm_import_amount_ok(run, sid, "crm.invoices", "amount", amount, amount_null, false) ||
		!crm_import_past_ok(run, sid, "crm.invoices", "created_at", created, created_null))
		return;
	if (amount_null)
		amount = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	k = c->n++;
	row = &c->rows[k];
	crm_import_row_start(&crm_import_invoice_table, row);
	crm_import_row_set(row, I_ACCOUNT_ID, Int64GetDatum(run->account_id), false);
	c->invoice_ids[k] = id_null ? crm_import_next_id(&crm_import_invoice_table) : id;
	crm_import_row_set(row, I_ID, Int64GetDatum(c->invoice_ids[k]), false);
	crm_import_row_number(run, names->counters, run->invoice_template,
						  crm_import_value_text(t, i, S_NUMBER), row, I_NUMBER);
	crm_import_row_set(row, I_CLIENT_ID, Int64GetDatum(client), false);
	crm_import_row_set(row, I_MANAGER_ID, Int64GetDatum(manager_id), manager == NULL);
	crm_import_row_numeric(row, I_AMOUNT, amount, false);
	crm_import_row_text(row, I_NOTE, crm_import_value_text(t, i, S_NOTE));
	crm_import_row_text(row, I_SOURCE, crm_import_value_text(t, i, S_SOURCE));
	crm_import_row_text(row, I_CHANNEL, crm_import_value_text(t, i, S_CHANNEL));
	crm_import_row_text(row, I_PARTNER, crm_import_value_text(t, i, S_PARTNER));
	crm_import_row_text(row, I_TAG, crm_import_value_text(t, i, S_TAG));
	crm_import_row_set(row, I_CREATED_AT, TimestampTzGetDatum(created_null ? run->as_of : created), false);
	c->staging_ids[k] = sid;
	c->ids[k] = id_null ? 0 : id;
	c->numbers[k] = crm_import_value_text(t, i, S_NUMBER);
	c->clients[k] = client;
	c->statuses[k] = status;
	c->amounts[k] = amount;
	c->created[k] = created_null ? run->as_of : created;
}

/* ---- what clashes with crm, and what the payments make ---- */

static CrmPlan numbers_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(number, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.invoices v WHERE v.account_id = $1 AND v.number = u.number)",
	2, {INT8OID, TEXTARRAYOID}
};
static CrmPlan ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.invoices v WHERE v.account_id = $1 AND v.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};
static const ImportKeyRules invoice_keys = {"invoice", "an invoice", &numbers_taken, &ids_taken, true};

/*
 * What the staged payments of each invoice number add up to, leaving out
 * those payments.c rejected: paid, refunded, the last successful one's time,
 * the successful autopay charges, the last successful payment's time.
 */
static CrmPlan payments_made = {
	"SELECT u.i, "
	"  coalesce(sum(p.amount) FILTER (WHERE p.ok AND p.kind <> 'refund'), 0), "
	"  coalesce(sum(p.amount) FILTER (WHERE p.ok AND p.kind = 'refund'), 0), "
	"  max(p.at) FILTER (WHERE p.ok), "
	"  count(*) FILTER (WHERE p.ok AND p.kind = 'autopay')::int4, "
	"  max(p.at) FILTER (WHERE p.ok AND p.kind <> 'refund') "
	"FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(number, i) "
	"JOIN (SELECT s.invoice_number, coalesce(s.kind, 'payment') AS kind, s.amount, s.at, "
	"             coalesce(s.succeeded, true) AS ok "
	"      FROM crm.import_payments s "
	"      WHERE s.account_id = $1 AND s.invoice_number = ANY ($2::text[]) "
	"        AND NOT EXISTS (SELECT 1 FROM crm.import_rejects r WHERE r.account_id = $1 "
	"                        AND r.batch_id = $3 AND r.kind = 'payment' AND r.staging_id = s.staging_id)) p "
	"  ON p.invoice_number = u.number "
	"GROUP BY u.i",
	3, {INT8OID, TEXTARRAYOID, INT8OID}
};

static int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

static const char *
num_text(Datum a)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, a));
}

/* The status the payments give an invoice (refunds are at most what was paid). */
static const char *
status_of(Datum amount, Datum paid, Datum refunded, bool any)
{
	if (!any)
		return "awaiting";
	if (num_cmp(refunded, paid) == 0)
		return "refunded";
	if (num_cmp(DirectFunctionCall2(numeric_sub, paid, refunded), amount) >= 0)
		return "paid";
	return "prepaid";
}

/* What the staged payments of an invoice add up to. */
typedef struct InvoicePaid
{
	Datum		paid;
	Datum		refunded;
	bool		any;			/* a successful payment or refund */
	TimestampTz last;			/* the last of them */
	bool		paid_null;		/* no successful payment */
	TimestampTz last_paid;		/* the last successful payment */
	int32		charges;		/* successful autopay charges */
} InvoicePaid;

/* Sets the state of invoice i from its payments; false after rejecting it. */
static bool
invoice_state(ImportRun *run, InvoiceChunk *c, int i, const InvoicePaid *p)
{
	Datum		paid = p->paid;
	Datum		refunded = p->refunded;
	const char *made = status_of(c->amounts[i], paid, refunded, p->any);
	const char *given = c->statuses[i];
	const char *status = given ? given : made;
	ImportRow  *row = &c->rows[i];
	TimestampTz changed = p->any && p->last > c->created[i] ? p->last : c->created[i];
	bool		was_paid = strcmp(made, "paid") == 0 || strcmp(made, "refunded") == 0;

	if (num_cmp(refunded, paid) > 0)
	{
		crm_import_reject(run, c->staging_ids[i], ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("refunds of invoice %s are more than was paid",
								   c->numbers[i] ? psprintf("\"%s\"", c->numbers[i])
								   : "without a number"),
						  psprintf("Its staged payments pay %s and refund %s.", num_text(paid),
								   num_text(refunded)),
						  "Stage the payments that were refunded, or leave out the refunds.");
		return false;
	}
	/* as the invoice rules move them: cancelled from awaiting or prepaid, deleted unless paid */
	if (given != NULL && strcmp(given, made) != 0 &&
		!(strcmp(given, "deleted") == 0 && strcmp(made, "paid") != 0) &&
		!(strcmp(given, "cancelled") == 0 &&
		  (strcmp(made, "awaiting") == 0 || strcmp(made, "prepaid") == 0)))
	{
		crm_import_reject(run, c->staging_ids[i], ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("status \"%s\" of invoice %s does not agree with its payments", given,
								   c->numbers[i] ? psprintf("\"%s\"", c->numbers[i])
								   : "without a number"),
						  psprintf("Its staged payments pay %s and refund %s of %s, which makes it \"%s\"%s.",
								   num_text(paid), num_text(refunded), num_text(c->amounts[i]), made,
								   strcmp(given, "cancelled") == 0 ? ", and a paid or refunded invoice is not cancelled"
								   : strcmp(given, "deleted") == 0 ? ", and a paid invoice is not deleted" : ""),
						  "Leave status empty to take it from the payments, or stage the payments that made it so.");
		return false;
	}
	crm_import_row_text(row, I_STATUS, status);
	crm_import_row_numeric(row, I_PAID_AMOUNT, paid, false);
	crm_import_row_numeric(row, I_REFUNDED_AMOUNT, refunded, false);
	/* income is what the payments brought; paid when its last payment made it paid */
	crm_import_row_numeric(row, I_INCOME, DirectFunctionCall2(numeric_sub, paid, refunded), false);
	crm_import_row_set(row, I_PAID_AT, TimestampTzGetDatum(p->last_paid), !was_paid || p->paid_null);
	crm_import_row_set(row, I_AUTOPAY_COUNT, Int32GetDatum(p->charges), false);
	crm_import_row_set(row, I_UPDATED_AT, TimestampTzGetDatum(changed), false);
	crm_import_row_set(row, I_STATUS_CHANGED_AT, TimestampTzGetDatum(changed), false);
	return true;
}

static void
apply_payments(ImportRun *run, InvoiceChunk *c)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	Datum		args[3] = {Int64GetDatum(run->account_id), crm_import_text_array(c->numbers, c->n),
	Int64GetDatum(run->batch_id)};
	InvoicePaid *made = palloc0(sizeof(InvoicePaid) * Max(c->n, 1));
	CrmUserSwitch user;
	uint64		found;

	for (int i = 0; i < c->n; i++)
	{
		made[i].paid = made[i].refunded = zero;
		made[i].paid_null = true;
	}
	crm_become_owner(&user);
	found = crm_exec(&payments_made, args, NULL, false, 0);
	crm_restore_user(&user);
	MemoryContextSwitchTo(caller);
	for (uint64 r = 0; r < found; r++)
	{
		bool		isnull,
					none;
		InvoicePaid *p = &made[crm_get_int64(r, 1, NULL) - 1];
		TimestampTz at = DatumGetTimestampTz(crm_get(r, 4, &none));

		p->paid = datumCopy(crm_get(r, 2, &isnull), false, -1);
		p->refunded = datumCopy(crm_get(r, 3, &isnull), false, -1);
		p->any = !none;
		p->last = none ? 0 : at;
		p->charges = DatumGetInt32(crm_get(r, 5, &isnull));
		p->last_paid = DatumGetTimestampTz(crm_get(r, 6, &p->paid_null));
	}
	SPI_freetuptable(SPI_tuptable);
	for (int i = 0; i < c->n; i++)
		if (!c->dropped[i] && !invoice_state(run, c, i, &made[i]))
			c->dropped[i] = true;
}

/* ---- writing ---- */

static const CrmWriteScope import_scope = {CRM_WRITE_IMPORT, NULL, NULL};

static CrmPlan insert_invoices = {
	"INSERT INTO crm.invoices AS v (account_id, id, number, number_sequence_id, number_seq, "
	"  client_id, manager_id, status, amount, paid_amount, refunded_amount, autopay_count, note, "
	"  source, channel, partner, tag, created_at, updated_at, status_changed_at, income, paid_at) "
	"SELECT r.account_id, r.id, r.number, r.number_sequence_id, r.number_seq, r.client_id, "
	"  r.manager_id, r.status, r.amount, r.paid_amount, r.refunded_amount, r.autopay_count, "
	"  r.note, r.source, r.channel, r.partner, r.tag, r.created_at, r.updated_at, "
	"  r.status_changed_at, r.income, r.paid_at "
	"FROM pg_catalog.unnest($1) AS r "
	"RETURNING v.id, v.number, v.status, v.amount, v.created_at",
	1, {InvalidOid}
};

/* The 'created' events, dated when the invoices were created, naming the batch. */
static CrmPlan insert_events = {
	"INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, to_status, detail) "
	"SELECT $1, e.id, e.at, $2, 'created', e.status, "
	"  pg_catalog.jsonb_build_object('number', e.number, 'amount', e.amount, 'import_batch', $3) "
	"FROM ROWS FROM (pg_catalog.unnest($4::bigint[]), pg_catalog.unnest($5::text[]), "
	"  pg_catalog.unnest($6::text[]), pg_catalog.unnest($7::numeric[]), "
	"  pg_catalog.unnest($8::timestamptz[])) AS e(id, number, status, amount, at)",
	8, {INT8OID, INT8OID, INT8OID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID,
	TIMESTAMPTZARRAYOID}
};

static void
write_invoices(ImportRun *run, void *arg, int lo, int hi)
{
	static const Oid types[5] = {INT8OID, TEXTOID, TEXTOID, NUMERICOID, TIMESTAMPTZOID};
	InvoiceChunk *c = arg;
	Datum		rows = crm_import_rows_array(&crm_import_invoice_table, c->datums + lo, hi - lo);
	uint64		n = crm_write_exec(&import_scope, &insert_invoices, &rows, NULL);
	Datum		args[8];
	char		nulls[9] = "        ";

	MemoryContextSwitchTo(run->chunk);
	for (int k = 0; k < 5; k++)
		args[3 + k] = crm_import_result_array(n, k + 1, types[k]);
	SPI_freetuptable(SPI_tuptable);
	crm_import_write_history(run, &insert_events, args, nulls);
}

static int64
invoice_staging_id(void *arg, int i)
{
	return ((InvoiceChunk *) arg)->staging_ids[i];
}

static void
invoice_chunk(ImportRun *run, SPITupleTable *staged, uint64 n, void *arg)
{
	InvoiceChunk c = {0};
	int			kept = 0;
	int		   *places = palloc(sizeof(int) * n);

	c.staging_ids = palloc(sizeof(int64) * n);
	c.rows = palloc(sizeof(ImportRow) * n);
	c.datums = palloc(sizeof(Datum) * n);
	c.ids = palloc(sizeof(int64) * n);
	c.invoice_ids = palloc(sizeof(int64) * n);
	c.numbers = palloc(sizeof(char *) * n);
	c.clients = palloc(sizeof(int64) * n);
	c.statuses = palloc(sizeof(char *) * n);
	c.amounts = palloc(sizeof(Datum) * n);
	c.created = palloc(sizeof(TimestampTz) * n);
	c.dropped = palloc0(sizeof(bool) * n);
	c.written = palloc0(sizeof(bool) * n);
	run->counts[IMPORT_INVOICE].staged += n;
	for (uint64 i = 0; i < n; i++)
		resolve_invoice(run, arg, staged, i, &c);
	crm_import_drop_clashes(run, &invoice_keys, c.n, c.staging_ids, c.numbers, c.ids, c.clients, c.dropped);
	apply_payments(run, &c);
	for (int i = 0; i < c.n; i++)
		if (!c.dropped[i])
		{
			places[kept] = i;
			c.staging_ids[kept] = c.staging_ids[i];
			c.datums[kept] = crm_import_row_datum(&c.rows[i]);
			kept++;
		}
	crm_import_write(run, &c, kept, write_invoices, invoice_staging_id, c.written);
	/* the invoices written, for their payments */
	for (int k = 0; k < kept; k++)
	{
		int			i = places[k];
		bool		found;

		if (c.written[k] && c.numbers[i] != NULL)
			*crm_import_map_slot(run->invoices, c.numbers[i], &found) = c.invoice_ids[i];
	}
}

void
crm_import_invoices(ImportRun *run)
{
	InvoiceNames names;

	run->kind = IMPORT_INVOICE;
	run->invoices = crm_import_map_create_in(run->memory, 64);
	crm_import_plan_rows(&insert_invoices, &crm_import_invoice_table);
	names.employees = crm_import_employees(run);
	names.counters = crm_import_map_create_in(run->memory, 16);
	crm_import_read_staged(run, &read_invoices_numbered, invoice_chunk, &names);
	crm_import_read_staged(run, &read_invoices_unnumbered, invoice_chunk, &names);
}
