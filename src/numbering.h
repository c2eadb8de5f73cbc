/*
 * numbering.h
 *	  Gapless numbers from number templates (see numbering.c).
 */
#ifndef CRM_NUMBERING_H
#define CRM_NUMBERING_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/relcache.h"
#include "kit/by_key.h"
#include "kit/spi.h"
#include "kit/trigger.h"

/*
 * The next number of tmpl for a row created at `at` in timezone.  max reads
 * the largest number_seq of the numbered table under (account_id,
 * number_sequence_id) from its index (kit/by_key.h); *sequence_id and *seq are the row's counter and its
 * place in it.  Caller is connected to SPI and runs as owner; the number is
 * returned in the caller's memory.
 */
extern char *crm_number_next(int64 account_id, const char *tmpl, const char *timezone,
							 TimestampTz at, const CrmKeyedMax *max,
							 int64 *sequence_id, int64 *seq);

/*
 * A table whose rows are numbered from a template or given their number by
 * the writer (orders and invoices from a web shop).  taken takes
 * (account_id, number) and returns the id of the row that has the number;
 * max_number is crm_number_next's max; the last three are the places of
 * number, number_sequence_id and number_seq in the row map of the table's
 * BEFORE INSERT trigger.
 */
typedef struct CrmNumberedTable
{
	const char *noun;			/* "order" */
	const char *template_column;	/* "order_number_template" (of crm.accounts) */
	const char *unique_constraint;	/* the UNIQUE (account_id, number) behind it */
	CrmPlan    *taken;
	const CrmKeyedMax *max_number;
	int			number_col;
	int			sequence_id_col;
	int			seq_col;
} CrmNumberedTable;

/*
 * Whether crm could make number from tmpl at some time: its literal text in
 * place, four digits for {YYYY}, two for {MM}, and for the counter a number
 * from 1 up zero-padded to the counter's width.
 */
extern bool crm_number_fits(const char *tmpl, const char *number);

/*
 * Judges the number a writer gives a new row of table (in relation rel):
 * 22023 when it is empty or has the form of the numbers crm makes from tmpl
 * (one of them would clash with it one day), 23505 naming the unique
 * constraint when a row of the account has it already.  Caller is connected
 * to SPI and runs as owner.
 */
extern void crm_number_check_given(const CrmNumberedTable *table, Relation rel,
								   int64 account_id, const char *number, const char *tmpl);

/*
 * Numbers row, new in table (relation rel) and created at `at`, into ch: the
 * number the row gives, once judged by crm_number_check_given (it stays
 * outside the counters: number_sequence_id and number_seq NULL), or else
 * crm_number_next's with its counter and place.  Caller is connected to SPI
 * and runs as owner.
 */
extern void crm_number_new_row(const CrmNumberedTable *table, Relation rel, const CrmRow *row,
							   CrmChanges *ch, int64 account_id, const char *tmpl,
							   const char *timezone, TimestampTz at);

/*
 * Where a number made elsewhere (an import) stands among tmpl's counters:
 * true when tmpl could have made it, with *key the counter it belongs to (the
 * expansion of tmpl with the number's own {YYYY} and {MM}) and *seq its place
 * in it; false when tmpl never makes that text.  palloc's *key.
 */
extern bool crm_number_match(const char *tmpl, const char *number, char **key, int64 *seq);

/*
 * The id of the counter row of key, locked by this transaction until it ends
 * (made when missing), as crm_number_next locks it.  Caller is connected to
 * SPI and runs as owner.
 */
extern int64 crm_number_counter(int64 account_id, const char *key);

#endif							/* CRM_NUMBERING_H */
