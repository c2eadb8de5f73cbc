/*
 * inbound.c
 *	  First contact: a message that arrives through a channel (a messenger,
 *	  WhatsApp, a site chat) finds or makes its client, the conversation and,
 *	  when the account says so, a lead.
 *
 * crm.receive_message(channel, sender, sender_name, body, sent_at), called by
 * a channel integration (a crm_service or crm_manager login):
 *	1. takes crm's own lock on the sender (kit/locks.h): the bucket of the
 *	   sender's E.164 phone when it is one, else of channel and address.  Two
 *	   first messages of one sender at once make one client: the second
 *	   waits, then looks with a fresh snapshot (READ COMMITTED) and finds the
 *	   first's client (isolation spec inbound_first_contact);
 *	2. the client: the one with that address on that channel
 *	   (crm.client_channels); else, when the sender is a valid phone in the
 *	   account's region, the first client (lowest id) with that phone, which
 *	   then gets the address; else a new client named sender_name (or the
 *	   sender, when sender_name is NULL or blank), with the phone when the
 *	   sender is one, and the address;
 *	3. a lead, by accounts.inbound_lead_mode: 'off' never; 'new_client' (the
 *	   default) when step 2 made the client; 'no_open_lead' when the client
 *	   has no open lead, checked holding the client row, so that two
 *	   addresses of one client writing at once open one lead.  It is decided
 *	   before anything is written: an account without a default lead type
 *	   is refused (55000) when a lead is due;
 *	4. the conversation: the client's latest on that channel, or a new one;
 *	5. the message, direction 'in' (its triggers keep last_message_at);
 *	6. the lead: of the default type, created at sent_at, with the client,
 *	   the sender's name (and phone) as its contact and the body as its
 *	   comment.  Its manager is the session's employee when there is one,
 *	   else it waits for the first employee who writes (lead_managers.c).
 * Returns the message row.  Every read and write runs as the caller, so its
 * grants, the account policy and the right to see customers apply as to a
 * plain INSERT.  On Citus the twin crm._receive_message(account, ...) runs it
 * on the account's worker (kit/delegate.h): the sender's lock is crm's own
 * row, taken as the owner, before the caller's writes.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "crm.h"
#include "kit/delegate.h"
#include "kit/locks.h"
#include "lead_rules.h"
#include "phones.h"
#include "tenancy.h"

/* Longest channel name and sender address, in bytes: both are keys of an index. */
#define INBOUND_MAX_KEY 255
/* Longest sender name, in bytes: it becomes a client's name. */
#define INBOUND_MAX_NAME 1000

/* What one call works with. */
typedef struct Inbound
{
	int64		account_id;
	const char *channel;
	const char *sender;
	const char *name;			/* the client's name if it is new */
	const char *e164;			/* the sender as a phone, or NULL */
	const char *body;
	Datum		sent_at;
	int64		client_id;
	bool		known_address;	/* found by its address on the channel */
	bool		new_client;
	bool		lead_due;
	int64		lead_type_id;
} Inbound;

/* ---- arguments ---- */

static bool
blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* A channel, sender or sender_name: not blank (unless it may be), at most max bytes. */
static void
check_text(const char *value, const char *name, int max, const char *what)
{
	if (what != NULL && blank(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name),
				 errhint("Pass %s.", what)));
	if (strlen(value) > (size_t) max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long", name),
				 errdetail("The %s has %zu bytes; it takes at most %d.", name, strlen(value), max),
				 errhint("Pass a %s of at most %d bytes.", name, max)));
}

static void
read_arguments(FunctionCallInfo fcinfo, Inbound *in)
{
	char	   *name;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		crm_error_null_argument("channel, sender, body and sent_at",
								"Pass the channel, the sender's address on it, the text "
								"(empty for a message without text) and the time it was sent.");
	in->channel = text_to_cstring(PG_GETARG_TEXT_PP(0));
	in->sender = text_to_cstring(PG_GETARG_TEXT_PP(1));
	name = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	in->body = text_to_cstring(PG_GETARG_TEXT_PP(3));
	in->sent_at = PG_GETARG_DATUM(4);
	check_text(in->channel, "channel", INBOUND_MAX_KEY,
			   "the name of the channel the message came through, such as 'telegram' or 'whatsapp'");
	check_text(in->sender, "sender", INBOUND_MAX_KEY,
			   "the sender's address on the channel: a user name, an id or a phone number");
	if (name != NULL)
		check_text(name, "sender_name", INBOUND_MAX_NAME, NULL);
	in->name = (name == NULL || blank(name)) ? in->sender : name;
	/* Before anything is looked up: the message's own check, which the lead's time shares. */
	crm_actor_check_time(DatumGetTimestampTz(in->sent_at), "sent_at", "a message");
}

