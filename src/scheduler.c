/*
 * scheduler.c
 *	  crm.run_due() and the background worker.
 *
 * run_due runs every registered due handler (see CrmDueHandler in crm.h) and
 * returns one row per kind with the number of items it handled.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"

static const CrmDueHandler *due_handlers[CRM_MAX_DUE_HANDLERS];
static int	n_due_handlers = 0;

void
crm_register_due_handler(const CrmDueHandler *handler)
{
	if (n_due_handlers >= CRM_MAX_DUE_HANDLERS)
		elog(ERROR, "crm: too many due handlers");
	due_handlers[n_due_handlers++] = handler;
}

int
crm_due_handler_count(void)
{
	return n_due_handlers;
}

const CrmDueHandler *
crm_due_handler(int i)
{
	return due_handlers[i];
}

void
crm_scheduler_init(void)
{
}

/* crm.run_due(now, max_items) -> (kind, handled) */
PG_FUNCTION_INFO_V1(crm_run_due);
Datum
crm_run_due(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = PG_ARGISNULL(0) ? GetCurrentTimestamp() : PG_GETARG_TIMESTAMPTZ(0);
	int64		max_items = PG_ARGISNULL(1) ? 10000 : PG_GETARG_INT32(1);
	CrmUserSwitch user;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	crm_become_owner(&user);
	for (int i = 0; i < n_due_handlers; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(due_handlers[i]->kind);
		values[1] = Int64GetDatum(due_handlers[i]->run(now, max_items));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	crm_restore_user(&user);
	SPI_finish();
	return (Datum) 0;
}
