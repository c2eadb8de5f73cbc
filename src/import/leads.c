/*
 * import/leads.c
 *	  Leads from crm.import_leads: the lead as it was in the other CRM.
 *
 * A staged lead keeps its number: when its type's template could have made
 * it, it takes its place in that template's counter (numbering.h), so the
 * next lead typed in continues after the largest number imported; a number
 * no template makes is kept outside every counter; a lead without a number
 * is numbered from its template at its created_at (by lead_10_before_insert).
 * It keeps created_at, status_changed_at and closed_at (closed_at of a closed
 * lead without one: its status_changed_at, else its created_at), its manager
 * or none, and a deadline that passed before the run's as_of is marked
 * (overdue_since = deadline) and never announced.  Its 'created' event is
 * dated at created_at and names the batch.  Type, status, manager, campaign
 * and location come by name; the client by id (an imported client keeps its
 * id).  Staged leads with a number are imported first, so a number given
 * wins over one a template would make.
 *
 * The leads' triggers leave a row of the import as it is (CRM_WRITE_IMPORT):
 * leads.c numbers only a lead without a number and writes no event, and
 * linking.c derives no phone and links nothing; the kept counts and the
 * scheduler's wake-up work as for any insert.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "import/import.h"
#include "phones.h"

enum
{
	L_ACCOUNT_ID, L_ID, L_NUMBER, L_NUMBER_SEQUENCE_ID, L_NUMBER_SEQ, L_TYPE_ID, L_STATUS_ID,
	L_CLIENT_ID, L_CONTACT_NAME, L_CONTACT_PHONE, L_PHONE, L_EMAIL, L_CAMPAIGN_ID,
	L_LOCATION_ID, L_MANAGER_ID, L_COMMENT, L_DEADLINE, L_URGENT, L_BUDGET, L_TAGS,
	L_CREATED_AT, L_STATUS_CHANGED_AT, L_CLOSED_AT, L_OVERDUE_SINCE, L_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "id", "number", "number_sequence_id", "number_seq", "type_id", "status_id",
	"client_id", "contact_name", "contact_phone", "phone", "email", "campaign_id",
	"location_id", "manager_id", "comment", "deadline", "urgent", "budget", "tags",
	"created_at", "status_changed_at", "closed_at", "overdue_since"
};
static CrmColumnMap lead_columns = {"crm.leads", L_NCOLUMNS, lead_names};

ImportTable crm_import_lead_table = {"leads", &lead_columns};

/* The staged columns, in the order read. */
enum
{
	S_STAGING_ID = 1, S_ID, S_NUMBER, S_TYPE, S_STATUS, S_MANAGER, S_CLIENT_ID, S_CONTACT_NAME,
	S_CONTACT_PHONE, S_EMAIL, S_CAMPAIGN, S_LOCATION, S_COMMENT, S_DEADLINE, S_URGENT, S_BUDGET,
	S_TAGS, S_CREATED_AT, S_STATUS_CHANGED_AT, S_CLOSED_AT
};

