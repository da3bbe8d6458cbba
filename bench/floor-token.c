/*
 * The floor for a cached 'token': a static program (no dynamic loader, no
 * libraries to map) that reads the token file and prints one field. It
 * checks nothing and parses nothing properly: it is what the machine
 * can't beat, not a way to read tokens. bench/run builds it with
 * 'cc -static' and times it next to 'zoho-oauth token'.
 *
 * usage: floor-token FILE
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[32768];
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	char *p = strstr(buf, "\"access_token\"");
	p = p ? strchr(p + 14, '"') : NULL;
	char *end = p ? strchr(p + 1, '"') : NULL;
	if (!end)
		return 1;
	*end = '\n';
	return write(1, p + 1, (size_t)(end - p)) == end - p ? 0 : 1;
}
