/*
 * outbox.c
 *	  The outbox (crm.outbox, outbox.sql): queueing an email, once per
 *	  dedup_key, and the NOTIFY on crm_events that tells a deliverer.
 *
 * Functions (outbox.h):
 *	crm_outbox_email	INSERT ... ON CONFLICT DO NOTHING, then the NOTIFY
 *	crm_outbox_notify	pg_notify('crm_events', payload)
 *
 * A NOTIFY is delivered at commit, so a listener never hears of a row that
 * was rolled back.
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
static CrmPlan notify = {
	"SELECT pg_catalog.pg_notify('crm_events', $1)", 1, {TEXTOID}
};

void
crm_outbox_notify(int npairs, const char **keys, const char **values)
{
	Datum		payload = crm_json_object(npairs, keys, values);
	Datum		arg = CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(jsonb_out, payload)));

	crm_exec(&notify, &arg, NULL, false, 1);
}

int64
crm_outbox_email(int64 account_id, const CrmOutboxEmail *email)
{
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	const char *keys[CRM_OUTBOX_MAX_PAIRS + 1];
	const char *values[CRM_OUTBOX_MAX_PAIRS + 1];
	int64		id;

	Assert(email->npairs <= CRM_OUTBOX_MAX_PAIRS);
	args[0] = Int64GetDatum(account_id);
	args[1] = CStringGetTextDatum(email->recipient);
	if (email->cc != NULL)
		args[2] = CStringGetTextDatum(email->cc);
	else
		nulls[2] = 'n';
	args[3] = CStringGetTextDatum(email->subject);
	args[4] = CStringGetTextDatum(email->body);
	args[5] = crm_json_object(email->npairs, email->keys, email->values);
	if (email->dedup_key != NULL)
		args[6] = CStringGetTextDatum(email->dedup_key);
	else
		nulls[6] = 'n';
	if (crm_exec(&insert_email, args, nulls, false, 1) != 1)
		return 0;
	id = crm_get_int64(0, 1, NULL);

	/* the listener hears the payload and where the row is */
	for (int i = 0; i < email->npairs; i++)
	{
		keys[i] = email->keys[i];
		values[i] = email->values[i];
	}
	keys[email->npairs] = "outbox_id";
	values[email->npairs] = psprintf("%lld", (long long) id);
	crm_outbox_notify(email->npairs + 1, keys, values);
	return id;
}
