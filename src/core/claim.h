#ifndef ZOHO_OAUTH_CLAIM_H
#define ZOHO_OAUTH_CLAIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A claim that other processes of this user can see: who holds a thing
 * (a login's port), while it is held. A small file named after the thing,
 * in $XDG_RUNTIME_DIR/zoho-oauth/ (else the tokens' directory), locked by
 * its holder and holding its pid and a label (a profile's name). A claim
 * is a courtesy, for messages: failing to take one is not an error.
 */
struct claim {
	int fd;              /* -1: none held */
	char path[PATH_MAX]; /* removed when the claim is given up */
};

#define CLAIM_NONE { .fd = -1, .path = "" }
#define CLAIM_LABEL_MAX 80

/* Claim name with label, until claim_release(). */
bool claim_take(struct claim *c, const char *name, const char *label);
void claim_release(struct claim *c);

/* Whether a live process holds the claim on name: its pid, and its label
 * (made safe to print). */
bool claim_holder(const char *name, long *pid, char *label, size_t label_len);

#endif
