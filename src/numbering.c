/*
 * numbering.c
 *	  Number templates and gapless counters.
 *
 * A template is literal text with placeholders: {N} or {N:width} (exactly
 * once: the counter, zero-padded to width), {YYYY} and {MM} (the creation
 * time in the account's timezone).  The counter belongs to the template's
 * expansion with the counter left in, so L-{YYYY}-{N} restarts each year and
 * two types sharing one template share one counter.
 *
 * Why no "UPDATE counter SET value = value + 1" per row: inside one
 * transaction that leaves one row version per number, and every following
 * lookup walks them all, so a bulk load costs more per row the larger it
 * grows.  Instead the next number is one more than the largest already used,
 * read from the end of an index on (account_id, number_sequence_id,
 * number_seq) of the numbered table itself (kit/by_key.h: no query).  The counter row in crm.number_sequences serialises
 * writers: a transaction updates it once (which locks it until commit;
 * without a statement, kit/direct_update.h) and remembers that it holds it.  A rolled-back insert leaves no
 * number behind, so numbers stay gapless; rows that carry numbers cannot be
 * deleted, so no number is handed out twice.
 *
 * A number given by the writer (an order or invoice from a web shop) stays
 * outside the counters, so it may never have the form of a number crm makes:
 * crm_number_check_given refuses one that has, and one already taken.  A
 * number an import brings (crm_number_match) is history: it belongs to the
 * counter whose expansion it matches, so the next number made continues
 * after the largest one imported; one no template makes stays outside every
 * counter.
 *
 * Functions: crm.number_template_ok (the CHECK of every template column).
 * C API (numbering.h): crm_number_next, crm_number_fits, crm_number_check_given,
 * crm_number_new_row, crm_number_match, crm_number_counter.
 * SQL: numbering.sql (crm.number_sequences); crm.number_template_ok is
 * declared in tenancy.sql, before the crm.accounts CHECKs that use it.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "crm.h"
#include "kit/by_key.h"
#include "kit/direct_update.h"
#include "numbering.h"
#include "values.h"

#define NUMBER_MAX_WIDTH 18

typedef struct ParsedTemplate
{
	StringInfoData key;			/* expansion with the {N...} token kept */
	StringInfoData prefix;		/* expansion before the counter */
	StringInfoData suffix;		/* expansion after the counter */
	int			width;			/* zero-padding of the counter, 0 for none */
	bool		needs_date;
} ParsedTemplate;

static void
template_error(const char *tmpl, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", what, tmpl),
			 errdetail("%s", detail),
			 errhint("Use literal text with {N} or {N:width} exactly once, and optionally {YYYY} and {MM}.")));
}

/*
 * Parses tmpl; with tm given, expands {YYYY}/{MM} from it.  Raises on any
 * placeholder other than the allowed ones.
 */
