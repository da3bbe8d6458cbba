/*
 * The floor for 'login' memory: libmicrohttpd listening and libcurl doing
 * one POST, and nothing else. bench/run builds it against the same
 * libraries as zoho-oauth and measures its peak RSS next to a login's.
 *
 * usage: floor URL
 */
#include <curl/curl.h>
#include <microhttpd.h>

static enum MHD_Result refuse(void *cls, struct MHD_Connection *c, const char *url,
		const char *method, const char *version, const char *data, size_t *size, void **req)
{
	return MHD_NO;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, refuse,
		NULL, MHD_OPTION_END);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "grant_type=authorization_code");
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	MHD_stop_daemon(d);
	return rc == CURLE_OK ? 0 : 1;
}
