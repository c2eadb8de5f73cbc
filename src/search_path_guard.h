/*
 * search_path_guard.h
 *	  On a Citus coordinator, no propagated search_path puts a schema before
 *	  pg_catalog (search_path_guard.c).
 */
#ifndef CRM_SEARCH_PATH_GUARD_H
#define CRM_SEARCH_PATH_GUARD_H

/* Installs the hook (from _PG_init). */
extern void crm_search_path_guard_init(void);

#endif							/* CRM_SEARCH_PATH_GUARD_H */
