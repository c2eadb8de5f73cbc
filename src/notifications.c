/*
 * notifications.c
 *	  Notification rules for lead events: who hears of what happens to a lead,
 *	  and how (crm.notification_rules, notifications.sql).
 *
 * An event is read off the change of a lead row by the trigger leads_97_notify,
 * which runs after the lead's history and its event of crm.events (so the
 * event stream has the change before the notices it queues), and every path
 * that changes a lead announces it alike: a plain INSERT or UPDATE,
 * crm.transition_lead, crm.receive_message, the overdue marking of run_due
 * (lead_deadlines.c, which queues the notices of its marks itself, as one
 * set, with the rules of this file), an order linked (linking.c), a manager
 * given by the first writer (lead_managers.c).  What an import writes (its
 * leads, and the links its orders make) and a restored lead announce nothing.
 *
 *	lead_created			a new lead
 *	lead_status_changed		status_id changed
 *	lead_manager_changed	manager_id changed
 *	lead_overdue			overdue_since set (run_due: the deadline passed)
 *	lead_urgent				a new lead marked urgent, or urgent turned on
 *	lead_order_linked		order_id set to an order
 *
 * For each event the account has rules for (the account's rules are kept per
 * backend, read again once crm.notification_rules changes: caches.sql), one INSERT
 * queues one crm.outbox row per recipient and channel: the recipients of all
 * the event's rules (manager: the lead's manager after the change; creator:
 * the employee who created the lead; employee: the rule's employee; admins:
 * the active employees of role admin), active ones only, each once per
 * channel.  The channel is the row's kind: 'email' (to the employee's email;
 * none for an employee without one) or 'notification' (an in-app notice for
 * the employee, outbox.employee_id, delivered like any outbox row).  Subject
 * and body name the lead; the overdue notice keeps the text it had before
 * rules.  dedup_key makes an event that happens once per lead (created, a
 * deadline passing, an order linked) queued once per recipient and channel.
 *
 * Functions:
 *	crm._lead_notify()	AFTER ROW trigger leads_97_notify on crm.leads
 *	crm._notification_rule_check()	BEFORE trigger: employee_id with notify
 *	crm._account_default_rules()	AFTER INSERT on crm.accounts: the default rule
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "crm.h"

/* ---- events, recipients, channels ---- */

typedef enum LeadEvent
{
	EV_CREATED, EV_STATUS_CHANGED, EV_MANAGER_CHANGED, EV_OVERDUE, EV_URGENT, EV_ORDER_LINKED,
	EV_COUNT
} LeadEvent;
static const char *const event_names[EV_COUNT] = {
	"lead_created", "lead_status_changed", "lead_manager_changed", "lead_overdue",
	"lead_urgent", "lead_order_linked"
};

typedef enum Notify
{
	TO_MANAGER, TO_CREATOR, TO_EMPLOYEE, TO_ADMINS, TO_COUNT
} Notify;
static const char *const notify_names[TO_COUNT] = {"manager", "creator", "employee", "admins"};

typedef struct Rule
{
	Notify		notify;
	int64		employee_id;	/* TO_EMPLOYEE only */
	const char *channel;		/* "email" or "notification": the outbox kind */
} Rule;

/* An account's rules, by event. */
typedef struct AccountRules
{
	CrmBackendCacheEntry head;	/* the account */
	int			n[EV_COUNT];
	Rule	   *rules[EV_COUNT];
} AccountRules;

static int
name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---- the rules, kept per backend (kit/backend_cache.h) ---- */

static CrmBackendCache rules_cache = {"notification rules", sizeof(AccountRules), {"notification_rules"}};

static CrmPlan account_rules = {
	"SELECT event, notify, employee_id, channel FROM crm.notification_rules"
	" WHERE account_id = $1 ORDER BY event, id",
	1, {INT8OID}
};

static void
read_rules(AccountRules *entry, MemoryContext memory)
{
	Datum		arg = Int64GetDatum(entry->head.account_id);
	uint64		n = crm_exec_latest(&account_rules, &arg, NULL, 0);

	for (int e = 0; e < EV_COUNT; e++)
		entry->rules[e] = MemoryContextAllocZero(memory, sizeof(Rule) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		char	   *event = crm_get_text(i, 1);
		char	   *notify = crm_get_text(i, 2);
		char	   *channel = crm_get_text(i, 4);
		int			e = name_index(event_names, EV_COUNT, event);
		int			to = name_index(notify_names, TO_COUNT, notify);
		Rule	   *rule;
		bool		isnull;

		if (e < 0 || to < 0)
			continue;			/* the table's CHECKs allow no other */
		rule = &entry->rules[e][entry->n[e]++];
		rule->notify = (Notify) to;
		rule->employee_id = crm_get_int64(i, 3, &isnull);
		rule->channel = strcmp(channel, "email") == 0 ? "email" : "notification";
	}
}

