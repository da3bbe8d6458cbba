/*
 * Time commands in turn: one run of each, then the next round, so that a
 * machine that gets busier or quieter during the measurement weighs on
 * every command alike (hyperfine runs all of one command, then all of the
 * next: on a shared machine a ratio between two of its medians is partly
 * the drift between them). Each round runs the commands in an order of
 * its own, shuffled (the same sequence of orders every time): in a fixed
 * order each command would always follow the same one, and a heavy one
 * (a dynamically linked program mapping 31 libraries) leaves the next a
 * slower start, which would weigh on that one command only.
 * Every command is started with posix_spawnp, its output and errors to
 * /dev/null, and must exit 0. Prints one median per command, in milliseconds, a line
 * each, in the order given.
 *
 * usage: alternate RUNS WARMUP -- COMMAND ARGS... [-- COMMAND ARGS...]...
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* xorshift64*: a fixed sequence, so that two runs shuffle alike. */
static unsigned long long next_random(void)
{
	static unsigned long long x = 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dULL;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: alternate RUNS WARMUP -- COMMAND ARGS... [-- COMMAND...]\n");
		return 2;
	}
	int runs = atoi(argv[1]), warmup = atoi(argv[2]);
	if (runs < 1 || warmup < 0)
		return 2;
	/* The commands: argv split at each "--", which becomes their NULL. */
	char **cmd[64];
	int n = 0;
	for (int i = 3; i < argc && n < 64; i++) {
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			if (i + 1 < argc)
				cmd[n++] = &argv[i + 1];
		}
	}
	double *t = calloc((size_t)n * (size_t)runs, sizeof(*t));
	posix_spawn_file_actions_t fa;
	if (!t || n == 0 || posix_spawn_file_actions_init(&fa) != 0 ||
			posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
			posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0)
		return 1;
	int order[64];
	for (int k = 0; k < n; k++)
		order[k] = k;
	for (int round = 0; round < warmup + runs; round++) {
		for (int k = n - 1; k > 0; k--) {
			int j = (int)(next_random() % (unsigned long long)(k + 1));
			int swap = order[k];
			order[k] = order[j];
			order[j] = swap;
		}
		for (int k = 0; k < n; k++) {
			int c = order[k];
			pid_t pid;
			int status;
			double start = now_ms();
			if (posix_spawnp(&pid, cmd[c][0], &fa, NULL, cmd[c], environ) != 0 ||
					waitpid(pid, &status, 0) != pid) {
				perror(cmd[c][0]);
				return 1;
			}
			double took = now_ms() - start;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "alternate: %s failed (status %d)\n", cmd[c][0], status);
				return 1;
			}
			if (round >= warmup)
				t[c * runs + (round - warmup)] = took;
		}
	}
	for (int c = 0; c < n; c++) {
		qsort(t + c * runs, (size_t)runs, sizeof(*t), by_value);
		double *v = t + c * runs;
		printf("%.4f\n", runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2);
	}
	free(t);
	return 0;
}
