/*
 * tenancy.c
 *	  The current account and employee, the settings of an account, the crm
 *	  roles, and row-level security of every crm table.
 *
 * crm.current_account() is the default of every account_id column and fails
 * closed: with crm.account_id unset it raises 42501, so a write never lands in
 * no account.  Policies use crm.session_account(), which returns NULL instead,
 * so that a role without the setting simply sees no rows.
 *
 * The account settings (default region, link modes, the order status and
 * numbering, the lead manager and inbound lead modes) are kept per backend
 * and account (kit/backend_cache.h), read again once crm.accounts changes
 * (its trigger accounts_99_cache, caches.sql): a lead insert reads them in
 * two triggers, a bulk load in every row.
 *
 * Triggers:
 *	_account_guard				BEFORE INSERT OR UPDATE of every table with
 *								account_id: refuses a row of another account
 * Functions: crm.current_account, crm.session_account, crm.current_employee,
 * crm.timezone_ok, crm._ensure_roles, crm._secure_all_tables, and 0.1.0's
 * crm._phone_settings_changed.
 * C API (tenancy.h): crm_require_account, crm_policy_account,
 * crm_employee_or_null, crm_error_no_account, crm_account_settings.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "tcop/pquery.h"

#include "crm.h"
#include "kit/by_key.h"
#include "identity.h"
#include "kit/citus.h"
#include "tenancy.h"

/*
 * A crm function called for each row of a query that Citus runs on a worker
 * (SELECT crm.transition_lead(id, ...) FROM crm.leads ...) cannot reach the
 * account's other rows from there: Citus refuses the nested query, and crm
 * says why first.  Triggers on a worker's shards are where crm's rules run,
 * and pass; so does a statement that reads no table, a call Citus delegated
 * to the account's worker (crm._import_run: SELECT * FROM crm._import_run(...)).
 */
static bool
statement_reads_no_table(void)
{
	PlannedStmt *stmt;
	ListCell   *lc;

	if (ActivePortal == NULL || ActivePortal->stmts == NIL)
		return false;
	stmt = linitial_node(PlannedStmt, ActivePortal->stmts);
	foreach(lc, stmt->rtable)
	{
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_RELATION)
			return false;
	}
	return true;
}

static void
refuse_in_citus_task(void)
{
	if (!crm_citus_in_task() || DatumGetInt32(pg_trigger_depth(NULL)) > 0 || statement_reads_no_table())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("crm functions cannot run inside a query on a Citus shard"),
			 errdetail("The function was called for each row of a query that Citus runs on a worker, "
					   "from where crm cannot reach the account's other rows."),
			 errhint("Call the function once per row from the client, each call a statement of its own "
					 "with its arguments as values.")));
}

/* The acting account, or 42501 naming why there is none. */
static int64
acting_account(void)
{
	bool		isnull;
	int64		account_id = crm_actor_account(&isnull);

	if (!isnull)
		return account_id;
	if (crm_actor_kind() == CRM_ACTOR_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" acts in no crm account", GetUserNameFromId(GetOuterUserId(), false)),
				 errdetail("The role is not bound to an account and is not a member of crm_service."),
				 errhint("Ask the database administrator to bind the login with crm.bind_login(role, account_id, employee_id).")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("no crm account is selected"),
			 errdetail("The setting crm.account_id is not set in this session."),
			 errhint("Set crm.account_id to your account's id, for example with "
					 "SET LOCAL crm.account_id = 1 in a transaction.")));
	return 0;					/* not reached */
}

int64
crm_require_account(void)
{
	refuse_in_citus_task();
	return acting_account();
}

int64
crm_employee_or_null(bool *isnull)
{
	return crm_actor_employee(isnull);
}

/*
 * The default of every account_id column.  It reads the transaction's
 * settings (and the login's binding, a reference table on every node) and
 * nothing of the account's rows, so it runs as it does on one server in a
 * query Citus sends to a shard: an INSERT ... SELECT pushed down to the
 * shards of the account.
 */
PG_FUNCTION_INFO_V1(crm_current_account);
Datum
crm_current_account(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(acting_account());
}

