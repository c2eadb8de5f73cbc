/*
 * outbox.c
 *	  The outbox (crm.outbox, outbox.sql): queueing an email, once per
 *	  dedup_key.  Delivery, and the NOTIFY crm_outbox that wakes a delivery
 *	  worker, are in outbox_delivery.c.
 *
 * Functions (outbox.h):
 *	crm_outbox_email	INSERT ... ON CONFLICT DO NOTHING
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "crm.h"
#include "outbox.h"

static CrmPlan insert_email = {
	"INSERT INTO crm.outbox (account_id, kind, recipient, cc, subject, body, payload, dedup_key) "
	"VALUES ($1, 'email', $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id",
	7, {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID}
};
int64
crm_outbox_email(int64 account_id, const CrmOutboxEmail *email)
{
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	int64		id;

	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(email->recipient);
	if (email->cc != NULL)
		args[2] = CStringGetTextDatum(email->cc);
	else
		nulls[2] = 'n';
	args[3] = CStringGetTextDatum(email->subject);
	args[4] = CStringGetTextDatum(email->body);
	args[5] = email->payload;
	if (email->dedup_key != NULL)
		args[6] = CStringGetTextDatum(email->dedup_key);
	else
		nulls[6] = 'n';
	if (crm_exec(&insert_email, args, nulls, false, 1) != 1)
		return 0;
	id = crm_get_int64(0, 1, NULL);
	return id;
}
