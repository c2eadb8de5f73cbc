/*
 * kit/restore.c
 *	  The restore signal and the restore lock; see kit/restore.h.  On a Citus
 *	  coordinator the restoring session takes the lock there too (its hooks:
 *	  crm_restore_init, from _PG_init).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

#include "kit/citus.h"
#include "kit/restore.h"
#include "kit/spi.h"

/*
 * The restore lock: an advisory lock tag whose last field no SQL function
 * uses (pg_advisory_lock uses 1 and 2), so that only crm takes it.
 */
#define RESTORE_LOCK_KEY	0x63726d52	/* "crmR" */
#define RESTORE_LOCK_SPACE	3

static bool holds_restore_lock = false;

static void
restore_lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, RESTORE_LOCK_KEY, 0, RESTORE_LOCK_SPACE);
}

/*
 * Whether the session's role may write past row-level security (a superuser, a
 * BYPASSRLS role, the owner of schema crm): the one who restores.  Row-level
 * security keeps every other role out of crm's tables with row_security off;
 * the staging tables of an import have none (import.sql), so the role is
 * asked: the outer one, as crm's own writes run as the owner.
 */
static bool
restoring_role(void)
{
	Oid			role = GetOuterUserId();

	return superuser_arg(role) || has_bypassrls_privilege(role) || role == crm_schema_owner();
}

bool
crm_restoring(void)
{
	if (row_security || check_function_bodies || creating_extension || !restoring_role())
		return false;
	if (!holds_restore_lock)
	{
		LOCKTAG		tag;

		restore_lock_tag(&tag);
		(void) LockAcquire(&tag, ShareLock, true, false);
		holds_restore_lock = true;
	}
	return true;
}

bool
crm_restore_running(void)
{
	LOCKTAG		tag;

	/*
	 * Probe with a mode that conflicts with the restorers' ShareLock but not
	 * with itself: two sessions running due work at once must not take each
	 * other's probe for a restore.
	 */
	restore_lock_tag(&tag);
	if (LockAcquire(&tag, RowExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	LockRelease(&tag, RowExclusiveLock, false);
	return false;
}

/* ---- on a Citus coordinator ---- */

/*
 * A restore through a Citus coordinator inserts into the shards on the
 * workers: their sessions (Citus's connections) take the restore lock there,
 * where no due work looks.  The coordinator's due work and crm.run_due probe
 * the coordinator's lock table, so the coordinator's session takes the lock
 * too, at its first INSERT or COPY FROM into a crm table written as a restore
 * writes (crm_restoring's conditions).
 */
static ExecutorStart_hook_type prev_executor_start = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static bool
in_crm(Oid relid)
{
	return OidIsValid(relid) && get_rel_namespace(relid) == get_namespace_oid("crm", true);
}

static void
restore_on_coordinator(Oid relid)
{
	if (!holds_restore_lock && !row_security && !check_function_bodies && in_crm(relid) &&
		crm_citus_active() && !crm_citus_in_task())
		(void) crm_restoring();
}

static void
restore_executor_start(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	ListCell   *lc;

	/* Citus's plan of an INSERT names no result relation: its target is in the range table */
	if (stmt->commandType == CMD_INSERT && !row_security && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		foreach(lc, stmt->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION && (rte->requiredPerms & ACL_INSERT))
				restore_on_coordinator(rte->relid);
		}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
restore_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	CopyStmt   *copy = IsA(pstmt->utilityStmt, CopyStmt) ? (CopyStmt *) pstmt->utilityStmt : NULL;

	if (copy != NULL && copy->is_from && copy->relation != NULL && !row_security && !check_function_bodies)
		restore_on_coordinator(RangeVarGetRelid(copy->relation, NoLock, true));
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
crm_restore_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = restore_executor_start;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = restore_process_utility;
}
