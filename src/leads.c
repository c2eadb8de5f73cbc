/*
 * leads.c
 *	  Lead defaults and numbering, status transitions, and lead events.
 *
 * Triggers on crm.leads:
 *	lead_10_before_insert	type, initial status, number, manager, closed_at
 *	lead_10_before_update	immutable columns, transition rules, closed_at
 *	lead_90_history			one crm.lead_events row per change worth keeping
 * Functions: crm.transition_lead, crm.allowed_transitions.
 *
 * Internal queries run as the schema owner and always name the account.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm.h"

bool		crm_system_status_move = false;
const char *crm_pending_event_comment = NULL;

/* ---- tuple access ---- */

typedef struct LeadRow
{
	HeapTuple	tuple;
	TupleDesc	desc;
} LeadRow;

static Datum
lead_col(LeadRow *row, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(row->desc, name);

	if (attnum <= 0)
		elog(ERROR, "crm: crm.leads has no column \"%s\"", name);
	return SPI_getbinval(row->tuple, row->desc, attnum, isnull);
}

static int64
lead_int64(LeadRow *row, const char *name, bool *isnull)
{
	Datum		d = lead_col(row, name, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/* Same value in both rows (both NULL, or equal): text as text, others as by-value datums. */
static bool
lead_same(LeadRow *a, LeadRow *b, const char *name)
{
	int			attnum = SPI_fnumber(a->desc, name);
	bool		an,
				bn;
	Datum		ad,
				bd;

	if (attnum <= 0)
		elog(ERROR, "crm: crm.leads has no column \"%s\"", name);
	ad = SPI_getbinval(a->tuple, a->desc, attnum, &an);
	bd = SPI_getbinval(b->tuple, b->desc, attnum, &bn);
	if (an || bn)
		return an == bn;
	if (TupleDescAttr(a->desc, attnum - 1)->atttypid == TEXTOID)
		return DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, ad, bd));
	return ad == bd;
}

#define LEAD_MAX_CHANGES 12
typedef struct LeadChanges
{
	int			n;
	int			attnums[LEAD_MAX_CHANGES];
	Datum		values[LEAD_MAX_CHANGES];
	bool		nulls[LEAD_MAX_CHANGES];
} LeadChanges;

static void
change_col(LeadChanges *ch, TupleDesc desc, const char *name, Datum value, bool isnull)
{
	Assert(ch->n < LEAD_MAX_CHANGES);
	ch->attnums[ch->n] = SPI_fnumber(desc, name);
	ch->values[ch->n] = value;
	ch->nulls[ch->n] = isnull;
	ch->n++;
}

static HeapTuple
apply_changes(LeadRow *row, LeadChanges *ch)
{
	if (ch->n == 0)
		return row->tuple;
	return heap_modify_tuple_by_cols(row->tuple, row->desc, ch->n,
									 ch->attnums, ch->values, ch->nulls);
}

/* ---- lookups ---- */

/*
 * The lead's type (given, or the account's default), its number template, the
 * account's timezone, and the status the lead starts in (given, or the type's
 * initial status) with its kind: everything an insert needs in one query.
 */
#define TYPE_AND_STATUS_SELECT \
	"SELECT t.id, t.number_template, a.timezone, s.id, s.kind " \
	"FROM crm.lead_types t JOIN crm.accounts a ON a.id = t.account_id " \
	"LEFT JOIN crm.statuses s ON s.account_id = t.account_id " \
	"  AND s.id = coalesce($3, t.initial_status_id) "