/*
 * The account a policy compares rows with, or *isnull: the session's.  On a
 * Citus worker a crm_service member without an account is one that acts in
 * none, as on one server (no rows): a value the coordinator's session set
 * that would not reach the workers is refused there (identity_reach.c).
 */
int64
crm_policy_account(bool *isnull)
{
	return crm_actor_account(isnull);
}

PG_FUNCTION_INFO_V1(crm_session_account);
Datum
crm_session_account(PG_FUNCTION_ARGS)
{
	bool		isnull;
	int64		account_id = crm_policy_account(&isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_INT64(account_id);
}

PG_FUNCTION_INFO_V1(crm_current_employee);
Datum
crm_current_employee(PG_FUNCTION_ARGS)
{
	bool		isnull;
	int64		employee_id = crm_actor_employee(&isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_INT64(employee_id);
}

void
crm_error_no_account(int64 account_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("account %lld does not exist", (long long) account_id),
			 errdetail("crm.accounts has no account with id %lld.", (long long) account_id),
			 errhint("Set crm.account_id to the id of an account in crm.accounts.")));
}

/* CHECK helper for accounts.timezone: raises with a hint instead of returning false. */
PG_FUNCTION_INFO_V1(crm_timezone_ok);
Datum
crm_timezone_ok(PG_FUNCTION_ARGS)
{
	char	   *tz = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (pg_tzset(tz) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", tz),
				 errdetail("A time zone must be a name from pg_timezone_names."),
				 errhint("Use a name such as 'Europe/Moscow' or 'UTC'.")));
	PG_RETURN_BOOL(true);
}

/* ---- account settings ---- */

typedef struct SettingsEntry
{
	CrmBackendCacheEntry head;
	CrmAccountSettings settings;
} SettingsEntry;

static CrmBackendCache settings_cache = {"account settings", sizeof(SettingsEntry), {"accounts"}};

/*
 * The account row, through its primary key (kit/by_key.h: on Citus, where
 * crm.accounts is a reference table, through SPI), with the latest snapshot,
 * as the cache needs (kit/backend_cache.h).
 */
enum
{
	ACC_REGION, ACC_CLIENT_LINK, ACC_ORDER_LINK, ACC_WON_STATUS, ACC_ORDER_TEMPLATE,
	ACC_TIMEZONE, ACC_LEAD_MANAGER, ACC_INBOUND_LEAD, ACC_NCOLUMNS
};
static const char *const account_names[] = {
	"default_region", "client_link_mode", "order_link_mode", "order_won_status_id",
	"order_number_template", "timezone", "lead_manager_mode", "inbound_lead_mode"
};
static CrmColumnMap account_columns = {"crm.accounts", ACC_NCOLUMNS, account_names};
static CrmColumnMap account_result_columns = {"crm.accounts", ACC_NCOLUMNS, account_names};
static CrmPlan account_settings = {
	"SELECT default_region, client_link_mode, order_link_mode, order_won_status_id, "
	"order_number_template, timezone, lead_manager_mode, inbound_lead_mode "
	"FROM crm.accounts WHERE id = $1",
	1, {INT8OID}
};
static const CrmKeyedTable accounts_by_id = {
	"accounts", "accounts_pkey", &account_settings, &account_columns, &account_result_columns
};

static void
copy_setting(char *dst, size_t size, const char *src)
{
	strlcpy(dst, src ? src : "", size);
}

static void
settings_from_row(const CrmRow *row, CrmAccountSettings *settings, MemoryContext memory)
{
	bool		isnull;

	copy_setting(settings->region, sizeof(settings->region), crm_row_text(row, ACC_REGION));
	copy_setting(settings->client_link_mode, sizeof(settings->client_link_mode),
				 crm_row_text(row, ACC_CLIENT_LINK));
	copy_setting(settings->order_link_mode, sizeof(settings->order_link_mode),
				 crm_row_text(row, ACC_ORDER_LINK));
	settings->order_won_status_id = crm_row_int64(row, ACC_WON_STATUS, &isnull);
	settings->has_won_status = !isnull;
	settings->order_number_template = MemoryContextStrdup(memory, crm_row_text(row, ACC_ORDER_TEMPLATE));
	settings->timezone = MemoryContextStrdup(memory, crm_row_text(row, ACC_TIMEZONE));
	copy_setting(settings->lead_manager_mode, sizeof(settings->lead_manager_mode),
				 crm_row_text(row, ACC_LEAD_MANAGER));
	copy_setting(settings->inbound_lead_mode, sizeof(settings->inbound_lead_mode),
				 crm_row_text(row, ACC_INBOUND_LEAD));
}