/* ---- the sender's lock ---- */

static void
lock_sender(const Inbound *in)
{
	char	   *key = in->e164 ? psprintf("phone\n%s", in->e164)
		: psprintf("%s\n%s", in->channel, in->sender);
	uint32		bucket = hash_bytes((const unsigned char *) key, strlen(key)) % CRM_LOCK_SENDER_BUCKETS;

	crm_lock(in->account_id, CRM_LOCK_SENDERS + (int32) bucket);
}

/* ---- finding the client ---- */

static CrmPlan client_by_address = {
	"SELECT client_id FROM crm.client_channels WHERE account_id = $1 AND channel = $2 AND address = $3",
	3, {INT8OID, TEXTOID, TEXTOID}
};
static CrmPlan client_by_phone = {
	"SELECT min(client_id) FROM crm.client_phones WHERE account_id = $1 AND phone = $2",
	2, {INT8OID, TEXTOID}
};
static CrmPlan hold_client = {
	"SELECT 1 FROM crm.clients WHERE account_id = $1 AND id = $2 FOR NO KEY UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan open_lead = {
	"SELECT 1 FROM crm.leads WHERE account_id = $1 AND client_id = $2 AND closed_at IS NULL LIMIT 1",
	2, {INT8OID, INT8OID}
};

/*
 * The client by address, then by phone; false when there is none.  Not
 * read-only: each query sees what committed before it, once the lock is held.
 */
static bool
find_client(Inbound *in)
{
	Datum		args[3] = {Int64GetDatum(in->account_id), CStringGetTextDatum(in->channel),
	CStringGetTextDatum(in->sender)};
	bool		isnull = true;

	if (crm_exec(&client_by_address, args, NULL, false, 1) == 1)
		in->client_id = crm_get_int64(0, 1, &isnull);
	in->known_address = !isnull;
	if (isnull && in->e164 != NULL)
	{
		args[1] = CStringGetTextDatum(in->e164);
		crm_exec(&client_by_phone, args, NULL, false, 1);
		in->client_id = crm_get_int64(0, 1, &isnull);
	}
	return !isnull;
}

/* Whether a lead is due, and of which type; raises before anything is written. */
static void
decide_lead(Inbound *in)
{
	const char *mode = crm_account_settings(in->account_id)->inbound_lead_mode;
	Datum		args[2] = {Int64GetDatum(in->account_id), Int64GetDatum(in->client_id)};
	const CrmLeadType *type;

	if (strcmp(mode, "new_client") == 0)
		in->lead_due = in->new_client;
	else if (strcmp(mode, "no_open_lead") == 0)
	{
		in->lead_due = in->new_client;
		if (!in->new_client)
		{
			crm_exec(&hold_client, args, NULL, false, 1);
			in->lead_due = crm_exec(&open_lead, args, NULL, false, 1) == 0;
		}
	}
	else
		in->lead_due = false;
	if (!in->lead_due)
		return;
	type = crm_lead_default_type(crm_lead_rules(in->account_id));
	if (type == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("account %lld has no default lead type", (long long) in->account_id),
				 errdetail("inbound_lead_mode \"%s\" opens a lead of the default type for this message.", mode),
				 errhint("Mark one lead type with is_default, or set crm.accounts.inbound_lead_mode to 'off'.")));
	in->lead_type_id = type->id;
}

/* ---- writing ---- */

