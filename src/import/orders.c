/*
 * import/orders.c
 *	  Orders from crm.import_orders, linked to their leads.
 *
 * A staged order keeps its id and number (a number the account's order
 * template could have made takes its place in the counter, as a lead's does),
 * its amount and created_at.  lead_number names the lead it is linked to, a
 * lead of the account or one imported before it in the same run: the link is
 * made both ways as crm.link_order makes it, but it is history, so a closed
 * lead may be linked and no lead changes its status (linking.c).  The
 * lead's campaign then counts the order's amount.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"

#include "import/import.h"

enum
{
	O_ACCOUNT_ID, O_ID, O_NUMBER, O_NUMBER_SEQUENCE_ID, O_NUMBER_SEQ, O_CLIENT_ID, O_PHONE,
	O_LEAD_ID, O_AMOUNT, O_CREATED_AT, O_NCOLUMNS
};
static const char *const order_names[] = {
	"account_id", "id", "number", "number_sequence_id", "number_seq", "client_id", "phone",
	"lead_id", "amount", "created_at"
};
static CrmColumnMap order_columns = {"crm.orders", O_NCOLUMNS, order_names};

ImportTable crm_import_order_table = {"orders", &order_columns};

enum
{
	S_STAGING_ID = 1, S_ID, S_NUMBER, S_CLIENT_ID, S_LEAD_NUMBER, S_PHONE, S_AMOUNT, S_CREATED_AT
};

/* The staged rows with a number first, then those without (numbered after them). */
static CrmPlan read_orders_numbered = {
	"SELECT staging_id, id, number, client_id, lead_number, phone, amount, created_at "
	"FROM crm.import_orders WHERE account_id = $1 AND number IS NOT NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};
static CrmPlan read_orders_unnumbered = {
	"SELECT staging_id, id, number, client_id, lead_number, phone, amount, created_at "
	"FROM crm.import_orders WHERE account_id = $1 AND number IS NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};

typedef struct OrderChunk
{
	int			n;
	int64	   *staging_ids;
	ImportRow  *rows;
	Datum	   *datums;
	int64	   *ids;
	char	  **numbers;
	int64	   *clients;		/* 0: none */
	char	  **lead_numbers;
	bool	   *dropped;
} OrderChunk;

static void
resolve_order(ImportRun *run, ImportMap *counters, SPITupleTable *t, uint64 i, OrderChunk *c)
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
	char	   *number = crm_import_value_text(t, i, S_NUMBER);
	ImportRow  *row;
	int			k;

	if ((!id_null && !crm_import_id_ok(run, sid, "order", id)) ||
		!crm_import_amount_ok(run, sid, "crm.orders", "amount", amount, amount_null, false) ||
		!crm_import_past_ok(run, sid, "crm.orders", "created_at", created, created_null))
		return;
	k = c->n++;
	row = &c->rows[k];
	crm_import_row_start(&crm_import_order_table, row);
	crm_import_row_set(row, O_ACCOUNT_ID, Int64GetDatum(run->account_id), false);
	crm_import_row_set(row, O_ID, Int64GetDatum(id_null ? crm_import_next_id(&crm_import_order_table) : id),
					   false);
	crm_import_row_number(run, counters, run->order_template, number, row, O_NUMBER);
	crm_import_row_set(row, O_CLIENT_ID, Int64GetDatum(client), client_null);
	crm_import_row_text(row, O_PHONE, crm_import_value_text(t, i, S_PHONE));
	crm_import_row_numeric(row, O_AMOUNT, amount_null ? DirectFunctionCall1(int4_numeric, Int32GetDatum(0)) : amount,
						   false);
	crm_import_row_set(row, O_CREATED_AT, TimestampTzGetDatum(created_null ? run->as_of : created), false);
	c->staging_ids[k] = sid;
	c->ids[k] = id_null ? 0 : id;
	c->numbers[k] = number;
	c->clients[k] = client_null ? 0 : client;
	c->lead_numbers[k] = crm_import_value_text(t, i, S_LEAD_NUMBER);
}

/* ---- what clashes with crm, and the leads ---- */

static CrmPlan numbers_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(number, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.orders o WHERE o.account_id = $1 AND o.number = u.number)",
	2, {INT8OID, TEXTARRAYOID}
};
static CrmPlan ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.orders o WHERE o.account_id = $1 AND o.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};
/* The leads named: id, whether linked, client. */
static CrmPlan leads_named = {
	"SELECT u.i, l.id, l.order_id IS NOT NULL, l.client_id "
	"FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(number, i) "
	"JOIN crm.leads l ON l.account_id = $1 AND l.number = u.number",
	2, {INT8OID, TEXTARRAYOID}
};

static const char *
order_text(OrderChunk *c, int i)
{
	return c->numbers[i] ? psprintf("\"%s\"", c->numbers[i]) : "without a number";
}

