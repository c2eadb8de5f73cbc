/*
 * linking.c
 *	  The matching by phone of leads to clients and of orders to leads, and
 *	  the link between an order and a lead.
 *
 * Triggers on crm.leads:
 *	lead_20_phone			BEFORE INSERT OR UPDATE OF contact_phone, phone, order_id:
 *							phone = E.164 of contact_phone (NULL when not valid);
 *							order_id only through the link; in auto mode a new
 *							lead gets the one client with its phone (a lead of
 *							an import, CRM_WRITE_IMPORT, comes with both)
 *	lead_95_link			AFTER INSERT: records that client link (after the
 *							'created' event), then in auto mode links the one
 *							matching unlinked order (not for a lead of an import)
 * Triggers on crm.orders:
 *	order_90_link			AFTER INSERT OR UPDATE OF lead_id: the lead of a new
 *							order, or a lead_id written by hand, is linked as
 *							crm.link_order does
 * C API (linking.h): crm_link_lead_for_new_order, which order_10_before_write
 * (orders.c) asks in auto mode.  The link itself, with its locks, checks and
 * writes, is order_lead_link.c (crm_link_order_lead; crm_link_order_by_hand
 * for crm.link_order, linking_by_hand.c, with the candidate functions and
 * crm.link_lead_client).
 *
 * A lead and an order for the same phone may arrive at once, each unable to
 * see the other.  Both sides therefore take crm's own lock (kit/locks.h: a
 * row lock no tenant can take) on (account, bucket of the phone) before
 * searching: whoever comes second waits,
 * then searches with a fresh snapshot (READ COMMITTED) and finds the first,
 * so the pair is linked exactly once.  Buckets bound the number of locks a
 * bulk load holds.  Linking locks the order row, then the lead row (always in
 * that order), and checks the lead again once it holds the lock
 * (order_lead_link.c).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"

#include "crm.h"
#include "kit/locks.h"
#include "history.h"
#include "linking.h"
#include "phones.h"
#include "tenancy.h"


/* ---- the columns read here ---- */

enum
{
	LEAD_ACCOUNT_ID, LEAD_ID, LEAD_CONTACT_PHONE, LEAD_PHONE, LEAD_ORDER_ID, LEAD_CLIENT_ID,
	LEAD_CLOSED_AT, LEAD_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "id", "contact_phone", "phone", "order_id", "client_id", "closed_at"
};
static CrmColumnMap lead_columns = {"crm.leads", LEAD_NCOLUMNS, lead_names};

enum
{
	ORDER_ACCOUNT_ID, ORDER_ID, ORDER_LEAD_ID, ORDER_NCOLUMNS
};
static const char *const order_names[] = {"account_id", "id", "lead_id"};
static CrmColumnMap order_columns = {"crm.orders", ORDER_NCOLUMNS, order_names};

static const CrmPhoneColumn lead_phone = {"leads", "phone", "contact_phone", false};

static bool
mode_is(const char *mode, const char *want)
{
	return strcmp(mode, want) == 0;
}

/* ---- locking a phone ---- */

/* Connected to SPI. */
static void
lock_phone(int64 account_id, const char *e164)
{
	uint32		bucket = hash_bytes((const unsigned char *) e164, strlen(e164)) % CRM_LOCK_PHONE_BUCKETS;

	crm_lock(account_id, (int32) bucket);
}

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
 * as before.  The set is forgotten at transaction end only: a row whose
 * insert fails never reaches lead_95_link, and a subtransaction's abort
 * leaves the others' entries.
 */
typedef struct AutoLinkedLead
{
	int64		account_id;
	int64		lead_id;
} AutoLinkedLead;

static HTAB *auto_linked_leads = NULL;

static void
forget_auto_linked_leads(void)
{
	auto_linked_leads = NULL;	/* its memory goes with the cache's */
}

static CrmXactCache auto_linked_cache = {"auto-linked leads", true, forget_auto_linked_leads};

static void
remember_auto_linked(int64 account_id, int64 lead_id)
{
	AutoLinkedLead key = {account_id, lead_id};

	if (!crm_xact_cache_valid(&auto_linked_cache))
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(AutoLinkedLead);
		ctl.entrysize = sizeof(AutoLinkedLead);
		ctl.hcxt = crm_xact_cache_memory(&auto_linked_cache);
		auto_linked_leads = hash_create("crm auto-linked leads", 64, &ctl,
										HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		crm_xact_cache_set_valid(&auto_linked_cache);
	}
	(void) hash_search(auto_linked_leads, &key, HASH_ENTER, NULL);
}

