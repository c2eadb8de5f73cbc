/*
 * identity.c
 *	  Who is acting: the account and the employee of the session, taken from
 *	  bindings a login cannot change.
 *
 * The acting role is the session's role after SET ROLE (GetOuterUserId: crm's
 * own switch to the schema owner for internal writes does not change it).
 * It is one of:
 *	the owner		a superuser or the owner of schema crm: crm.account_id and
 *					crm.employee_id are used as set (the background worker,
 *					pg_cron jobs, restores, the DBA);
 *	bound			a role named in crm.login_bindings: the binding is the
 *					account and the employee, whatever the session sets;
 *					setting either to anything else raises 42501 at first use;
 *	crm_service		a member of the group role crm_service (an application
 *					server, a pooler's user): the settings are used as set for
 *					the transaction (SET LOCAL); a value set for the session
 *					raises 42501 at first use, since behind a transaction pooler
 *					it may be another client's (only a session whose login is a
 *					superuser or the owner, which may act anywhere anyway, may
 *					SET ROLE to a service role and keep session values);
 *	none			any other role: no account, so it sees no row and every
 *					write fails with 42501.
 * The answer is kept per backend and forgotten when bindings change (a
 * relcache invalidation of crm.login_bindings, sent by its trigger), when
 * roles or memberships change, or when the acting role changes.
 *
 * Functions: crm.bind_login, crm.unbind_login; trigger login_bindings_90_changed.
 * C API (identity.h): crm_actor_kind, crm_actor_account, crm_actor_employee.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "crm.h"
#include "guc.h"
#include "identity.h"
#include "kit/citus.h"
#include "kit/relcache.h"

typedef struct Actor
{
	bool		valid;
	Oid			role;
	Oid			login;			/* the session user the answer was made for */
	CrmActorKind kind;
	bool		login_trusted;	/* the login is a superuser or the owner */
	int64		account_id;		/* bound */
	int64		employee_id;	/* bound, unless employee_null */
	bool		employee_null;
} Actor;

static Actor actor;
static Oid	bindings_relid = InvalidOid;
static bool callbacks_registered = false;

static void
forget_actor_on_relcache(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == bindings_relid)
		actor.valid = false;
}

static void
forget_actor_on_syscache(Datum arg, int cacheid, uint32 hashvalue)
{
	actor.valid = false;
}

static void
register_callbacks(void)
{
	if (callbacks_registered)
		return;
	crm_register_relcache_callback(forget_actor_on_relcache, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, forget_actor_on_syscache, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, forget_actor_on_syscache, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, forget_actor_on_syscache, (Datum) 0);
	callbacks_registered = true;
}

/*
 * On Citus crm.login_bindings is a reference table, with a copy on every
 * node: a policy on a worker's shard reads the worker's copy (a nested read,
 * kit/citus.h).
 *
 * Run from the policies' functions, which have no SET search_path: the query
 * resolves nothing through the caller's path (a kept plan is analysed again
 * when the path differs), hence the schema-qualified operator.
 */
static CrmPlan binding_of_role = {
	"SELECT account_id, employee_id FROM crm.login_bindings WHERE role_name OPERATOR(pg_catalog.=) $1",
	1, {NAMEOID}
};

/* Reads the binding of role into actor; false when it has none. */
static bool
read_binding(Oid role)
{
	Oid			nsp = get_namespace_oid("crm", true);
	char	   *name = GetUserNameFromId(role, true);
	CrmUserSwitch user;
	Datum		arg;
	bool		found;
	int			level;

	bindings_relid = OidIsValid(nsp) ? get_relname_relid("login_bindings", nsp) : InvalidOid;
	if (!OidIsValid(bindings_relid) || name == NULL)
		return false;			/* not installed yet (CREATE EXTENSION), or a dropped role */
	arg = DirectFunctionCall1(namein, CStringGetDatum(name));
	SPI_connect();
	crm_become_owner(&user);
	level = crm_citus_nesting_begin();
	found = crm_exec(&binding_of_role, &arg, NULL, true, 1) == 1;
	crm_citus_nesting_end(level);
	if (found)
	{
		actor.account_id = crm_get_int64(0, 1, NULL);
		actor.employee_id = crm_get_int64(0, 2, &actor.employee_null);
	}
	crm_restore_user(&user);
	SPI_finish();
	return found;
}

