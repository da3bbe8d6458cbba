/*
 * The floor for a cached 'token': a static program (no dynamic loader, no
 * libraries to map) that reads the token file and prints one field. It
 * checks nothing and parses nothing properly: it is what the machine
 * can't beat, not a way to read tokens. bench/run builds it with
 * 'cc -static' and times it next to 'zoho-oauth token'.
 *
 * Given more than one FILE it reads each and prints the field of the last
 * that has one: a record and its cache, the two reads of a token served
 * from the access-token cache (or of a keyring profile's metadata and
 * cache).
 *
 * With --start PROGRAM it then starts PROGRAM detached, as a token served
 * past its soft margin has its refresher started: a child that calls
 * setsid() and forks once more, the grandchild's stdio on /dev/null and
 * PROGRAM exec'd there; only the child is waited for. That is the floor
 * of "one cached call plus starting one process".
 *
 * usage: floor-token [--start PROGRAM] FILE...
 */
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void start_detached(char *program)
{
	pid_t child = fork();
	if (child == 0) {
		setsid();
		if (fork() == 0) {
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			char *argv[] = { program, NULL };
			execv(program, argv);
			_exit(127);
		}
		_exit(0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
}

int main(int argc, char **argv)
{
	static char buf[32768], token[4096];
	size_t len = 0;
	char *program = NULL;
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--start") == 0) {
		program = argv[2];
		first = 3;
	}
	if (first >= argc)
		return 2;
	for (int i = first; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		char *p = strstr(buf, "\"access_token\"");
		p = p ? strchr(p + 14, '"') : NULL;
		char *end = p ? strchr(p + 1, '"') : NULL;
		if (end && (size_t)(end - p) < sizeof(token)) {
			len = (size_t)(end - p - 1);
			memcpy(token, p + 1, len);
		}
	}
	if (!len)
		return 1;
	token[len++] = '\n';
	if (write(1, token, len) != (ssize_t)len)
		return 1;
	if (program)
		start_detached(program);
	return 0;
}
