/*
 * orders.c
 *	  Orders: their numbers, the columns fixed when they are created, and the
 *	  E.164 form of their phone.
 *
 * Triggers on crm.orders:
 *	order_10_before_write	BEFORE INSERT OR UPDATE: on INSERT the number the
 *							writer gives (a web shop's, numbering.h judges it)
 *							or else the next of the account's
 *							order_number_template; columns fixed
 *							at creation; lead_id, once set, changed only by the
 *							link (CRM_WRITE_LINK); phone_e164 = E.164 of phone;
 *							in auto mode a new order is given its lead
 *							(linking.c); an order of an import (CRM_WRITE_IMPORT)
 *							keeps the number it brings and is given no lead
 * orders.status (new, paid, cancelled, failed) is the shop's to write, the CHECK
 * orders_status_check (values.sql's crm._choice_ok) its only rule.
 * Elsewhere on crm.orders: order_90_link (linking.c), orders_95_counts
 * (lead_reports.c), order_no_delete (history.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "linking.h"
#include "numbering.h"
#include "phones.h"
#include "tenancy.h"
#include "values.h"

enum
{
	ORDER_ACCOUNT_ID, ORDER_ID, ORDER_NUMBER, ORDER_NUMBER_SEQUENCE_ID, ORDER_NUMBER_SEQ,
	ORDER_CREATED_AT, ORDER_LEAD_ID, ORDER_CLIENT_ID, ORDER_PHONE, ORDER_PHONE_E164,
	ORDER_NCOLUMNS
};
static const char *const order_names[] = {
	"account_id", "id", "number", "number_sequence_id", "number_seq",
	"created_at", "lead_id", "client_id", "phone", "phone_e164"
};
static CrmColumnMap order_columns = {"crm.orders", ORDER_NCOLUMNS, order_names};

/* The columns fixed when an order is created, in the order they are checked. */
static const int fixed_columns[] = {
	ORDER_ACCOUNT_ID, ORDER_ID, ORDER_NUMBER, ORDER_NUMBER_SEQUENCE_ID, ORDER_NUMBER_SEQ,
	ORDER_CREATED_AT
};

static const CrmPhoneColumn order_phone = {"orders", "phone_e164", "phone", false};

