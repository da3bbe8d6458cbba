#ifndef ZOHO_OAUTH_SCOPES_H
#define ZOHO_OAUTH_SCOPES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The scopes Zoho documents, held against those a user asks for. Only
 * Cliq's are listed (ZohoCliq.*, as Cliq's docs print them, their odd
 * casing kept: ZohoCliq.messageactions, UserFields.CREATE but
 * Userfields.UPDATE). Whether Zoho matches scopes without case is not
 * documented, so a near miss is only ever a suggestion.
 */

/*
 * The documented scope that scope[0..len) was probably meant to be: one
 * of a documented service that is not in the list but equal to one but
 * for case, or a small edit (at most two letters) from exactly one. Then
 * out (out_len bytes) gets it and the result is true; false for a scope
 * that is documented as it is, of a service not listed, or near none (or
 * several) of the list.
 */
bool zoho_scope_suggest(const char *scope, size_t len, char *out, size_t out_len);

/* Whether scope[0..len) is of a service whose scopes are listed (any case). */
bool zoho_scope_service_listed(const char *scope, size_t len);

#endif