/* The staged rows with a number first, then those without (numbered after them). */
static CrmPlan read_leads_numbered = {
	"SELECT staging_id, id, number, type, status, manager, client_id, contact_name, contact_phone, "
	"  email, campaign, location, comment, deadline, urgent, budget, tags, created_at, "
	"  status_changed_at, closed_at "
	"FROM crm.import_leads WHERE account_id = $1 AND number IS NOT NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};
static CrmPlan read_leads_unnumbered = {
	"SELECT staging_id, id, number, type, status, manager, client_id, contact_name, contact_phone, "
	"  email, campaign, location, comment, deadline, urgent, budget, tags, created_at, "
	"  status_changed_at, closed_at "
	"FROM crm.import_leads WHERE account_id = $1 AND number IS NULL ORDER BY staging_id",
	2, {INT8OID, INT8OID}
};

/* What every chunk uses: the account's names and the counters met so far. */
typedef struct LeadNames
{
	ImportNames *types;
	ImportNames *statuses;
	ImportNames *campaigns;
	ImportNames *locations;
	ImportEmployees *employees;
	ImportMap  *counters;		/* counter key -> crm.number_sequences id */
} LeadNames;

/* The leads of a chunk that passed the checks of their own row. */
typedef struct LeadChunk
{
	int			n;
	int64	   *staging_ids;
	Datum	   *rows;
	int64	   *ids;			/* the ids given (0: a new one) */
	char	  **numbers;		/* NULL: numbered from the template */
	int64	   *clients;		/* 0: none */
	bool	   *dropped;
} LeadChunk;

/* ---- one staged lead ---- */

static const ImportName *
status_by_id(ImportNames *statuses, int64 id)
{
	for (int i = 0; i < statuses->n; i++)
		if (statuses->items[i].id == id)
			return &statuses->items[i];
	return NULL;
}

static const ImportName *
lead_type(ImportRun *run, int64 sid, LeadNames *names, const char *given)
{
	if (given != NULL)
		return crm_import_name(run, sid, names->types, "type", given);
	if (names->types->default_index >= 0)
		return &names->types->items[names->types->default_index];
	crm_import_reject(run, sid, ERRCODE_NOT_NULL_VIOLATION, "lead has no type",
					  psprintf("type is empty and account %lld has no default lead type.",
							   (long long) run->account_id),
					  "Give the name of the lead's type, or mark one lead type with is_default.");
	return NULL;
}

/* The times of the lead: checked, and those not given taken from the others. */
static bool
lead_times(ImportRun *run, int64 sid, SPITupleTable *t, uint64 i, bool open,
		   const char *status, ImportRow *row)
{
	bool		created_null,
				changed_null,
				closed_null,
				deadline_null;
	TimestampTz created = DatumGetTimestampTz(crm_import_value(t, i, S_CREATED_AT, &created_null));
	TimestampTz changed = DatumGetTimestampTz(crm_import_value(t, i, S_STATUS_CHANGED_AT, &changed_null));
	TimestampTz closed = DatumGetTimestampTz(crm_import_value(t, i, S_CLOSED_AT, &closed_null));
	TimestampTz deadline = DatumGetTimestampTz(crm_import_value(t, i, S_DEADLINE, &deadline_null));

	if (!crm_import_past_ok(run, sid, "crm.leads", "created_at", created, created_null) ||
		!crm_import_past_ok(run, sid, "crm.leads", "status_changed_at", changed, changed_null) ||
		!crm_import_past_ok(run, sid, "crm.leads", "closed_at", closed, closed_null) ||
		!crm_import_time_ok(run, sid, "crm.leads", "deadline", deadline, deadline_null))
		return false;
	if (created_null)
		created = run->as_of;
	if (open && !closed_null)
	{
		crm_import_reject(run, sid, ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("an open lead cannot have closed_at"),
						  psprintf("Status \"%s\" is open, and closed_at is %s.", status,
								   crm_import_time_text(closed)),
						  "Leave closed_at empty for an open lead, or give it a won or lost status.");
		return false;
	}
	if ((!changed_null && changed < created) || (!closed_null && closed < created))
	{
		crm_import_reject(run, sid, ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
						  psprintf("%s \"%s\" is before created_at \"%s\"",
								   !changed_null && changed < created ? "status_changed_at" : "closed_at",
								   crm_import_time_text(!changed_null && changed < created ? changed : closed),
								   crm_import_time_text(created)),
						  "A lead's status changes and it closes after it is created.",
						  "Give the times as the other CRM recorded them, or leave them empty.");
		return false;
	}
	if (changed_null)
		changed = closed_null ? created : closed;
	if (!open && closed_null)
		closed = changed;
	crm_import_row_set(row, L_CREATED_AT, TimestampTzGetDatum(created), false);
	crm_import_row_set(row, L_STATUS_CHANGED_AT, TimestampTzGetDatum(changed), false);
	crm_import_row_set(row, L_CLOSED_AT, TimestampTzGetDatum(closed), open);
	crm_import_row_set(row, L_DEADLINE, TimestampTzGetDatum(deadline), deadline_null);
	/* a deadline of the past is marked, never announced: run_due skips it */
	crm_import_row_set(row, L_OVERDUE_SINCE, TimestampTzGetDatum(deadline),
					   !open || deadline_null || !(run->as_of > deadline));
	return true;
}

static bool
lead_reference(ImportRun *run, int64 sid, ImportNames *names, const char *column,
			   const char *given, ImportRow *row, int col)
{
	const ImportName *item;

	if (given == NULL)
		return true;
	item = crm_import_name(run, sid, names, column, given);
	if (item == NULL)
		return false;
	crm_import_row_set(row, col, Int64GetDatum(item->id), false);
	return true;
}

/* Checks staged lead i and builds its row; false when it is rejected. */
static bool
resolve_lead(ImportRun *run, LeadNames *names, SPITupleTable *t, uint64 i, LeadChunk *chunk)
{
	ImportRow	row;
	bool		isnull,
				id_null,
				client_null;
	int64		sid = crm_import_value_int64(t, i, S_STAGING_ID, &isnull);
	int64		id = crm_import_value_int64(t, i, S_ID, &id_null);
	int64		client = crm_import_value_int64(t, i, S_CLIENT_ID, &client_null);
	char	   *number = crm_import_value_text(t, i, S_NUMBER);
	char	   *manager = crm_import_value_text(t, i, S_MANAGER);
	char	   *status_name = crm_import_value_text(t, i, S_STATUS);
	char	   *phone = crm_import_value_text(t, i, S_CONTACT_PHONE);
	const ImportName *type;
	const ImportName *status;
	int64		manager_id;
	Datum		d;
	int			k;

	if (!id_null && !crm_import_id_ok(run, sid, "lead", id))
		return false;
	if ((type = lead_type(run, sid, names, crm_import_value_text(t, i, S_TYPE))) == NULL)
		return false;
	status = status_name ? crm_import_name(run, sid, names->statuses, "status", status_name)
		: status_by_id(names->statuses, type->extra);
	if (status == NULL)
		return false;
	if (manager != NULL && !crm_import_employee(run, sid, names->employees, "manager", manager,
												&manager_id))
		return false;
	d = crm_import_value(t, i, S_BUDGET, &isnull);
	if (!crm_import_amount_ok(run, sid, "crm.leads", "budget", d, isnull, false))
		return false;

	crm_import_row_start(&crm_import_lead_table, &row);
	crm_import_row_numeric(&row, L_BUDGET, d, isnull);
	if (!lead_times(run, sid, t, i, status->extra == 1, status->name, &row) ||
		!lead_reference(run, sid, names->campaigns, "campaign",
						crm_import_value_text(t, i, S_CAMPAIGN), &row, L_CAMPAIGN_ID) ||
		!lead_reference(run, sid, names->locations, "location",
						crm_import_value_text(t, i, S_LOCATION), &row, L_LOCATION_ID))
		return false;

	crm_import_row_set(&row, L_ACCOUNT_ID, Int64GetDatum(run->account_id), false);
	crm_import_row_set(&row, L_ID, Int64GetDatum(id_null ? crm_import_next_id(&crm_import_lead_table) : id),
					   false);
	crm_import_row_number(run, names->counters, type->text, number, &row, L_NUMBER);
	crm_import_row_set(&row, L_TYPE_ID, Int64GetDatum(type->id), false);
	crm_import_row_set(&row, L_STATUS_ID, Int64GetDatum(status->id), false);
	crm_import_row_set(&row, L_CLIENT_ID, Int64GetDatum(client), client_null);
	crm_import_row_set(&row, L_MANAGER_ID, Int64GetDatum(manager_id), manager == NULL);
	crm_import_row_text(&row, L_CONTACT_NAME, crm_import_value_text(t, i, S_CONTACT_NAME));
	crm_import_row_text(&row, L_CONTACT_PHONE, phone);
	crm_import_row_text(&row, L_PHONE, crm_phone_e164(phone, run->region));
	crm_import_row_text(&row, L_EMAIL, crm_import_value_text(t, i, S_EMAIL));
	crm_import_row_text(&row, L_COMMENT, crm_import_value_text(t, i, S_COMMENT));
	d = crm_import_value(t, i, S_URGENT, &isnull);
	crm_import_row_set(&row, L_URGENT, isnull ? BoolGetDatum(false) : d, false);
	d = crm_import_value(t, i, S_TAGS, &isnull);
	crm_import_row_set(&row, L_TAGS, isnull ? PointerGetDatum(construct_empty_array(TEXTOID)) : d,
					   false);

	k = chunk->n++;
	chunk->staging_ids[k] = sid;
	chunk->rows[k] = crm_import_row_datum(&row);
	chunk->ids[k] = id_null ? 0 : id;
	chunk->numbers[k] = number;
	chunk->clients[k] = client_null ? 0 : client;
	return true;
}

/* ---- rows that clash with crm ---- */

static CrmPlan numbers_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::text[]) WITH ORDINALITY AS u(number, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.leads l WHERE l.account_id = $1 AND l.number = u.number)",
	2, {INT8OID, TEXTARRAYOID}
};
static CrmPlan ids_taken = {
	"SELECT u.i FROM pg_catalog.unnest($2::bigint[]) WITH ORDINALITY AS u(id, i) "
	"WHERE EXISTS (SELECT 1 FROM crm.leads l WHERE l.account_id = $1 AND l.id = u.id)",
	2, {INT8OID, INT8ARRAYOID}
};
static const ImportKeyRules lead_keys = {"lead", "a lead", &numbers_taken, &ids_taken, false};

