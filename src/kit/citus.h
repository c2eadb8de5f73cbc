/*
 * kit/citus.h
 *	  Whether a relation is a Citus table (distributed, reference or local to
 *	  the coordinator: any relation of pg_dist_partition).
 *
 * On a Citus node the plain name of such a table is a shell: its rows are
 * in shards, which only SQL reaches (Citus routes a query to the shard that
 * holds the row).  Code that reads or writes a crm table directly (index
 * scans, tuple locks, table_tuple_insert) asks here first and goes through
 * SPI when the answer is true.
 *
 * The answer is kept per backend and forgotten on a relcache invalidation of
 * the relation (Citus sends one when it distributes or undistributes it).
 * Without the citus extension the answer is false, with no query.
 */
#ifndef CRM_KIT_CITUS_H
#define CRM_KIT_CITUS_H

#include "postgres.h"

extern bool crm_relation_is_distributed(Oid relid);

#endif							/* CRM_KIT_CITUS_H */
