/*
 * kit/errors.h
 *	  The errors every concept raises the same way, with one SQLSTATE policy
 *	  and one wording:
 *
 *	- a row named by the caller (a function argument) that the caller cannot
 *	  see: P0002 no_data_found;
 *	- a row a written row refers to that does not exist in the account:
 *	  23503 foreign_key_violation;
 *	- a column fixed when the row was created, changed by an UPDATE: 55000
 *	  object_not_in_prerequisite_state;
 *	- a column crm fills (numbers, derived phones, kept totals) written by
 *	  hand: 428C9 generated_always.
 */
#ifndef CRM_KIT_ERRORS_H
#define CRM_KIT_ERRORS_H

#include "postgres.h"

/*
 * '<what> <id> does not exist', detail 'Account <a> has no <what> with id
 * <id> that you can see.', hint 'Check the <what> id and crm.account_id.'
 * sqlstate is ERRCODE_NO_DATA_FOUND or ERRCODE_FOREIGN_KEY_VIOLATION.
 */
extern void crm_error_not_found(const char *what, int64 account_id, int64 id,
								int sqlstate) pg_attribute_noreturn();

/*
 * 'column "<column>" of <noun> cannot be changed' ("of a lead", "of an
 * invoice"), detail 'It is fixed when <noun> is created.', hint 'Leave
 * <column> out of the UPDATE.' plus more_hint when given.
 */
extern void crm_error_fixed_column(const char *noun, const char *column,
								   const char *more_hint) pg_attribute_noreturn();

/*
 * 'cannot insert a value into column "<column>" of <table>', with why (the
 * detail: where crm takes the value from) and the hint 'Leave <column> out of
 * the INSERT.'
 */
extern void crm_error_generated_column(const char *table, const char *column,
									   const char *why) pg_attribute_noreturn();

/* Refuses a NULL argument: '<names> must not be NULL', hint what to pass. */
extern void crm_error_null_argument(const char *names, const char *hint) pg_attribute_noreturn();

#endif							/* CRM_KIT_ERRORS_H */
