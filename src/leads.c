/*
 * leads.c
 *	  Lead defaults and numbering, status transitions, and lead events.
 *
 * Triggers on crm.leads:
 *	lead_10_before_insert	type, initial status, number, manager, closed_at (a
 *							lead of an import, CRM_WRITE_IMPORT, as it is made
 *							whole there: only numbered when it has no number)
 *	lead_10_before_update	immutable columns, transition rules (passed by a
 *							write of crm itself that allows CRM_WRITE_STATUS_MOVE),
 *							closed_at
 *	lead_90_history			one crm.lead_events row per change worth keeping
 *	lead_90_history_insert	the 'created' event (an import writes its own); a
 *							multi-row INSERT writes those of all its rows in one
 *							statement, at its first row (history.c)
 * Functions: crm.transition_lead, crm.allowed_transitions.
 * Elsewhere on crm.leads: lead_20_phone and lead_95_link (linking.c),
 * leads_95_counts_* (lead_reports.c), lead_no_delete (history.c).
 *
 * Internal queries run as the schema owner and always name the account.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "history.h"
#include "lead_rules.h"
#include "numbering.h"
#include "tenancy.h"
#include "values.h"

/* ---- the columns of crm.leads read here ---- */

enum
{
	LEAD_ACCOUNT_ID, LEAD_ID, LEAD_NUMBER, LEAD_NUMBER_SEQUENCE_ID, LEAD_NUMBER_SEQ,
	LEAD_TYPE_ID, LEAD_STATUS_ID, LEAD_MANAGER_ID, LEAD_CLIENT_ID, LEAD_ORDER_ID,
	LEAD_CREATED_AT, LEAD_STATUS_CHANGED_AT, LEAD_CLOSED_AT, LEAD_DEADLINE, LEAD_OVERDUE_SINCE,
	LEAD_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "id", "number", "number_sequence_id", "number_seq",
	"type_id", "status_id", "manager_id", "client_id", "order_id",
	"created_at", "status_changed_at", "closed_at", "deadline", "overdue_since"
};
static CrmColumnMap lead_columns = {"crm.leads", LEAD_NCOLUMNS, lead_names};

/* The columns fixed when a lead is created, in the order they are checked. */
static const int fixed_columns[] = {
	LEAD_ACCOUNT_ID, LEAD_ID, LEAD_NUMBER_SEQUENCE_ID, LEAD_NUMBER_SEQ, LEAD_CREATED_AT, LEAD_NUMBER
};

/* ---- lookups: the account's lead rules (lead_rules.c) ---- */

static CrmPlan lead_max_number_query = {
	"SELECT max(number_seq) FROM crm.leads WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};
static const CrmKeyedMax lead_max_number = {"leads", "leads_number_seq_idx", &lead_max_number_query};

/*
 * What an insert needs: the lead's type (given, or the account's default),
 * its number template, the account's timezone, and the status the lead
 * starts in (given, or the type's initial status) with its kind.
 */
typedef struct LeadType
{
	int64		id;
	const char *number_template;
	const char *timezone;
	bool		status_found;
	int64		status_id;
	const char *status_kind;
} LeadType;

/* Looks up the type and the starting status; status_id may be NULL (initial). */
static void
lookup_type(int64 account_id, int64 type_id, bool type_null,
			int64 status_id, bool status_null, LeadType *type)
{
	const CrmLeadRules *rules = crm_lead_rules(account_id);
	const CrmLeadType *t = type_null ? crm_lead_default_type(rules) : crm_lead_type(rules, type_id);
	const CrmStatus *status;

	if (t == NULL && type_null)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("lead has no type"),
				 errdetail("type_id is NULL and account %lld has no default lead type.",
						   (long long) account_id),
				 errhint("Give type_id, or mark one lead type with is_default.")));
	if (t == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("lead type %lld does not exist", (long long) type_id),
				 errdetail("Account %lld has no lead type with id %lld.",
						   (long long) account_id, (long long) type_id),
				 errhint("Use the id of one of the account's lead types (crm.lead_types).")));
	status = crm_lead_status(rules, status_null ? t->initial_status_id : status_id);
	type->id = t->id;
	type->number_template = t->number_template;
	type->status_found = status != NULL;
	type->status_id = status ? status->id : 0;
	type->status_kind = status ? status->kind : NULL;
	type->timezone = crm_account_settings(account_id)->timezone;
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

