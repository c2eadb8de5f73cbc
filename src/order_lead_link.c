/*
 * order_lead_link.c
 *	  The link between an order and a lead: both rows locked (the order
 *	  first, then the lead: one order of locks everywhere), checked again
 *	  under their locks, and written both ways, the lead moved to the
 *	  account's order status.  The matching that decides which order and lead
 *	  to link is linking.c (and linking_by_hand.c for crm.link_order).
 *
 * The link's own writes run in a scope that allows CRM_WRITE_LINK
 * (orders.lead_id, leads.order_id) and CRM_WRITE_STATUS_MOVE (the lead's move
 * to the order status).  A link by hand links what the caller sees; the
 * locks and writes are the owner's.
 *
 * C API (linking.h): crm_link_order_lead, crm_link_order_by_hand,
 * crm_link_lock_lead.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"

#include "crm.h"
#include "linking.h"
#include "tenancy.h"

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
/* See linking.h. */
bool
crm_link_lock_lead(int64 account_id, int64 lead_id, bool *free, int64 *client, bool *client_null)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(lead_id)};
	bool		no_order;

	if (crm_exec(&lock_lead, args, NULL, false, 1) != 1)
		return false;
	(void) crm_get(0, 2, &no_order);
	*client = crm_get_int64(0, 3, client_null);
	*free = no_order && !crm_get_bool(0, 4, NULL);
	return true;
}

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

/*
 * The link's own writes: they set orders.lead_id and leads.order_id, and move
 * the lead to the account's order status whatever its transition rules say.
 */
static const CrmWriteScope link_scope = {CRM_WRITE_STATUS_MOVE | CRM_WRITE_LINK, NULL, NULL};

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

static CrmPlan order_visible = {
	"SELECT 1 FROM crm.orders WHERE account_id = $1 AND id = $2", 2, {INT8OID, INT8OID}
};
static CrmPlan lead_visible = {
	"SELECT 1 FROM crm.leads WHERE account_id = $1 AND id = $2", 2, {INT8OID, INT8OID}
};

/*
 * A link by hand links what the caller sees: both rows are looked up as the
 * caller first, without a lock, and locked and written as the owner.  (One
 * user for the locks and the writes: on Citus two users are two connections,
 * and the owner's write would wait for the caller's lock.)
 */
static void
require_visible(int64 account_id, int64 order_id, int64 lead_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(order_id)};

	if (crm_exec(&order_visible, args, NULL, true, 1) == 0)
		crm_error_not_found("order", account_id, order_id, ERRCODE_NO_DATA_FOUND);
	args[1] = Int64GetDatum(lead_id);
	if (crm_exec(&lead_visible, args, NULL, true, 1) == 0)
		crm_error_not_found("lead", account_id, lead_id, ERRCODE_NO_DATA_FOUND);
}

/* See linking.h. */
bool
crm_link_order_lead(int64 account_id, int64 order_id, int64 lead_id, CrmLinkBy by)
{
	const CrmAccountSettings *settings = crm_account_settings(account_id);
	Datum		args[5];
	char		nulls[6] = "     ";
	CrmUserSwitch user = {0};
	bool		historic = crm_write_allows(CRM_WRITE_IMPORT);
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
	if (by == LINK_BY_HAND)
		require_visible(account_id, order_id, lead_id);
	crm_become_owner(&user);

	/* The order first, then the lead: one order of locks everywhere. */
	if (crm_exec(&lock_order, args, NULL, false, 1) == 0)
	{
		if (by == LINK_AUTO)
			goto refused;
		crm_error_not_found("order", account_id, order_id, ERRCODE_NO_DATA_FOUND);
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
		crm_error_not_found("lead", account_id, lead_id,
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
	if (lead_closed && !historic)
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

	args[1] = Int64GetDatum(order_id);
	args[2] = Int64GetDatum(lead_id);
	args[3] = Int64GetDatum(client);
	nulls[3] = client_null ? 'n' : ' ';
	if (order_lead_null || (order_client_null && !client_null))
		crm_write_exec(&link_scope, &write_order_link, args, nulls);
	args[1] = Int64GetDatum(lead_id);
	args[2] = Int64GetDatum(order_id);
	args[4] = Int64GetDatum(settings->order_won_status_id);
	nulls[4] = settings->has_won_status && !historic ? ' ' : 'n';
	crm_write_exec(&link_scope, &write_lead_link, args, nulls);
	crm_restore_user(&user);
	return true;

refused:
	crm_restore_user(&user);
	return false;
}

/* See linking.h. */
void
crm_link_order_by_hand(int64 account_id, int64 order_id, int64 lead_id)
{
	(void) crm_link_order_lead(account_id, order_id, lead_id, LINK_BY_HAND);
}
