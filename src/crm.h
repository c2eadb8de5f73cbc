/*
 * crm.h
 *	  Shared prototypes and small helpers of the crm extension.
 *
 * Map of the concepts (each has src/NAME.c and, where it defines SQL, src/NAME.sql):
 *	crm.c		module magic and _PG_init
 *	guc.c		every crm.* setting
 *	kit/		the shared kit: trigger protocol and rows, SPI, errors,
 *				per-transaction caches, crm's own writes
 *	tenancy.c	current account and employee, account settings, roles,
 *				row-level security of every table (tenancy.h)
 *	history.c	append-only guard for history and fact tables, lead events (history.h)
 *	numbering.c	number templates ({N}, {N:5}, {YYYY}, {MM}) and gapless counters
 *				(numbering.h)
 *	leads.c		lead defaults, status transitions, lead events
 *	phones.c	phone normalisation (phones_shim.cc wraps libphonenumber), derived
 *				E.164 columns (phones.h)
 *	clients.c	clients, client phones, the right to see customers (clients.h)
 *	orders.c	orders: numbers, fixed columns, derived phone
 *	linking.c	lead <-> client and order <-> lead matching, the link (linking.h);
 *				linking_by_hand.c: candidates and links made by hand
 *	lead_reports.c	kept-up lead counts behind the funnel and the campaign report
 *	invoices.c	offers, invoices, items, invoice events, auto-cancel
 *	invoice_actions.c	confirm, cancel, delete, auto-cancel time, autopay switch, reissue
 *	payments.c	payments, refunds, autopay charges
 *	calls.c		call outcomes, retry rules, call tasks, the call queue
 *	templates.c	message templates: the check and the rendering
 *				(templates_core.c: the table of variables and the parser)
 *	chats.c		conversations, messages, responsible manager, appointments
 *	alerts.c	failed-payment alert routing
 *	due.c		the registry of due handlers, crm.run_due and crm.next_due
 *	lead_deadlines.c	the lead deadline handler (overdue leads)
 *	worker.c	the background workers (launcher and per-database runs) and
 *				the trigger that wakes them
 */
#ifndef CRM_H
#define CRM_H

#include "postgres.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "kit/errors.h"
#include "kit/spi.h"
#include "kit/system_write.h"
#include "kit/trigger.h"
#include "kit/xact_cache.h"

/*
 * What other rooms call of tenancy, history, numbering and clients, and the
 * due-handler registry (due.h) and template rendering (templates.h); each
 * concept's header declares its own.
 */
#include "clients.h"
#include "due.h"
#include "history.h"
#include "numbering.h"
#include "templates.h"
#include "tenancy.h"

/* ---- guc.c ---- */
extern void crm_guc_init(void);
extern bool crm_account_is_set;
extern int64 crm_account_value;
extern bool crm_employee_is_set;
extern int64 crm_employee_value;

/* ---- invoices.c ---- */
extern void crm_invoices_init(void);
/*
 * Why the system changes an invoice ("auto_cancel", "call_refused", ...):
 * set around an UPDATE of crm.invoices, recorded in the invoice event's
 * detail; NULL for a change by an employee.
 */
extern const char *crm_invoice_event_reason;

/*
 * Appends an invoice event by the current employee at the transaction time,
 * with crm_invoice_event_reason (when set) as "reason" in the detail plus the
 * given pairs.  Caller is connected to SPI and runs as owner.
 */
extern void crm_invoice_event(int64 account_id, int64 invoice_id, const char *kind,
							  const char *from_status, const char *to_status,
							  int npairs, const char **keys, const char **values);
/* Shared by invoices.c and payments.c. */
extern bool crm_invoice_by_scheduler;
extern Datum crm_invoice_col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull);
extern void crm_invoice_not_found(int64 account_id, int64 invoice_id);
extern Datum crm_invoice_row(int64 account_id, int64 invoice_id);
extern Datum crm_invoice_move(int64 account_id, int64 invoice_id, const char *to,
							  const char *comment);
extern const char *crm_invoice_pending_comment(const char *comment);
extern bool crm_min_timestamp(CrmPlan *plan, TimestampTz *at);
/*
 * Runs a system write of crm.invoices with crm_invoice_event_reason set (and
 * no employee on its events when by_scheduler); restores both afterwards.
 */
extern uint64 crm_invoice_system_exec(CrmPlan *plan, Datum *args, const char *nulls,
									  const char *reason, bool by_scheduler);

/* ---- payments.c ---- */
extern void crm_payments_init(void);

#endif							/* CRM_H */