/* The status, which must exist. */
static const CrmStatus *
lookup_status(const CrmLeadRules *rules, int64 status_id)
{
	const CrmStatus *status = crm_lead_status(rules, status_id);

	if (status == NULL)
		status_not_found(rules->head.account_id, status_id);
	return status;
}

/*
 * The statuses a lead of type_id may move to from from_status, in the board's
 * order: every other status when no rule starts there, else exactly the
 * rules' targets.
 */
static bool
may_move_to(const CrmLeadRules *rules, int64 type_id, int64 from_status, const CrmStatus *to)
{
	return to->id != from_status && crm_lead_move_allowed(rules, type_id, from_status, to->id);
}

static char *
allowed_names(const CrmLeadRules *rules, int64 type_id, int64 from_status)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < rules->nstatuses; i++)
		if (may_move_to(rules, type_id, from_status, &rules->statuses[i]))
			appendStringInfo(&buf, "%s\"%s\"", buf.len > 0 ? ", " : "", rules->statuses[i].name);
	if (buf.len == 0)
		return "none: the lead cannot leave this status";
	return buf.data;
}

static void
check_transition(const CrmLeadRules *rules, const CrmRow *old, int64 type_id, int64 from_status,
				 int64 to_status, const char *to_name)
{
	const char *from_name;
	char	   *number;

	if (crm_lead_move_allowed(rules, type_id, from_status, to_status))
		return;

	from_name = lookup_status(rules, from_status)->name;
	number = crm_row_text(old, LEAD_NUMBER);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("lead \"%s\" cannot move from \"%s\" to \"%s\"",
					number ? number : "(no number)", from_name, to_name),
			 errdetail("The transition rules of lead type %lld have no move from status %lld to status %lld.",
					   (long long) type_id, (long long) from_status, (long long) to_status),
			 errhint("Allowed from \"%s\": %s.", from_name,
					 allowed_names(rules, type_id, from_status))));
}

/* ---- triggers ---- */

/*
 * A lead an import made whole (import/leads.c: its number or none, type,
 * status, times and manager checked there) is kept as it is; one without a
 * number is numbered from its type's template at its created_at.
 */
static HeapTuple
imported_lead(CrmTrigger *trig, const CrmRow *row, int64 account_id)
{
	CrmChanges	ch = {0};
	CrmUserSwitch user;
	LeadType	type;
	bool		isnull;
	int64		sequence_id,
				seq;
	char	   *number;

	if (!crm_row_isnull(row, LEAD_NUMBER))
		return row->tuple;
	crm_trigger_connect(trig);
	crm_become_owner(&user);
	lookup_type(account_id, crm_row_int64(row, LEAD_TYPE_ID, &isnull), false,
				crm_row_int64(row, LEAD_STATUS_ID, &isnull), false, &type);
	number = crm_number_next(account_id, type.number_template, type.timezone,
							 DatumGetTimestampTz(crm_row_get(row, LEAD_CREATED_AT, &isnull)),
							 &lead_max_number, &sequence_id, &seq);
	crm_restore_user(&user);
	crm_change_text(&ch, row, LEAD_NUMBER, number);
	crm_change(&ch, row, LEAD_NUMBER_SEQUENCE_ID, Int64GetDatum(sequence_id), false);
	crm_change(&ch, row, LEAD_NUMBER_SEQ, Int64GetDatum(seq), false);
	return crm_changes_apply(row, &ch);
}

