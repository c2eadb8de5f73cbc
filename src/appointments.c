/*
 * appointments.c
 *	  Appointments with clients: their states, the moves between them, the
 *	  undo of a mis-click, and their history.
 *
 * States and moves (for INSERT as for UPDATE):
 *	(booking)	-> waiting
 *	waiting		-> confirmed | came | cancelled	(a client may come without
 *				   confirming first)
 *	confirmed	-> came | cancelled
 *	came, cancelled: final.
 * The one way back is an undo: the employee who made the last move may take
 * it back within CRM_APPOINTMENT_UNDO_SECS of it, by moving the appointment
 * back to the status it came from (or with crm.undo_appointment_move).  An
 * undo is not itself undone, and the booking is no move.
 *
 * The time of a move is appointments.status_changed_at: what the writer gives
 * with the status (a sane time, actor.h), else the transaction time.  It is
 * the history's `at`, and an undo falls within the window when its own time
 * is at most CRM_APPOINTMENT_UNDO_SECS after the undone move's: so "now" is
 * data, and a test never waits.
 *
 * Triggers:
 *	appointments_10_transition	(BEFORE INSERT OR UPDATE OF status,
 *		status_changed_at; crm_appointment_before_update) the moves above.
 *	appointments_90_history		(AFTER INSERT OR UPDATE OF status;
 *		crm_appointment_history) one crm.appointment_events row per booking,
 *		move and undo (an undo names the event it undoes).
 * Functions: crm.undo_appointment_move(appointment_id, at).
 *
 * Internal reads and writes run as the schema owner and always name the
 * account.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "crm.h"
#include "tenancy.h"

#define CRM_APPOINTMENT_UNDO_SECS 600	/* 10 minutes */

/* ---- the moves ---- */

static bool
move_allowed(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return true;
	if (strcmp(from, "waiting") == 0)
		return strcmp(to, "confirmed") == 0 || strcmp(to, "came") == 0 ||
			strcmp(to, "cancelled") == 0;
	if (strcmp(from, "confirmed") == 0)
		return strcmp(to, "came") == 0 || strcmp(to, "cancelled") == 0;
	return false;
}

static const char *
allowed_list(const char *from)
{
	if (strcmp(from, "waiting") == 0)
		return "\"confirmed\", \"came\", \"cancelled\"";
	if (strcmp(from, "confirmed") == 0)
		return "\"came\", \"cancelled\"";
	return NULL;
}

/* The last event of an appointment: the booking, a move or an undo. */
typedef struct LastMove
{
	int64		id;
	int64		employee_id;
	bool		no_employee;
	char	   *from_status;	/* NULL: the booking */
	char	   *to_status;
	TimestampTz at;
	bool		is_undo;
} LastMove;

static CrmPlan last_move_plan = {
	"SELECT id, employee_id, from_status, to_status, at, undoes_event_id IS NOT NULL "
	"FROM crm.appointment_events WHERE account_id = $1 AND appointment_id = $2 "
	"ORDER BY id DESC LIMIT 1",
	2, {INT8OID, INT8OID}
};

/* Reads the last event (SPI connected); false when there is none. */
static bool
last_move(int64 account_id, int64 appointment_id, LastMove *last)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(appointment_id)};
	CrmUserSwitch user;
	bool		isnull;
	uint64		n;

	crm_become_owner_to_read(&user, "appointment_events");
	n = crm_exec(&last_move_plan, args, NULL, false, 1);	/* a fresh snapshot */
	crm_restore_user(&user);
	if (n == 0)
		return false;
	last->id = crm_get_int64(0, 1, NULL);
	last->employee_id = crm_get_int64(0, 2, &last->no_employee);
	last->from_status = crm_get_text(0, 3);
	last->to_status = crm_get_text(0, 4);
	last->at = DatumGetTimestampTz(crm_get(0, 5, &isnull));
	last->is_undo = crm_get_bool(0, 6, NULL);
	return true;
}

/* Whether moving from -> to takes back last (the statuses only). */
static bool
reverses(const LastMove *last, const char *from, const char *to)
{
	return last->from_status != NULL && !last->is_undo &&
		strcmp(last->to_status, from) == 0 && strcmp(last->from_status, to) == 0;
}

/* timestamptz_to_str's text, copied: it returns a static buffer. */
static char *
time_text(TimestampTz at)
{
	return pstrdup(timestamptz_to_str(at));
}

static void
refuse_move(int64 id, const char *from, const char *to)
{
	const char *allowed = allowed_list(from);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("appointment %lld cannot move from \"%s\" to \"%s\"",
					(long long) id, from, to),
			 errdetail("Appointment %lld is \"%s\"; only its last move can be taken back, by the employee who made it, within 10 minutes.",
					   (long long) id, from),
			 allowed ? errhint("From \"%s\" an appointment may move to %s.", from, allowed)
			 : errhint("\"%s\" is final: book a new appointment instead.", from)));
}