static CrmPlan type_by_id = {
	TYPE_AND_STATUS_SELECT "WHERE t.account_id = $1 AND t.id = $2",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan type_default = {
	TYPE_AND_STATUS_SELECT "WHERE t.account_id = $1 AND t.is_default AND $2 IS NULL",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan status_by_id = {
	"SELECT kind, name FROM crm.statuses WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan lead_max_number = {
	"SELECT max(number_seq) FROM crm.leads WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};

typedef struct LeadType
{
	int64		id;
	char	   *number_template;
	char	   *timezone;
	bool		status_found;
	int64		status_id;
	char	   *status_kind;
} LeadType;

/* Looks up the type and the starting status; status_id may be NULL (initial). */
static void
lookup_type(int64 account_id, int64 type_id, bool type_null,
			int64 status_id, bool status_null, LeadType *type)
{
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(type_id),
	Int64GetDatum(status_id)};
	char		nulls[3] = {' ', type_null ? 'n' : ' ', status_null ? 'n' : ' '};
	bool		isnull;

	if (type_null)
	{
		if (crm_exec(&type_default, args, nulls, true, 1) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("lead has no type"),
					 errdetail("type_id is NULL and account %lld has no default lead type.",
							   (long long) account_id),
					 errhint("Give type_id, or mark one lead type with is_default.")));
	}
	else if (crm_exec(&type_by_id, args, nulls, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("lead type %lld does not exist", (long long) type_id),
				 errdetail("Account %lld has no lead type with id %lld.",
						   (long long) account_id, (long long) type_id),
				 errhint("Use the id of one of the account's lead types (crm.lead_types).")));
	type->id = crm_get_int64(0, 1, NULL);
	type->number_template = crm_get_text(0, 2);
	type->timezone = crm_get_text(0, 3);
	type->status_id = crm_get_int64(0, 4, &isnull);
	type->status_found = !isnull;
	type->status_kind = crm_get_text(0, 5);
}

static void
status_not_found(int64 account_id, int64 status_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("status %lld does not exist", (long long) status_id),
			 errdetail("Account %lld has no status with id %lld.",
					   (long long) account_id, (long long) status_id),
			 errhint("Use the id of one of the account's statuses (crm.statuses).")));
}

/* The status's kind ('open', 'won', 'lost'); *name gets its name. */
static char *
lookup_status(int64 account_id, int64 status_id, char **name)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(status_id)};

	if (crm_exec(&status_by_id, args, NULL, true, 1) == 0)
		status_not_found(account_id, status_id);
	if (name)
		*name = crm_get_text(0, 2);
	return crm_get_text(0, 1);
}

/*
 * The statuses a lead of type_id may move to from from_status: every other
 * status when no rule starts there, else exactly the rules' targets.
 */
static CrmPlan allowed_statuses = {
	"SELECT s.id, s.name, s.kind FROM crm.statuses s "
	"WHERE s.account_id = $1 AND s.id <> $3 AND ("
	"  NOT EXISTS (SELECT 1 FROM crm.status_transitions r "
	"              WHERE r.account_id = $1 AND r.from_status_id = $3 "
	"                AND (r.lead_type_id IS NULL OR r.lead_type_id = $2)) "
	"  OR EXISTS (SELECT 1 FROM crm.status_transitions r "
	"             WHERE r.account_id = $1 AND r.from_status_id = $3 AND r.to_status_id = s.id "
	"               AND (r.lead_type_id IS NULL OR r.lead_type_id = $2))) "
	"ORDER BY s.position, s.id",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan transition_allowed = {
	"SELECT count(*) = 0 OR coalesce(bool_or(to_status_id = $4), false) "
	"FROM crm.status_transitions "
	"WHERE account_id = $1 AND from_status_id = $3 AND (lead_type_id IS NULL OR lead_type_id = $2)",
	4, {INT8OID, INT8OID, INT8OID, INT8OID}
};

static uint64
find_allowed_statuses(int64 account_id, int64 type_id, int64 from_status)
{
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(type_id),
	Int64GetDatum(from_status)};

	return crm_exec(&allowed_statuses, args, NULL, true, 0);
}

static char *
allowed_names(int64 account_id, int64 type_id, int64 from_status)
{
	uint64		n = find_allowed_statuses(account_id, type_id, from_status);
	StringInfoData buf;

	if (n == 0)
		return "none: the lead cannot leave this status";
	initStringInfo(&buf);
	for (uint64 i = 0; i < n; i++)
		appendStringInfo(&buf, "%s\"%s\"", i > 0 ? ", " : "", crm_get_text(i, 2));
	return buf.data;
}

static void
check_transition(int64 account_id, LeadRow *old, int64 type_id, int64 from_status,
				 int64 to_status, const char *to_name)
{
	Datum		args[4] = {Int64GetDatum(account_id), Int64GetDatum(type_id),
	Int64GetDatum(from_status), Int64GetDatum(to_status)};
	char	   *from_name;
	bool		isnull;
	char	   *number;

	crm_exec(&transition_allowed, args, NULL, true, 1);
	if (crm_get_bool(0, 1, NULL))
		return;

	lookup_status(account_id, from_status, &from_name);
	{
		Datum		d = lead_col(old, "number", &isnull);

		number = isnull ? "(no number)" : TextDatumGetCString(d);
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("lead \"%s\" cannot move from \"%s\" to \"%s\"", number, from_name, to_name),
			 errdetail("The transition rules of lead type %lld have no move from status %lld to status %lld.",
					   (long long) type_id, (long long) from_status, (long long) to_status),
			 errhint("Allowed from \"%s\": %s.", from_name,
					 allowed_names(account_id, type_id, from_status))));
}

