/*
 * guc.c
 *	  Every crm.* setting.
 *
 * crm.account_id and crm.employee_id name the tenant and the acting employee.
 * They are strings so that ids keep the full bigint range; the check hook
 * accepts an empty value (unset) or a positive integer, so a typo fails at SET
 * time rather than silently hiding every row.  crm_account_is_local and
 * crm_employee_is_local tell identity.c whether the value in force was set for
 * the current transaction only (SET LOCAL, set_config(..., true), a function's
 * SET clause): PostgreSQL's stack of values of the setting says so.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "crm.h"
#include "drop_guard.h"
#include "guc.h"
#include "outbox.h"
#include "worker.h"

static char *account_id_text = NULL;
static char *employee_id_text = NULL;
static struct config_generic *account_id_guc = NULL;
static struct config_generic *employee_id_guc = NULL;

bool		crm_account_is_set = false;
int64		crm_account_value = 0;
bool		crm_employee_is_set = false;
int64		crm_employee_value = 0;

char	   *crm_scheduler_databases = NULL;
bool		crm_scheduler_enabled = true;
int			crm_scheduler_max_sleep_ms = 60000;
int			crm_scheduler_batch_size = 1000;
int			crm_event_relay_interval_ms = 1000;
int			crm_outbox_max_attempts = 10;

bool		crm_allow_drop_with_data = false;
static char *write_note_text = NULL;	/* crm.write_note, read by name in kit/system_write.c */

/* Parses an id setting: empty is "unset", anything else must be a positive bigint. */
static bool
parse_id_setting(const char *text, bool *is_set, int64 *value)
{
	char	   *end;
	long long	v;

	if (text == NULL || text[0] == '\0')
	{
		*is_set = false;
		*value = 0;
		return true;
	}
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*is_set = true;
	*value = (int64) v;
	return true;
}

static bool
check_id_setting(char **newval, void **extra, GucSource source)
{
	bool		is_set;
	int64		value;

	if (!parse_id_setting(*newval, &is_set, &value))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("The value \"%s\" is not a positive integer id.", *newval);
		GUC_check_errhint("Set it to the id of a row, or to '' to unset it.");
		return false;
	}
	return true;
}

static void
assign_account_id(const char *newval, void *extra)
{
	(void) parse_id_setting(newval, &crm_account_is_set, &crm_account_value);
}

static void
assign_employee_id(const char *newval, void *extra)
{
	(void) parse_id_setting(newval, &crm_employee_is_set, &crm_employee_value);
}

/* The definition of a setting, found once: its address stays fixed. */
static struct config_generic *
find_setting(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	elog(ERROR, "setting \"%s\" is not defined", name);
	return NULL;				/* not reached */
}

/*
 * Whether the value in force was set for this transaction only.  A value of the
 * transaction has an entry on the setting's stack: GUC_LOCAL (SET LOCAL),
 * GUC_SET_LOCAL (SET, then SET LOCAL) or GUC_SAVE (a function's SET clause).
 * GUC_SET (a plain SET in this transaction) outlives the transaction, and no
 * entry means the value comes from before it: the role's or the database's
 * defaults, the connection's options, or a SET of an earlier transaction.
 */
static bool
is_transaction_local(const struct config_generic *gconf)
{
	return gconf->stack != NULL && gconf->stack->state != GUC_SET;
}

bool
crm_account_is_local(void)
{
	return is_transaction_local(account_id_guc);
}

bool
crm_employee_is_local(void)
{
	return is_transaction_local(employee_id_guc);
}

void
crm_guc_init(void)
{
	DefineCustomStringVariable("crm.account_id",
							   "The account whose rows this session reads and writes.",
							   "Members of crm_service set it per transaction with SET LOCAL; "
							   "a login bound with crm.bind_login acts in its binding.",
							   &account_id_text, "",
							   PGC_USERSET, 0,
							   check_id_setting, assign_account_id, NULL);

	DefineCustomStringVariable("crm.employee_id",
							   "The employee acting in this session.",
							   "Recorded in history rows and used as the default manager.",
							   &employee_id_text, "",
							   PGC_USERSET, 0,
							   check_id_setting, assign_employee_id, NULL);
	account_id_guc = find_setting("crm.account_id");
	employee_id_guc = find_setting("crm.employee_id");

	/* The worker's databases are fixed at server start, so only a preload defines it. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("crm.database",
							   "Databases in which the crm scheduler runs crm.run_due().",
								   "A comma-separated list of database names; empty disables the worker.",
								   &crm_scheduler_databases, "",
								   PGC_POSTMASTER, 0,
								   NULL, NULL, NULL);

	DefineCustomBoolVariable("crm.scheduler",
							 "Whether the crm background worker acts on due items.",
							 NULL,
							 &crm_scheduler_enabled, true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("crm.scheduler_max_sleep",
							"Longest time the crm worker sleeps when nothing is due.",
							NULL,
							&crm_scheduler_max_sleep_ms, 60000, 100, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("crm.event_relay_interval",
							"Longest time between two relays of the event stream's notifications on the Citus coordinator.",
							"The coordinator's crm worker runs at least this often there (events_relay.c).",
							&crm_event_relay_interval_ms, 1000, 100, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("crm.scheduler_batch_size",
							"Due items the crm worker handles per transaction.",
							NULL,
							&crm_scheduler_batch_size, 1000, 1, 1000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("crm.outbox_max_attempts",
							"Delivery attempts of an outbox row before it is given up (dead).",
							"crm.outbox_failed marks a row dead once it has had this many attempts.",
							&crm_outbox_max_attempts, 10, 1, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	/* Superuser only: it lets DROP EXTENSION crm delete every row (drop_guard.c). */
	DefineCustomBoolVariable("crm.allow_drop_with_data",
							 "Lets DROP EXTENSION crm (or DROP SCHEMA crm CASCADE, DROP OWNED) drop crm's tables while they hold rows.",
							 "Off: such a command is refused, saying how many rows it would delete.",
							 &crm_allow_drop_with_data, false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	/*
	 * kit/system_write.c: what a system write allows, its reason and comment,
	 * carried to a Citus worker; set by crm only (crm_write_note_check)
	 */
	DefineCustomStringVariable("crm.write_note",
							   "Set by crm around its own writes on Citus: what the write allows, its reason and comment (hex).",
							   "Set by crm only, read by its triggers on the workers.",
							   &write_note_text, "",
							   PGC_USERSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_NO_RESET_ALL,
							   crm_write_note_check, NULL, NULL);

	MarkGUCPrefixReserved("crm");
}