/* Whether the BEFORE trigger linked this lead; forgets it. */
static bool
take_auto_linked(int64 account_id, int64 lead_id)
{
	AutoLinkedLead key = {account_id, lead_id};
	bool		found = false;

	if (crm_xact_cache_valid(&auto_linked_cache))
		(void) hash_search(auto_linked_leads, &key, HASH_REMOVE, &found);
	return found;
}

/* The one client with this phone (auto mode, new lead without a client). */
static void
link_new_lead_client(CrmTrigger *trig, const CrmRow *row, CrmChanges *ch, int64 account_id,
					 const char *e164)
{
	Datum		args[2];
	int64		client_id;
	CrmUserSwitch user;
	bool		isnull;
	bool		found;

	if (e164 == NULL || !crm_row_isnull(row, LEAD_CLIENT_ID) ||
		!mode_is(crm_account_settings(account_id)->client_link_mode, "auto"))
		return;
	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	crm_trigger_connect(trig);
	crm_become_owner(&user);
	found = crm_exec(&clients_by_phone, args, NULL, true, 2) == 1;
	client_id = found ? crm_get_int64(0, 1, NULL) : 0;
	crm_restore_user(&user);
	if (!found)
		return;
	remember_auto_linked(account_id, crm_row_int64(row, LEAD_ID, &isnull));
	crm_change(ch, row, LEAD_CLIENT_ID, Int64GetDatum(client_id), false);
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

/* lead_20_phone: phone from contact_phone, order_id only by the link, auto client. */
PG_FUNCTION_INFO_V1(crm_lead_phone_before_write);
Datum
crm_lead_phone_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmRow		old;
	CrmChanges	ch = {0};
	bool		isnull;
	int64		account_id;
	char	   *raw;
	char	   *written;
	char	   *e164;

	crm_trigger_start(&trig, fcinfo, "crm_lead_phone_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	/* a lead of an import comes with its E.164 phone and its client (import/leads.c) */
	if (trig.restoring || (trig.is_insert && crm_write_allows(CRM_WRITE_IMPORT)))
		return crm_trigger_return(&trig, trig.new);
	row = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &lead_columns)};
	old = (CrmRow) {trig.old, trig.desc, row.map};
	account_id = crm_row_int64(&row, LEAD_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */

	if (!crm_write_allows(CRM_WRITE_LINK) &&
		(trig.is_update ? !crm_row_same(&old, &row, LEAD_ORDER_ID) :
		 !crm_row_isnull(&row, LEAD_ORDER_ID)))
		refuse_link_column("order_id", "leads");

	raw = crm_row_text(&row, LEAD_CONTACT_PHONE);
	written = crm_row_text(&row, LEAD_PHONE);
	if (trig.is_update)
	{
		if (crm_row_same(&old, &row, LEAD_PHONE))
		{
			if (crm_row_same(&old, &row, LEAD_CONTACT_PHONE))
				return crm_trigger_return(&trig, trig.new);
			written = NULL;		/* the phone as it was: not written by the writer */
		}
	}
	else if (raw == NULL && written != NULL)
	{
		/* A number typed into phone is the contact phone. */
		crm_change_text(&ch, &row, LEAD_CONTACT_PHONE, written);
		raw = written;
		written = NULL;
	}
	e164 = crm_phone_derive(&lead_phone, account_id, raw, written);
	crm_change_text(&ch, &row, LEAD_PHONE, e164);
	if (trig.is_insert)
		link_new_lead_client(&trig, &row, &ch, account_id, e164);
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}

static CrmPlan unlinked_orders_by_phone = {
	"SELECT id FROM crm.orders WHERE account_id = $1 AND phone_e164 = $2 AND lead_id IS NULL "
	"AND ($3::bigint IS NULL OR client_id IS NULL OR client_id = $3) ORDER BY id LIMIT 2",
	3, {INT8OID, TEXTOID, INT8OID}
};