/* ---- triggers ---- */

PG_FUNCTION_INFO_V1(crm_lead_before_insert);
Datum
crm_lead_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	LeadRow		row;
	LeadChanges ch = {0};
	CrmUserSwitch user;
	LeadType	type;
	bool		isnull,
				type_null,
				status_null;
	int64		account_id,
				type_id,
				status_id,
				sequence_id,
				seq;
	TimestampTz created_at;
	char	   *kind;
	char	   *number;

	crm_trigger_start(&trig, fcinfo, "crm_lead_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	row.tuple = trig.new;
	row.desc = trig.desc;
	account_id = lead_int64(&row, "account_id", &isnull);
	if (isnull)
		return PointerGetDatum(row.tuple);	/* the NOT NULL constraint reports it */
	(void) lead_col(&row, "number", &isnull);
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert a value into column \"number\" of crm.leads"),
				 errdetail("Lead numbers are made from the lead type's number template."),
				 errhint("Leave number out of the INSERT.")));

	type_id = lead_int64(&row, "type_id", &type_null);
	status_id = lead_int64(&row, "status_id", &status_null);
	created_at = DatumGetTimestampTz(lead_col(&row, "created_at", &isnull));
	if (isnull)
		created_at = GetCurrentTransactionStartTimestamp();

	crm_trigger_connect(&trig);
	crm_become_owner(&user);

	lookup_type(account_id, type_id, type_null, status_id, status_null, &type);
	if (!type.status_found)
		status_not_found(account_id, status_id);
	status_id = type.status_id;
	kind = type.status_kind;
	number = crm_number_next(account_id, type.number_template, type.timezone, created_at,
							 &lead_max_number, &sequence_id, &seq);

	crm_restore_user(&user);

	change_col(&ch, row.desc, "type_id", Int64GetDatum(type.id), false);
	change_col(&ch, row.desc, "status_id", Int64GetDatum(status_id), false);
	change_col(&ch, row.desc, "number", CStringGetTextDatum(number), false);
	change_col(&ch, row.desc, "number_sequence_id", Int64GetDatum(sequence_id), false);
	change_col(&ch, row.desc, "number_seq", Int64GetDatum(seq), false);
	change_col(&ch, row.desc, "created_at", TimestampTzGetDatum(created_at), false);
	change_col(&ch, row.desc, "status_changed_at", TimestampTzGetDatum(created_at), false);
	change_col(&ch, row.desc, "closed_at", TimestampTzGetDatum(created_at), strcmp(kind, "open") == 0);
	change_col(&ch, row.desc, "overdue_since", (Datum) 0, true);
	(void) lead_col(&row, "manager_id", &isnull);
	if (isnull)
	{
		bool		no_employee;
		int64		employee = crm_employee_or_null(&no_employee);

		change_col(&ch, row.desc, "manager_id", Int64GetDatum(employee), no_employee);
	}
	return crm_trigger_return(&trig, apply_changes(&row, &ch));
}

static void
refuse_change(LeadRow *old, LeadRow *new, const char *column)
{
	if (!lead_same(old, new, column))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of a lead cannot be changed", column),
				 errdetail("It is fixed when the lead is created."),
				 errhint("Leave %s out of the UPDATE.", column)));
}

