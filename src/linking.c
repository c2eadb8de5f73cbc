/*
 * linking.c
 *	  Orders, and the matching by phone of leads to clients and of orders to
 *	  leads.
 *
 * Triggers on crm.leads:
 *	lead_20_phone			BEFORE INSERT OR UPDATE OF contact_phone, phone, order_id:
 *							phone = E.164 of contact_phone (NULL when not valid);
 *							order_id only through crm.link_order; in auto mode a
 *							new lead gets the one client with its phone
 *	lead_95_link			AFTER INSERT: records that client link (after the
 *							'created' event), then in auto mode links the one
 *							matching unlinked order
 * Triggers on crm.orders:
 *	order_10_before_write	number, phone_e164, fixed columns; in auto mode a new
 *							order is given the one matching open lead
 *	order_90_link			AFTER INSERT OR UPDATE OF lead_id: the lead of a new
 *							order, or a lead_id written by hand, is linked as
 *							crm.link_order does
 * Functions: crm.client_candidates, crm.link_lead_client, crm.order_candidates,
 * crm.link_order.
 *
 * A lead and an order for the same phone may arrive at once, each unable to
 * see the other.  Both sides therefore take a transaction advisory lock on
 * (account, bucket of the phone) before searching: whoever comes second waits,
 * then searches with a fresh snapshot (READ COMMITTED) and finds the first,
 * so the pair is linked exactly once.  Buckets bound the number of locks a
 * bulk load holds.  Linking locks the order row, then the lead row (always in
 * that order), and checks the lead again once it holds the lock.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "crm.h"

/* While set, the link itself writes orders.lead_id and leads.order_id. */
static bool linking_now = false;

#define LINK_LOCK_BUCKETS 64
#define LINK_LOCK_CLASS 0x63720000	/* "cr": keeps crm's advisory keys apart */

/* ---- tuple helpers ---- */

static Datum
col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "crm: row has no column \"%s\"", name);
	return SPI_getbinval(tuple, desc, attnum, isnull);
}

static int64
col_int64(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	Datum		d = col(tuple, desc, name, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

char *
crm_tuple_text(HeapTuple tuple, TupleDesc desc, const char *name)
{
	bool		isnull;
	Datum		d = col(tuple, desc, name, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

bool
crm_same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_int64(HeapTuple a, HeapTuple b, TupleDesc desc, const char *name)
{
	bool		an,
				bn;
	int64		av = col_int64(a, desc, name, &an);
	int64		bv = col_int64(b, desc, name, &bn);

	return an == bn && av == bv;
}

static TriggerData *
check_trigger(FunctionCallInfo fcinfo, const char *name, bool before)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be called as trigger", name)));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		before != (bool) TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be fired for each row, %s INSERT or UPDATE",
						name, before ? "before" : "after")));
	return trigdata;
}

static void
refuse_derived(const char *column, const char *table, const char *given,
			   const char *source, const char *source_value)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot write \"%s\" into column \"%s\" of crm.%s", given, column, table),
			 errdetail("%s is the E.164 form of %s \"%s\" and is filled from it.",
					   column, source, source_value ? source_value : "(null)"),
			 errhint("Write the number into %s only.", source)));
}

static void
refuse_link_column(const char *column, const char *table)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("column \"%s\" of crm.%s is set by linking", column, table),
			 errdetail("A lead and an order are linked both ways at once, with the lead's status move."),
			 errhint("Use crm.link_order(order_id, lead_id), or set lead_id of a crm.orders row that has none.")));
}

/*
 * The E.164 form of a phone column of a new or updated row: NULL when not
 * valid.  A value written into the derived column itself must agree with it.
 */
static char *
derived_phone(int64 account_id, const char *raw, const char *given, const char *old_given,
			  bool is_update, const char *column, const char *table, const char *source)
{
	char	   *e164 = raw ? crm_phone_e164(raw, crm_phone_settings(account_id)->region) : NULL;

	if (given != NULL && !(is_update && crm_same_text(given, old_given)) &&
		!crm_same_text(given, e164))
		refuse_derived(column, table, given, source, raw);
	return e164;
}

/* A copy of tuple with one column replaced. */
static HeapTuple
set_column(HeapTuple tuple, TupleDesc desc, const char *name, Datum value, bool isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	return heap_modify_tuple_by_cols(tuple, desc, 1, &attnum, &value, &isnull);
}

