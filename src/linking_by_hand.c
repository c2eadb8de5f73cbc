/*
 * linking_by_hand.c
 *	  Linking by hand: the candidates a person chooses from, and the links a
 *	  person makes (linking.c makes the automatic ones and holds the link).
 *
 * Functions:
 *	crm.client_candidates(phone)	the clients with this phone
 *	crm.link_lead_client(lead, client)	a lead's client, as the caller
 *	crm.order_candidates(order)		the open, unlinked leads with the order's phone
 *	crm.link_order(order, lead)		the link both ways, with the lead's status move;
 *									on Citus its twin crm._link_order(account, ...)
 *									makes it on the account's worker (kit/delegate.h:
 *									the link is written as the owner, in a scope)
 * Every one returns nothing (or refuses) for what the caller may not see:
 * link modes off, no right to see customers, rows of other accounts.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "clients.h"
#include "crm.h"
#include "kit/delegate.h"
#include "linking.h"
#include "phones.h"
#include "tenancy.h"

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
	const CrmAccountSettings *settings;
	char	   *e164;
	Datum		args[2];
	uint64		n;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || !crm_can_see_customers())
		return (Datum) 0;
	settings = crm_account_settings(account_id);
	if (strcmp(settings->client_link_mode, "off") == 0)
		return (Datum) 0;
	e164 = crm_phone_e164(text_to_cstring(PG_GETARG_TEXT_PP(0)), settings->region);
	if (e164 == NULL)
		return (Datum) 0;

	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(e164);
	SPI_connect();
	n = crm_exec(&client_candidates, args, NULL, true, 0);
	crm_result_rows(rsinfo, n);
	SPI_finish();
	return (Datum) 0;
}

static CrmPlan visible_client = {
	"SELECT 1 FROM crm.clients WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan link_client = {
	"UPDATE crm.leads AS l SET client_id = $3 WHERE l.account_id = $1 AND l.id = $2 RETURNING l.*",
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

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("lead_id and client_id",
								"Pass the lead's id and the id of the client to link it to.");
	args[0] = Int64GetDatum(account_id);
	args[1] = PG_GETARG_DATUM(1);
	SPI_connect();
	/* As the caller: a client the caller may not see does not exist for it. */
	if (crm_exec(&visible_client, args, NULL, true, 1) == 0)
		crm_error_not_found("client", account_id, PG_GETARG_INT64(1), ERRCODE_FOREIGN_KEY_VIOLATION);
	args[1] = PG_GETARG_DATUM(0);
	args[2] = PG_GETARG_DATUM(1);
	if (crm_exec(&link_client, args, NULL, false, 0) != 1)
		crm_error_not_found("lead", account_id, PG_GETARG_INT64(0), ERRCODE_NO_DATA_FOUND);
	result = crm_get_row_copy(0, 1, "leads");
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
	if (!crm_can_see_customers())
		return (Datum) 0;		/* orders are customer data: none to match */
	SPI_connect();
	if (crm_exec(&visible_order, args, NULL, true, 1) == 0)
		crm_error_not_found("order", account_id, order_id, ERRCODE_NO_DATA_FOUND);
	args[1] = crm_get(0, 1, &isnull);
	args[2] = Int64GetDatum(crm_get_int64(0, 2, &no_client));
	nulls[2] = no_client ? 'n' : ' ';
	if (isnull || strcmp(crm_account_settings(account_id)->order_link_mode, "off") == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}
	args[1] = CStringGetTextDatum(TextDatumGetCString(args[1]));
	n = crm_exec(&order_candidates, args, nulls, true, 0);
	crm_result_rows(rsinfo, n);
	SPI_finish();
	return (Datum) 0;
}

static CrmPlan lead_row = {
	"SELECT l.* FROM crm.leads l WHERE l.account_id = $1 AND l.id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * crm.link_order(order_id, lead_id): links both ways and moves the lead to
 * the account's order_won_status_id; returns the lead.
 */
static CrmDelegate link_twin = {"crm._link_order", 2, {INT8OID, INT8OID}};

PG_FUNCTION_INFO_V1(crm_link_order);
Datum
crm_link_order(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	Datum		args[2];
	Datum		result;
	CrmUserSwitch user;

	if (crm_delegate(&link_twin, fcinfo, account_id, &result))
		return result;
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("order_id and lead_id",
								"Pass the order's id and the id of the open lead to link it to.");
	SPI_connect();
	crm_link_order_by_hand(account_id, PG_GETARG_INT64(0), PG_GETARG_INT64(1));
	args[0] = Int64GetDatum(account_id);
	args[1] = PG_GETARG_DATUM(1);
	/* as the owner, who wrote it (on Citus the caller's connection may not read what another user wrote) */
	crm_become_owner(&user);
	crm_exec(&lead_row, args, NULL, false, 1);
	crm_restore_user(&user);
	result = crm_get_row_copy(0, 1, "leads");
	SPI_finish();
	PG_RETURN_DATUM(result);
}