/* lead_10_before_insert: type, starting status, number, times, manager. */
PG_FUNCTION_INFO_V1(crm_lead_before_insert);
Datum
crm_lead_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
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
	char	   *number;

	crm_trigger_start(&trig, fcinfo, "crm_lead_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &lead_columns)};
	account_id = crm_row_int64(&row, LEAD_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */
	if (crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, imported_lead(&trig, &row, account_id));
	if (!crm_row_isnull(&row, LEAD_NUMBER))
		crm_error_generated_column("crm.leads", "number",
								   "Lead numbers are made from the lead type's number template.");

	type_id = crm_row_int64(&row, LEAD_TYPE_ID, &type_null);
	status_id = crm_row_int64(&row, LEAD_STATUS_ID, &status_null);
	created_at = DatumGetTimestampTz(crm_row_get(&row, LEAD_CREATED_AT, &isnull));
	if (isnull)
		created_at = GetCurrentTransactionStartTimestamp();
	crm_check_time(created_at, "crm.leads.created_at");	/* before it is numbered */

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	lookup_type(account_id, type_id, type_null, status_id, status_null, &type);
	if (!type.status_found)
		status_not_found(account_id, status_id);
	number = crm_number_next(account_id, type.number_template, type.timezone, created_at,
							 &lead_max_number, &sequence_id, &seq);
	crm_restore_user(&user);

	crm_change(&ch, &row, LEAD_TYPE_ID, Int64GetDatum(type.id), false);
	crm_change(&ch, &row, LEAD_STATUS_ID, Int64GetDatum(type.status_id), false);
	crm_change_text(&ch, &row, LEAD_NUMBER, number);
	crm_change(&ch, &row, LEAD_NUMBER_SEQUENCE_ID, Int64GetDatum(sequence_id), false);
	crm_change(&ch, &row, LEAD_NUMBER_SEQ, Int64GetDatum(seq), false);
	crm_change(&ch, &row, LEAD_CREATED_AT, TimestampTzGetDatum(created_at), false);
	crm_change(&ch, &row, LEAD_STATUS_CHANGED_AT, TimestampTzGetDatum(created_at), false);
	crm_change(&ch, &row, LEAD_CLOSED_AT, TimestampTzGetDatum(created_at),
			   strcmp(type.status_kind, "open") == 0);
	crm_change(&ch, &row, LEAD_OVERDUE_SINCE, (Datum) 0, true);
	if (crm_row_isnull(&row, LEAD_MANAGER_ID))
	{
		bool		no_employee;
		int64		employee = crm_employee_or_null(&no_employee);

		crm_change(&ch, &row, LEAD_MANAGER_ID, Int64GetDatum(employee), no_employee);
	}
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}

/*
 * A new status or type: both exist, the move follows the transition rules
 * (unless crm itself moves the lead, as linking an order does), and the
 * status times follow the move.
 */
static void
check_status_move(const CrmRow *old, const CrmRow *new, CrmChanges *ch)
{
	const CrmLeadRules *rules;
	const CrmStatus *to;
	bool		isnull,
				type_null,
				from_null,
				to_null;
	int64		account_id = crm_row_int64(old, LEAD_ACCOUNT_ID, &isnull);
	int64		type_id = crm_row_int64(new, LEAD_TYPE_ID, &type_null);
	int64		from_status = crm_row_int64(old, LEAD_STATUS_ID, &from_null);
	int64		to_status = crm_row_int64(new, LEAD_STATUS_ID, &to_null);
	const char *to_name;
	const char *to_kind;

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

	if (!crm_row_same(old, new, LEAD_TYPE_ID))
	{
		LeadType	type;

		lookup_type(account_id, type_id, false, to_status, false, &type);
	}
	rules = crm_lead_rules(account_id);
	to = lookup_status(rules, to_status);
	to_name = to->name;
	to_kind = to->kind;
	if (from_status != to_status && !from_null && !crm_write_allows(CRM_WRITE_STATUS_MOVE))
		check_transition(rules, old, type_id, from_status, to_status, to_name);

	if (from_status != to_status)
	{
		TimestampTz now = GetCurrentTransactionStartTimestamp();

		crm_change(ch, new, LEAD_STATUS_CHANGED_AT, TimestampTzGetDatum(now), false);
		if (strcmp(to_kind, "open") == 0)
			crm_change(ch, new, LEAD_CLOSED_AT, (Datum) 0, true);
		else if (crm_row_isnull(old, LEAD_CLOSED_AT))
			crm_change(ch, new, LEAD_CLOSED_AT, TimestampTzGetDatum(now), false);
	}
}

/* lead_10_before_update: fixed columns, transition rules, status times, overdue. */
PG_FUNCTION_INFO_V1(crm_lead_before_update);
Datum
crm_lead_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	CrmRow		new;
	CrmChanges	ch = {0};

	crm_trigger_start(&trig, fcinfo, "crm_lead_before_update", CRM_BEFORE, CRM_ON_UPDATE);
	old = (CrmRow) {trig.old, trig.desc, crm_trigger_columns(&trig, &lead_columns)};
	new = (CrmRow) {trig.new, trig.desc, old.map};

	for (int i = 0; i < lengthof(fixed_columns); i++)
		if (!crm_row_same(&old, &new, fixed_columns[i]))
			crm_error_fixed_column("a lead", lead_names[fixed_columns[i]], NULL);

	if (!crm_row_same(&old, &new, LEAD_STATUS_ID) || !crm_row_same(&old, &new, LEAD_TYPE_ID))
		check_status_move(&old, &new, &ch);
	if (!crm_row_same(&old, &new, LEAD_DEADLINE))
		crm_change(&ch, &new, LEAD_OVERDUE_SINCE, (Datum) 0, true);

	return crm_trigger_return(&trig, crm_changes_apply(&new, &ch));
}