/* The account's rules if this backend holds them, else NULL. */
static const AccountRules *
cached_rules(int64 account_id)
{
	AccountRules *entry = crm_backend_cache_entry(&rules_cache, account_id);

	return entry->head.filled ? entry : NULL;
}

/* The account's rules, read now if not held (connected to SPI, as the owner). */
static const AccountRules *
read_account_rules(int64 account_id)
{
	AccountRules *entry = crm_backend_cache_entry(&rules_cache, account_id);

	if (!entry->head.filled)
	{
		read_rules(entry, crm_backend_cache_memory(&rules_cache));
		entry->head.filled = true;
	}
	return entry;
}

/* ---- the messages: one statement per event ---- */

/*
 * Arguments of every event's statement:
 *	$1 account_id, $2 employee ids and $3 their channels (manager, creator,
 *	employee rules), $4 the channels of admins rules, $5 lead id, $6 number,
 *	$7 contact_name, $8 status_id, $9 the event's other value (the status
 *	before, the manager before, the order), $10 deadline, $11 event,
 *	$12 manager_id.
 * WHAT is one row: subject, body, the event's payload, and the dedup key of
 * an event that happens once (NULL for one that may come again).
 */
#define NARGS 12
#define CONTACT "coalesce($7, 'no contact name')"
#define STATUS(id) "(SELECT s.name FROM crm.statuses s WHERE s.account_id = $1 AND s.id = " id ")"
#define EMPLOYEE(id) "coalesce((SELECT e.name FROM crm.employees e WHERE e.account_id = $1 AND e.id = " id "), 'no one')"
#define QUEUE(WHAT) \
	"WITH w AS (" WHAT ")," \
	" r AS (SELECT e.id, e.email, c.channel" \
	"       FROM unnest($2::bigint[], $3::text[]) AS c(employee_id, channel)" \
	"       JOIN crm.employees e ON e.account_id = $1 AND e.id = c.employee_id" \
	"       WHERE e.active" \
	"       UNION" \
	"       SELECT e.id, e.email, c.channel FROM unnest($4::text[]) AS c(channel)" \
	"       JOIN crm.employees e ON e.account_id = $1 AND e.role = 'admin' AND e.active)" \
	" INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, payload, dedup_key, employee_id)" \
	" SELECT $1, r.channel, r.email, w.subject, w.body," \
	"        pg_catalog.jsonb_build_object('event', $11::text, 'lead_id', $5::bigint, 'number', $6::text," \
	"                                      'manager_id', $12::bigint)" \
	"        || w.payload || pg_catalog.jsonb_build_object('employee_id', r.id, 'channel', r.channel)," \
	"        w.dedup_key || ':' || r.channel || ':' || r.id, r.id" \
	" FROM w CROSS JOIN r" \
	" WHERE r.channel = 'notification' OR r.email IS NOT NULL" \
	" ORDER BY r.id, r.channel" \
	" ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING"
#define PLAN(WHAT) {QUEUE(WHAT), NARGS, \
	{INT8OID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8OID, TEXTOID, TEXTOID, INT8OID, \
	 INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID}}