PG_FUNCTION_INFO_V1(crm_lead_before_update);
Datum
crm_lead_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	TupleDesc	desc;
	LeadRow		old;
	LeadRow		new;
	LeadChanges ch = {0};
	bool		isnull;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_lead_before_update", CRM_BEFORE, CRM_ON_UPDATE);
	desc = trig.desc;
	old.tuple = trig.old;
	old.desc = desc;
	new.tuple = trig.new;
	new.desc = desc;

	refuse_change(&old, &new, "account_id");
	refuse_change(&old, &new, "id");
	refuse_change(&old, &new, "number_sequence_id");
	refuse_change(&old, &new, "number_seq");
	refuse_change(&old, &new, "created_at");
	refuse_change(&old, &new, "number");

	account_id = lead_int64(&old, "account_id", &isnull);

	if (!lead_same(&old, &new, "status_id") || !lead_same(&old, &new, "type_id"))
	{
		CrmUserSwitch user;
		bool		type_null,
					from_null,
					to_null;
		int64		type_id = lead_int64(&new, "type_id", &type_null);
		int64		from_status = lead_int64(&old, "status_id", &from_null);
		int64		to_status = lead_int64(&new, "status_id", &to_null);
		char	   *to_name;
		char	   *to_kind;
		bool		old_closed;

		if (to_null)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("a lead's status cannot be set to NULL"),
					 errhint("Move the lead to another status with crm.transition_lead.")));
		if (type_null)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("a lead's type cannot be set to NULL"),
					 errhint("Set type_id to one of the account's lead types.")));

		crm_trigger_connect(&trig);
		crm_become_owner(&user);
		if (!lead_same(&old, &new, "type_id"))
		{
			LeadType	type;

			lookup_type(account_id, type_id, false, to_status, false, &type);
		}
		to_kind = lookup_status(account_id, to_status, &to_name);
		if (from_status != to_status && !from_null && !crm_system_status_move)
			check_transition(account_id, &old, type_id, from_status, to_status, to_name);
		crm_restore_user(&user);

		if (from_status != to_status)
		{
			TimestampTz now = GetCurrentTransactionStartTimestamp();

			(void) lead_col(&old, "closed_at", &old_closed);
			old_closed = !old_closed;
			change_col(&ch, desc, "status_changed_at", TimestampTzGetDatum(now), false);
			if (strcmp(to_kind, "open") == 0)
				change_col(&ch, desc, "closed_at", (Datum) 0, true);
			else if (!old_closed)
				change_col(&ch, desc, "closed_at", TimestampTzGetDatum(now), false);
		}
	}

	if (!lead_same(&old, &new, "deadline"))
		change_col(&ch, desc, "overdue_since", (Datum) 0, true);

	return crm_trigger_return(&trig, apply_changes(&new, &ch));
}

static const char *
timestamptz_text(LeadRow *row, const char *name)
{
	bool		isnull;
	Datum		d = lead_col(row, name, &isnull);

	int			utc = 0;

	/* ISO 8601 in UTC, as JSON writes it, whatever the session's TimeZone. */
	return isnull ? NULL : JsonEncodeDateTime(NULL, d, TIMESTAMPTZOID, &utc);
}

static const char *
int64_text(LeadRow *row, const char *name)
{
	bool		isnull;
	int64		v = lead_int64(row, name, &isnull);

	return isnull ? NULL : psprintf("%lld", (long long) v);
}

/* Records the change of one reference column (manager, client, order) as an event. */
static void
reference_event(int64 account_id, int64 lead_id, LeadRow *old, LeadRow *new,
				const char *column, const char *kind)
{
	const char *keys[2] = {"from", "to"};
	const char *values[2];

	if (lead_same(old, new, column))
		return;
	values[0] = int64_text(old, column);
	values[1] = int64_text(new, column);
	crm_lead_event(account_id, lead_id, kind, 0, true, 0, true,
				   crm_json_object(2, keys, values), false);
}

