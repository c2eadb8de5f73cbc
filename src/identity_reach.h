/*
 * identity_reach.h
 *	  On a Citus coordinator, a crm_service member's account and employee must
 *	  reach the worker nodes (identity_reach.c).
 */
#ifndef CRM_IDENTITY_REACH_H
#define CRM_IDENTITY_REACH_H

/* Installs the hooks (from _PG_init). */
extern void crm_identity_reach_init(void);

#endif							/* CRM_IDENTITY_REACH_H */