static HeapTuple
set_text(HeapTuple tuple, TupleDesc desc, const char *name, const char *value)
{
	return set_column(tuple, desc, name, value ? CStringGetTextDatum(value) : (Datum) 0, value == NULL);
}

static HeapTuple
set_int64(HeapTuple tuple, TupleDesc desc, const char *name, int64 value)
{
	return set_column(tuple, desc, name, Int64GetDatum(value), false);
}

/* ---- locking a phone ---- */

static void
lock_phone(int64 account_id, const char *e164)
{
	uint32		bucket = hash_bytes((const unsigned char *) e164, strlen(e164)) % LINK_LOCK_BUCKETS;

	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum((int32) account_id),
						Int32GetDatum((int32) (LINK_LOCK_CLASS | bucket)));
}

/* ---- the link itself ---- */

typedef enum LinkBy
{
	LINK_BY_HAND,				/* crm.link_order: as the caller, errors raised */
	LINK_BY_WRITE,				/* orders.lead_id written: errors raised */
	LINK_AUTO					/* auto mode: nothing raised, false when not possible */
} LinkBy;

static CrmPlan lock_order = {
	"SELECT number, lead_id, client_id FROM crm.orders "
	"WHERE account_id = $1 AND id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
/*
 * One table only: under READ COMMITTED a row lock taken after waiting sees the
 * lead's latest version, and a join would be rechecked against the other
 * tables' old rows and lose it.
 */
static CrmPlan lock_lead = {
	"SELECT number, order_id, client_id, closed_at IS NOT NULL, status_id "
	"FROM crm.leads WHERE account_id = $1 AND id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan status_name = {
	"SELECT name FROM crm.statuses WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan lead_number_plan = {
	"SELECT number FROM crm.leads WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan order_number_plan = {
	"SELECT number FROM crm.orders WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/* A name for an error message, read as the owner. */
static char *
lookup_name(CrmPlan *plan, int64 account_id, int64 id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(id)};
	CrmUserSwitch user;
	char	   *name = NULL;

	crm_become_owner(&user);
	if (crm_exec(plan, args, NULL, true, 1) == 1)
		name = crm_get_text(0, 1);
	crm_restore_user(&user);
	return name ? name : psprintf("%lld", (long long) id);
}

static CrmPlan write_order_link = {
	"UPDATE crm.orders SET lead_id = $3, client_id = coalesce(client_id, $4) "
	"WHERE account_id = $1 AND id = $2",
	4, {INT8OID, INT8OID, INT8OID, INT8OID}
};
static CrmPlan write_lead_link = {
	"UPDATE crm.leads SET order_id = $3, client_id = coalesce(client_id, $4), "
	"status_id = coalesce($5, status_id) WHERE account_id = $1 AND id = $2",
	5, {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}
};

static void
not_found(const char *what, int64 account_id, int64 id, int sqlstate)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s %lld does not exist", what, (long long) id),
			 errdetail("Account %lld has no %s with id %lld that you can see.",
					   (long long) account_id, what, (long long) id),
			 errhint("Check the %s id and crm.account_id.", what)));
}

/*
 * Links order and lead both ways and moves the lead to the account's order
 * status.  Caller is connected to SPI.  Returns false only for LINK_AUTO.
 */