/* ---- writing ---- */

static const CrmWriteScope import_scope = {CRM_WRITE_IMPORT, NULL, NULL};

static CrmPlan insert_leads = {
	"INSERT INTO crm.leads AS l (account_id, id, number, number_sequence_id, number_seq, type_id, "
	"  status_id, client_id, contact_name, contact_phone, phone, email, campaign_id, location_id, "
	"  manager_id, comment, deadline, urgent, budget, tags, created_at, status_changed_at, "
	"  closed_at, overdue_since) "
	"SELECT r.account_id, r.id, r.number, r.number_sequence_id, r.number_seq, r.type_id, "
	"  r.status_id, r.client_id, r.contact_name, r.contact_phone, r.phone, r.email, r.campaign_id, "
	"  r.location_id, r.manager_id, r.comment, r.deadline, r.urgent, r.budget, r.tags, "
	"  r.created_at, r.status_changed_at, r.closed_at, r.overdue_since "
	"FROM pg_catalog.unnest($1) AS r "
	"RETURNING l.id, l.number, l.status_id, l.created_at",
	1, {InvalidOid}
};

/* The 'created' events, dated when the leads were created, naming the batch. */
static CrmPlan insert_events = {
	"INSERT INTO crm.lead_events (account_id, lead_id, at, employee_id, kind, to_status_id, detail) "
	"SELECT $1, e.id, e.at, $2, 'created', e.status_id, "
	"  pg_catalog.jsonb_build_object('number', e.number, 'import_batch', $3) "
	"FROM ROWS FROM (pg_catalog.unnest($4::bigint[]), pg_catalog.unnest($5::text[]), "
	"  pg_catalog.unnest($6::bigint[]), pg_catalog.unnest($7::timestamptz[])) "
	"  AS e(id, number, status_id, at)",
	7, {INT8OID, INT8OID, INT8OID, INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID}
};

