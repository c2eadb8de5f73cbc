/*
 * crm.c
 *	  Module magic and load-time initialisation of the crm extension.
 *
 * Each concept registers what it needs at load time (settings, its due
 * handlers, the background worker); everything else is created by the
 * extension's SQL script.
 */
#include "postgres.h"

#include "fmgr.h"

#include "crm.h"
#include "events.h"
#include "identity_reach.h"
#include "kit/restore.h"
#include "search_path_guard.h"
#include "lead_deadlines.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* Settings first: the worker reads crm.database when it registers. */
	crm_guc_init();

	/* On a Citus coordinator a crm_service member's account must reach the workers. */
	crm_identity_reach_init();

	/* On a Citus coordinator a restoring session takes the restore lock there too. */
	crm_restore_init();

	/* On a Citus coordinator no search_path reaches the workers with a schema before pg_catalog. */
	crm_search_path_guard_init();

	/* The event stream writes a transaction's events when it commits. */
	crm_events_init();

	/* A crm role's INSERT ... SELECT on the Citus coordinator (insert_select.c). */
	crm_insert_select_init();

	/*
	 * The due handlers: the order of registration is the order of
	 * crm.run_due()'s output (invoice auto-cancel, autopay charges, then lead
	 * deadlines).
	 */
	crm_invoices_init();
	crm_autopay_init();
	crm_lead_deadlines_init();

	/* The worker last: it runs the handlers registered above. */
	crm_worker_init();
}