static void
parse_template(const char *tmpl, const char *what, struct pg_tm *tm, ParsedTemplate *out)
{
	int			counters = 0;
	const char *p = tmpl;

	initStringInfo(&out->key);
	initStringInfo(&out->prefix);
	initStringInfo(&out->suffix);
	out->width = 0;
	out->needs_date = false;

	while (*p)
	{
		StringInfo	side = counters ? &out->suffix : &out->prefix;
		const char *close;
		int			len;

		if (*p != '{')
		{
			if (*p == '}')
				template_error(tmpl, what, "A \"}\" stands without its \"{\".");
			appendStringInfoChar(&out->key, *p);
			appendStringInfoChar(side, *p);
			p++;
			continue;
		}
		close = strchr(p, '}');
		if (close == NULL)
			template_error(tmpl, what, "A \"{\" is not closed by \"}\".");
		len = close - p + 1;
		if (len == 6 && strncmp(p, "{YYYY}", 6) == 0)
		{
			out->needs_date = true;
			if (tm)
			{
				appendStringInfo(&out->key, "%04d", tm->tm_year);
				appendStringInfo(side, "%04d", tm->tm_year);
			}
		}
		else if (len == 4 && strncmp(p, "{MM}", 4) == 0)
		{
			out->needs_date = true;
			if (tm)
			{
				appendStringInfo(&out->key, "%02d", tm->tm_mon);
				appendStringInfo(side, "%02d", tm->tm_mon);
			}
		}
		else if (len == 3 && strncmp(p, "{N}", 3) == 0)
		{
			counters++;
			appendBinaryStringInfo(&out->key, p, len);
		}
		else if (len > 4 && strncmp(p, "{N:", 3) == 0)
		{
			int			width = 0;

			for (const char *d = p + 3; d < close; d++)
			{
				if (*d < '0' || *d > '9' || width > NUMBER_MAX_WIDTH)
					template_error(tmpl, what,
								   psprintf("The width in \"%.*s\" must be a whole number from 1 to %d.",
											len, p, NUMBER_MAX_WIDTH));
				width = width * 10 + (*d - '0');
			}
			if (width < 1 || width > NUMBER_MAX_WIDTH)
				template_error(tmpl, what,
							   psprintf("The width in \"%.*s\" must be a whole number from 1 to %d.",
										len, p, NUMBER_MAX_WIDTH));
			counters++;
			out->width = width;
			appendBinaryStringInfo(&out->key, p, len);
		}
		else
			template_error(tmpl, what,
						   psprintf("The placeholder \"%.*s\" is not known.", len, p));
		p = close + 1;
	}
	if (counters != 1)
		template_error(tmpl, what,
					   counters == 0 ? "The template has no {N} counter."
					   : "The template has more than one {N} counter.");
}

static void
number_template_check(const char *tmpl, const char *what)
{
	ParsedTemplate parsed;

	parse_template(tmpl, what, NULL, &parsed);
}

PG_FUNCTION_INFO_V1(crm_number_template_ok);
Datum
crm_number_template_ok(PG_FUNCTION_ARGS)
{
	number_template_check(text_to_cstring(PG_GETARG_TEXT_PP(0)), "number template");
	PG_RETURN_BOOL(true);
}