static bool
link_order_lead(int64 account_id, int64 order_id, int64 lead_id, LinkBy by)
{
	const CrmPhoneSettings *settings = crm_phone_settings(account_id);
	Datum		args[5];
	char		nulls[6] = "     ";
	CrmUserSwitch user = {0};
	bool		as_owner = (by != LINK_BY_HAND);
	bool		isnull;
	char	   *order_number;
	int64		order_lead;
	bool		order_lead_null;
	int64		order_client;
	bool		order_client_null;
	char	   *lead_number;
	int64		lead_client;
	bool		lead_client_null;
	bool		lead_closed;
	int64		lead_order;
	int64		lead_status;
	int64		client;
	bool		client_null;

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(order_id);
	if (as_owner)
		crm_become_owner(&user);

	/* The order first, then the lead: one order of locks everywhere. */
	if (crm_exec(&lock_order, args, NULL, false, 1) == 0)
	{
		if (by == LINK_AUTO)
			goto refused;
		not_found("order", account_id, order_id, ERRCODE_NO_DATA_FOUND);
	}
	order_number = crm_get_text(0, 1);
	order_lead = crm_get_int64(0, 2, &order_lead_null);
	order_client = crm_get_int64(0, 3, &order_client_null);
	if (!order_lead_null && !(by == LINK_BY_WRITE && order_lead == lead_id))
	{
		if (by == LINK_AUTO)
			goto refused;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("order \"%s\" is already linked to lead \"%s\"", order_number,
						lookup_name(&lead_number_plan, account_id, order_lead)),
				 errdetail("Order \"%s\" is linked to another lead; an order links to one lead.",
						   order_number),
				 errhint("Link another order to lead %lld.", (long long) lead_id)));
	}

	args[1] = Int64GetDatum(lead_id);
	if (crm_exec(&lock_lead, args, NULL, false, 1) == 0)
	{
		if (by == LINK_AUTO)
			goto refused;
		not_found("lead", account_id, lead_id,
				  by == LINK_BY_HAND ? ERRCODE_NO_DATA_FOUND : ERRCODE_FOREIGN_KEY_VIOLATION);
	}
	lead_number = crm_get_text(0, 1);
	lead_order = crm_get_int64(0, 2, &isnull);
	lead_client = crm_get_int64(0, 3, &lead_client_null);
	lead_closed = crm_get_bool(0, 4, NULL);
	lead_status = crm_get_int64(0, 5, NULL);

	if (!isnull)
	{
		if (by == LINK_AUTO)
			goto refused;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead \"%s\" is already linked to order \"%s\"", lead_number,
						lookup_name(&order_number_plan, account_id, lead_order)),
				 errdetail("Lead \"%s\" is linked to another order; a lead links to one order.",
						   lead_number),
				 errhint("Link order \"%s\" to another open lead; crm.order_candidates(%lld) lists them.",
						 order_number, (long long) order_id)));
	}
	if (lead_closed)
	{
		if (by == LINK_AUTO)
			goto refused;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead \"%s\" is closed", lead_number),
				 errdetail("Lead \"%s\" is in status \"%s\", which closes it.", lead_number,
						   lookup_name(&status_name, account_id, lead_status)),
				 errhint("Link order \"%s\" to an open lead; crm.order_candidates(%lld) lists them.",
						 order_number, (long long) order_id)));
	}
	if (!lead_client_null && !order_client_null && lead_client != order_client)
	{
		if (by == LINK_AUTO)
			goto refused;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead \"%s\" belongs to another client", lead_number),
				 errdetail("Lead %lld is linked to client %lld, order \"%s\" to client %lld.",
						   (long long) lead_id, (long long) lead_client, order_number,
						   (long long) order_client),
				 errhint("Link the order to a lead of client %lld or to a lead with no client.",
						 (long long) order_client)));
	}

	/* Each side takes the client the other knows. */
	client = lead_client_null ? order_client : lead_client;
	client_null = lead_client_null && order_client_null;

	if (!as_owner)
		crm_become_owner(&user);
	linking_now = true;
	crm_system_status_move = true;
	PG_TRY();
	{
		args[1] = Int64GetDatum(order_id);
		args[2] = Int64GetDatum(lead_id);
		args[3] = Int64GetDatum(client);
		nulls[3] = client_null ? 'n' : ' ';
		if (order_lead_null || (order_client_null && !client_null))
			crm_exec(&write_order_link, args, nulls, false, 0);
		args[1] = Int64GetDatum(lead_id);
		args[2] = Int64GetDatum(order_id);
		args[4] = Int64GetDatum(settings->order_won_status_id);
		nulls[4] = settings->has_won_status ? ' ' : 'n';
		crm_exec(&write_lead_link, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		linking_now = false;
		crm_system_status_move = false;
	}
	PG_END_TRY();
	crm_restore_user(&user);
	return true;

refused:
	Assert(as_owner);
	crm_restore_user(&user);
	return false;
}

/* ---- leads ---- */

/* ---- linking a new lead to its client ---- */

static CrmPlan clients_by_phone = {
	"SELECT DISTINCT client_id FROM crm.client_phones WHERE account_id = $1 AND phone = $2 LIMIT 2",
	2, {INT8OID, TEXTOID}
};