static bool
is_member_of_service(Oid role)
{
	Oid			service = get_role_oid("crm_service", true);

	return OidIsValid(service) && has_privs_of_role(role, service);
}

static const Actor *
current_actor(void)
{
	Oid			role = GetOuterUserId();
	Oid			login = GetSessionUserId();

	if (actor.valid && actor.role == role && actor.login == login)
		return &actor;
	register_callbacks();
	actor.valid = false;
	actor.role = role;
	actor.login = login;
	actor.login_trusted = superuser_arg(login) || login == crm_schema_owner();
	if (superuser_arg(role) || role == crm_schema_owner())
		actor.kind = CRM_ACTOR_OWNER;
	else if (read_binding(role))
		actor.kind = CRM_ACTOR_BOUND;
	else if (is_member_of_service(role))
		actor.kind = CRM_ACTOR_SERVICE;
	else
		actor.kind = CRM_ACTOR_NONE;
	actor.valid = true;
	return &actor;
}

CrmActorKind
crm_actor_kind(void)
{
	return current_actor()->kind;
}

static const char *
role_name(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : "?";
}

/*
 * A crm_service member's setting counts only for the transaction that set it,
 * unless the login is trusted (see the header).
 */
static void
require_transaction_value(const Actor *a, const char *name, int64 value, bool is_local)
{
	if (a->kind != CRM_ACTOR_SERVICE || a->login_trusted || is_local)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s = %lld was set for the session, not for this transaction", name, (long long) value),
			 errdetail("Role \"%s\" is a member of crm_service, which chooses the account and the employee per transaction; "
					   "behind a connection pooler a session's value may be another client's.",
					   role_name(a->role)),
			 errhint("Set it inside the transaction: SET LOCAL %s = ..., or set_config('%s', ..., true).",
					 name, name)));
}

int64
crm_actor_account(bool *isnull)
{
	const Actor *a = current_actor();

	switch (a->kind)
	{
		case CRM_ACTOR_NONE:
			*isnull = true;
			return 0;
		case CRM_ACTOR_BOUND:
			if (crm_account_is_set && crm_account_value != a->account_id)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("role \"%s\" is bound to account %lld", role_name(a->role),
								(long long) a->account_id),
						 errdetail("crm.account_id is %lld; a bound login acts only in the account it is bound to.",
								   (long long) crm_account_value),
						 errhint("Leave crm.account_id unset; only members of crm_service choose the account.")));
			*isnull = false;
			return a->account_id;
		default:
			if (crm_account_is_set)
				require_transaction_value(a, "crm.account_id", crm_account_value, crm_account_is_local());
			*isnull = !crm_account_is_set;
			return crm_account_value;
	}
}

int64
crm_actor_employee(bool *isnull)
{
	const Actor *a = current_actor();

	switch (a->kind)
	{
		case CRM_ACTOR_NONE:
			*isnull = true;
			return 0;
		case CRM_ACTOR_BOUND:
			if (crm_employee_is_set && (a->employee_null || crm_employee_value != a->employee_id))
			{
				if (a->employee_null)
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("role \"%s\" is bound to no employee", role_name(a->role)),
							 errdetail("crm.employee_id is %lld; a bound login acts only as the employee it is bound to.",
									   (long long) crm_employee_value),
							 errhint("Leave crm.employee_id unset, or bind the login to its employee with crm.bind_login.")));
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("role \"%s\" is bound to employee %lld", role_name(a->role),
								(long long) a->employee_id),
						 errdetail("crm.employee_id is %lld; a bound login acts only as the employee it is bound to.",
								   (long long) crm_employee_value),
						 errhint("Leave crm.employee_id unset; only members of crm_service choose the employee.")));
			}
			*isnull = a->employee_null;
			return a->employee_id;
		default:
			if (crm_employee_is_set)
				require_transaction_value(a, "crm.employee_id", crm_employee_value, crm_employee_is_local());
			*isnull = !crm_employee_is_set;
			return crm_employee_value;
	}
}

/* ---- binding logins ---- */

static void
require_owner(const char *what)
{
	if (current_actor()->kind != CRM_ACTOR_OWNER)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Role \"%s\" is neither a superuser nor the owner of schema crm.",
						   role_name(GetOuterUserId())),
				 errhint("Bindings decide which account a login reads; ask the database administrator.")));
}

