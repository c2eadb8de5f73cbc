/*
 * events.c
 *	  The event stream (events.sql): what becomes an event of crm.events, one
 *	  row for every business change, and reading the stream.  The events wait
 *	  in the transaction's memory and are numbered per account in commit order
 *	  and written, with a notification per account that names only the newest
 *	  event id, when it commits (events_write.c).
 *
 * Functions:
 *	crm._record_event(entity)	AFTER ROW trigger		crm_record_event
 *	crm.events_since(after_id, max)						crm_events_since
 *
 * What becomes an event is the table below (specs): for each entity, the kind
 * of a new row and its payload columns, and the columns whose change is an
 * event of its own (with "from" and "to").  Payload values are typed by one
 * rule (kit/spi.h, crm_json_datum): ids, counts and money as JSON numbers,
 * times as ISO 8601 in UTC, the rest as strings.  No customer data (names,
 * phones, emails, bodies) goes into an event: only ids, states, amounts and
 * times, so reading events needs no right to see customers.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "crm.h"
#include "events.h"
#include "tenancy.h"

#define MAX_CHANGE_RULES 6

/* ---- what is an event ---- */

typedef struct ChangeRule
{
	const char *column;
	const char *kind;
	bool		only_when_set;	/* NULL -> value only (a link, a mark) */
} ChangeRule;

typedef struct EventSpec
{
	const char *entity;			/* the trigger's argument */
	const char *created;		/* kind of a new row; NULL: see created_kind */
	const char *(*created_kind) (const CrmRow *row);
	CrmColumnMap columns;		/* account_id, id, then the payload columns */
	int			npayload;
	ChangeRule	changes[MAX_CHANGE_RULES];
} EventSpec;

/* The first two columns of every map. */
enum
{
	EV_ACCOUNT_ID, EV_ID, EV_PAYLOAD
};

static const char *
payment_kind(const CrmRow *row)
{
	/* succeeded is the payload's fourth column: invoice_id, kind, amount, succeeded */
	return crm_row_bool(row, EV_PAYLOAD + 3) ? "payment" : "payment_failed";
}

static const char *
message_kind(const CrmRow *row)
{
	char	   *direction = crm_row_text(row, EV_PAYLOAD + 1);

	return direction != NULL && strcmp(direction, "in") == 0 ? "message_in" : "message_out";
}

static const char *const lead_names[] = {"account_id", "id", "number", "type_id", "status_id", "manager_id",
"client_id", "campaign_id", "order_id", "deadline", "urgent", "overdue_since"};
static const char *const client_names[] = {"account_id", "id", "category", "responsible_id"};
static const char *const order_names[] = {"account_id", "id", "number", "client_id", "lead_id", "amount"};
static const char *const invoice_names[] = {"account_id", "id", "number", "client_id", "manager_id", "amount", "status"};
static const char *const payment_names[] = {"account_id", "id", "invoice_id", "kind", "amount", "succeeded", "at"};
static const char *const alert_names[] = {"account_id", "id", "employee_id", "kind", "client_id", "invoice_id",
"payment_id", "offer_id"};
static const char *const call_names[] = {"account_id", "id", "invoice_id", "task_id", "outcome", "employee_id",
"called_at", "next_call_at"};
static const char *const message_names[] = {"account_id", "id", "conversation_id", "direction", "employee_id", "sent_at"};
static const char *const appointment_names[] = {"account_id", "id", "client_id", "employee_id", "starts_at", "status"};
static const char *const outbox_names[] = {"account_id", "id", "kind"};

#define MAP(table, names) {table, lengthof(names), names}

static EventSpec specs[] = {
	{"lead", "lead_created", NULL, MAP("crm.leads", lead_names), lengthof(lead_names) - 2,
	{{"status_id", "lead_status_changed", false}, {"manager_id", "lead_manager_changed", false},
	{"client_id", "lead_client_linked", true}, {"order_id", "lead_order_linked", true},
	{"overdue_since", "lead_overdue", true}}},
	{"client", "client_created", NULL, MAP("crm.clients", client_names), lengthof(client_names) - 2,
	{{"category", "client_category_changed", false}, {"responsible_id", "client_responsible_changed", false}}},
	{"order", "order_created", NULL, MAP("crm.orders", order_names), lengthof(order_names) - 2,
	{{"lead_id", "order_lead_linked", true}}},
	{"invoice", "invoice_created", NULL, MAP("crm.invoices", invoice_names), lengthof(invoice_names) - 2,
	{{"status", "invoice_status_changed", false}}},
	{"payment", NULL, payment_kind, MAP("crm.payments", payment_names), lengthof(payment_names) - 2, {{0}}},
	{"alert", "alert_raised", NULL, MAP("crm.alerts", alert_names), lengthof(alert_names) - 2, {{0}}},
	{"call", "call_logged", NULL, MAP("crm.calls", call_names), lengthof(call_names) - 2, {{0}}},
	{"message", NULL, message_kind, MAP("crm.messages", message_names), lengthof(message_names) - 2, {{0}}},
	{"appointment", "appointment_created", NULL, MAP("crm.appointments", appointment_names),
	lengthof(appointment_names) - 2, {{"status", "appointment_status_changed", false}}},
	{"outbox", "outbox_queued", NULL, MAP("crm.outbox", outbox_names), lengthof(outbox_names) - 2, {{0}}},
};

