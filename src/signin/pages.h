#ifndef ZOHO_OAUTH_PAGES_H
#define ZOHO_OAUTH_PAGES_H

/*
 * The pages the browser is shown, built from the HTML files in data/. A page is its
 * head, the HTML-escaped detail text, then its tail. csp allows the
 * page's inlined style and nothing else.
 */
struct page {
	const char *head;
	const char *tail;
	const char *csp;
};

extern const struct page page_success;
extern const struct page page_refused;
extern const struct page page_failed;
extern const struct page page_bad_request;
extern const struct page page_stopped;

#endif
