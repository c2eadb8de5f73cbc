/*
 * import/clients.c
 *	  Clients from crm.import_clients, with their phones.
 *
 * A staged client keeps its id (or gets a new one) so that staged leads,
 * orders and invoices can name it by that id.  Its phones come in one text,
 * separated by commas or semicolons; each must be a valid number in the
 * account's region or in international format (client_phones refuses any
 * other), and one that is not rejects the client, naming the number.  The
 * same number twice is kept once.  The responsible manager comes by email or
 * name; created_at is kept (the run's as_of when none is given).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "import/import.h"
#include "phones.h"

enum
{
	C_ACCOUNT_ID, C_ID, C_NAME, C_EMAIL, C_CATEGORY, C_RESPONSIBLE_ID, C_NOTE, C_TAGS, C_BUDGET,
	C_BIRTHDAY, C_CITY, C_ADDRESS, C_CREATED_AT, C_NCOLUMNS
};
static const char *const client_names[] = {
	"account_id", "id", "name", "email", "category", "responsible_id", "note", "tags", "budget",
	"birthday", "city", "address", "created_at"
};
static CrmColumnMap client_columns = {"crm.clients", C_NCOLUMNS, client_names};

ImportTable crm_import_client_table = {"clients", &client_columns};

enum
{
	S_STAGING_ID = 1, S_ID, S_NAME, S_EMAIL, S_CATEGORY, S_RESPONSIBLE, S_PHONES, S_NOTE, S_TAGS,
	S_BUDGET, S_BIRTHDAY, S_CITY, S_ADDRESS, S_CREATED_AT
};

static CrmPlan read_clients = {
	"SELECT staging_id, id, name, email, category, responsible, phones, note, tags, budget, "
	"  birthday, city, address, created_at "
	"FROM crm.import_clients WHERE account_id = $1 ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};

static const char *const categories[] = {
	"client", "spam", "employee", "model", "sleeping", "not_client"
};

/* The clients of a chunk and their phones (phones [phone_lo[i], phone_lo[i + 1])). */
typedef struct ClientChunk
{
	int			n;
	int64	   *staging_ids;
	Datum	   *rows;
	int64	   *ids;
	bool	   *id_given;
	int		   *phone_lo;
	int			nphones;
	int			maxphones;
	int64	   *phone_clients;
	char	  **phone_raws;
	Datum	   *phone_times;
} ClientChunk;

static void
add_phone(ClientChunk *c, int64 client, const char *raw, TimestampTz at)
{
	if (c->nphones == c->maxphones)
	{
		c->maxphones = Max(256, c->maxphones * 2);
		c->phone_clients = repalloc(c->phone_clients, sizeof(int64) * c->maxphones);
		c->phone_raws = repalloc(c->phone_raws, sizeof(char *) * c->maxphones);
		c->phone_times = repalloc(c->phone_times, sizeof(Datum) * c->maxphones);
	}
	c->phone_clients[c->nphones] = client;
	c->phone_raws[c->nphones] = pstrdup(raw);
	c->phone_times[c->nphones] = TimestampTzGetDatum(at);
	c->nphones++;
}

/*
 * The numbers of a staged phones text, each with its E.164 form; false after
 * rejecting the client for a number that is not valid.
 */
