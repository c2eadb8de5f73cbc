/*
 * worker.h
 *	  The background worker: the launcher and its slots (worker.c), one run of
 *	  a database worker (worker_run.c), and its settings (guc.c).
 */
#ifndef CRM_WORKER_H
#define CRM_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Registers the launcher and its shared memory; only while preloading. */
extern void crm_worker_init(void);

/*
 * The slot of a database worker's run (its bgw_main_arg), in shared memory:
 * the database it connects to; connected sets the slot's database and its
 * fallback next run (the launcher looks again then if the run says nothing);
 * publish lowers the next run to at; told_version sets whether the run has
 * logged that crm here is at another version, and returns what it was.
 */
extern const char *crm_worker_slot_database(int slot);
extern void crm_worker_slot_connected(int slot, TimestampTz fallback);
extern void crm_worker_publish_next_run(int slot, TimestampTz at);
extern bool crm_worker_told_version(int slot, bool telling);

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
