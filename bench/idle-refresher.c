/*
 * A stand-in for the refresher that does no work. bench/run points
 * ZOHO_OAUTH_FULL at it to measure what a call past the soft margin costs
 * its callers without the refresher's own start (the full program, its
 * 31 libraries, the request) running beside them. It keeps what it was
 * handed, the profile's lock, for a second, as a refresh would keep it
 * (so that no other caller of a burst starts another), and exits. Its
 * arguments ('refresh --profile NAME') are ignored. bench/run builds it
 * with 'cc -static', like the floors.
 */
#include <time.h>

int main(void)
{
	struct timespec second = { 1, 0 };
	nanosleep(&second, NULL);
	return 0;
}