/*
 * In auto mode a new lead gets its client in the BEFORE trigger, so the row is
 * written once: linking it with an UPDATE after the insert wrote a second
 * version and re-ran every foreign key check of a row inserted in the same
 * transaction.  The 'client_linked' event must still follow 'created', which
 * the history trigger writes after the insert; so the leads linked here are
 * remembered until lead_95_link (which fires after the history trigger)
 * records their event.  A client given in the INSERT itself is not an event,
 * as before.  The set lives in the transaction's memory: a row whose insert
 * fails never reaches lead_95_link and is forgotten at transaction end.
 */
typedef struct AutoLinkedLead
{
	int64		account_id;
	int64		lead_id;
} AutoLinkedLead;

static HTAB *auto_linked_leads = NULL;
static bool auto_link_callback_registered = false;

static void
forget_auto_linked_leads(XactEvent event, void *arg)
{
	auto_linked_leads = NULL;	/* its memory goes with the transaction */
}

static void
remember_auto_linked(int64 account_id, int64 lead_id)
{
	AutoLinkedLead key = {account_id, lead_id};

	if (auto_linked_leads == NULL)
	{
		HASHCTL		ctl;

		if (!auto_link_callback_registered)
		{
			RegisterXactCallback(forget_auto_linked_leads, NULL);
			auto_link_callback_registered = true;
		}
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(AutoLinkedLead);
		ctl.entrysize = sizeof(AutoLinkedLead);
		ctl.hcxt = TopTransactionContext;
		auto_linked_leads = hash_create("crm auto-linked leads", 64, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(auto_linked_leads, &key, HASH_ENTER, NULL);
}

/* Whether the BEFORE trigger linked this lead; forgets it. */
static bool
take_auto_linked(int64 account_id, int64 lead_id)
{
	AutoLinkedLead key = {account_id, lead_id};
	bool		found = false;

	if (auto_linked_leads != NULL)
		(void) hash_search(auto_linked_leads, &key, HASH_REMOVE, &found);
	return found;
}

/* The one client with this phone (auto mode, new lead without a client), or the row unchanged. */
static HeapTuple
link_new_lead_client(HeapTuple new, TupleDesc desc, int64 account_id, const char *e164)
{
	bool		isnull;
	Datum		args[2];
	int64		client_id;
	CrmUserSwitch user;
	bool		found;

	(void) col(new, desc, "client_id", &isnull);
	if (e164 == NULL || !isnull || strcmp(crm_phone_settings(account_id)->client_link_mode, "auto") != 0)
		return new;
	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	SPI_connect();
	crm_become_owner(&user);
	found = crm_exec(&clients_by_phone, args, NULL, true, 2) == 1;
	client_id = found ? crm_get_int64(0, 1, NULL) : 0;
	crm_restore_user(&user);
	SPI_finish();
	if (!found)
		return new;
	remember_auto_linked(account_id, col_int64(new, desc, "id", &isnull));
	return set_int64(new, desc, "client_id", client_id);
}

PG_FUNCTION_INFO_V1(crm_lead_phone_before_write);
Datum
crm_lead_phone_before_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_trigger(fcinfo, "crm_lead_phone_before_write", true);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	HeapTuple	old = trigdata->tg_trigtuple;
	HeapTuple	new = is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	bool		isnull;
	int64		account_id = col_int64(new, desc, "account_id", &isnull);
	char	   *raw;
	char	   *given;
	char	   *old_given = NULL;
	char	   *e164;

	if (isnull)
		return PointerGetDatum(new);	/* the NOT NULL constraint reports it */

	if (!linking_now)
	{
		(void) col(new, desc, "order_id", &isnull);
		if (is_update ? !same_int64(old, new, desc, "order_id") : !isnull)
			refuse_link_column("order_id", "leads");
	}

	raw = crm_tuple_text(new, desc, "contact_phone");
	given = crm_tuple_text(new, desc, "phone");
	if (is_update)
	{
		old_given = crm_tuple_text(old, desc, "phone");
		if (crm_same_text(raw, crm_tuple_text(old, desc, "contact_phone")) && crm_same_text(given, old_given))
			return PointerGetDatum(new);
	}
	else if (raw == NULL && given != NULL)
	{
		/* A number typed into phone is the contact phone. */
		new = set_text(new, desc, "contact_phone", given);
		raw = given;
		given = NULL;
	}
	e164 = derived_phone(account_id, raw, given, old_given, is_update, "phone", "leads", "contact_phone");
	new = set_text(new, desc, "phone", e164);
	if (!is_update)
		new = link_new_lead_client(new, desc, account_id, e164);
	return PointerGetDatum(new);
}

static CrmPlan unlinked_orders_by_phone = {
	"SELECT id FROM crm.orders WHERE account_id = $1 AND phone_e164 = $2 AND lead_id IS NULL "
	"AND ($3::bigint IS NULL OR client_id IS NULL OR client_id = $3) ORDER BY id LIMIT 2",
	3, {INT8OID, TEXTOID, INT8OID}
};

PG_FUNCTION_INFO_V1(crm_lead_after_insert_link);
Datum
crm_lead_after_insert_link(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_trigger(fcinfo, "crm_lead_after_insert_link", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	HeapTuple	lead = trigdata->tg_trigtuple;
	const CrmPhoneSettings *settings;
	bool		isnull;
	int64		account_id = col_int64(lead, desc, "account_id", &isnull);
	int64		lead_id = col_int64(lead, desc, "id", &isnull);
	int64		client_id;
	bool		client_null;
	bool		client_linked,
				order_auto;
	char	   *phone = crm_tuple_text(lead, desc, "phone");
	Datum		args[3];
	char		nulls[4] = "   ";
	CrmUserSwitch user;

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "crm_lead_after_insert_link: must be fired by INSERT");
	if (phone == NULL)
		return PointerGetDatum(NULL);

	settings = crm_phone_settings(account_id);
	client_id = col_int64(lead, desc, "client_id", &client_null);
	client_linked = !client_null && take_auto_linked(account_id, lead_id);
	(void) col(lead, desc, "closed_at", &isnull);
	order_auto = isnull && strcmp(settings->order_link_mode, "auto") == 0;
	if (!client_linked && !order_auto)
		return PointerGetDatum(NULL);

	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(phone);
	SPI_connect();
	crm_become_owner(&user);
	if (client_linked)
	{
		const char *keys[2] = {"from", "to"};
		const char *values[2] = {NULL, psprintf(INT64_FORMAT, client_id)};

		crm_lead_event(account_id, lead_id, "client_linked", 0, true, 0, true,
					   crm_json_object(2, keys, values), false);
	}
	if (order_auto)
	{
		lock_phone(account_id, phone);
		args[2] = Int64GetDatum(client_id);
		nulls[2] = client_null ? 'n' : ' ';
		if (crm_exec(&unlinked_orders_by_phone, args, nulls, false, 2) == 1)
			(void) link_order_lead(account_id, crm_get_int64(0, 1, NULL), lead_id, LINK_AUTO);
	}
	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- orders ---- */

static CrmPlan order_max_number = {
	"SELECT max(number_seq) FROM crm.orders WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};

static void
refuse_order_change(HeapTuple old, HeapTuple new, TupleDesc desc, const char *column)
{
	bool		changed;

	if (strcmp(column, "number") == 0)
		changed = !crm_same_text(crm_tuple_text(old, desc, column), crm_tuple_text(new, desc, column));
	else if (strcmp(column, "created_at") == 0)
	{
		bool		an,
					bn;
		Datum		a = col(old, desc, column, &an);
		Datum		b = col(new, desc, column, &bn);

		changed = an != bn || (!an && a != b);
	}
	else
		changed = !same_int64(old, new, desc, column);
	if (changed)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of an order cannot be changed", column),
				 errdetail("It is fixed when the order is created."),
				 errhint("Leave %s out of the UPDATE.", column)));
}

/* ---- giving a new order its lead ---- */

static CrmPlan open_leads_by_phone = {
	"SELECT id FROM crm.leads WHERE account_id = $1 AND phone = $2 AND closed_at IS NULL "
	"AND order_id IS NULL AND ($3::bigint IS NULL OR client_id IS NULL OR client_id = $3) "
	"ORDER BY id LIMIT 2",
	3, {INT8OID, TEXTOID, INT8OID}
};

/*
 * In auto mode a new order is given its lead before it is written: the one
 * open lead without an order with its phone (and a compatible client), taken
 * under the phone's advisory lock as every automatic link is, then locked and
 * checked again under that lock.  order_90_link links the lead as for a
 * lead_id written in the INSERT, and the order row is written once: linking it
 * with an UPDATE after the insert wrote a second version and re-ran its
 * foreign key checks.  The order takes the lead's client when it has none.
 */
static HeapTuple
choose_order_lead(HeapTuple new, TupleDesc desc, int64 account_id, const char *e164)
{
	bool		client_null;
	bool		isnull;
	int64		client_id = col_int64(new, desc, "client_id", &client_null);
	Datum		args[3];
	char		nulls[4] = "   ";
	CrmUserSwitch user;
	int64		lead_id = 0;
	int64		lead_client = 0;
	bool		lead_client_null = true;
	bool		chosen = false;

	(void) col(new, desc, "lead_id", &isnull);
	if (e164 == NULL || !isnull || strcmp(crm_phone_settings(account_id)->order_link_mode, "auto") != 0)
		return new;
	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	args[2] = Int64GetDatum(client_id);
	nulls[2] = client_null ? 'n' : ' ';
	lock_phone(account_id, e164);
	SPI_connect();
	crm_become_owner(&user);
	if (crm_exec(&open_leads_by_phone, args, nulls, false, 2) == 1)
	{
		bool		no_order;

		lead_id = crm_get_int64(0, 1, NULL);
		args[1] = Int64GetDatum(lead_id);
		if (crm_exec(&lock_lead, args, NULL, false, 1) == 1)
		{
			(void) crm_get(0, 2, &no_order);
			lead_client = crm_get_int64(0, 3, &lead_client_null);
			chosen = no_order && !crm_get_bool(0, 4, NULL) &&
				(client_null || lead_client_null || lead_client == client_id);
		}
	}
	crm_restore_user(&user);
	SPI_finish();
	if (!chosen)
		return new;
	new = set_int64(new, desc, "lead_id", lead_id);
	if (client_null && !lead_client_null)
		new = set_int64(new, desc, "client_id", lead_client);
	return new;
}

PG_FUNCTION_INFO_V1(crm_order_before_write);
Datum
crm_order_before_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_trigger(fcinfo, "crm_order_before_write", true);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	HeapTuple	old = trigdata->tg_trigtuple;
	HeapTuple	new = is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	bool		isnull;
	int64		account_id = col_int64(new, desc, "account_id", &isnull);
	char	   *raw;
	char	   *given;
	char	   *e164;

	if (isnull)
		return PointerGetDatum(new);	/* the NOT NULL constraint reports it */

	if (is_update)
	{
		bool		old_lead_null;

		refuse_order_change(old, new, desc, "account_id");
		refuse_order_change(old, new, desc, "id");
		refuse_order_change(old, new, desc, "number");
		refuse_order_change(old, new, desc, "number_sequence_id");
		refuse_order_change(old, new, desc, "number_seq");
		refuse_order_change(old, new, desc, "created_at");
		(void) col(old, desc, "lead_id", &old_lead_null);
		if (!linking_now && !old_lead_null && !same_int64(old, new, desc, "lead_id"))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("order \"%s\" is already linked to lead %lld",
							crm_tuple_text(old, desc, "number"),
							(long long) col_int64(old, desc, "lead_id", &isnull)),
					 errdetail("A link between an order and a lead is not undone or moved."),
					 errhint("Leave lead_id out of the UPDATE.")));
		raw = crm_tuple_text(new, desc, "phone");
		given = crm_tuple_text(new, desc, "phone_e164");
		if (crm_same_text(raw, crm_tuple_text(old, desc, "phone")) &&
			crm_same_text(given, crm_tuple_text(old, desc, "phone_e164")))
			return PointerGetDatum(new);
		e164 = derived_phone(account_id, raw, given, crm_tuple_text(old, desc, "phone_e164"), true,
							 "phone_e164", "orders", "phone");
		return PointerGetDatum(set_text(new, desc, "phone_e164", e164));
	}
	else
	{
		const CrmPhoneSettings *settings = crm_phone_settings(account_id);
		CrmUserSwitch user;
		TimestampTz created_at;
		int64		sequence_id,
					seq;
		char	   *number;
		int			attnums[5];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (crm_tuple_text(new, desc, "number") != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("cannot insert a value into column \"number\" of crm.orders"),
					 errdetail("Order numbers are made from the account's order_number_template."),
					 errhint("Leave number out of the INSERT.")));
		created_at = DatumGetTimestampTz(col(new, desc, "created_at", &isnull));
		if (isnull)
			created_at = GetCurrentTransactionStartTimestamp();
		raw = crm_tuple_text(new, desc, "phone");
		given = crm_tuple_text(new, desc, "phone_e164");
		if (raw == NULL && given != NULL)
		{
			new = set_text(new, desc, "phone", given);
			raw = given;
			given = NULL;
		}
		e164 = derived_phone(account_id, raw, given, NULL, false, "phone_e164", "orders", "phone");

		SPI_connect();
		crm_become_owner(&user);
		number = crm_number_next(account_id, settings->order_number_template, settings->timezone,
								 created_at, &order_max_number, &sequence_id, &seq);
		crm_restore_user(&user);
		SPI_finish();

		attnums[0] = SPI_fnumber(desc, "number");
		values[0] = CStringGetTextDatum(number);
		attnums[1] = SPI_fnumber(desc, "number_sequence_id");
		values[1] = Int64GetDatum(sequence_id);
		attnums[2] = SPI_fnumber(desc, "number_seq");
		values[2] = Int64GetDatum(seq);
		attnums[3] = SPI_fnumber(desc, "created_at");
		values[3] = TimestampTzGetDatum(created_at);
		attnums[4] = SPI_fnumber(desc, "phone_e164");
		values[4] = e164 ? CStringGetTextDatum(e164) : (Datum) 0;
		nulls[4] = (e164 == NULL);
		new = heap_modify_tuple_by_cols(new, desc, 5, attnums, values, nulls);
		return PointerGetDatum(choose_order_lead(new, desc, account_id, e164));
	}
}