/* An undo of last at `at`, from -> to: by the same employee, within the window. */
static void
check_undo(int64 id, const LastMove *last, const char *from, const char *to, TimestampTz at)
{
	TimestampTz until = TimestampTzPlusMilliseconds(last->at,
													(int64) CRM_APPOINTMENT_UNDO_SECS * 1000);

	if (last->no_employee || !crm_actor_is(last->employee_id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("appointment %lld cannot undo its move from \"%s\" to \"%s\"",
						(long long) id, to, from),
				 last->no_employee
				 ? errdetail("The move was recorded without an employee; you act as %s.",
							 crm_actor_employee_text())
				 : errdetail("The move was made by employee %lld; you act as %s.",
							 (long long) last->employee_id, crm_actor_employee_text()),
				 errhint("Only the employee who made a move may undo it.")));
	if (at < last->at || at > until)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("appointment %lld cannot undo its move from \"%s\" to \"%s\"",
						(long long) id, to, from),
				 errdetail("The move was made at %s; it can be undone until %s, and the undo is at %s.",
						   time_text(last->at), time_text(until), time_text(at)),
				 allowed_list(from)
				 ? errhint("A move can be undone within 10 minutes of it. From \"%s\" an appointment may move to %s.",
						   from, allowed_list(from))
				 : errhint("A move can be undone within 10 minutes of it; \"%s\" is final now: book a new appointment instead.",
						   from)));
}

enum
{
	APPOINTMENT_ACCOUNT_ID, APPOINTMENT_ID, APPOINTMENT_STATUS, APPOINTMENT_STATUS_CHANGED_AT,
	APPOINTMENT_NCOLUMNS
};
static const char *const appointment_names[] = {"account_id", "id", "status", "status_changed_at"};
static CrmColumnMap appointment_columns = {"crm.appointments", APPOINTMENT_NCOLUMNS, appointment_names};

static void
refuse_booking_status(const char *status)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("a new appointment cannot start as \"%s\"", status),
			 errdetail("An appointment is booked \"waiting\" and moves from there."),
			 errhint("Insert it without a status (it starts \"waiting\"), then move it to \"%s\".",
					 status)));
}

static void
refuse_time_alone(int64 id, const CrmRow *old)
{
	bool		isnull;
	TimestampTz before = DatumGetTimestampTz(crm_row_get(old, APPOINTMENT_STATUS_CHANGED_AT, &isnull));

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("column \"status_changed_at\" of appointment %lld changes only with its status",
					(long long) id),
			 errdetail("status_changed_at is the time of the appointment's last move, %s.",
					   time_text(before)),
			 errhint("Set status_changed_at together with status, or leave it out of the UPDATE.")));
}

/*
 * The time of a move: status_changed_at as the writer gives it with the
 * status, checked; else the transaction time.  Never before the last move.
 */
static TimestampTz
move_time(const CrmRow *old, const CrmRow *new, int64 id)
{
	bool		isnull;
	TimestampTz before = DatumGetTimestampTz(crm_row_get(old, APPOINTMENT_STATUS_CHANGED_AT, &isnull));
	TimestampTz at;

	if (crm_row_same(old, new, APPOINTMENT_STATUS_CHANGED_AT))
		at = GetCurrentTransactionStartTimestamp();
	else
	{
		at = DatumGetTimestampTz(crm_row_get(new, APPOINTMENT_STATUS_CHANGED_AT, &isnull));
		crm_actor_check_time(at, "status_changed_at", "an appointment's move");
	}
	if (at < before)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("appointment %lld cannot move at %s, before its last move",
						(long long) id, time_text(at)),
				 errdetail("Its status last moved at %s.", time_text(before)),
				 errhint("Give status_changed_at the time of this move, or leave it out for the current time.")));
	return at;
}

PG_FUNCTION_INFO_V1(crm_appointment_before_update);
Datum
crm_appointment_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		old,
				new;
	CrmChanges	changes = {0};
	char	   *from,
			   *to;
	int64		id;
	TimestampTz at;
	LastMove	last;

	crm_trigger_start(&t, fcinfo, "crm_appointment_before_update", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (t.restoring)
		return crm_trigger_return(&t, t.new);
	new = crm_trigger_row(&t, t.new, &appointment_columns);
	to = crm_row_text(&new, APPOINTMENT_STATUS);
	if (t.is_insert)
	{
		/* A NULL status is the NOT NULL constraint's to report. */
		if (to != NULL && strcmp(to, "waiting") != 0)
			refuse_booking_status(to);
		return crm_trigger_return(&t, t.new);
	}

	old = (CrmRow) {t.old, t.desc, new.map};
	from = crm_row_text(&old, APPOINTMENT_STATUS);
	id = crm_row_int64(&old, APPOINTMENT_ID, NULL);
	if (from == NULL || to == NULL)
		return crm_trigger_return(&t, t.new);
	if (strcmp(from, to) == 0)
	{
		if (!crm_row_same(&old, &new, APPOINTMENT_STATUS_CHANGED_AT))
			refuse_time_alone(id, &old);
		return crm_trigger_return(&t, t.new);
	}

	at = move_time(&old, &new, id);
	if (!move_allowed(from, to))
	{
		crm_trigger_connect(&t);
		if (!last_move(crm_row_int64(&old, APPOINTMENT_ACCOUNT_ID, NULL), id, &last) ||
			!reverses(&last, from, to))
			refuse_move(id, from, to);
		check_undo(id, &last, from, to, at);
	}
	crm_change(&changes, &new, APPOINTMENT_STATUS_CHANGED_AT, TimestampTzGetDatum(at), false);
	return crm_trigger_return(&t, crm_changes_apply(&new, &changes));
}

