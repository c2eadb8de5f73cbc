/*
 * worker.h
 *	  The background worker (worker.c) and its settings (guc.c).
 */
#ifndef CRM_WORKER_H
#define CRM_WORKER_H

#include "postgres.h"

/* Registers the launcher and its shared memory; only while preloading. */
extern void crm_worker_init(void);

/*
 * crm.database, crm.scheduler, crm.scheduler_max_sleep, crm.scheduler_batch_size,
 * crm.event_relay_interval
 */
extern char *crm_scheduler_databases;
extern bool crm_scheduler_enabled;
extern int	crm_scheduler_max_sleep_ms;
extern int	crm_scheduler_batch_size;
extern int	crm_event_relay_interval_ms;

#endif							/* CRM_WORKER_H */