static CrmPlan queue_plans[EV_COUNT] = {
	[EV_CREATED] = PLAN(
		"SELECT pg_catalog.format('New lead %s', $6) AS subject,"
		" pg_catalog.format('Lead %s (%s) was created in status \"%s\".', $6, " CONTACT ", " STATUS("$8") ") AS body,"
		" pg_catalog.jsonb_build_object('status_id', $8::bigint) AS payload,"
		" pg_catalog.format('lead_created:%s', $5) AS dedup_key"),
	[EV_STATUS_CHANGED] = PLAN(
		"SELECT pg_catalog.format('Lead %s moved to \"%s\"', $6, " STATUS("$8") ") AS subject,"
		" pg_catalog.format('Lead %s (%s) moved from \"%s\" to \"%s\".', $6, " CONTACT ", "
		STATUS("$9") ", " STATUS("$8") ") AS body,"
		" pg_catalog.jsonb_build_object('from_status_id', $9::bigint, 'status_id', $8::bigint) AS payload,"
		" NULL::text AS dedup_key"),
	[EV_MANAGER_CHANGED] = PLAN(
		"SELECT pg_catalog.format('Lead %s has a new manager', $6) AS subject,"
		" pg_catalog.format('Lead %s (%s, status \"%s\") is now managed by %s (before: %s).', $6, " CONTACT ", "
		STATUS("$8") ", " EMPLOYEE("$12") ", " EMPLOYEE("$9") ") AS body,"
		" pg_catalog.jsonb_build_object('from_manager_id', $9::bigint, 'status_id', $8::bigint) AS payload,"
		" NULL::text AS dedup_key"),
	/* The overdue notice as it was before rules: its subject, body and key. */
	[EV_OVERDUE] = PLAN(
		"SELECT pg_catalog.format('Lead %s is overdue', $6) AS subject,"
		" pg_catalog.format('The deadline of lead %s (%s) passed at %s %s.', $6, " CONTACT ","
		"   pg_catalog.to_char($10 AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI:SS'), a.timezone) AS body,"
		" pg_catalog.jsonb_build_object('deadline', $10, 'status_id', $8::bigint) AS payload,"
		" pg_catalog.format('lead_overdue:%s:%s', $5, pg_catalog.date_part('epoch', $10)) AS dedup_key"
		" FROM crm.accounts a WHERE a.id = $1"),
	[EV_URGENT] = PLAN(
		"SELECT pg_catalog.format('Lead %s is urgent', $6) AS subject,"
		" pg_catalog.format('Lead %s (%s, status \"%s\") was marked urgent.', $6, " CONTACT ", " STATUS("$8") ") AS body,"
		" pg_catalog.jsonb_build_object('status_id', $8::bigint) AS payload,"
		" NULL::text AS dedup_key"),
	[EV_ORDER_LINKED] = PLAN(
		"SELECT pg_catalog.format('Lead %s is linked to order %s', $6, o.number) AS subject,"
		" pg_catalog.format('Order %s was linked to lead %s (%s), now in status \"%s\".', o.number, $6, " CONTACT ", "
		STATUS("$8") ") AS body,"
		" pg_catalog.jsonb_build_object('order_id', $9::bigint, 'status_id', $8::bigint) AS payload,"
		" pg_catalog.format('lead_order_linked:%s:%s', $5, $9) AS dedup_key"
		" FROM crm.orders o WHERE o.account_id = $1 AND o.id = $9"),
};

static CrmPlan lead_creator = {
	"SELECT employee_id FROM crm.lead_events"
	" WHERE account_id = $1 AND lead_id = $2 AND kind = 'created' ORDER BY id LIMIT 1",
	2, {INT8OID, INT8OID}
};

/* ---- the lead row ---- */

enum
{
	L_ACCOUNT_ID, L_ID, L_NUMBER, L_CONTACT_NAME, L_STATUS_ID, L_MANAGER_ID, L_URGENT,
	L_ORDER_ID, L_DEADLINE, L_OVERDUE_SINCE, L_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "id", "number", "contact_name", "status_id", "manager_id", "urgent",
	"order_id", "deadline", "overdue_since"
};
static CrmColumnMap lead_columns = {"crm.leads", L_NCOLUMNS, lead_names};

/* The employee who created the lead: the actor of a new one, else its 'created' event's. */
static bool
creator_of(const CrmRow *new, bool is_insert, int64 *creator)
{
	Datum		args[2];
	bool		isnull;

	if (is_insert)
	{
		*creator = crm_employee_or_null(&isnull);
		return !isnull;
	}
	args[0] = crm_row_get(new, L_ACCOUNT_ID, &isnull);
	args[1] = crm_row_get(new, L_ID, &isnull);
	if (crm_exec(&lead_creator, args, NULL, true, 1) == 0)
		return false;
	*creator = crm_get_int64(0, 1, &isnull);
	return !isnull;
}