static CrmPlan order_max_number_query = {
	"SELECT max(number_seq) FROM crm.orders WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};
static const CrmKeyedMax order_max_number = {"orders", "orders_number_seq_idx", &order_max_number_query};
static CrmPlan order_with_number = {
	"SELECT id FROM crm.orders WHERE account_id = $1 AND number = $2",
	2, {INT8OID, TEXTOID}
};
static const CrmNumberedTable numbered_orders = {
	"order", "order_number_template", "orders_account_id_number_key", &order_with_number,
	&order_max_number, ORDER_NUMBER, ORDER_NUMBER_SEQUENCE_ID, ORDER_NUMBER_SEQ
};

/*
 * The number of a new order: the one the writer gives (judged, outside the
 * counters), or the next of the account's template.  Connects to SPI.
 */
static void
number_order(CrmTrigger *trig, const CrmRow *row, CrmChanges *ch, int64 account_id,
			 const CrmAccountSettings *settings, TimestampTz created_at)
{
	CrmUserSwitch user;

	crm_trigger_connect(trig);
	crm_become_owner(&user);
	crm_number_new_row(&numbered_orders, trig->data->tg_relation, row, ch, account_id,
					   settings->order_number_template, settings->timezone, created_at);
	crm_restore_user(&user);
}

/* A new order: number, created_at, phone_e164, and in auto mode its lead. */
static HeapTuple
before_insert(CrmTrigger *trig, const CrmRow *row, int64 account_id)
{
	const CrmAccountSettings *settings = crm_account_settings(account_id);
	CrmChanges	ch = {0};
	TimestampTz created_at;
	bool		isnull,
				client_null,
				lead_client_null;
	int64		lead_id,
				lead_client;
	int64		client_id = crm_row_int64(row, ORDER_CLIENT_ID, &client_null);
	char	   *raw;
	char	   *written;
	char	   *e164;
	bool		imported = crm_write_allows(CRM_WRITE_IMPORT);

	created_at = DatumGetTimestampTz(crm_row_get(row, ORDER_CREATED_AT, &isnull));
	if (isnull)
		created_at = GetCurrentTransactionStartTimestamp();
	crm_check_time(created_at, "crm.orders.created_at");	/* before it is numbered */
	raw = crm_row_text(row, ORDER_PHONE);
	written = crm_row_text(row, ORDER_PHONE_E164);
	if (raw == NULL && written != NULL)
	{
		/* A number typed into phone_e164 is the phone. */
		crm_change_text(&ch, row, ORDER_PHONE, written);
		raw = written;
		written = NULL;
	}
	e164 = crm_phone_derive(&order_phone, account_id, raw, written);

	if (!imported || crm_row_isnull(row, ORDER_NUMBER))
		number_order(trig, row, &ch, account_id, settings, created_at);
	crm_change(&ch, row, ORDER_CREATED_AT, TimestampTzGetDatum(created_at), false);
	crm_change_text(&ch, row, ORDER_PHONE_E164, e164);

	/*
	 * The lead is given here, before the row is written, so that the row is
	 * written once (order_90_link then links the lead as for a lead_id given
	 * in the INSERT); the order takes the lead's client when it has none.
	 */
	if (crm_row_isnull(row, ORDER_LEAD_ID) && !imported &&
		crm_link_lead_for_new_order(account_id, e164, client_id, client_null,
									&lead_id, &lead_client, &lead_client_null))
	{
		crm_change(&ch, row, ORDER_LEAD_ID, Int64GetDatum(lead_id), false);
		if (client_null && !lead_client_null)
			crm_change(&ch, row, ORDER_CLIENT_ID, Int64GetDatum(lead_client), false);
	}
	return crm_changes_apply(row, &ch);
}

/* An updated order: fixed columns, the lead once linked, phone_e164. */
static HeapTuple
before_update(const CrmRow *old, const CrmRow *new, int64 account_id)
{
	CrmChanges	ch = {0};
	char	   *written;

	for (int i = 0; i < lengthof(fixed_columns); i++)
		if (!crm_row_same(old, new, fixed_columns[i]))
			crm_error_fixed_column("an order", order_names[fixed_columns[i]], NULL);
	if (!crm_write_allows(CRM_WRITE_LINK) && !crm_row_isnull(old, ORDER_LEAD_ID) &&
		!crm_row_same(old, new, ORDER_LEAD_ID))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("order \"%s\" is already linked to lead %lld",
						crm_row_text(old, ORDER_NUMBER),
						(long long) crm_row_int64(old, ORDER_LEAD_ID, NULL)),
				 errdetail("A link between an order and a lead is not undone or moved."),
				 errhint("Leave lead_id out of the UPDATE.")));

	if (crm_row_same(old, new, ORDER_PHONE_E164))
	{
		if (crm_row_same(old, new, ORDER_PHONE))
			return new->tuple;
		written = NULL;			/* phone_e164 as it was: not written by the writer */
	}
	else
		written = crm_row_text(new, ORDER_PHONE_E164);
	crm_change_text(&ch, new, ORDER_PHONE_E164,
					crm_phone_derive(&order_phone, account_id,
									 crm_row_text(new, ORDER_PHONE), written));
	return crm_changes_apply(new, &ch);
}

PG_FUNCTION_INFO_V1(crm_order_before_write);
Datum
crm_order_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		new;
	bool		isnull;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_order_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	new = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &order_columns)};
	account_id = crm_row_int64(&new, ORDER_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */
	if (trig.is_insert)
		return crm_trigger_return(&trig, before_insert(&trig, &new, account_id));
	else
	{
		CrmRow		old = {trig.old, trig.desc, new.map};

		return crm_trigger_return(&trig, before_update(&old, &new, account_id));
	}
}
