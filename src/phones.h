/*
 * phones.h
 *	  Phone numbers in E.164 (see phones.c).
 */
#ifndef CRM_PHONES_H
#define CRM_PHONES_H

#include "postgres.h"

/* E.164 of raw in region (ISO alpha-2), or NULL when not a valid number. */
extern char *crm_phone_e164(const char *raw, const char *region);

/*
 * A column crm fills with the E.164 form of another column of the same row
 * (leads.phone from contact_phone, orders.phone_e164 from phone,
 * client_phones.phone from raw).
 */
typedef struct CrmPhoneColumn
{
	const char *table;			/* "leads" (in crm) */
	const char *column;			/* the E.164 column: "phone" */
	const char *source;			/* the column it is made from: "contact_phone" */
	bool		required;		/* a number that is not valid is refused, not NULL */
} CrmPhoneColumn;

/*
 * The E.164 form of raw in the account's default region: NULL when raw is
 * NULL or not valid (refused with 22023 when col->required).  written is what
 * the writer put into the E.164 column itself (NULL when nothing, or nothing
 * new): it must agree, else 428C9.
 */
extern char *crm_phone_derive(const CrmPhoneColumn *col, int64 account_id,
							  const char *raw, const char *written);

#endif							/* CRM_PHONES_H */
