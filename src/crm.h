/*
 * crm.h
 *	  Shared prototypes and small helpers of the crm extension.
 *
 * Map of the concepts (each has src/NAME.c and, where it defines SQL, src/NAME.sql):
 *	crm.c		module magic and _PG_init
 *	guc.c		every crm.* setting
 *	kit/		the shared kit: trigger protocol and rows, SPI, errors,
 *				per-transaction caches, crm's own writes
 *	tenancy.c	current account and employee, roles, row-level security of every table
 *	history.c	append-only guard for history and fact tables
 *	numbering.c	number templates ({N}, {N:5}, {YYYY}, {MM}) and gapless counters
 *	leads.c		lead defaults, status transitions, lead events
 *	phones.c	phone normalisation (phones_shim.cc wraps libphonenumber)
 *	clients.c	clients, client phones, the right to see customers
 *	linking.c	lead <-> client and order <-> lead matching
 *	lead_reports.c	kept-up lead counts behind the funnel and the campaign report
 *	invoices/	offers, invoices, items, invoice events, auto-cancel, actions,
 *				payments, refunds, autopay charges (map in invoices/invoices.h;
 *				other rooms use invoices/public.h)
 *	calls.c		call outcomes and retry rules
 *	call_queue.c	call tasks and the call queue (both in calls.sql)
 *	outbox.c	the outbox: emails queued for delivery and their NOTIFY (outbox.h)
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

/* ---- tenancy.c ---- */
/* The account of the session; raises 42501 with a hint when crm.account_id is unset. */
extern int64 crm_require_account(void);
/* The employee named by crm.employee_id, or *isnull. */
extern int64 crm_employee_or_null(bool *isnull);

/* ---- history.c ---- */
/* Appends a lead event; detail may be (Datum) 0 for none. */
extern void crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
						   int64 from_status, bool from_null,
						   int64 to_status, bool to_null,
						   Datum detail_jsonb, bool detail_null);

/* ---- numbering.c ---- */
extern void crm_number_template_check(const char *tmpl, const char *what);
/* The next number of tmpl; connected to SPI, returned in the caller's memory. */
extern char *crm_number_next(int64 account_id, const char *tmpl, const char *timezone,
							 TimestampTz at, CrmPlan *max_plan,
							 int64 *sequence_id, int64 *seq);

/* ---- leads.c ---- */
/*
 * While set, a status change made by the system itself (linking an order)
 * skips the transition rules; the change is still recorded.
 */
extern bool crm_system_status_move;
extern const char *crm_pending_event_comment;

/* ---- phones.c ---- */
/* E.164 of raw in region (ISO alpha-2), or NULL when not a valid number. */
extern char *crm_phone_e164(const char *raw, const char *region);

/* The settings of an account that phones, clients and linking read. */
typedef struct CrmPhoneSettings
{
	int64		account_id;
	char		region[8];			/* default_region */
	char		client_link_mode[8];	/* off, suggest, auto */
	char		order_link_mode[8];
	bool		has_won_status;
	int64		order_won_status_id;
	char	   *order_number_template;	/* kept in the cache's own memory */
	char	   *timezone;
} CrmPhoneSettings;

/*
 * Read once per transaction (as the owner; connects to SPI itself) and
 * forgotten when this session updates crm.accounts.
 */
extern const CrmPhoneSettings *crm_phone_settings(int64 account_id);

/* ---- clients.c ---- */
/* The right of the current employee to see clients; true with no employee set. */
extern bool crm_can_see_customers(void);

/* ---- linking.c ---- */
/* Text of a column of a trigger tuple, or NULL; and NULL-aware text equality. */
extern char *crm_tuple_text(HeapTuple tuple, TupleDesc desc, const char *name);
extern bool crm_same_text(const char *a, const char *b);

/* ---- invoices/ ---- */
/* Each registers its due handler: auto-cancel, then autopay charges. */
extern void crm_invoices_init(void);
extern void crm_autopay_init(void);

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
