/*
 * guc.h
 *	  The identity settings as set (guc.c).  Only identity.c reads them: every
 *	  other room asks identity.h, which applies the bindings.
 */
#ifndef CRM_GUC_H
#define CRM_GUC_H

#include "postgres.h"

extern bool crm_account_is_set;
extern int64 crm_account_value;
extern bool crm_employee_is_set;
extern int64 crm_employee_value;

/*
 * Whether the value in force was set for this transaction only (SET LOCAL,
 * set_config(..., true), a function's SET clause), not for the session.
 */
extern bool crm_account_is_local(void);
extern bool crm_employee_is_local(void);

#endif							/* CRM_GUC_H */