static void
local_time(TimestampTz at, const char *timezone, struct pg_tm *tm)
{
	pg_tz	   *tz = pg_tzset(timezone ? timezone : "UTC");
	int			tzoff;
	fsec_t		fsec;

	if (tz == NULL)
		tz = pg_tzset("UTC");
	if (timestamp2tm(at, &tzoff, tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for numbering")));
}

static CrmPlan create_sequence = {
	"INSERT INTO crm.number_sequences (account_id, key) VALUES ($1, $2) "
	"ON CONFLICT (account_id, key) DO NOTHING RETURNING id",
	2, {INT8OID, TEXTOID}
};
static CrmPlan touch_sequence = {
	"UPDATE crm.number_sequences SET last_used_at = now() "
	"WHERE account_id = $1 AND key = $2 RETURNING id",
	2, {INT8OID, TEXTOID}
};

/*
 * Counter rows this transaction has locked, so that a bulk insert locks each
 * once.  Forgotten at the end of the transaction and whenever a
 * subtransaction aborts (its lock went with it).
 */
#define HELD_MAX 8
typedef struct HeldSequence
{
	int64		account_id;
	int64		sequence_id;
	char	   *key;			/* in the cache's memory */
} HeldSequence;

static HeldSequence held[HELD_MAX];
static int	n_held = 0;

static void
forget_held(void)
{
	n_held = 0;
}

static CrmXactCache held_cache = {"held number counters", false, forget_held};

static int64
held_sequence(int64 account_id, const char *key)
{
	if (!crm_xact_cache_valid(&held_cache))
		return 0;
	for (int i = 0; i < n_held; i++)
		if (held[i].account_id == account_id && strcmp(held[i].key, key) == 0)
			return held[i].sequence_id;
	return 0;
}

static void
remember_held(int64 account_id, const char *key, int64 sequence_id)
{
	if (!crm_xact_cache_valid(&held_cache))
		n_held = 0;
	if (n_held == HELD_MAX)
		n_held = 0;
	held[n_held].account_id = account_id;
	held[n_held].sequence_id = sequence_id;
	held[n_held].key = MemoryContextStrdup(crm_xact_cache_memory(&held_cache), key);
	n_held++;
	crm_xact_cache_set_valid(&held_cache);
}

/*
 * touch_sequence without a statement (kit/direct_update.h): the row found
 * by (account_id, key), locked and given last_used_at = now(); its rule
 * number_sequences_values (a business time) applied here.
 */
static const char *const sequence_names[] = {"last_used_at", "id"};
static CrmColumnMap sequence_columns = {"crm.number_sequences", 2, sequence_names};
static const char *const sequence_triggers[] = {"number_sequences_values", NULL};
static CrmUpdatedTable sequences = {"number_sequences", "number_sequences_account_id_key_key", 2,
&sequence_columns, 1, sequence_triggers};

static void
touch(const CrmRow *old, Datum *values, bool *nulls, void *arg)
{
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
}

/* touch_sequence; 0 when there is no row. */
static int64
touch_row(Datum *args)
{
	CrmRow		row;

	switch (crm_update_by_key(&sequences, args, touch, NULL, &row))
	{
		case CRM_UPDATE_DONE:
			return crm_row_int64(&row, 1, NULL);
		case CRM_UPDATE_NO_ROW:
			return 0;
		case CRM_UPDATE_BY_SPI:
			break;
	}
	return crm_exec(&touch_sequence, args, NULL, false, 1) == 1 ? crm_get_int64(0, 1, NULL) : 0;
}

/*
 * The counter row's id, locked by this transaction: updated once (which
 * holds its lock to commit), then remembered, or recognised by its xmin.
 * Caller is connected to SPI and runs as owner.
 */
static int64
lock_sequence(int64 account_id, const char *key)
{
	Datum		args[2] = {Int64GetDatum(account_id), CStringGetTextDatum(key)};
	int64		id = held_sequence(account_id, key);

	if (id != 0)
		return id;
	crm_check_time(GetCurrentTransactionStartTimestamp(), "crm.number_sequences.last_used_at");
	if ((id = touch_row(args)) != 0)
		;
	else if (crm_exec(&create_sequence, args, NULL, false, 1) == 1)
		id = crm_get_int64(0, 1, NULL);
	else if ((id = touch_row(args)) == 0)	/* created concurrently */
		elog(ERROR, "crm: number sequence \"%s\" vanished", key);
	remember_held(account_id, key, id);
	return id;
}

/* See numbering.h. */
char *
crm_number_next(int64 account_id, const char *tmpl, const char *timezone,
				TimestampTz at, const CrmKeyedMax *max, int64 *sequence_id, int64 *seq)
{
	ParsedTemplate parsed;
	struct pg_tm tm;
	int64		keys[2];
	int64		last;
	StringInfoData number;

	local_time(at, timezone, &tm);
	parse_template(tmpl, "number template", &tm, &parsed);

	*sequence_id = lock_sequence(account_id, parsed.key.data);

	keys[0] = account_id;
	keys[1] = *sequence_id;
	if (!crm_max_by_key(max, keys, 2, &last))
		last = 0;
	*seq = last + 1;

	initStringInfo(&number);
	appendStringInfoString(&number, parsed.prefix.data);
	appendStringInfo(&number, "%0*lld", parsed.width, (long long) *seq);
	appendStringInfoString(&number, parsed.suffix.data);
	/* in the caller's memory, so the number outlives SPI_finish */
	return strcpy(SPI_palloc(number.len + 1), number.data);
}

/* ---- numbers given by the writer ---- */

/* One piece of a template: a literal byte, a run of digits, or the counter. */
typedef struct TemplatePiece
{
	char		kind;			/* 'L' literal, 'D' digits, 'N' counter */
	char		byte;			/* 'L' */
	int			len;			/* 'D': how many; 'N': the width (0: none) */
} TemplatePiece;

/* The pieces of a valid template; returns how many, *counter is the counter's place. */
static int
template_pieces(const char *tmpl, TemplatePiece *pieces, int *counter)
{
	int			n = 0;

	for (const char *p = tmpl; *p; n++)
	{
		const char *close = (*p == '{') ? strchr(p, '}') : NULL;

		if (close == NULL)
		{
			pieces[n] = (TemplatePiece) {'L', *p++, 1};
			continue;
		}
		if (p[1] == 'Y')		/* {YYYY} */
			pieces[n] = (TemplatePiece) {'D', 0, 4};
		else if (p[1] == 'M')	/* {MM} */
			pieces[n] = (TemplatePiece) {'D', 0, 2};
		else
		{
			pieces[n] = (TemplatePiece) {'N', 0, close - p > 2 ? atoi(p + 3) : 0};
			*counter = n;
		}
		p = close + 1;
	}
	return n;
}

static bool
piece_matches(const TemplatePiece *piece, const char *s)
{
	if (piece->kind == 'L')
		return *s == piece->byte;
	for (int i = 0; i < piece->len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* See numbering.h. */
bool
crm_number_fits(const char *tmpl, const char *number)
{
	ParsedTemplate parsed;
	TemplatePiece *pieces = palloc(sizeof(TemplatePiece) * (strlen(tmpl) + 1));
	int			counter = -1;
	int			n;
	int			len = strlen(number);
	int			start = 0;
	int			end = len;
	int			width;

	parse_template(tmpl, "number template", NULL, &parsed);	/* raises unless valid */
	n = template_pieces(tmpl, pieces, &counter);
	for (int i = 0; i < counter; i++)
	{
		if (end - start < pieces[i].len || !piece_matches(&pieces[i], number + start))
			return false;
		start += pieces[i].len;
	}
	for (int i = n - 1; i > counter; i--)
	{
		if (end - start < pieces[i].len || !piece_matches(&pieces[i], number + end - pieces[i].len))
			return false;
		end -= pieces[i].len;
	}
	/* the counter: digits, at least its width, no zero before a longer number, not 0 */
	width = Max(pieces[counter].len, 1);
	if (end - start < width || (end - start > width && number[start] == '0'))
		return false;
	for (int i = start; i < end; i++)
		if (number[i] < '0' || number[i] > '9')
			return false;
	return strspn(number + start, "0") < (size_t) (end - start);
}

/* See numbering.h. */
void
crm_number_check_given(const CrmNumberedTable *table, Relation rel, int64 account_id,
					   const char *number, const char *tmpl)
{
	Datum		args[2] = {Int64GetDatum(account_id), CStringGetTextDatum(number)};

	if (number[strspn(number, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s number must not be empty", table->noun),
				 errdetail("The number given is \"%s\".", number),
				 errhint("Give the %s's own number, or leave number out and crm numbers it from accounts.%s.",
						 table->noun, table->template_column)));
	if (crm_number_fits(tmpl, number))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s number \"%s\" has the form of the numbers crm makes", table->noun, number),
				 errdetail("accounts.%s is \"%s\"; a number given from outside must never be one that crm makes later.",
						   table->template_column, tmpl),
				 errhint("Keep numbers from outside apart from the template's, for example with a prefix of their own, or leave number out and crm numbers the %s.",
						 table->noun)));
	if (crm_exec(table->taken, args, NULL, false, 1) == 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("%s number \"%s\" is already taken", table->noun, number),
				 errdetail("Account %lld has %s %lld with number \"%s\"; numbers are unique per account (constraint %s).",
						   (long long) account_id, table->noun,
						   (long long) crm_get_int64(0, 1, NULL), number, table->unique_constraint),
				 errhint("Give another number, or leave number out and crm numbers the %s from accounts.%s.",
						 table->noun, table->template_column),
				 errtableconstraint(rel, table->unique_constraint)));
}

/* See numbering.h. */
void
crm_number_new_row(const CrmNumberedTable *table, Relation rel, const CrmRow *row, CrmChanges *ch,
				   int64 account_id, const char *tmpl, const char *timezone, TimestampTz at)
{
	char	   *given = crm_row_text(row, table->number_col);
	int64		sequence_id = 0;
	int64		seq = 0;

	if (given == NULL)
		crm_change_text(ch, row, table->number_col,
						crm_number_next(account_id, tmpl, timezone, at, table->max_number,
										&sequence_id, &seq));
	else
		crm_number_check_given(table, rel, account_id, given, tmpl);
	crm_change(ch, row, table->sequence_id_col, Int64GetDatum(sequence_id), given != NULL);
	crm_change(ch, row, table->seq_col, Int64GetDatum(seq), given != NULL);
}

/* ---- numbers made elsewhere ---- */

/*
 * Whether digits (len characters) are what "%0*lld" prints for a counter
 * value of at least 1 at width: padded to width, and without a leading zero
 * when longer.
 */
static bool
counter_digits(const char *digits, int len, int width, int64 *value)
{
	int64		v = 0;

	if (len < 1 || len > NUMBER_MAX_WIDTH || len < width || (len > width && digits[0] == '0'))
		return false;
	for (int i = 0; i < len; i++)
	{
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		v = v * 10 + (digits[i] - '0');
	}
	*value = v;
	return v >= 1;
}

static bool
all_digits(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Matches number against the template from tmpl (both at their current
 * place), appending the key to key; backtracks over the counter's length.
 */
static bool
match_from(const char *tmpl, const char *number, StringInfo key, int64 *seq)
{
	int			mark = key->len;

	if (*tmpl == '\0')
		return *number == '\0';
	if (*tmpl != '{')
	{
		if (*number != *tmpl)
			return false;
		appendStringInfoChar(key, *tmpl);
		if (match_from(tmpl + 1, number + 1, key, seq))
			return true;
	}
	else if (strncmp(tmpl, "{YYYY}", 6) == 0 || strncmp(tmpl, "{MM}", 4) == 0)
	{
		bool		year = tmpl[1] == 'Y';
		int			len = year ? 4 : 2;

		if (strnlen(number, len) < len || !all_digits(number, len))
			return false;
		if (!year && !((number[0] == '0' && number[1] >= '1') ||
					   (number[0] == '1' && number[1] <= '2')))
			return false;
		appendBinaryStringInfo(key, number, len);
		if (match_from(tmpl + (year ? 6 : 4), number + len, key, seq))
			return true;
	}
	else
	{
		const char *close = strchr(tmpl, '}');
		int			width = tmpl[2] == ':' ? atoi(tmpl + 3) : 0;
		int			run = strspn(number, "0123456789");

		appendBinaryStringInfo(key, tmpl, close - tmpl + 1);
		for (int len = run; len >= 1; len--)
		{
			int			after = key->len;

			if (counter_digits(number, len, width, seq) &&
				match_from(close + 1, number + len, key, seq))
				return true;
			key->len = after;
			key->data[after] = '\0';
		}
	}
	key->len = mark;
	key->data[mark] = '\0';
	return false;
}

/* See numbering.h. */
bool
crm_number_match(const char *tmpl, const char *number, char **key, int64 *seq)
{
	StringInfoData buf;

	/* tmpl is a stored template, which its column's CHECK has parsed */
	initStringInfo(&buf);
	if (!match_from(tmpl, number, &buf, seq))
		return false;
	*key = buf.data;
	return true;
}

/* See numbering.h. */
int64
crm_number_counter(int64 account_id, const char *key)
{
	return lock_sequence(account_id, key);
}
