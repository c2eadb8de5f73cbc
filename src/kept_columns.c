/*
 * kept_columns.c
 *	  The columns crm keeps that an INSERT cannot name (no role may write
 *	  them), given their first value by a trigger rather than a DEFAULT.
 *
 * Citus sends a worker an INSERT that names every column with a DEFAULT
 * (the planner fills them in), and the worker checks the role's column
 * grants on all of them: a column the role may not write refuses every
 * INSERT of the table there.  Such a column has no DEFAULT; this trigger,
 * fired before the table's own (its name sorts first), fills it when the row
 * leaves it NULL, with its type's first value: false, 0, or the time the
 * transaction started (what now() gives).
 *
 * Trigger function:
 *	crm._kept_columns(column, ...)	BEFORE INSERT, FOR EACH ROW
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

#include "crm.h"

static Datum
first_value(CrmTrigger *t, AttrNumber attnum)
{
	Form_pg_attribute att = TupleDescAttr(t->desc, attnum - 1);

	switch (att->atttypid)
	{
		case BOOLOID:
			return BoolGetDatum(false);
		case INT4OID:
			return Int32GetDatum(0);
		case TIMESTAMPTZOID:
			return TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		default:
			elog(ERROR, "crm: _kept_columns has no first value for column \"%s\" of type %u",
				 NameStr(att->attname), att->atttypid);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(crm_kept_columns);
Datum
crm_kept_columns(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};

	crm_trigger_start(&trig, fcinfo, "crm_kept_columns", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row.tuple = trig.new;
	row.desc = trig.desc;
	row.map = crm_trigger_arg_columns(&trig);
	for (int i = 0; i < row.map->ncolumns; i++)
		if (crm_row_isnull(&row, i))
			crm_change(&ch, &row, i, first_value(&trig, row.map->attnum[i]), false);
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}
