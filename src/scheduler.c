/*
 * scheduler.c
 */
#include "postgres.h"

#include "crm.h"

void
crm_scheduler_init(void)
{
}
