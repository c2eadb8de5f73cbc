/*
 * identity.h
 *	  Who is acting: the account and employee of the session, from bindings a
 *	  login cannot change (identity.c).
 */
#ifndef CRM_IDENTITY_H
#define CRM_IDENTITY_H

#include "postgres.h"

/* How the acting role gets its account and employee. */
typedef enum CrmActorKind
{
	CRM_ACTOR_NONE,				/* neither bound nor trusted: no account at all */
	CRM_ACTOR_BOUND,			/* a login bound by crm.bind_login */
	CRM_ACTOR_SERVICE,			/* a member of crm_service: chooses per transaction */
	CRM_ACTOR_OWNER				/* a superuser or the owner of schema crm */
} CrmActorKind;

extern CrmActorKind crm_actor_kind(void);

/*
 * The account the session acts in, or *isnull when it has none (then it sees
 * no row).  For a bound login that is its binding; naming another account in
 * crm.account_id raises 42501.
 */
extern int64 crm_actor_account(bool *isnull);
/* The acting employee, or *isnull; the same rule for crm.employee_id. */
extern int64 crm_actor_employee(bool *isnull);

#endif							/* CRM_IDENTITY_H */