static Datum
payload_of(const EventSpec *spec, const CrmRow *row, const char *changed, const CrmRow *old)
{
	CrmJson		j;
	char		idkey[64];
	bool		isnull;
	int64		id = crm_row_int64(row, EV_ID, &isnull);
	Datum		v;

	snprintf(idkey, sizeof(idkey), "%s_id", spec->entity);
	crm_json_begin(&j);
	crm_json_int64(&j, idkey, id, isnull);
	if (changed != NULL)
	{
		int			col = EV_PAYLOAD;

		while (strcmp(spec->columns.names[col], changed) != 0)
			col++;
		v = crm_row_get(old, col, &isnull);
		crm_json_datum(&j, "from", v, TupleDescAttr(row->desc, row->map->attnum[col] - 1)->atttypid, isnull);
		v = crm_row_get(row, col, &isnull);
		crm_json_datum(&j, "to", v, TupleDescAttr(row->desc, row->map->attnum[col] - 1)->atttypid, isnull);
		return crm_json_jsonb(&j);
	}
	for (int col = EV_PAYLOAD; col < EV_PAYLOAD + spec->npayload; col++)
	{
		v = crm_row_get(row, col, &isnull);
		crm_json_datum(&j, spec->columns.names[col], v,
					   TupleDescAttr(row->desc, row->map->attnum[col] - 1)->atttypid, isnull);
	}
	return crm_json_jsonb(&j);
}

static EventSpec *
spec_of(const char *entity)
{
	for (int i = 0; i < lengthof(specs); i++)
		if (strcmp(specs[i].entity, entity) == 0)
			return &specs[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("crm._record_event has no entity \"%s\"", entity),
			 errhint("Attach it with one of crm's entities (events.c).")));
	return NULL;				/* keep the compiler quiet */
}

static int
column_index(const EventSpec *spec, const char *name)
{
	for (int i = 0; i < spec->columns.ncolumns; i++)
		if (strcmp(spec->columns.names[i], name) == 0)
			return i;
	elog(ERROR, "crm: event column %s missing from %s", name, spec->columns.table);
	return -1;
}

/* AFTER INSERT OR UPDATE ... FOR EACH ROW EXECUTE FUNCTION crm._record_event('<entity>') */
PG_FUNCTION_INFO_V1(crm_record_event);
Datum
crm_record_event(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	EventSpec  *spec;
	CrmRow		row;
	int64		account_id;
	bool		isnull;

	crm_trigger_start(&t, fcinfo, "crm_record_event", CRM_AFTER, CRM_ON_INSERT | CRM_ON_UPDATE);
	/* a restore's rows are as dumped; an import's are history: its run is one event (import_run) */
	if (t.restoring || crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&t, NULL);
	if (t.data->tg_trigger->tgnargs != 1)
		elog(ERROR, "crm: crm._record_event takes the entity as its argument");
	spec = spec_of(t.data->tg_trigger->tgargs[0]);
	row = crm_trigger_row(&t, t.new, &spec->columns);
	account_id = crm_row_int64(&row, EV_ACCOUNT_ID, &isnull);

	if (t.old == NULL)
		crm_event(account_id, spec->created ? spec->created : spec->created_kind(&row),
				  payload_of(spec, &row, NULL, NULL));
	else
	{
		CrmRow		old = crm_trigger_row(&t, t.old, &spec->columns);

		for (int i = 0; i < MAX_CHANGE_RULES && spec->changes[i].column != NULL; i++)
		{
			int			col = column_index(spec, spec->changes[i].column);

			if (crm_row_same(&old, &row, col) ||
				(spec->changes[i].only_when_set && crm_row_isnull(&row, col)))
				continue;
			crm_event(account_id, spec->changes[i].kind,
					  payload_of(spec, &row, spec->changes[i].column, &old));
		}
	}
	return crm_trigger_return(&t, NULL);
}

/* ---- reading ---- */

static CrmPlan since = {
	"SELECT e.* FROM crm.events e WHERE e.account_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3",
	3, {INT8OID, INT8OID, INT4OID}
};

/*
 * crm.events_since(after_id, max): the account's events after after_id, in
 * order, at most max (1 to 10000).  Reads as the caller.
 */
PG_FUNCTION_INFO_V1(crm_events_since);
Datum
crm_events_since(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	Datum		a[3];
	uint64		n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("after_id and max", "Pass the last event id you have (0 for all) and a batch size.");
	if (PG_GETARG_INT32(1) < 1 || PG_GETARG_INT32(1) > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must be between 1 and 10000, not %d", PG_GETARG_INT32(1)),
				 errdetail("events_since returns at most 10000 events at a time."),
				 errhint("Read in batches, passing the last id of each as after_id.")));
	a[0] = Int64GetDatum(account_id);
	a[1] = PG_GETARG_DATUM(0);
	a[2] = PG_GETARG_DATUM(1);
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	n = crm_exec(&since, a, NULL, true, 0);
	crm_result_rows(rsinfo, n);
	SPI_finish();
	return (Datum) 0;
}
