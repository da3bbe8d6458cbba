/*
 * zoho-oauth-full: every command. The program users run is the small
 * front (front.c), which serves cached tokens itself and execs this one
 * for everything else, with the same argv.
 */
#include <stdlib.h>
#include <sys/prctl.h>

#include "cmd/curl.h"
#include "cmd/exchange.h"
#include "cmd/login.h"
#include "cmd/migrate.h"
#include "cmd/revoke.h"
#include "cmd/status.h"
#include "cmd/token.h"
#include "core/exit-status.h"
#include "core/handoff.h"
#include "core/log.h"
#include "core/signals.h"
#include "settings/cli.h"
#include "settings/secret.h"
#include "settings/settings.h"
#include "zoho/http.h"
#include "zoho/tokens.h"

/* What runs each command; the names, summaries and options are in
 * settings/cli.c. */
static const struct {
	enum command cmd;
	int (*run)(struct settings *s);
} commands[] = {
	{ CMD_LOGIN, cmd_login },
	{ CMD_EXCHANGE, cmd_exchange },
	{ CMD_TOKEN, cmd_token },
	{ CMD_HEADER, cmd_header },
	{ CMD_REFRESH, cmd_refresh },
	{ CMD_STATUS, cmd_status },
	{ CMD_REVOKE, cmd_revoke },
	{ CMD_MIGRATE, cmd_migrate },
	{ CMD_CURL, cmd_curl },
};

static int run_command(struct settings *s)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == s->cmd)
			return commands[i].run(s);
	return ZO_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct settings s;
	struct handoff handed;
	int status;

	/* Secrets live in this process's memory: like ssh-agent, keep other
	 * processes of the same user from reading it (/proc/PID/mem, ptrace)
	 * and never write it to a core dump. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Before anything else, and before any thread exists: the secret
	 * leaves the environment so no child can inherit it. */
	secret_take_from_environment();
	/* What the front hands over (it took the lock, and this must refresh). */
	handoff_take(&handed);
	tokens_init_json();

	status = cli_parse(argc, argv, &cli, false);
	if (status >= 0)
		goto out;
	if (!signals_init()) {
		status = ZO_FAILURE;
		goto out;
	}
	status = settings_resolve(&cli, &handed, &s);
	if (status == ZO_OK)
		status = run_command(&s);
	/* A command says what a signal left behind where it knows better;
	 * else nothing was changed. */
	if (status >= ZO_INTERRUPTED && !log_stopped_said())
		log_stopped(status, "nothing was changed");
	settings_finish(&s);
	http_cleanup();
out:
	secret_forget_environment();
	return status;
}
