/*
 * invoices/invoices.h
 *	  What the files of the invoices family share.  Other rooms use
 *	  invoices/public.h instead.
 *
 * The family:
 *	invoices.c		numbering (the writer's number or the template's), defaults
 *					and the state machine (the BEFORE triggers of crm.invoices);
 *					the invoice row and a move as the caller
 *	events.c		invoice events: crm_invoice_event and the history trigger
 *	items.c			invoice items: the awaiting rule, prices, the invoice amount
 *	auto_cancel.c	cancelling as crm itself: the auto-cancel due handler and the
 *					call centre's cancel of a refused call
 *	actions.c		confirm, cancel, delete, auto-cancel time, autopay switch, reissue
 *	(invoices.sql holds the views: invoice_card, invoice_history, partner_report)
 *	payments.c		the payment trigger, crm.record_payment, crm.refund_invoice
 *	autopay.c		when every autopay charge falls: the schedule rules of the
 *					triggers and the autopay charge due handler
 *
 * Who writes an invoice, and how its triggers know (kit/system_write.h):
 *	- an employee or an application: every rule applies;
 *	- crm itself, in a scope {CRM_WRITE_DERIVED, reason}: it may write the
 *	  derived columns, move awaiting -> prepaid, change the amount of an
 *	  invoice that is no longer awaiting and turn autopay off; its events
 *	  record "reason" (auto_cancel, call_refused, payment, ...);
 *	- crm.reissue_invoice writes the new invoice in a scope {CRM_WRITE_DERIVED},
 *	  for replaces_invoice_id, which no writer gives;
 *	- a due handler adds CRM_WRITE_BY_SCHEDULER: its events name no employee;
 *	- an action with a comment, in a scope {0, NULL, comment}: the "created"
 *	  or "status_changed" event records the comment.
 */
#ifndef CRM_INVOICES_INVOICES_H
#define CRM_INVOICES_INVOICES_H

#include "postgres.h"

#include "crm.h"
#include "invoices/public.h"

/* ---- the columns of crm.invoices the triggers read (invoices.c, events.c) ---- */

typedef enum InvoiceColumn
{
	INV_ACCOUNT_ID,
	INV_ID,
	INV_NUMBER,
	INV_NUMBER_SEQUENCE_ID,
	INV_NUMBER_SEQ,
	INV_MANAGER_ID,
	INV_STATUS,
	INV_AMOUNT,
	INV_PAID_AMOUNT,
	INV_REFUNDED_AMOUNT,
	INV_AUTO_CANCEL_AT,
	INV_AUTOPAY,
	INV_AUTOPAY_INTERVAL,
	INV_AUTOPAY_LIMIT,
	INV_AUTOPAY_COUNT,
	INV_AUTOPAY_PENDING,
	INV_AUTOPAY_QUEUED,
	INV_AUTOPAY_LAST_CHARGE_AT,
	INV_NEXT_CHARGE_AT,
	INV_NOTE,
	INV_CREATED_AT,
	INV_UPDATED_AT,
	INV_STATUS_CHANGED_AT,
	INV_INCOME,
	INV_PAID_AT,
	INV_REPLACES_INVOICE_ID,
	INV_NCOLUMNS
} InvoiceColumn;

extern CrmColumnMap crm_invoice_columns;

static inline bool
crm_invoice_status_is(const char *status, const char *name)
{
	return status != NULL && strcmp(status, name) == 0;
}

/* cancelled, refunded, deleted: no payment, no autopay. */
static inline bool
crm_invoice_status_final(const char *status)
{
	return crm_invoice_status_is(status, "cancelled") || crm_invoice_status_is(status, "refunded") ||
		crm_invoice_status_is(status, "deleted");
}

/* ---- invoices.c ---- */

/*
 * The invoice as a crm.invoices composite, copied out of SPI; raises P0002
 * when the caller cannot see it.  Connected to SPI.
 */
extern Datum crm_invoice_row(int64 account_id, int64 invoice_id);

/*
 * Runs plan, an "UPDATE crm.invoices AS i SET <column> = $3 WHERE
 * i.account_id = $1 AND i.id = $2 RETURNING i", as the caller (grants,
 * policies and the invoice rules apply) in a scope carrying comment for the
 * history; raises P0002 when the caller cannot see the invoice.  Connects to
 * SPI itself; returns the updated row.
 */
extern Datum crm_invoice_update(CrmPlan *plan, int64 account_id, int64 invoice_id,
								Datum value, bool value_null, const char *comment);

/*
 * Moves the caller's invoice to status `to` as the caller (grants, policies
 * and the transition rules apply); comment goes into the status_changed event.
 * Connects to SPI itself; returns the updated row.
 */
extern Datum crm_invoice_move(int64 account_id, int64 invoice_id, const char *to,
							  const char *comment);

/*
 * Runs one of the family's due statements (auto-cancel, autopay) for scope,
 * as the scheduler's write of kind with reason; the statement writes the
 * history of its changes itself (CRM_WRITE_OWN_HISTORY) and returns one row,
 * the count of items it handled, which is returned.  On Citus too: the
 * scope reaches the triggers on the worker node, as the write is the schema
 * owner's (kit/system_write.h).
 */
struct CrmDueScope;
extern int64 crm_invoices_due_write(const char *kind, const char *reason, CrmPlan *plan,
									const struct CrmDueScope *due);

/* ---- autopay.c: the schedule (the rules are in its header comment) ---- */

/*
 * Refuses a change of autopay the writer may not make: the schedule of a
 * running autopay changed by someone not in crm_admin, a next charge that is
 * not a business time or is given while autopay is off, autopay turned on
 * for a final invoice or past its limit.  old is NULL for a new invoice.
 */
extern void crm_autopay_check_change(const CrmRow *old, const CrmRow *new, const char *to_status);

/*
 * Adds to ch what makes the row's autopay columns consistent as stored: off
 * past the limit, no next charge when off or at the limit, and the next
 * charge crm schedules when there is room and none is set (now: the
 * transaction's time, for "never at once").
 */
extern void crm_autopay_normalise(const CrmRow *new, CrmChanges *ch, TimestampTz now);

/* ---- events.c ---- */

/*
 * An event's detail begins with crm_invoice_detail_begin, which puts the
 * reason of the write being made, when there is one, first as "reason"; the
 * caller adds its own keys (typed: kit/spi.h's CrmJson) and passes it to
 * crm_invoice_event, which appends the event by the current employee (by none
 * when the scheduler writes) at the transaction time.  Caller is connected to
 * SPI and runs as owner.
 */
struct CrmJson;
extern void crm_invoice_detail_begin(struct CrmJson *detail);
extern void crm_invoice_event(int64 account_id, int64 invoice_id, const char *kind,
							  const char *from_status, const char *to_status,
							  struct CrmJson *detail);

#endif							/* CRM_INVOICES_INVOICES_H */
