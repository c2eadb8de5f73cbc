/*
 * kit/restore.c
 *	  The restore signal and the restore lock; see kit/restore.h.
 */
#include "postgres.h"

#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/rls.h"

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