PG_FUNCTION_INFO_V1(crm_order_after_write_link);
Datum
crm_order_after_write_link(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_trigger(fcinfo, "crm_order_after_write_link", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	HeapTuple	new = is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	bool		isnull;
	bool		lead_null;
	int64		account_id = col_int64(new, desc, "account_id", &isnull);
	int64		order_id = col_int64(new, desc, "id", &isnull);
	int64		lead_id = col_int64(new, desc, "lead_id", &lead_null);

	if (linking_now)
		return PointerGetDatum(NULL);
	if (is_update && same_int64(trigdata->tg_trigtuple, new, desc, "lead_id"))
		return PointerGetDatum(NULL);

	if (lead_null)
		return PointerGetDatum(NULL);
	SPI_connect();
	(void) link_order_lead(account_id, order_id, lead_id, LINK_BY_WRITE);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- SQL functions ---- */

/* Copies the n rows of SPI_tuptable into the function's result set (same columns). */
static void
put_result_rows(ReturnSetInfo *rsinfo, uint64 n)
{
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

	for (uint64 i = 0; i < n; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	MemoryContextSwitchTo(old);
}

static bool
mode_is(const char *mode, const char *want)
{
	return strcmp(mode, want) == 0;
}

static CrmPlan client_candidates = {
	"SELECT DISTINCT ON (c.id) c.id, c.name, p.phone, c.category "
	"FROM crm.client_phones p "
	"JOIN crm.clients c ON c.account_id = p.account_id AND c.id = p.client_id "
	"WHERE p.account_id = $1 AND p.phone = $2 ORDER BY c.id",
	2, {INT8OID, TEXTOID}
};

/*
 * crm.client_candidates(phone): the clients with this phone.  Nothing with
 * client_link_mode off, for an employee who may not see customers (as if no
 * client matched), or for a phone that is not valid.  Reads as the caller.
 */
PG_FUNCTION_INFO_V1(crm_client_candidates);
Datum
crm_client_candidates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	const CrmPhoneSettings *settings;
	char	   *e164;
	Datum		args[2];
	uint64		n;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || !crm_can_see_customers())
		return (Datum) 0;
	settings = crm_phone_settings(account_id);
	if (mode_is(settings->client_link_mode, "off"))
		return (Datum) 0;
	e164 = crm_phone_e164(text_to_cstring(PG_GETARG_TEXT_PP(0)), settings->region);
	if (e164 == NULL)
		return (Datum) 0;

	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	SPI_connect();
	n = crm_exec(&client_candidates, args, NULL, true, 0);
	put_result_rows(rsinfo, n);
	SPI_finish();
	return (Datum) 0;
}

static CrmPlan visible_client = {
	"SELECT 1 FROM crm.clients WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan link_client = {
	"UPDATE crm.leads AS l SET client_id = $3 WHERE l.account_id = $1 AND l.id = $2 RETURNING l",
	3, {INT8OID, INT8OID, INT8OID}
};

/* crm.link_lead_client(lead_id, client_id): as the caller; the history trigger records it. */
PG_FUNCTION_INFO_V1(crm_link_lead_client);
Datum
crm_link_lead_client(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	Datum		args[3];
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lead_id and client_id must not be NULL"),
				 errhint("Pass the lead's id and the id of the client to link it to.")));
	args[0] = Int64GetDatum(account_id);
	args[1] = PG_GETARG_DATUM(1);
	SPI_connect();
	/* As the caller: a client the caller may not see does not exist for it. */
	if (crm_exec(&visible_client, args, NULL, true, 1) == 0)
		not_found("client", account_id, PG_GETARG_INT64(1), ERRCODE_FOREIGN_KEY_VIOLATION);
	args[1] = PG_GETARG_DATUM(0);
	args[2] = PG_GETARG_DATUM(1);
	if (crm_exec(&link_client, args, NULL, false, 0) != 1)
		not_found("lead", account_id, PG_GETARG_INT64(0), ERRCODE_NO_DATA_FOUND);
	result = SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static CrmPlan visible_order = {
	"SELECT phone_e164, client_id FROM crm.orders WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan order_candidates = {
	"SELECT l.id, l.number, l.contact_name, l.phone, s.name, l.status_id, l.client_id, l.created_at "
	"FROM crm.leads l "
	"JOIN crm.statuses s ON s.account_id = l.account_id AND s.id = l.status_id "
	"WHERE l.account_id = $1 AND l.phone = $2 AND l.closed_at IS NULL AND l.order_id IS NULL "
	"AND ($3::bigint IS NULL OR l.client_id IS NULL OR l.client_id = $3) "
	"ORDER BY l.created_at DESC, l.id DESC",
	3, {INT8OID, TEXTOID, INT8OID}
};