/* Queues the event's messages for the recipients of its n rules. */
static void
queue_event(LeadEvent event, const Rule *rules, int n, const CrmRow *new, bool is_insert,
			Datum other, bool other_null)
{
	Datum	   *ids = palloc(sizeof(Datum) * n);
	Datum	   *channels = palloc(sizeof(Datum) * n);
	Datum	   *admin_channels = palloc(sizeof(Datum) * n);
	int			nids = 0,
				nadmins = 0;
	Datum		args[NARGS];
	char		nulls[NARGS + 1];
	bool		isnull;

	for (int i = 0; i < n; i++)
	{
		int64		employee = 0;
		bool		found = true;

		switch (rules[i].notify)
		{
			case TO_MANAGER:
				employee = crm_row_int64(new, L_MANAGER_ID, &isnull);
				found = !isnull;
				break;
			case TO_CREATOR:
				found = creator_of(new, is_insert, &employee);
				break;
			case TO_EMPLOYEE:
				employee = rules[i].employee_id;
				break;
			case TO_ADMINS:
				admin_channels[nadmins++] = CStringGetTextDatum(rules[i].channel);
				continue;
			default:
				continue;
		}
		if (!found)
			continue;
		ids[nids] = Int64GetDatum(employee);
		channels[nids++] = CStringGetTextDatum(rules[i].channel);
	}
	if (nids == 0 && nadmins == 0)
		return;

	memset(nulls, ' ', NARGS);
	nulls[NARGS] = '\0';
	args[0] = crm_row_get(new, L_ACCOUNT_ID, &isnull);
	args[1] = PointerGetDatum(construct_array(ids, nids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(channels, nids, TEXTOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(admin_channels, nadmins, TEXTOID, -1, false, TYPALIGN_INT));
	args[4] = crm_row_get(new, L_ID, &isnull);
	args[5] = crm_row_get(new, L_NUMBER, &isnull);
	nulls[5] = isnull ? 'n' : ' ';
	args[6] = crm_row_get(new, L_CONTACT_NAME, &isnull);
	nulls[6] = isnull ? 'n' : ' ';
	args[7] = crm_row_get(new, L_STATUS_ID, &isnull);
	nulls[7] = isnull ? 'n' : ' ';
	args[8] = other;
	nulls[8] = other_null ? 'n' : ' ';
	args[9] = crm_row_get(new, L_DEADLINE, &isnull);
	nulls[9] = isnull ? 'n' : ' ';
	args[10] = CStringGetTextDatum(event_names[event]);
	args[11] = crm_row_get(new, L_MANAGER_ID, &isnull);
	nulls[11] = isnull ? 'n' : ' ';
	crm_exec(&queue_plans[event], args, nulls, false, 0);
}

/* The events of the change: happened[e], with the value each names besides the lead. */
static bool
lead_events(CrmTrigger *trig, const CrmRow *new, bool *happened, Datum *other, bool *other_null)
{
	CrmRow		old;
	bool		any = false;

	for (int e = 0; e < EV_COUNT; e++)
	{
		happened[e] = false;
		other[e] = (Datum) 0;
		other_null[e] = true;
	}
	if (trig->is_insert)
	{
		happened[EV_CREATED] = true;
		happened[EV_URGENT] = crm_row_bool(new, L_URGENT);
		return true;
	}
	old = crm_trigger_row(trig, trig->old, &lead_columns);
	happened[EV_STATUS_CHANGED] = !crm_row_same(&old, new, L_STATUS_ID);
	other[EV_STATUS_CHANGED] = crm_row_get(&old, L_STATUS_ID, &other_null[EV_STATUS_CHANGED]);
	happened[EV_MANAGER_CHANGED] = !crm_row_same(&old, new, L_MANAGER_ID);
	other[EV_MANAGER_CHANGED] = crm_row_get(&old, L_MANAGER_ID, &other_null[EV_MANAGER_CHANGED]);
	happened[EV_OVERDUE] = crm_row_isnull(&old, L_OVERDUE_SINCE) && !crm_row_isnull(new, L_OVERDUE_SINCE);
	happened[EV_URGENT] = !crm_row_bool(&old, L_URGENT) && crm_row_bool(new, L_URGENT);
	happened[EV_ORDER_LINKED] = !crm_row_same(&old, new, L_ORDER_ID) && !crm_row_isnull(new, L_ORDER_ID);
	other[EV_ORDER_LINKED] = crm_row_get(new, L_ORDER_ID, &other_null[EV_ORDER_LINKED]);
	for (int e = 0; e < EV_COUNT; e++)
		any |= happened[e];
	return any;
}

/*
 * leads_97_notify: the notices of the account's rules for the events of the
 * change.  A change without events, or an account whose rules this
 * transaction has read, costs no query; what an import writes (its leads,
 * and the links its orders make) and a restored lead announce nothing.
 */
PG_FUNCTION_INFO_V1(crm_lead_notify);
Datum
crm_lead_notify(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		new;
	CrmUserSwitch user;
	bool		isnull;
	bool		happened[EV_COUNT];
	Datum		other[EV_COUNT];
	bool		other_null[EV_COUNT];
	bool		owner = false;
	const AccountRules *rules;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_lead_notify", CRM_AFTER, CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring || crm_write_allows(CRM_WRITE_IMPORT | CRM_WRITE_OWN_HISTORY))
		return crm_trigger_return(&trig, NULL);
	new = crm_trigger_row(&trig, trig.new, &lead_columns);
	if (!lead_events(&trig, &new, happened, other, other_null))
		return crm_trigger_return(&trig, NULL);
	account_id = crm_row_int64(&new, L_ACCOUNT_ID, &isnull);
	rules = cached_rules(account_id);
	for (int e = 0; e < EV_COUNT; e++)
	{
		if (!happened[e] || (rules != NULL && rules->n[e] == 0))
			continue;
		if (!owner)
		{
			crm_trigger_connect(&trig);
			crm_become_owner(&user);
			owner = true;
		}
		if (rules == NULL)
		{
			rules = read_account_rules(account_id);
			if (rules->n[e] == 0)
				continue;
		}
		queue_event((LeadEvent) e, rules->rules[e], rules->n[e], &new, trig.is_insert,
					other[e], other_null[e]);
	}
	if (owner)
		crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}

/* ---- the rules table ---- */

enum
{
	R_ACCOUNT_ID, R_EVENT, R_NOTIFY, R_EMPLOYEE_ID, R_NCOLUMNS
};
static const char *const rule_names[] = {"account_id", "event", "notify", "employee_id"};
static CrmColumnMap rule_columns = {"crm.notification_rules", R_NCOLUMNS, rule_names};

static CrmPlan employee_exists = {
	"SELECT 1 FROM crm.employees WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * notification_rules_10_check: employee_id goes with notify = 'employee', and
 * only with it, and names an employee of the account (the foreign key would
 * say so without the values to a role that cannot read them all).
 */
PG_FUNCTION_INFO_V1(crm_notification_rule_check);
Datum
crm_notification_rule_check(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	char	   *notify;
	char	   *event;
	bool		no_employee;
	int64		employee;

	crm_trigger_start(&trig, fcinfo, "crm_notification_rule_check", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	row = crm_trigger_row(&trig, trig.new, &rule_columns);
	notify = crm_row_text(&row, R_NOTIFY);
	event = crm_row_text(&row, R_EVENT);
	employee = crm_row_int64(&row, R_EMPLOYEE_ID, &no_employee);
	if (notify == NULL)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */
	if (strcmp(notify, "employee") == 0 && no_employee)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a rule that notifies an employee needs employee_id"),
				 errdetail("The rule for event \"%s\" has notify \"employee\" and no employee_id.",
						   event ? event : "(none)"),
				 errhint("Give the id of the employee to notify, or notify manager, creator or admins.")));
	if (strcmp(notify, "employee") != 0 && !no_employee)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("employee_id %lld is only for a rule that notifies an employee", (long long) employee),
				 errdetail("The rule for event \"%s\" has notify \"%s\", which names its recipients itself.",
						   event ? event : "(none)", notify),
				 errhint("Leave employee_id NULL, or set notify to 'employee'.")));
	if (!no_employee)
	{
		CrmUserSwitch user;
		Datum		args[2];
		bool		isnull;

		args[0] = crm_row_get(&row, R_ACCOUNT_ID, &isnull);
		args[1] = Int64GetDatum(employee);
		if (isnull)
			return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */
		crm_trigger_connect(&trig);
		crm_become_owner(&user);
		if (crm_exec(&employee_exists, args, NULL, true, 1) == 0)
			crm_error_not_found("employee", DatumGetInt64(args[0]), employee,
								ERRCODE_FOREIGN_KEY_VIOLATION);
		crm_restore_user(&user);
	}
	return crm_trigger_return(&trig, trig.new);
}

/*
 * accounts_30_notification_rules: a new account starts with the overdue notice
 * to the lead's manager (what crm did before rules).  A restored account
 * brings its own rules.
 */
static CrmPlan default_rules = {
	"INSERT INTO crm.notification_rules (account_id, event, notify, channel)"
	" VALUES ($1, 'lead_overdue', 'manager', 'notification')",
	1, {INT8OID}
};

enum
{
	A_ID, A_NCOLUMNS
};
static const char *const account_names[] = {"id"};
static CrmColumnMap account_columns = {"crm.accounts", A_NCOLUMNS, account_names};

PG_FUNCTION_INFO_V1(crm_account_default_rules);
Datum
crm_account_default_rules(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmUserSwitch user;
	Datum		account_id;
	bool		isnull;

	crm_trigger_start(&trig, fcinfo, "crm_account_default_rules", CRM_AFTER, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	row = crm_trigger_row(&trig, trig.new, &account_columns);
	account_id = crm_row_get(&row, A_ID, &isnull);
	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	crm_exec(&default_rules, &account_id, NULL, false, 0);
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}
