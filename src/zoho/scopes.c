#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "core/util.h"
#include "zoho/scopes.h"

enum {
	OP_CREATE = 1 << 0,
	OP_READ = 1 << 1,
	OP_UPDATE = 1 << 2,
	OP_DELETE = 1 << 3,
	OP_ALL = 1 << 4,
	CRUD = OP_CREATE | OP_READ | OP_UPDATE | OP_DELETE,
};

static const char *const op_names[] = { "CREATE", "READ", "UPDATE", "DELETE", "ALL" };

#define SERVICE "ZohoCliq."

/* Cliq's scopes as Cliq's docs list them: ZohoCliq.RESOURCE.OPERATION, the
 * resource spelt as printed (see /work/shared/zoho-reference.md). */
static const struct {
	const char *resource;
	unsigned ops;
} cliq[] = {
	{ "Channels", CRUD },
	{ "Chats", CRUD },
	{ "Messages", CRUD },
	{ "Reminders", CRUD | OP_ALL },
	{ "Bots", CRUD },
	{ "messageactions", CRUD },
	{ "Organisation", CRUD },
	{ "Teams", CRUD },
	{ "Departments", CRUD },
	{ "Designations", CRUD },
	{ "Profile", CRUD },
	{ "Functions", CRUD },
	{ "Datastores", CRUD | OP_ALL },
	{ "DatastoreRecords", CRUD | OP_ALL },
	{ "Users", OP_CREATE | OP_READ | OP_UPDATE },
	{ "UserFields", OP_CREATE },
	{ "Userfields", OP_UPDATE | OP_DELETE },
	{ "StorageData", OP_ALL | OP_READ | OP_UPDATE | OP_DELETE },
	{ "Extensions", OP_CREATE | OP_READ | OP_UPDATE },
	{ "Attachments", OP_READ },
	{ "BotMessages", OP_CREATE },
	{ "Webhooks", OP_CREATE },
	{ "MediaSession", OP_READ },
	{ "Applications", OP_UPDATE },
	{ "CalendarEvents", OP_ALL },
};

/* How many letters a near miss may be off by, case aside. */
#define MAX_EDITS 2

bool zoho_scope_service_listed(const char *scope, size_t len)
{
	return len > strlen(SERVICE) && ascii_ncasecmp_eq(scope, SERVICE, strlen(SERVICE));
}

bool zoho_scope_suggest(const char *scope, size_t len, char *out, size_t out_len)
{
	char name[80];
	char best[80] = "";
	size_t best_d = SIZE_MAX;
	bool tie = false;

	if (!zoho_scope_service_listed(scope, len))
		return false;
	for (size_t i = 0; i < sizeof(cliq) / sizeof(cliq[0]); i++) {
		for (size_t op = 0; op < sizeof(op_names) / sizeof(op_names[0]); op++) {
			if (!(cliq[i].ops & (1u << op)))
				continue;
			snprintf(name, sizeof(name), SERVICE "%s.%s", cliq[i].resource, op_names[op]);
			if (strlen(name) == len && memcmp(name, scope, len) == 0)
				return false; /* documented as it is */
			size_t d = text_distance(scope, len, name);
			if (d > MAX_EDITS)
				continue;
			if (d < best_d) {
				best_d = d;
				tie = false;
				snprintf(best, sizeof(best), "%s", name);
			} else if (d == best_d) {
				tie = true;
			}
		}
	}
	if (best_d == SIZE_MAX || tie || strlen(best) >= out_len)
		return false;
	snprintf(out, out_len, "%s", best);
	return true;
}
