#include <stdlib.h>
#include <sys/prctl.h>

#include "settings/cli.h"
#include "signin/device.h"
#include "zoho/http.h"
#include "cmd/login.h"
#include "store/refresh.h"
#include "cmd/revoke.h"
#include "settings/secret.h"
#include "cmd/exchange.h"
#include "settings/settings.h"
#include "core/signals.h"
#include "cmd/status.h"
#include "core/exit-status.h"
#include "zoho/tokens.h"

int main(int argc, char **argv)
{
	struct cli cli;
	struct settings s;
	int status;

	/* Secrets live in this process's memory: like ssh-agent, keep other
	 * processes of the same user from reading it (/proc/PID/mem, ptrace)
	 * and never write it to a core dump. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Before anything else, and before any thread exists: the secret
	 * leaves the environment so no child can inherit it. */
	secret_take_from_environment();
	tokens_init_json();

	status = cli_parse(argc, argv, &cli);
	if (status >= 0)
		goto out;
	if (!signals_init()) {
		status = ZO_FAILURE;
		goto out;
	}
	status = settings_resolve(&cli, &s);
	if (status == ZO_OK) {
		switch (s.cmd) {
		case CMD_LOGIN:
			status = s.device ? cmd_login_device(&s) : cmd_login(&s);
			break;
		case CMD_EXCHANGE:
			status = cmd_exchange(&s);
			break;
		case CMD_TOKEN:
			status = cmd_token(&s);
			break;
		case CMD_HEADER:
			status = cmd_header(&s);
			break;
		case CMD_REFRESH:
			status = cmd_refresh(&s);
			break;
		case CMD_STATUS:
			status = cmd_status(&s);
			break;
		case CMD_REVOKE:
			status = cmd_revoke(&s);
			break;
		case CMD_NONE:
			break;
		}
	}
	settings_finish(&s);
	http_cleanup();
out:
	secret_forget_environment();
	return status;
}
