/*
 * kit/system_write.c
 *	  The scope of crm's own writes; see kit/system_write.h.
 *
 * On one server, and in a trigger on a Citus worker, the scope is this
 * backend's: the write and its triggers run here.  A write sent from the
 * Citus coordinator fires its triggers in a worker's backend, which has no
 * scope; the scope goes with it as crm.write_note, set with SET LOCAL around
 * the write and propagated by Citus to the worker's part of the transaction:
 *	"<allows>:<reason>:<comment>", allows in hex, reason and comment each
 *	hex-encoded, "-" for none.
 * A setting is not a permission, so two things hold.  Only crm sets
 * crm.write_note (crm_write_note_check): a session's own SET, or its call of
 * crm._write_note, is refused; Citus's SET on a worker's part of the
 * transaction is let through.  And on the worker what the note says a write
 * allows counts only when the worker's part of the transaction runs as the
 * owner of schema crm or a superuser (note_trusted), so that a connection to
 * a worker that poses as Citus gains nothing either: Citus opens a worker's
 * connection as the coordinator's current user, which is the owner only
 * where crm switched to it (crm_become_owner: due work, the scheduler) or
 * where the owner itself writes, who may disable any trigger anyway.  A
 * tenant's write carries crm's note (its reason and comment, read whoever
 * writes) but passes every rule on the worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "kit/citus.h"
#include "kit/system_write.h"

/* The scope of the write being made; the empty scope outside any. */
static CrmWriteScope current = {0, NULL, NULL};
static int	depth = 0;

/* the note as last decoded, kept for the rest of the backend */
static char *note_seen = NULL;
static int	note_allows = 0;
static char *note_reason = NULL;
static char *note_comment = NULL;

static void
append_hex(StringInfo buf, const char *text)
{
	if (text == NULL)
	{
		appendStringInfoChar(buf, '-');
		return;
	}
	for (const char *c = text; *c; c++)
		appendStringInfo(buf, "%02x", (unsigned char) *c);
}

/*
 * SET LOCAL crm.write_note, propagated by Citus (crm sets
 * citus.propagate_set_commands = local for the transaction if the session
 * did not).  Citus propagates a SET only inside a transaction block or a
 * function, so the SET is made by crm._write_note(note), called through SPI:
 * in its own function call even when the statement that called crm runs
 * alone.  The note holds hex digits only, never the text itself.
 */
static CrmPlan write_note_plan = {
	"SELECT crm._write_note($1)", 1, {TEXTOID}
};

/* true while set_note sets crm.write_note: the only SET crm_write_note_check lets through */
static bool setting_note = false;

static void
set_note(const CrmWriteScope *scope)
{
	StringInfoData note;
	Datum		arg;

	initStringInfo(&note);
	if (scope->allows || scope->reason || scope->comment)
	{
		appendStringInfo(&note, "%x:", scope->allows);
		append_hex(&note, scope->reason);
		appendStringInfoChar(&note, ':');
		append_hex(&note, scope->comment);
	}
	arg = CStringGetTextDatum(note.data);
	/* as SET LOCAL: for the rest of the transaction, as a tenant session sets it anyway */
	(void) set_config_option("citus.propagate_set_commands", "local",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	setting_note = true;
	PG_TRY();
	{
		crm_exec(&write_note_plan, &arg, NULL, false, 0);
	}
	PG_FINALLY();
	{
		setting_note = false;
	}
	PG_END_TRY();
	pfree(note.data);
}

/*
 * See kit/system_write.h.  Let through: the empty note (the boot value, a
 * RESET), crm's own SET (set_note), and a SET that Citus passes on to a
 * worker's part of a transaction (crm_citus_in_task; there the note passes
 * a rule only for the owner's write, note_trusted).  A transaction is needed
 * to know Citus is there: outside one (postgresql.conf, PGOPTIONS) only the
 * empty note.
 */
bool
crm_write_note_check(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || **newval == '\0' || setting_note ||
		(IsTransactionState() && crm_citus_in_task()))
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("crm.write_note is set by crm only");
	GUC_check_errdetail("It carries what crm's own write allows to a Citus worker's triggers.");
	GUC_check_errhint("Leave crm.write_note alone: crm sets it around its own writes.");
	return false;
}

