#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "zoho/http.h"

static bool initialized;
/* One handle for the process: its connections, DNS answers and TLS
 * sessions are kept between requests (curl_easy_reset keeps them), so a
 * login's exchange reuses what its earlier requests opened. */
static CURL *handle;

struct sink {
	struct buf *body;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	if (s->body->len + n > HTTP_MAX_ANSWER) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	return buf_append(s->body, data, n) ? n : 0;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		curl_off_t ulnow)
{
	return signals_caught() ? 1 : 0;
}

/* One request: a POST of form, or a GET (form NULL) with one more header. */
static int perform(const char *url, const struct buf *form, const char *header,
		const struct net_options *net, struct http_answer *out);

int http_post_form(const char *url, const struct buf *form, const struct net_options *net,
		struct http_answer *out)
{
	return perform(url, form, NULL, net, out);
}

int http_get(const char *url, const char *header, const struct net_options *net,
		struct http_answer *out)
{
	return perform(url, NULL, header, net, out);
}

static int perform(const char *url, const struct buf *form, const char *header,
		const struct net_options *net, struct http_answer *out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { &out->body, false };
	int status = ZO_NETWORK;

	memset(out, 0, sizeof(*out));
	if (!http_prepare())
		return ZO_FAILURE;
	CURL *h = handle;
	struct curl_slist *headers = NULL;
	curl_easy_reset(h);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (form) {
		headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
		/* Don't wait a second for "100 Continue" before sending the body. */
		headers = curl_slist_append(headers, "Expect:");
	}
	if (header)
		headers = curl_slist_append(headers, header);

	const char *scheme = strncmp(url, "https:", 6) == 0 ? "https" : "http";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, scheme);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (form) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, form->data ? form->data : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form->len);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "zoho-oauth/" VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, net->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, net->max_time);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (net->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, net->cacert);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_ANSWER);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	log_debug("%s %s", form ? "POST" : "GET", url);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		char *ct = NULL;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
		if (!out->body.data)
			buf_append(&out->body, "", 0);
		log_debug("answer: HTTP %ld, %zu bytes, %s", out->status, out->body.len,
			out->content_type[0] ? out->content_type : "no content type");
		status = out->body.data ? ZO_OK : ZO_FAILURE;
	} else if (rc == CURLE_ABORTED_BY_CALLBACK && signals_caught()) {
		status = ZO_INTERRUPTED + signals_caught();
	} else if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		log_error("%s answered with more than %d KiB: not an answer of Zoho's; is the "
			"accounts server right?", url, HTTP_MAX_ANSWER / 1024);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		log_error("no answer from %s within the time limit (%s): check the network, "
			"or raise --connect-timeout / --max-time", url, errbuf[0] ? errbuf : "timed out");
	} else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
			rc == CURLE_SSL_CONNECT_ERROR) {
		log_error("TLS with %s failed: %s (a proxy or a self-signed certificate? "
			"pass its CA with --cacert FILE)", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else {
		log_error("cannot reach %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
	if (status != ZO_OK)
		buf_finish(&out->body);
	/* The handle keeps the connection; nothing of this request stays set. */
	curl_easy_reset(h);
	curl_slist_free_all(headers);
	return status;
}

bool http_prepare(void)
{
	if (!initialized) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_error("cannot initialize libcurl");
			return false;
		}
		initialized = true;
	}
	if (!handle && !(handle = curl_easy_init())) {
		log_error("cannot initialize libcurl");
		return false;
	}
	return true;
}

void http_answer_finish(struct http_answer *a)
{
	buf_finish(&a->body);
	a->status = 0;
}

void http_cleanup(void)
{
	if (handle)
		curl_easy_cleanup(handle);
	handle = NULL;
	if (initialized)
		curl_global_cleanup();
	initialized = false;
}