/* lead_95_link: the auto client link's event, then in auto mode the one matching order. */
PG_FUNCTION_INFO_V1(crm_lead_after_insert_link);
Datum
crm_lead_after_insert_link(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		lead;
	bool		isnull;
	int64		account_id,
				lead_id,
				client_id;
	bool		client_null;
	bool		client_linked,
				order_auto;
	char	   *phone;
	Datum		args[3];
	char		nulls[4] = "   ";
	CrmUserSwitch user;

	crm_trigger_start(&trig, fcinfo, "crm_lead_after_insert_link", CRM_AFTER, CRM_ON_INSERT);
	if (trig.restoring || crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, NULL); /* an import's history is linked as it was */
	lead = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &lead_columns)};
	phone = crm_row_text(&lead, LEAD_PHONE);
	if (phone == NULL)
		return crm_trigger_return(&trig, NULL);
	account_id = crm_row_int64(&lead, LEAD_ACCOUNT_ID, &isnull);
	lead_id = crm_row_int64(&lead, LEAD_ID, &isnull);
	client_id = crm_row_int64(&lead, LEAD_CLIENT_ID, &client_null);
	client_linked = !client_null && take_auto_linked(account_id, lead_id);
	order_auto = crm_row_isnull(&lead, LEAD_CLOSED_AT) &&
		mode_is(crm_account_settings(account_id)->order_link_mode, "auto");
	if (!client_linked && !order_auto)
		return crm_trigger_return(&trig, NULL);

	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(phone);
	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (client_linked)
	{
		CrmJson		detail;

		crm_json_begin(&detail);
		crm_json_int64(&detail, "from", 0, true);
		crm_json_int64(&detail, "to", client_id, false);
		crm_lead_event(account_id, lead_id, "client_linked", 0, true, 0, true,
					   crm_json_jsonb(&detail), false);
	}
	if (order_auto)
	{
		lock_phone(account_id, phone);
		args[2] = Int64GetDatum(client_id);
		nulls[2] = client_null ? 'n' : ' ';
		if (crm_exec(&unlinked_orders_by_phone, args, nulls, false, 2) == 1)
			(void) crm_link_order_lead(account_id, crm_get_int64(0, 1, NULL), lead_id, LINK_AUTO);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}

/* ---- orders ---- */

static CrmPlan open_leads_by_phone = {
	"SELECT id FROM crm.leads WHERE account_id = $1 AND phone = $2 AND closed_at IS NULL "
	"AND order_id IS NULL AND ($3::bigint IS NULL OR client_id IS NULL OR client_id = $3) "
	"ORDER BY id LIMIT 2",
	3, {INT8OID, TEXTOID, INT8OID}
};

/* See linking.h. */
bool
crm_link_lead_for_new_order(int64 account_id, const char *e164, int64 client_id, bool client_null,
							int64 *lead_id, int64 *lead_client, bool *lead_client_null)
{
	Datum		args[3];
	char		nulls[4] = "   ";
	CrmUserSwitch user;
	bool		chosen = false;

	if (e164 == NULL || !mode_is(crm_account_settings(account_id)->order_link_mode, "auto"))
		return false;
	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	args[2] = Int64GetDatum(client_id);
	nulls[2] = client_null ? 'n' : ' ';
	lock_phone(account_id, e164);
	crm_become_owner(&user);
	if (crm_exec(&open_leads_by_phone, args, nulls, false, 2) == 1)
	{
		bool		free;

		*lead_id = crm_get_int64(0, 1, NULL);
		if (crm_link_lock_lead(account_id, *lead_id, &free, lead_client, lead_client_null))
			chosen = free && (client_null || *lead_client_null || *lead_client == client_id);
	}
	crm_restore_user(&user);
	return chosen;
}

/* order_90_link: a lead_id given or written by hand is linked as crm.link_order does. */
PG_FUNCTION_INFO_V1(crm_order_after_write_link);
Datum
crm_order_after_write_link(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		order;
	bool		isnull;
	bool		lead_null;
	int64		lead_id;

	crm_trigger_start(&trig, fcinfo, "crm_order_after_write_link", CRM_AFTER,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	if (crm_write_allows(CRM_WRITE_LINK))
		return crm_trigger_return(&trig, NULL); /* the link's own write */
	order = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &order_columns)};
	if (trig.is_update)
	{
		CrmRow		old = {trig.old, trig.desc, order.map};

		if (crm_row_same(&old, &order, ORDER_LEAD_ID))
			return crm_trigger_return(&trig, NULL);
	}
	lead_id = crm_row_int64(&order, ORDER_LEAD_ID, &lead_null);
	if (lead_null)
		return crm_trigger_return(&trig, NULL);
	crm_trigger_connect(&trig);
	(void) crm_link_order_lead(crm_row_int64(&order, ORDER_ACCOUNT_ID, &isnull),
						   crm_row_int64(&order, ORDER_ID, &isnull), lead_id, LINK_BY_WRITE);
	return crm_trigger_return(&trig, NULL);
}