/*
 * crm._write_note(note): SET LOCAL crm.write_note = note, a note of
 * set_note's form.  Granted to crm's roles, as crm calls it in their
 * sessions; called by anything but set_note, its SET is refused
 * (crm_write_note_check).
 */
PG_FUNCTION_INFO_V1(crm_write_note);
Datum
crm_write_note(PG_FUNCTION_ARGS)
{
	char	   *note = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (strspn(note, "0123456789abcdef:-") != strlen(note))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a write note", note),
				 errdetail("A write note is a hex number and two hex-encoded texts, or \"-\", joined by colons."),
				 errhint("crm sets crm.write_note itself around its writes; nothing else needs to.")));
	SPI_connect();
	if (SPI_execute(psprintf("SET LOCAL crm.write_note = '%s'", note), false, 0) < 0)
		elog(ERROR, "crm: could not set crm.write_note");
	SPI_finish();
	PG_RETURN_VOID();
}

static char *
decode_part(const char *hex, int len)
{
	char	   *text;

	if (len == 1 && hex[0] == '-')
		return NULL;
	text = MemoryContextAllocZero(TopMemoryContext, len / 2 + 1);
	for (int i = 0; i + 1 < len; i += 2)
	{
		char		pair[3] = {hex[i], hex[i + 1], '\0'};

		text[i / 2] = (char) strtol(pair, NULL, 16);
	}
	return text;
}

/* The note of the write from the coordinator, decoded (a trigger on a worker). */
static void
read_note(void)
{
	const char *note = GetConfigOption("crm.write_note", true, false);
	const char *colon;
	const char *second;

	if (note_seen != NULL && note != NULL && strcmp(note, note_seen) == 0)
		return;
	if (note_seen)
		pfree(note_seen);
	if (note_reason)
		pfree(note_reason);
	if (note_comment)
		pfree(note_comment);
	note_seen = note_reason = note_comment = NULL;
	note_allows = 0;
	if (note == NULL)
		return;
	note_seen = MemoryContextStrdup(TopMemoryContext, note);
	colon = strchr(note, ':');
	second = colon ? strchr(colon + 1, ':') : NULL;
	if (second == NULL)
		return;
	note_allows = (int) strtol(note, NULL, 16);
	note_reason = decode_part(colon + 1, second - colon - 1);
	note_comment = decode_part(second + 1, strlen(second + 1));
}

/*
 * Whether what the note allows counts here: the worker's part of the
 * transaction runs as the owner of schema crm or a superuser (the outer
 * user: Citus's connection, or a SET ROLE it propagated; not a switch made
 * by a function or trigger on this node).
 */
static bool
note_trusted(void)
{
	Oid			user = GetOuterUserId();

	return superuser_arg(user) ||
		pg_namespace_ownercheck(get_namespace_oid("crm", false), user);
}

uint64
crm_write_exec(const CrmWriteScope *scope, CrmPlan *plan, Datum *args, const char *nulls)
{
	CrmWriteScope saved = current;
	uint64		n = 0;
	volatile bool noted = false;

	PG_TRY();
	{
		current.allows |= scope->allows;
		if (scope->reason)
			current.reason = scope->reason;
		current.comment = scope->comment;
		depth++;
		if ((current.allows || current.reason || current.comment) &&
			crm_citus_active() && !crm_citus_in_task())
		{
			set_note(&current);
			noted = true;
		}
		n = crm_exec(plan, args, nulls, false, 0);
		if (noted)
		{
			/* the caller reads the write's result */
			SPITupleTable *result = SPI_tuptable;

			set_note(&saved);
			SPI_tuptable = result;
			SPI_processed = n;
		}
	}
	PG_FINALLY();
	{
		current = saved;
		depth--;
	}
	PG_END_TRY();
	return n;
}

bool
crm_write_allows(int what)
{
	if (depth == 0 && crm_citus_in_task())
	{
		read_note();
		return (note_allows & what) != 0 && note_trusted();
	}
	return (current.allows & what) != 0;
}

const char *
crm_write_reason(void)
{
	if (depth == 0 && crm_citus_in_task())
	{
		read_note();
		return note_reason;
	}
	return current.reason;
}

const char *
crm_write_comment(void)
{
	if (depth == 0 && crm_citus_in_task())
	{
		read_note();
		return note_comment;
	}
	return current.comment;
}