static bool
split_phones(ImportRun *run, int64 sid, const char *name, char *phones, List **raws,
			 List **e164s)
{
	char	   *save = NULL;

	*raws = NIL;
	*e164s = NIL;
	if (phones == NULL)
		return true;
	for (char *part = strtok_r(phones, ",;", &save); part; part = strtok_r(NULL, ",;", &save))
	{
		char	   *end = part + strlen(part);
		char	   *e164;
		ListCell   *lc;
		bool		seen = false;

		while (*part == ' ' || *part == '\t' || *part == '\n' || *part == '\r')
			part++;
		while (end > part && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
			*--end = '\0';
		if (*part == '\0')
			continue;
		if ((e164 = crm_phone_e164(part, run->region)) == NULL)
		{
			crm_import_reject(run, sid, ERRCODE_INVALID_PARAMETER_VALUE,
							  psprintf("phone number \"%s\" of client \"%s\" is not valid", part, name),
							  psprintf("\"%s\" is not a valid phone number in region %s or in international format.",
									   part, run->region),
							  psprintf("Write the number as dialled in %s or with its country code, for example +7 916 123-45-67; separate a client's numbers with commas or semicolons.",
									   run->region));
			return false;
		}
		foreach(lc, *e164s)
			seen = seen || strcmp(lfirst(lc), e164) == 0;
		if (seen)
			continue;
		*raws = lappend(*raws, part);
		*e164s = lappend(*e164s, e164);
	}
	return true;
}

static bool
client_category(ImportRun *run, int64 sid, const char *given, ImportRow *row)
{
	if (given == NULL)
		given = "client";
	for (int i = 0; i < lengthof(categories); i++)
		if (strcmp(given, categories[i]) == 0)
		{
			crm_import_row_text(row, C_CATEGORY, given);
			return true;
		}
	crm_import_reject(run, sid, ERRCODE_INVALID_PARAMETER_VALUE,
					  psprintf("client category \"%s\" is not known", given),
					  "A client's category is one of client, spam, employee, model, sleeping, not_client.",
					  "Give one of those, or leave category empty for client.");
	return false;
}

static bool
resolve_client(ImportRun *run, ImportEmployees *employees, SPITupleTable *t, uint64 i,
			   ClientChunk *c)
{
	ImportRow	row;
	bool		isnull,
				id_null,
				created_null,
				budget_null,
				birthday_null;
	int64		sid = crm_import_value_int64(t, i, S_STAGING_ID, &isnull);
	int64		id = crm_import_value_int64(t, i, S_ID, &id_null);
	char	   *name = crm_import_value_text(t, i, S_NAME);
	char	   *responsible = crm_import_value_text(t, i, S_RESPONSIBLE);
	Datum		budget = crm_import_value(t, i, S_BUDGET, &budget_null);
	Datum		birthday = crm_import_value(t, i, S_BIRTHDAY, &birthday_null);
	TimestampTz created = DatumGetTimestampTz(crm_import_value(t, i, S_CREATED_AT, &created_null));
	int64		responsible_id;
	List	   *raws;
	List	   *e164s;
	Datum		tags;
	ListCell   *lc;
	int			k;

	if (!id_null && !crm_import_id_ok(run, sid, "client", id))
		return false;
	if (name == NULL || name[0] == '\0')
	{
		crm_import_reject(run, sid, ERRCODE_NOT_NULL_VIOLATION, "client has no name",
						  "name is empty.", "Give the client's name.");
		return false;
	}
	crm_import_row_start(&crm_import_client_table, &row);
	if (!client_category(run, sid, crm_import_value_text(t, i, S_CATEGORY), &row) ||
		(responsible != NULL &&
		 !crm_import_employee(run, sid, employees, "responsible", responsible, &responsible_id)) ||
		!crm_import_amount_ok(run, sid, "crm.clients", "budget", budget, budget_null, false) ||
		!crm_import_date_ok(run, sid, "crm.clients", "birthday", birthday, birthday_null) ||
		!crm_import_past_ok(run, sid, "crm.clients", "created_at", created, created_null) ||
		!split_phones(run, sid, name, crm_import_value_text(t, i, S_PHONES), &raws, &e164s))
		return false;

	if (id_null)
		id = crm_import_next_id(&crm_import_client_table);
	if (created_null)
		created = run->as_of;
	tags = crm_import_value(t, i, S_TAGS, &isnull);
	crm_import_row_set(&row, C_ACCOUNT_ID, Int64GetDatum(run->account_id), false);
	crm_import_row_set(&row, C_ID, Int64GetDatum(id), false);
	crm_import_row_text(&row, C_NAME, name);
	crm_import_row_text(&row, C_EMAIL, crm_import_value_text(t, i, S_EMAIL));
	crm_import_row_set(&row, C_RESPONSIBLE_ID, Int64GetDatum(responsible_id), responsible == NULL);
	crm_import_row_text(&row, C_NOTE, crm_import_value_text(t, i, S_NOTE));
	crm_import_row_set(&row, C_TAGS, isnull ? PointerGetDatum(construct_empty_array(TEXTOID)) : tags,
					   false);
	crm_import_row_numeric(&row, C_BUDGET, budget, budget_null);
	crm_import_row_set(&row, C_BIRTHDAY, birthday, birthday_null);
	crm_import_row_text(&row, C_CITY, crm_import_value_text(t, i, S_CITY));
	crm_import_row_text(&row, C_ADDRESS, crm_import_value_text(t, i, S_ADDRESS));
	crm_import_row_set(&row, C_CREATED_AT, TimestampTzGetDatum(created), false);

	k = c->n++;
	c->staging_ids[k] = sid;
	c->rows[k] = crm_import_row_datum(&row);
	c->ids[k] = id;
	c->id_given[k] = !id_null;
	c->phone_lo[k] = c->nphones;
	foreach(lc, raws)
		add_phone(c, id, lfirst(lc), created);
	c->phone_lo[k + 1] = c->nphones;
	return true;
}

/* ---- writing ---- */

static CrmPlan ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.clients c WHERE c.account_id = $1 AND c.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};
static const ImportKeyRules client_keys = {"client", "a client", NULL, &ids_taken, false};

