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
 *	templates.c	template rendering and the outbox
 *	chats.c		conversations, messages, responsible manager, appointments
 *	alerts.c	failed-payment alert routing
 *	scheduler.c	run_due, lead deadlines, the trigger that wakes the worker
 *	worker.c	the background workers: launcher and per-database runs
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
 * What other rooms call of tenancy, history, numbering and clients; each
 * concept's header declares its own.
 */
#include "clients.h"
#include "history.h"
#include "numbering.h"
#include "tenancy.h"

/* ---- guc.c ---- */
extern void crm_guc_init(void);
extern bool crm_account_is_set;
extern int64 crm_account_value;
extern bool crm_employee_is_set;
extern int64 crm_employee_value;
extern char *crm_scheduler_databases;
extern bool crm_scheduler_enabled;
extern int	crm_scheduler_max_sleep_ms;
extern int	crm_scheduler_batch_size;

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

/* ---- calls.c ---- */

/* ---- templates.c ---- */
/* Raises 22023 when text has an unknown or unterminated {$...} variable. */
extern void crm_template_check(const char *text, const char *where);
/* Renders body for a client (and invoice); connected to SPI. */
extern char *crm_template_render(int64 account_id, const char *body, int64 client_id,
								 int64 invoice_id, bool invoice_null,
								 char **client_email, char **manager_email);

/* ---- chats.c ---- */

/* ---- alerts.c ---- */

/* ---- scheduler.c ---- */
extern void crm_scheduler_init(void);

/*
 * Time-based work is a list of handlers, one per kind of due item; each
 * concept registers its own at load time and crm.run_due() runs them all.
 * run() handles at most max_items items due at `now` (a deadline when
 * now > deadline, other instants when now >= instant), each exactly once even
 * when several sessions run it at once, and returns how many it handled; it
 * is called connected to SPI, as the schema owner.  next_due() gives the
 * earliest instant still pending (any account), false when none.
 */
typedef struct CrmDueHandler
{
	const char *kind;
	int64		(*run) (TimestampTz now, int64 max_items);
	bool		(*next_due) (TimestampTz *at);
} CrmDueHandler;

#define CRM_MAX_DUE_HANDLERS 16
extern void crm_register_due_handler(const CrmDueHandler *handler);
extern int	crm_due_handler_count(void);
extern const CrmDueHandler *crm_due_handler(int i);

/* Runs every handler once (counts[i] per handler), connected to SPI as the owner. */
extern void crm_run_due_handlers(TimestampTz now, int64 max_items, int64 *counts);
/* The earliest pending instant over every handler; false when none. */
extern bool crm_next_due(TimestampTz *at);

/* ---- worker.c ---- */
extern void crm_worker_init(void);
extern bool crm_worker_active(void);
extern int	crm_worker_slot(void);
extern void crm_worker_wake_if_earlier(int slot, TimestampTz at);

#endif							/* CRM_H */
