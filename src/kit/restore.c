/*
 * kit/restore.c
 *	  The restore signal; see kit/restore.h.
 */
#include "postgres.h"

#include "commands/extension.h"
#include "utils/guc.h"
#include "utils/rls.h"

#include "kit/restore.h"

bool
crm_restoring(void)
{
	return !row_security && !check_function_bodies && !creating_extension;
}