PG_FUNCTION_INFO_V1(crm_lead_after_write);
Datum
crm_lead_after_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_lead_after_write", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	LeadRow		old = {trigdata->tg_trigtuple, desc};
	LeadRow		new = {is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple, desc};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id = lead_int64(&new, "account_id", &isnull);
	int64		lead_id = lead_int64(&new, "id", &isnull);
	int64		to_status = lead_int64(&new, "status_id", &isnull);

	SPI_connect();
	crm_become_owner(&user);

	if (!is_update)
	{
		const char *keys[1] = {"number"};
		const char *values[1];
		bool		no_status;
		Datum		number = lead_col(&new, "number", &isnull);

		values[0] = isnull ? NULL : TextDatumGetCString(number);
		(void) lead_col(&new, "status_id", &no_status);
		crm_lead_event(account_id, lead_id, "created", 0, true, to_status, no_status,
					   crm_json_object(1, keys, values), false);
	}
	else
	{
		if (!lead_same(&old, &new, "status_id"))
		{
			const char *keys[2] = {"comment", "by"};
			const char *values[2] = {crm_pending_event_comment,
			crm_system_status_move ? "system" : "employee"};

			bool		from_null,
						to_null;
			int64		from_status = lead_int64(&old, "status_id", &from_null);

			(void) lead_col(&new, "status_id", &to_null);
			crm_lead_event(account_id, lead_id, "status_changed",
						   from_status, from_null, to_status, to_null,
						   crm_json_object(2, keys, values), false);
		}
		if (!lead_same(&old, &new, "deadline"))
		{
			const char *keys[2] = {"from", "to"};
			const char *values[2] = {timestamptz_text(&old, "deadline"),
			timestamptz_text(&new, "deadline")};

			crm_lead_event(account_id, lead_id, "deadline_changed", 0, true, 0, true,
						   crm_json_object(2, keys, values), false);
		}
		(void) lead_col(&old, "overdue_since", &isnull);
		if (isnull)
		{
			bool		now_overdue;

			(void) lead_col(&new, "overdue_since", &now_overdue);
			if (!now_overdue)
			{
				const char *keys[2] = {"deadline", "overdue_since"};
				const char *values[2] = {timestamptz_text(&new, "deadline"),
				timestamptz_text(&new, "overdue_since")};

				crm_lead_event(account_id, lead_id, "deadline_expired", 0, true, 0, true,
							   crm_json_object(2, keys, values), false);
			}
		}
		reference_event(account_id, lead_id, &old, &new, "manager_id", "manager_changed");
		reference_event(account_id, lead_id, &old, &new, "client_id", "client_linked");
		reference_event(account_id, lead_id, &old, &new, "order_id", "order_linked");
	}

	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- SQL functions ---- */

static CrmPlan move_lead = {
	"UPDATE crm.leads AS l SET status_id = $3 WHERE l.account_id = $1 AND l.id = $2 RETURNING l",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan visible_lead = {
	"SELECT type_id, status_id FROM crm.leads WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

static void
lead_not_found(int64 account_id, int64 lead_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("lead %lld does not exist", (long long) lead_id),
			 errdetail("Account %lld has no lead with id %lld that you can see.",
					   (long long) account_id, (long long) lead_id),
			 errhint("Check the lead id and crm.account_id.")));
}

/*
 * crm.transition_lead(lead_id, to_status, comment): the UPDATE runs as the
 * caller, so grants and policies apply; the trigger enforces the rules.
 */
PG_FUNCTION_INFO_V1(crm_transition_lead);
Datum
crm_transition_lead(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		lead_id;
	Datum		args[3];
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lead_id and to_status must not be NULL"),
				 errhint("Pass the lead's id and the id of the status to move it to.")));
	lead_id = PG_GETARG_INT64(0);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(lead_id);
	args[2] = PG_GETARG_DATUM(1);

	SPI_connect();
	PG_TRY();
	{
		crm_pending_event_comment = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (crm_exec(&move_lead, args, NULL, false, 0) != 1)
			lead_not_found(account_id, lead_id);
	}
	PG_FINALLY();
	{
		crm_pending_event_comment = NULL;
	}
	PG_END_TRY();
	result = SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(crm_allowed_transitions);
Datum
crm_allowed_transitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	int64		lead_id = PG_GETARG_INT64(0);
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(lead_id)};
	int64		type_id,
				status_id;
	uint64		n;
	MemoryContext per_query;

	InitMaterializedSRF(fcinfo, 0);
	per_query = rsinfo->econtext->ecxt_per_query_memory;

	SPI_connect();
	/* As the caller: a lead the caller cannot see does not exist. */
	if (crm_exec(&visible_lead, args, NULL, true, 1) == 0)
		lead_not_found(account_id, lead_id);
	type_id = crm_get_int64(0, 1, NULL);
	status_id = crm_get_int64(0, 2, NULL);

	n = find_allowed_statuses(account_id, type_id, status_id);
	for (uint64 i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		MemoryContext old = MemoryContextSwitchTo(per_query);

		values[0] = Int64GetDatum(crm_get_int64(i, 1, NULL));
		values[1] = CStringGetTextDatum(crm_get_text(i, 2));
		values[2] = CStringGetTextDatum(crm_get_text(i, 3));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}
