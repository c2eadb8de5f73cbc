/*
 * numbering.h
 *	  Gapless numbers from number templates (see numbering.c).
 */
#ifndef CRM_NUMBERING_H
#define CRM_NUMBERING_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "kit/spi.h"

/*
 * The next number of tmpl for a row created at `at` in timezone.  max_plan
 * takes (account_id, number_sequence_id) and returns the largest number_seq
 * of the numbered table; *sequence_id and *seq are the row's counter and its
 * place in it.  Caller is connected to SPI and runs as owner; the number is
 * returned in the caller's memory.
 */
extern char *crm_number_next(int64 account_id, const char *tmpl, const char *timezone,
							 TimestampTz at, CrmPlan *max_plan,
							 int64 *sequence_id, int64 *seq);

#endif							/* CRM_NUMBERING_H */