/* Reads the account's row into settings (the strings into memory); 23503 when there is none. */
static void
read_settings(int64 account_id, CrmAccountSettings *settings, MemoryContext memory)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	CrmRow		row;
	bool		found = crm_row_by_key(&accounts_by_id, &account_id, 1, snapshot, &row);

	UnregisterSnapshot(snapshot);
	if (!found)
		crm_error_no_account(account_id);
	settings->account_id = account_id;
	settings_from_row(&row, settings, memory);
}

const CrmAccountSettings *
crm_account_settings(int64 account_id)
{
	SettingsEntry *entry = crm_backend_cache_entry(&settings_cache, account_id);

	if (!entry->head.filled)
	{
		read_settings(account_id, &entry->settings, crm_backend_cache_memory(&settings_cache));
		entry->head.filled = true;
	}
	return &entry->settings;
}

/*
 * crm._phone_settings_changed(), the trigger accounts_20_phone_settings of
 * crm 0.1.0: kept so that 0.1.0 installs under this library (the update to
 * 0.2.0 drops both; accounts_99_cache, caches.sql, serves since).  It makes
 * every session read the settings again, as accounts_99_cache does.
 */
PG_FUNCTION_INFO_V1(crm_phone_settings_changed);
Datum
crm_phone_settings_changed(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;

	crm_trigger_start_statement(&trig, fcinfo, "crm_phone_settings_changed", CRM_AFTER,
								CRM_ON_UPDATE, false);
	CacheInvalidateRelcacheByRelid(trig.relid);
	return crm_trigger_return(&trig, NULL);
}

/* ---- row-level security ---- */

/*
 * crm._account_guard(): fired first (its name sorts first) before every
 * INSERT or UPDATE of every crm table.  Row-level security checks a new row
 * only after the BEFORE triggers ran, and crm's triggers look rows up in the
 * row's own account as the owner; so a row of another account is refused
 * here, before any of them, for every role that row-level security applies to.
 * It serves every table, so it finds account_id by name in the row's own
 * descriptor rather than through the column map of one table.
 */
PG_FUNCTION_INFO_V1(crm_account_guard);
Datum
crm_account_guard(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	int			attnum;
	bool		isnull;
	bool		no_session_account = true;
	int64		session_account = 0;
	Datum		account;

	crm_trigger_start(&trig, fcinfo, "crm_account_guard", CRM_BEFORE, CRM_ON_INSERT | CRM_ON_UPDATE);
	if (check_enable_rls(trig.relid, InvalidOid, true) != RLS_ENABLED)
		return crm_trigger_return(&trig, trig.new);
	attnum = SPI_fnumber(trig.desc, "account_id");
	if (attnum <= 0)
		return crm_trigger_return(&trig, trig.new);
	account = heap_getattr(trig.new, attnum, trig.desc, &isnull);
	if (!isnull)
		session_account = crm_actor_account(&no_session_account);
	if (isnull || (!no_session_account && DatumGetInt64(account) == session_account))
		return crm_trigger_return(&trig, trig.new);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("new row violates row-level security policy for table \"%s\"",
					crm_citus_table_name(trig.data->tg_relation)),
			 errdetail("The row's account_id %lld is not the session's account.",
					   (long long) DatumGetInt64(account)),
			 errhint("Write rows of the account named by crm.account_id only.")));
	PG_RETURN_NULL();
}

/* ---- roles and policies ---- */

static void
exec_fixed(const char *sql)
{
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "crm: failed: %s", sql);
}

/*
 * Creates the group roles when missing (roles are cluster-wide, so a second
 * database with crm reuses them) and nests them: admin > manager > reader.
 * crm_service stands apart: it grants no table, only the trust to choose the
 * account and employee per transaction (identity.c); so does crm_delivery,
 * which may only claim and complete outbox rows (outbox_delivery.c).
 */