/* The lead of each order: found, free, of the same client, linked once. */
static void
link_leads(ImportRun *run, OrderChunk *c)
{
	MemoryContext caller = CurrentMemoryContext;
	int			n = c->n;
	int64	   *lead_ids = palloc0(sizeof(int64) * Max(n, 1));
	bool	   *linked = palloc0(sizeof(bool) * Max(n, 1));
	int64	   *lead_clients = palloc0(sizeof(int64) * Max(n, 1));
	bool	   *dup = palloc0(sizeof(bool) * Max(n, 1));
	Datum		args[2] = {Int64GetDatum(run->account_id), crm_import_text_array(c->lead_numbers, n)};
	CrmUserSwitch user;
	uint64		found;

	crm_become_owner(&user);
	found = crm_exec(&leads_named, args, NULL, false, 0);
	crm_restore_user(&user);
	for (uint64 r = 0; r < found; r++)
	{
		bool		isnull;
		int			i = (int) crm_get_int64(r, 1, NULL) - 1;

		lead_ids[i] = crm_get_int64(r, 2, NULL);
		linked[i] = crm_get_bool(r, 3, NULL);
		lead_clients[i] = crm_get_int64(r, 4, &isnull);
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	crm_import_duplicate_ids(lead_ids, n, dup);
	for (int i = 0; i < n; i++)
	{
		const char *lead = c->lead_numbers[i];

		if (c->dropped[i] || lead == NULL)
			continue;
		c->dropped[i] = true;
		if (lead_ids[i] == 0)
			crm_import_reject(run, c->staging_ids[i], ERRCODE_FOREIGN_KEY_VIOLATION,
							  psprintf("lead \"%s\" does not exist", lead),
							  psprintf("Account %lld has no lead numbered \"%s\".",
									   (long long) run->account_id, lead),
							  "Give the number of a lead of the account or of one staged in crm.import_leads, or leave lead_number empty.");
		else if (linked[i] || dup[i])
			crm_import_reject(run, c->staging_ids[i], ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  psprintf("lead \"%s\" is already linked to an order", lead),
							  linked[i] ? psprintf("Lead \"%s\" is linked to another order; a lead links to one order.", lead)
							  : "An earlier staged order of this import links the same lead.",
							  "Link each lead to one order, or leave lead_number empty.");
		else if (c->clients[i] != 0 && lead_clients[i] != 0 && c->clients[i] != lead_clients[i])
			crm_import_reject(run, c->staging_ids[i], ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
							  psprintf("lead \"%s\" belongs to another client", lead),
							  psprintf("Lead \"%s\" is linked to client %lld, order %s to client %lld.",
									   lead, (long long) lead_clients[i], order_text(c, i),
									   (long long) c->clients[i]),
							  "Link the order to a lead of its client or to a lead with no client.");
		else
		{
			c->dropped[i] = false;
			crm_import_row_set(&c->rows[i], O_LEAD_ID, Int64GetDatum(lead_ids[i]), false);
		}
	}
}

static const ImportKeyRules order_keys = {"order", "an order", &numbers_taken, &ids_taken, false};

/* ---- writing ---- */

static const CrmWriteScope import_scope = {CRM_WRITE_IMPORT, NULL, NULL};

static CrmPlan insert_orders = {
	"INSERT INTO crm.orders (account_id, id, number, number_sequence_id, number_seq, client_id, "
	"  phone, lead_id, amount, created_at) "
	"SELECT r.account_id, r.id, r.number, r.number_sequence_id, r.number_seq, r.client_id, "
	"  r.phone, r.lead_id, r.amount, r.created_at "
	"FROM pg_catalog.unnest($1) AS r",
	1, {InvalidOid}
};

static void
write_orders(ImportRun *run, void *arg, int lo, int hi)
{
	OrderChunk *c = arg;
	Datum		rows = crm_import_rows_array(&crm_import_order_table, c->datums + lo, hi - lo);

	crm_write_exec(&import_scope, &insert_orders, &rows, NULL);
}

static int64
order_staging_id(void *arg, int i)
{
	return ((OrderChunk *) arg)->staging_ids[i];
}

static void
order_chunk(ImportRun *run, SPITupleTable *staged, uint64 n, void *arg)
{
	OrderChunk	c = {0};
	int			kept = 0;

	c.staging_ids = palloc(sizeof(int64) * n);
	c.rows = palloc(sizeof(ImportRow) * n);
	c.datums = palloc(sizeof(Datum) * n);
	c.ids = palloc(sizeof(int64) * n);
	c.numbers = palloc(sizeof(char *) * n);
	c.clients = palloc(sizeof(int64) * n);
	c.lead_numbers = palloc(sizeof(char *) * n);
	c.dropped = palloc0(sizeof(bool) * n);
	run->counts[IMPORT_ORDER].staged += n;
	for (uint64 i = 0; i < n; i++)
		resolve_order(run, arg, staged, i, &c);
	crm_import_drop_clashes(run, &order_keys, c.n, c.staging_ids, c.numbers, c.ids, c.clients, c.dropped);
	link_leads(run, &c);
	for (int i = 0; i < c.n; i++)
		if (!c.dropped[i])
		{
			c.staging_ids[kept] = c.staging_ids[i];
			c.datums[kept] = crm_import_row_datum(&c.rows[i]);
			kept++;
		}
	crm_import_write(run, &c, kept, write_orders, order_staging_id, NULL);
}

void
crm_import_orders(ImportRun *run)
{
	ImportMap  *counters = crm_import_map_create_in(run->memory, 16);

	run->kind = IMPORT_ORDER;
	crm_import_plan_rows(&insert_orders, &crm_import_order_table);
	crm_import_read_staged(run, &read_orders_numbered, order_chunk, counters);
	crm_import_read_staged(run, &read_orders_unnumbered, order_chunk, counters);
}