static CrmPlan account_exists = {
	"SELECT 1 FROM crm.accounts WHERE id = $1 FOR KEY SHARE", 1, {INT8OID}
};
static CrmPlan employee_exists = {
	"SELECT 1 FROM crm.employees WHERE account_id = $1 AND id = $2 FOR KEY SHARE", 2, {INT8OID, INT8OID}
};
/* The time is an argument: Citus takes no function in an upsert's SET on a reference table. */
static CrmPlan upsert_binding = {
	"INSERT INTO crm.login_bindings (role_name, account_id, employee_id, bound_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (role_name) DO UPDATE SET account_id = EXCLUDED.account_id, "
	"  employee_id = EXCLUDED.employee_id, bound_at = EXCLUDED.bound_at",
	4, {NAMEOID, INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan delete_binding = {
	"DELETE FROM crm.login_bindings WHERE role_name = $1", 1, {NAMEOID}
};

static void
check_binding_target(Oid role, int64 account_id, int64 employee_id, bool employee_null)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(employee_id)};

	if (superuser_arg(role) || role == crm_schema_owner())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" cannot be bound", role_name(role)),
				 errdetail("Role \"%s\" is a superuser or the owner of schema crm, which acts in any account.",
						   role_name(role)),
				 errhint("Bind the login roles of people and applications, not the owner.")));
	if (crm_exec(&account_exists, args, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account %lld does not exist", (long long) account_id),
				 errhint("Bind the login to the id of a row of crm.accounts.")));
	if (!employee_null && crm_exec(&employee_exists, args, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("employee %lld does not exist in account %lld",
						(long long) employee_id, (long long) account_id),
				 errhint("Bind the login to one of the account's employees (crm.employees), or to none.")));
}

static Datum
role_name_datum(Oid role)
{
	return DirectFunctionCall1(namein, CStringGetDatum(role_name(role)));
}

/* crm.bind_login(role regrole, account_id bigint, employee_id bigint DEFAULT NULL) */
PG_FUNCTION_INFO_V1(crm_bind_login);
Datum
crm_bind_login(PG_FUNCTION_ARGS)
{
	Oid			role;
	int64		account_id;
	Datum		args[4];
	char		nulls[5] = "    ";
	CrmUserSwitch user;

	require_owner("bind logins");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("role and account_id",
								"Pass the login role and the id of the account it acts in.");
	role = PG_GETARG_OID(0);
	account_id = PG_GETARG_INT64(1);
	args[0] = role_name_datum(role);
	args[1] = Int64GetDatum(account_id);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	args[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	SPI_connect();
	crm_become_owner(&user);
	check_binding_target(role, account_id, PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2), PG_ARGISNULL(2));
	crm_exec(&upsert_binding, args, nulls, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_VOID();
}

/* crm.unbind_login(role regrole): true when a binding was removed. */
PG_FUNCTION_INFO_V1(crm_unbind_login);
Datum
crm_unbind_login(PG_FUNCTION_ARGS)
{
	Datum		arg;
	uint64		n;
	CrmUserSwitch user;

	require_owner("unbind logins");
	if (PG_ARGISNULL(0))
		crm_error_null_argument("role", "Pass the login role to unbind.");
	arg = role_name_datum(PG_GETARG_OID(0));
	SPI_connect();
	crm_become_owner(&user);
	n = crm_exec(&delete_binding, &arg, NULL, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_BOOL(n > 0);
}

/*
 * login_bindings_90_changed, AFTER each statement on crm.login_bindings:
 * every backend forgets its actor at commit (a relcache invalidation of the
 * table reaches them all), so a new or removed binding holds at once.
 */
PG_FUNCTION_INFO_V1(crm_login_bindings_changed);
Datum
crm_login_bindings_changed(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;

	crm_trigger_start_statement(&trig, fcinfo, "crm_login_bindings_changed", CRM_AFTER,
								CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE | CRM_ON_TRUNCATE,
								false);
	CacheInvalidateRelcache(trig.data->tg_relation);
	/* on Citus the trigger fires on each node's copy: the backends there watch the table's name */
	bindings_relid = get_relname_relid("login_bindings", RelationGetNamespace(trig.data->tg_relation));
	if (OidIsValid(bindings_relid) && bindings_relid != trig.relid)
		CacheInvalidateRelcacheByRelid(bindings_relid);
	return crm_trigger_return(&trig, NULL);
}