PG_FUNCTION_INFO_V1(crm_ensure_roles);
Datum
crm_ensure_roles(PG_FUNCTION_ARGS)
{
	static const char *const roles[] = {"crm_reader", "crm_manager", "crm_admin", "crm_service", "crm_delivery"};

	SPI_connect();
	for (int i = 0; i < lengthof(roles); i++)
	{
		Datum		arg = CStringGetTextDatum(roles[i]);
		Oid			argtype = TEXTOID;

		if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
								  1, &argtype, &arg, NULL, true, 1) < 0)
			elog(ERROR, "crm: role lookup failed");
		if (SPI_processed == 0)
		{
			char	   *sql = psprintf("CREATE ROLE %s NOLOGIN", roles[i]);

			exec_fixed(sql);
		}
	}
	exec_fixed("GRANT crm_reader TO crm_manager");
	exec_fixed("GRANT crm_manager TO crm_admin");
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Gives every table of the crm schema the account policy (unless it has its
 * own, which then holds the account condition too: customers.c), row-level security
 * and a pg_dump mark, and every sequence a pg_dump mark (so a restore
 * continues numbering where it stopped), so that nothing can be added without
 * them.  The staging tables of an import (those with the trigger
 * import_00_stage, import.sql) are the exception: COPY FROM refuses a table
 * with row-level security, so they get only the mark, and are kept apart by
 * their grants (INSERT only) instead.  The names come from the catalog, never from user input, and are
 * quoted.
 */
PG_FUNCTION_INFO_V1(crm_secure_all_tables);
Datum
crm_secure_all_tables(PG_FUNCTION_ARGS)
{
	uint64		n;
	char	  **names;
	char	   *kinds;
	bool	   *has_policy;
	bool	   *has_guard;
	bool	   *staging;

	SPI_connect();
	if (SPI_execute("SELECT c.relname::text, c.relkind::text, "
					"  EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid), "
					"  EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t "
					"          WHERE t.tgrelid = c.oid AND t.tgname = '_account_guard'), "
					"  EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t "
					"          WHERE t.tgrelid = c.oid AND t.tgname = 'import_00_stage') "
					"FROM pg_catalog.pg_class c "
					"WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p', 'S') "
					"ORDER BY 1", true, 0) < 0)
		elog(ERROR, "crm: table listing failed");
	n = SPI_processed;
	names = palloc(sizeof(char *) * (n + 1));
	kinds = palloc(n + 1);
	has_policy = palloc(sizeof(bool) * (n + 1));
	has_guard = palloc(sizeof(bool) * (n + 1));
	staging = palloc(sizeof(bool) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		names[i] = crm_get_text(i, 1);
		kinds[i] = crm_get_text(i, 2)[0];
		has_policy[i] = crm_get_bool(i, 3, NULL);
		has_guard[i] = crm_get_bool(i, 4, NULL);
		staging[i] = crm_get_bool(i, 5, NULL);
	}

	for (uint64 i = 0; i < n; i++)
	{
		const char *qname = quote_qualified_identifier("crm", names[i]);
		const char *key = strcmp(names[i], "accounts") == 0 ? "id" : "account_id";

		if (kinds[i] != 'S' && !staging[i])
		{
			exec_fixed(psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", qname));
			if (!has_policy[i])
				exec_fixed(psprintf("CREATE POLICY account_isolation ON %s "
									"USING (%s = crm.session_account()) "
									"WITH CHECK (%s = crm.session_account())",
									qname, key, key));
			if (!has_guard[i] && strcmp(key, "account_id") == 0)
				exec_fixed(psprintf("CREATE TRIGGER _account_guard BEFORE INSERT OR UPDATE ON %s "
									"FOR EACH ROW EXECUTE FUNCTION crm._account_guard()", qname));
		}
		exec_fixed(psprintf("SELECT pg_catalog.pg_extension_config_dump(%s, '')",
							quote_literal_cstr(qname)));
	}
	SPI_finish();
	PG_RETURN_VOID();
}
