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

#endif							/* CRM_GUC_H */
