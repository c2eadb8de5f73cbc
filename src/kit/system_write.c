/*
 * kit/system_write.c
 *	  The scope of crm's own writes; see kit/system_write.h.
 */
#include "postgres.h"

#include "kit/system_write.h"

/* The scope of the write being made; the empty scope outside any. */
static CrmWriteScope current = {0, NULL, NULL};

uint64
crm_write_exec(const CrmWriteScope *scope, CrmPlan *plan, Datum *args, const char *nulls)
{
	CrmWriteScope saved = current;
	uint64		n = 0;

	PG_TRY();
	{
		current.allows |= scope->allows;
		if (scope->reason)
			current.reason = scope->reason;
		current.comment = scope->comment;
		n = crm_exec(plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		current = saved;
	}
	PG_END_TRY();
	return n;
}

bool
crm_write_allows(int what)
{
	return (current.allows & what) != 0;
}

const char *
crm_write_reason(void)
{
	return current.reason;
}

const char *
crm_write_comment(void)
{
	return current.comment;
}