static void
write_leads(ImportRun *run, void *arg, int lo, int hi)
{
	static const Oid types[4] = {INT8OID, TEXTOID, INT8OID, TIMESTAMPTZOID};
	LeadChunk  *c = arg;
	Datum		rows = crm_import_rows_array(&crm_import_lead_table, c->rows + lo, hi - lo);
	Datum		args[7];
	char		nulls[8] = "       ";
	uint64		n;

	n = crm_write_exec(&import_scope, &insert_leads, &rows, NULL);

	MemoryContextSwitchTo(run->chunk);
	for (int k = 0; k < 4; k++)
		args[3 + k] = crm_import_result_array(n, k + 1, types[k]);
	SPI_freetuptable(SPI_tuptable);
	crm_import_write_history(run, &insert_events, args, nulls);
}

static int64
lead_staging_id(void *arg, int i)
{
	return ((LeadChunk *) arg)->staging_ids[i];
}

/* ---- a chunk ---- */

static void
lead_chunk(ImportRun *run, SPITupleTable *staged, uint64 n, void *arg)
{
	LeadNames  *names = arg;
	LeadChunk	c = {0};
	LeadChunk	kept = {0};

	c.staging_ids = palloc(sizeof(int64) * n);
	c.rows = palloc(sizeof(Datum) * n);
	c.ids = palloc(sizeof(int64) * n);
	c.numbers = palloc(sizeof(char *) * n);
	c.clients = palloc(sizeof(int64) * n);
	c.dropped = palloc0(sizeof(bool) * n);
	run->counts[IMPORT_LEAD].staged += n;
	for (uint64 i = 0; i < n; i++)
		(void) resolve_lead(run, names, staged, i, &c);
	crm_import_drop_clashes(run, &lead_keys, c.n, c.staging_ids, c.numbers, c.ids, c.clients, c.dropped);

	/* the rows left, in order */
	kept = c;
	kept.n = 0;
	for (int i = 0; i < c.n; i++)
		if (!c.dropped[i])
		{
			kept.staging_ids[kept.n] = c.staging_ids[i];
			kept.rows[kept.n] = c.rows[i];
			kept.n++;
		}
	crm_import_write(run, &kept, kept.n, write_leads, lead_staging_id, NULL);
}

void
crm_import_leads(ImportRun *run)
{
	LeadNames	names;

	run->kind = IMPORT_LEAD;
	crm_import_plan_rows(&insert_leads, &crm_import_lead_table);
	names.types = crm_import_lead_types(run);
	names.statuses = crm_import_statuses(run);
	names.campaigns = crm_import_campaigns(run);
	names.locations = crm_import_locations(run);
	names.employees = crm_import_employees(run);
	names.counters = crm_import_map_create_in(run->memory, 16);
	crm_import_read_staged(run, &read_leads_numbered, lead_chunk, &names);
	crm_import_read_staged(run, &read_leads_unnumbered, lead_chunk, &names);
}