/* The rows are whole: the triggers that care (events.c) know an import's write. */
static const CrmWriteScope import_scope = {CRM_WRITE_IMPORT, NULL, NULL};

static CrmPlan insert_clients = {
	"INSERT INTO crm.clients (account_id, id, name, email, category, responsible_id, note, tags, "
	"  budget, birthday, city, address, created_at) "
	"SELECT r.account_id, r.id, r.name, r.email, r.category, r.responsible_id, r.note, r.tags, "
	"  r.budget, r.birthday, r.city, r.address, r.created_at "
	"FROM pg_catalog.unnest($1) AS r",
	1, {InvalidOid}
};
static CrmPlan insert_phones = {
	"INSERT INTO crm.client_phones (account_id, client_id, raw, created_at) "
	"SELECT $1, p.client_id, p.raw, p.created_at "
	"FROM ROWS FROM (pg_catalog.unnest($2::bigint[]), pg_catalog.unnest($3::text[]), "
	"  pg_catalog.unnest($4::timestamptz[])) AS p(client_id, raw, created_at)",
	4, {INT8OID, INT8ARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID}
};

static void
write_clients(ImportRun *run, void *arg, int lo, int hi)
{
	ClientChunk *c = arg;
	Datum		rows = crm_import_rows_array(&crm_import_client_table, c->rows + lo, hi - lo);
	int			plo = c->phone_lo[lo];
	int			np = c->phone_lo[hi] - plo;
	Datum		args[4];

	crm_write_exec(&import_scope, &insert_clients, &rows, NULL);
	if (np == 0)
		return;
	MemoryContextSwitchTo(run->chunk);
	args[0] = Int64GetDatum(run->account_id);
	args[1] = crm_import_int64_array(c->phone_clients + plo, NULL, np);
	args[2] = crm_import_text_array(c->phone_raws + plo, np);
	args[3] = PointerGetDatum(construct_array(c->phone_times + plo, np, TIMESTAMPTZOID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	crm_write_exec(&import_scope, &insert_phones, args, NULL);
}

static int64
client_staging_id(void *arg, int i)
{
	return ((ClientChunk *) arg)->staging_ids[i];
}

static void
client_chunk(ImportRun *run, SPITupleTable *staged, uint64 n, void *arg)
{
	ClientChunk c = {0};
	bool	   *dropped = palloc0(sizeof(bool) * n);
	int64	   *given = palloc(sizeof(int64) * n);
	int			kept = 0;

	c.staging_ids = palloc(sizeof(int64) * n);
	c.rows = palloc(sizeof(Datum) * n);
	c.ids = palloc(sizeof(int64) * n);
	c.id_given = palloc(sizeof(bool) * n);
	c.phone_lo = palloc(sizeof(int) * (n + 1));
	c.phone_lo[0] = 0;
	c.phone_clients = palloc(sizeof(int64));
	c.phone_raws = palloc(sizeof(char *));
	c.phone_times = palloc(sizeof(Datum));
	run->counts[IMPORT_CLIENT].staged += n;
	for (uint64 i = 0; i < n; i++)
		(void) resolve_client(run, arg, staged, i, &c);

	for (int i = 0; i < c.n; i++)
		given[i] = c.id_given[i] ? c.ids[i] : 0;
	crm_import_drop_clashes(run, &client_keys, c.n, c.staging_ids, NULL, given, NULL, dropped);
	/* the rows left, in order, with their phones */
	{
		int			np = 0;

		for (int i = 0; i < c.n; i++)
		{
			int			lo = c.phone_lo[i];
			int			hi = c.phone_lo[i + 1];

			if (dropped[i])
				continue;
			c.staging_ids[kept] = c.staging_ids[i];
			c.rows[kept] = c.rows[i];
			c.phone_lo[kept] = np;
			for (int p = lo; p < hi; p++, np++)
			{
				c.phone_clients[np] = c.phone_clients[p];
				c.phone_raws[np] = c.phone_raws[p];
				c.phone_times[np] = c.phone_times[p];
			}
			kept++;
		}
		c.phone_lo[kept] = np;
	}
	crm_import_write(run, &c, kept, write_clients, client_staging_id, NULL);
}

void
crm_import_clients(ImportRun *run)
{
	run->kind = IMPORT_CLIENT;
	crm_import_plan_rows(&insert_clients, &crm_import_client_table);
	crm_import_read_staged(run, &read_clients, client_chunk, crm_import_employees(run));
}
