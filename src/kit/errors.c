/*
 * kit/errors.c
 *	  The errors shared by every concept; see kit/errors.h for the policy.
 */
#include "postgres.h"

#include "kit/errors.h"

void
crm_error_not_found(const char *what, int64 account_id, int64 id, int sqlstate)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s %lld does not exist", what, (long long) id),
			 errdetail("Account %lld has no %s with id %lld that you can see.",
					   (long long) account_id, what, (long long) id),
			 errhint("Check the %s id and crm.account_id.", what)));
}

void
crm_error_fixed_column(const char *noun, const char *column, const char *more_hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("column \"%s\" of %s cannot be changed", column, noun),
			 errdetail("It is fixed when the %s is created.",
					   strncmp(noun, "an ", 3) == 0 ? noun + 3 :
					   strncmp(noun, "a ", 2) == 0 ? noun + 2 : noun),
			 more_hint ? errhint("Leave %s out of the UPDATE; %s", column, more_hint) :
			 errhint("Leave %s out of the UPDATE.", column)));
}

void
crm_error_generated_column(const char *table, const char *column, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot insert a value into column \"%s\" of %s", column, table),
			 errdetail("%s", why),
			 errhint("Leave %s out of the INSERT.", column)));
}

void
crm_error_null_argument(const char *names, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", names),
			 errhint("%s", hint)));
}