/* An event's detail {"from": old, "to": new} of one column, typed as the events are. */
static Datum
from_to_detail(const CrmRow *old, const CrmRow *new, int col)
{
	CrmJson		j;

	crm_json_begin(&j);
	crm_json_row(&j, "from", old, col);
	crm_json_row(&j, "to", new, col);
	return crm_json_jsonb(&j);
}

/* Records the change of one reference column (manager, client, order) as an event. */
static void
reference_event(int64 account_id, int64 lead_id, const CrmRow *old, const CrmRow *new,
				int col, const char *kind)
{
	if (crm_row_same(old, new, col))
		return;
	crm_lead_event(account_id, lead_id, kind, 0, true, 0, true,
				   from_to_detail(old, new, col), false);
}

static void
created_event(int64 account_id, int64 lead_id, const CrmRow *new)
{
	CrmJson		detail;
	bool		no_status;
	int64		status = crm_row_int64(new, LEAD_STATUS_ID, &no_status);

	crm_json_begin(&detail);
	crm_json_row(&detail, "number", new, LEAD_NUMBER);
	crm_lead_event(account_id, lead_id, "created", 0, true, status, no_status,
				   crm_json_jsonb(&detail), false);
}

/*
 * The events of an update: the status move (with the comment of
 * crm.transition_lead, and "by" the system when crm itself moved it), the
 * deadline, its expiry, and the reference columns.
 */
static void
update_events(int64 account_id, int64 lead_id, const CrmRow *old, const CrmRow *new)
{
	if (!crm_row_same(old, new, LEAD_STATUS_ID))
	{
		CrmJson		detail;
		bool		from_null,
					to_null;
		int64		from_status = crm_row_int64(old, LEAD_STATUS_ID, &from_null);
		int64		to_status = crm_row_int64(new, LEAD_STATUS_ID, &to_null);

		crm_json_begin(&detail);
		crm_json_text(&detail, "comment", crm_write_comment());
		crm_json_text(&detail, "by", crm_write_allows(CRM_WRITE_STATUS_MOVE) ? "system" : "employee");
		crm_lead_event(account_id, lead_id, "status_changed",
					   from_status, from_null, to_status, to_null,
					   crm_json_jsonb(&detail), false);
	}
	if (!crm_row_same(old, new, LEAD_DEADLINE))
		crm_lead_event(account_id, lead_id, "deadline_changed", 0, true, 0, true,
					   from_to_detail(old, new, LEAD_DEADLINE), false);
	if (crm_row_isnull(old, LEAD_OVERDUE_SINCE) && !crm_row_isnull(new, LEAD_OVERDUE_SINCE))
	{
		CrmJson		detail;

		crm_json_begin(&detail);
		crm_json_row(&detail, "deadline", new, LEAD_DEADLINE);
		crm_json_row(&detail, "overdue_since", new, LEAD_OVERDUE_SINCE);
		crm_lead_event(account_id, lead_id, "deadline_expired", 0, true, 0, true,
					   crm_json_jsonb(&detail), false);
	}
	reference_event(account_id, lead_id, old, new, LEAD_MANAGER_ID, "manager_changed");
	reference_event(account_id, lead_id, old, new, LEAD_CLIENT_ID, "client_linked");
	reference_event(account_id, lead_id, old, new, LEAD_ORDER_ID, "order_linked");
}

