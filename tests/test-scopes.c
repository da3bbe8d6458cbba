#include <string.h>

#include "unit.h"
#include "zoho/scopes.h"

/* The suggestion for s, or NULL when there is none. */
static const char *suggest(const char *s)
{
	static char out[96];
	return zoho_scope_suggest(s, strlen(s), out, sizeof(out)) ? out : NULL;
}

static void documented_scopes_pass(void **state)
{
	(void)state;
	assert_null(suggest("ZohoCliq.Channels.READ"));
	assert_null(suggest("ZohoCliq.Reminders.ALL"));
	/* The docs' own odd casing is what is documented. */
	assert_null(suggest("ZohoCliq.messageactions.CREATE"));
	assert_null(suggest("ZohoCliq.UserFields.CREATE"));
	assert_null(suggest("ZohoCliq.Userfields.UPDATE"));
	assert_null(suggest("ZohoCliq.Organisation.READ"));
	assert_null(suggest("ZohoCliq.CalendarEvents.ALL"));
}

static void case_differences_are_caught(void **state)
{
	(void)state;
	assert_string_equal(suggest("ZohoCliq.channels.read"), "ZohoCliq.Channels.READ");
	assert_string_equal(suggest("zohocliq.CHANNELS.READ"), "ZohoCliq.Channels.READ");
	assert_string_equal(suggest("ZohoCliq.MessageActions.CREATE"), "ZohoCliq.messageactions.CREATE");
	/* Userfields vs UserFields: each operation its documented spelling. */
	assert_string_equal(suggest("ZohoCliq.Userfields.CREATE"), "ZohoCliq.UserFields.CREATE");
	assert_string_equal(suggest("ZohoCliq.UserFields.UPDATE"), "ZohoCliq.Userfields.UPDATE");
}

static void small_edits_are_caught(void **state)
{
	(void)state;
	assert_string_equal(suggest("ZohoCliq.Channel.READ"), "ZohoCliq.Channels.READ");
	assert_string_equal(suggest("ZohoCliq.Organization.READ"), "ZohoCliq.Organisation.READ");
	assert_string_equal(suggest("ZohoCliq.Mesages.CRAETE"), "ZohoCliq.Messages.CREATE");
	assert_string_equal(suggest("ZohoCliq.Datastore.all"), "ZohoCliq.Datastores.ALL");
}

static void far_or_foreign_scopes_pass(void **state)
{
	(void)state;
	/* Other services are not listed: nothing to say. */
	assert_null(suggest("ZohoCRM.modules.ALL"));
	assert_null(suggest("ZohoCalendar.calendar.ALL"));
	assert_null(suggest("AaaServer.profile.Read"));
	assert_null(suggest("openid"));
	/* Cliq, but near nothing documented. */
	assert_null(suggest("ZohoCliq.Widgets.READ"));
	assert_null(suggest("ZohoCliq.Users.DELETE"));
	assert_null(suggest("ZohoCliq.Channels.ALL"));
	assert_null(suggest("ZohoCliq."));
	assert_null(suggest(""));
	/* Too long for the distance: far. */
	assert_null(suggest("ZohoCliq.Channels.READ.ZohoCliq.Channels.READ.ZohoCliq.Channels.READ"));
}

static void output_is_bounded(void **state)
{
	(void)state;
	char small[8];
	assert_false(zoho_scope_suggest("ZohoCliq.channels.read", 22, small, sizeof(small)));
	/* Only len bytes count: a list's item, not the rest. */
	char out[96];
	assert_true(zoho_scope_suggest("ZohoCliq.channels.read,X", 22, out, sizeof(out)));
	assert_string_equal(out, "ZohoCliq.Channels.READ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(documented_scopes_pass),
		cmocka_unit_test(case_differences_are_caught),
		cmocka_unit_test(small_edits_are_caught),
		cmocka_unit_test(far_or_foreign_scopes_pass),
		cmocka_unit_test(output_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
