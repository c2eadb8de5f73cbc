/*
 * identity_reach.h
 *	  On a Citus coordinator, a crm_service member's account and employee must
 *	  reach the worker nodes (identity_reach.c).
 */
#ifndef CRM_IDENTITY_REACH_H
#define CRM_IDENTITY_REACH_H

/* Installs the hooks (from _PG_init). */
extern void crm_identity_reach_init(void);

/*
 * On a Citus coordinator, after a SET LOCAL ROLE still in force (Citus passes
 * it to the workers): refuses work that runs as the owner of schema crm for
 * every account (42501, "WORK cannot follow SET LOCAL ROLE on Citus", HINT).
 */
extern void crm_refuse_local_role(const char *work, const char *hint);

#endif							/* CRM_IDENTITY_REACH_H */