static CrmPlan insert_client = {
	"INSERT INTO crm.clients (account_id, name) VALUES ($1, $2) RETURNING id",
	2, {INT8OID, TEXTOID}
};
static CrmPlan insert_phone = {
	"INSERT INTO crm.client_phones (account_id, client_id, raw) VALUES ($1, $2, $3)",
	3, {INT8OID, INT8OID, TEXTOID}
};
static CrmPlan insert_address = {
	"INSERT INTO crm.client_channels (account_id, client_id, channel, address) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, channel, address) DO NOTHING",
	4, {INT8OID, INT8OID, TEXTOID, TEXTOID}
};
static CrmPlan find_conversation = {
	"SELECT id FROM crm.conversations WHERE account_id = $1 AND client_id = $2 AND channel = $3 "
	"ORDER BY id DESC LIMIT 1",
	3, {INT8OID, INT8OID, TEXTOID}
};
static CrmPlan insert_conversation = {
	"INSERT INTO crm.conversations (account_id, client_id, channel) VALUES ($1, $2, $3) RETURNING id",
	3, {INT8OID, INT8OID, TEXTOID}
};
static CrmPlan insert_message = {
	"INSERT INTO crm.messages AS m (account_id, conversation_id, direction, body, sent_at) "
	"VALUES ($1, $2, 'in', $3, $4) RETURNING m.*",
	4, {INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID}
};
static CrmPlan insert_lead = {
	"INSERT INTO crm.leads (account_id, type_id, client_id, contact_name, contact_phone, comment, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID}
};

/* A new client with the sender's name, and its phone when the sender is one. */
static void
make_client(Inbound *in)
{
	Datum		args[3] = {Int64GetDatum(in->account_id), CStringGetTextDatum(in->name)};

	crm_exec(&insert_client, args, NULL, false, 1);
	in->client_id = crm_get_int64(0, 1, NULL);
	if (in->e164 == NULL)
		return;
	args[1] = Int64GetDatum(in->client_id);
	args[2] = CStringGetTextDatum(in->sender);
	crm_exec(&insert_phone, args, NULL, false, 0);
}

static int64
conversation_for(const Inbound *in)
{
	Datum		args[3] = {Int64GetDatum(in->account_id), Int64GetDatum(in->client_id),
	CStringGetTextDatum(in->channel)};

	if (crm_exec(&find_conversation, args, NULL, false, 1) == 0)
		crm_exec(&insert_conversation, args, NULL, false, 1);
	return crm_get_int64(0, 1, NULL);
}

static void
open_the_lead(const Inbound *in)
{
	Datum		args[7] = {Int64GetDatum(in->account_id), Int64GetDatum(in->lead_type_id),
		Int64GetDatum(in->client_id), CStringGetTextDatum(in->name),
		in->e164 ? CStringGetTextDatum(in->sender) : (Datum) 0,
	CStringGetTextDatum(in->body), in->sent_at};
	char		nulls[7] = {' ', ' ', ' ', ' ', in->e164 ? ' ' : 'n', ' ', ' '};

	crm_exec(&insert_lead, args, nulls, false, 0);
}

static CrmDelegate receive_twin = {"crm._receive_message", 5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID}};

PG_FUNCTION_INFO_V1(crm_receive_message);
Datum
crm_receive_message(PG_FUNCTION_ARGS)
{
	Inbound		in = {0};
	Datum		args[4];
	Datum		message;

	in.account_id = crm_require_account();
	if (crm_delegate(&receive_twin, fcinfo, in.account_id, &message))
		return message;
	read_arguments(fcinfo, &in);
	in.e164 = crm_phone_e164(in.sender, crm_account_settings(in.account_id)->region);

	SPI_connect();
	lock_sender(&in);
	in.new_client = !find_client(&in);
	decide_lead(&in);

	if (in.new_client)
		make_client(&in);
	args[0] = Int64GetDatum(in.account_id);
	args[1] = Int64GetDatum(in.client_id);
	args[2] = CStringGetTextDatum(in.channel);
	args[3] = CStringGetTextDatum(in.sender);
	if (!in.known_address)
		crm_exec(&insert_address, args, NULL, false, 0);

	args[1] = Int64GetDatum(conversation_for(&in));
	args[2] = CStringGetTextDatum(in.body);
	args[3] = in.sent_at;
	crm_exec(&insert_message, args, NULL, false, 1);
	message = crm_get_row_copy(0, 1, "messages");

	if (in.lead_due)
		open_the_lead(&in);
	SPI_finish();
	PG_RETURN_DATUM(message);
}