/*
 * crm.order_candidates(order_id): the open, unlinked leads with the order's
 * phone that crm.link_order would accept.  Nothing with order_link_mode off
 * or for an employee who may not see customers.
 */
PG_FUNCTION_INFO_V1(crm_order_candidates);
Datum
crm_order_candidates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	int64		order_id = PG_GETARG_INT64(0);
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(order_id), 0};
	char		nulls[4] = "   ";
	bool		isnull;
	bool		no_client;
	uint64		n;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	if (crm_exec(&visible_order, args, NULL, true, 1) == 0)
		not_found("order", account_id, order_id, ERRCODE_NO_DATA_FOUND);
	args[1] = crm_get(0, 1, &isnull);
	args[2] = Int64GetDatum(crm_get_int64(0, 2, &no_client));
	nulls[2] = no_client ? 'n' : ' ';
	if (isnull || !crm_can_see_customers() ||
		mode_is(crm_phone_settings(account_id)->order_link_mode, "off"))
	{
		SPI_finish();
		return (Datum) 0;
	}
	args[1] = CStringGetTextDatum(TextDatumGetCString(args[1]));
	n = crm_exec(&order_candidates, args, nulls, true, 0);
	put_result_rows(rsinfo, n);
	SPI_finish();
	return (Datum) 0;
}

static CrmPlan lead_row = {
	"SELECT l FROM crm.leads l WHERE l.account_id = $1 AND l.id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * crm.link_order(order_id, lead_id): links both ways and moves the lead to
 * the account's order_won_status_id; returns the lead.
 */
PG_FUNCTION_INFO_V1(crm_link_order);
Datum
crm_link_order(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	Datum		args[2];
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("order_id and lead_id must not be NULL"),
				 errhint("Pass the order's id and the id of the open lead to link it to.")));
	SPI_connect();
	(void) link_order_lead(account_id, PG_GETARG_INT64(0), PG_GETARG_INT64(1), LINK_BY_HAND);
	args[0] = Int64GetDatum(account_id);
	args[1] = PG_GETARG_DATUM(1);
	crm_exec(&lead_row, args, NULL, false, 1);
	result = SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
