#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/migrate.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/util.h"
#include "store/store.h"

int cmd_migrate(struct settings *s)
{
	const struct profile *p = &s->profile;
	struct store *src = NULL, *dst = NULL;
	struct tokens none;
	char to[PATH_MAX];
	bool copied = false;

	if (!p->store) {
		log_error("where to? pass --to keyring, --to file, or --to postgresql://...");
		return ZO_USAGE;
	}
	int status = store_open(p, STORE_AS_RECORDED, &src);
	if (status != ZO_OK)
		return status;
	if (!store_has_tokens(src)) {
		status = store_load(src, &none); /* says there are none, and how to make them */
		tokens_finish(&none);
		goto out;
	}
	if (store_same_kind(src, p->store)) {
		log_info("profile '%s' is kept in the %s store already: nothing to do", p->name,
			store_kind(src));
		goto out;
	}
	status = store_open_other(src, p->store, &dst);
	if (status == ZO_OK)
		status = store_move(src, dst, s->force ? 0 : STORE_KEEP_EXISTING, &copied);
	if (status == ZO_OK) {
		store_describe(dst, to, sizeof(to));
		log_info("moved the tokens of profile '%s' from the %s store to the %s", p->name,
			store_kind(src), to);
	}
out:
	if (status >= ZO_INTERRUPTED) {
		store_describe(dst ? dst : src, to, sizeof(to));
		if (copied)
			log_stopped(status, "the tokens were copied to the %s, which the profile uses "
				"now; the %s store may still hold them too", to, store_kind(src));
		else
			log_stopped(status, "the tokens were left in the %s store", store_kind(src));
	}
	store_close(dst);
	store_close(src);
	return status;
}
