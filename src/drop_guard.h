/*
 * drop_guard.h
 *	  DROP EXTENSION keeps the data (drop_guard.c); its setting, defined in
 *	  guc.c.
 */
#ifndef CRM_DROP_GUARD_H
#define CRM_DROP_GUARD_H

#include "postgres.h"

/* crm.allow_drop_with_data: a superuser lets crm be dropped with its rows. */
extern bool crm_allow_drop_with_data;

#endif							/* CRM_DROP_GUARD_H */