/* ---- the history ---- */

static CrmPlan insert_event = {
	"INSERT INTO crm.appointment_events (account_id, appointment_id, employee_id, "
	"from_status, to_status, at, undoes_event_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID}
};

PG_FUNCTION_INFO_V1(crm_appointment_history);
Datum
crm_appointment_history(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		new,
				old;
	bool		from_null = true,
				isnull,
				no_employee;
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', 'n'};
	CrmUserSwitch user;
	int64		employee = crm_employee_or_null(&no_employee);
	int64		account_id,
				id;

	crm_trigger_start(&t, fcinfo, "crm_appointment_history", CRM_AFTER,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (t.restoring)
		return crm_trigger_return(&t, NULL);
	new = crm_trigger_row(&t, t.new, &appointment_columns);
	account_id = crm_row_int64(&new, APPOINTMENT_ACCOUNT_ID, NULL);
	id = crm_row_int64(&new, APPOINTMENT_ID, NULL);
	args[3] = (Datum) 0;
	if (t.is_update)
	{
		char	   *from,
				   *to;
		LastMove	last;

		old = (CrmRow) {t.old, t.desc, new.map};
		if (crm_row_same(&old, &new, APPOINTMENT_STATUS))
			return crm_trigger_return(&t, NULL);
		crm_trigger_connect(&t);
		args[3] = crm_row_get(&old, APPOINTMENT_STATUS, &from_null);
		from = crm_row_text(&old, APPOINTMENT_STATUS);
		to = crm_row_text(&new, APPOINTMENT_STATUS);
		/* A move back passed the BEFORE trigger only as an undo of the last move. */
		if (from != NULL && to != NULL && !move_allowed(from, to) &&
			last_move(account_id, id, &last))
		{
			args[6] = Int64GetDatum(last.id);
			nulls[6] = ' ';
		}
	}
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(id);
	args[2] = Int64GetDatum(employee);
	nulls[2] = no_employee ? 'n' : ' ';
	nulls[3] = from_null ? 'n' : ' ';
	args[4] = crm_row_get(&new, APPOINTMENT_STATUS, &isnull);
	args[5] = crm_row_get(&new, APPOINTMENT_STATUS_CHANGED_AT, &isnull);

	crm_trigger_connect(&t);
	crm_become_owner(&user);
	crm_exec(&insert_event, args, nulls, false, 0);
	crm_restore_user(&user);
	return crm_trigger_return(&t, NULL);
}

/* ---- crm.undo_appointment_move ---- */

static CrmPlan undo_plan = {
	"UPDATE crm.appointments AS p SET status = $3, status_changed_at = $4 "
	"WHERE p.account_id = $1 AND p.id = $2 RETURNING p.*",
	4, {INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID}
};
static CrmPlan find_plan = {
	"SELECT status FROM crm.appointments WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * crm.undo_appointment_move(appointment_id, at DEFAULT now()): moves the
 * appointment back to where its last move came from, as of `at`; the
 * trigger decides whether the caller may.  Runs as the caller.
 */
PG_FUNCTION_INFO_V1(crm_undo_appointment_move);
Datum
crm_undo_appointment_move(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		id;
	Datum		args[4];
	LastMove	last = {0};
	bool		found;
	char	   *status;
	Datum		result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("appointment_id and at",
								"Pass the id of the appointment and the time of the undo (default now()).");
	id = PG_GETARG_INT64(0);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(id);
	SPI_connect();
	if (crm_exec(&find_plan, args, NULL, true, 1) != 1)
		crm_error_not_found("appointment", account_id, id, ERRCODE_NO_DATA_FOUND);
	status = crm_get_text(0, 1);
	found = last_move(account_id, id, &last);
	if (!found || last.from_status == NULL || last.is_undo)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("appointment %lld has no move to undo", (long long) id),
				 errdetail(last.from_status == NULL
						   ? "Appointment %lld is \"%s\" as booked."
						   : "The last change of appointment %lld, to \"%s\", was itself an undo.",
						   (long long) id, status),
				 errhint("Only the last move can be undone, once.")));
	args[2] = CStringGetTextDatum(last.from_status);
	args[3] = PG_GETARG_DATUM(1);
	crm_exec(&undo_plan, args, NULL, false, 1);
	result = crm_get_row_copy(0, 1, "appointments");
	SPI_finish();
	PG_RETURN_DATUM(result);
}