/* lead_90_history and lead_90_history_insert: one crm.lead_events row per change worth keeping. */
PG_FUNCTION_INFO_V1(crm_lead_after_write);
Datum
crm_lead_after_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		new;
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id,
				lead_id;

	crm_trigger_start(&trig, fcinfo, "crm_lead_after_write", CRM_AFTER, CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	new = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &lead_columns)};
	account_id = crm_row_int64(&new, LEAD_ACCOUNT_ID, &isnull);
	lead_id = crm_row_int64(&new, LEAD_ID, &isnull);

	/* an import writes the 'created' events of its leads itself, dated at created_at */
	if (trig.is_insert && crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, NULL);
	if (trig.is_insert && crm_lead_created_with_statement(trig.data->tg_newtable, lead_id))
		return crm_trigger_return(&trig, NULL);
	/* due work writes the history of its marks itself, as one set (lead_deadlines.c) */
	if (!trig.is_insert && crm_write_allows(CRM_WRITE_OWN_HISTORY))
		return crm_trigger_return(&trig, NULL);
	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (trig.is_insert)
	{
		if (!crm_lead_created_events(trig.data, new.map->attnum[LEAD_ID], lead_id))
			created_event(account_id, lead_id, &new);
	}
	else
	{
		CrmRow		old = {trig.old, trig.desc, new.map};

		update_events(account_id, lead_id, &old, &new);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}

/* ---- SQL functions ---- */

static CrmPlan move_lead = {
	"UPDATE crm.leads AS l SET status_id = $3 WHERE l.account_id = $1 AND l.id = $2 RETURNING l.*",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan visible_lead = {
	"SELECT type_id, status_id FROM crm.leads WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * crm.transition_lead(lead_id, to_status, comment): the UPDATE runs as the
 * caller, so grants and policies apply; the trigger enforces the rules, the
 * history trigger records the comment.
 */
PG_FUNCTION_INFO_V1(crm_transition_lead);
Datum
crm_transition_lead(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		lead_id;
	Datum		args[3];
	Datum		result;
	CrmWriteScope scope = {0, NULL, NULL};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("lead_id and to_status",
								"Pass the lead's id and the id of the status to move it to.");
	lead_id = PG_GETARG_INT64(0);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(lead_id);
	args[2] = PG_GETARG_DATUM(1);
	scope.comment = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));

	SPI_connect();
	if (crm_write_exec(&scope, &move_lead, args, NULL) != 1)
		crm_error_not_found("lead", account_id, lead_id, ERRCODE_NO_DATA_FOUND);
	result = crm_get_row_copy(0, 1, "leads");
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
	const CrmLeadRules *rules;
	MemoryContext per_query;

	InitMaterializedSRF(fcinfo, 0);
	per_query = rsinfo->econtext->ecxt_per_query_memory;

	SPI_connect();
	/* As the caller: a lead the caller cannot see does not exist. */
	if (crm_exec(&visible_lead, args, NULL, true, 1) == 0)
		crm_error_not_found("lead", account_id, lead_id, ERRCODE_NO_DATA_FOUND);
	type_id = crm_get_int64(0, 1, NULL);
	status_id = crm_get_int64(0, 2, NULL);

	rules = crm_lead_rules(account_id);
	for (int i = 0; i < rules->nstatuses; i++)
	{
		const CrmStatus *to = &rules->statuses[i];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		MemoryContext old;

		if (!may_move_to(rules, type_id, status_id, to))
			continue;
		old = MemoryContextSwitchTo(per_query);
		values[0] = Int64GetDatum(to->id);
		values[1] = CStringGetTextDatum(to->name);
		values[2] = CStringGetTextDatum(to->kind);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}
