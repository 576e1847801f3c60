/* qflush.c - asking the flush service to deliver deferred mail now (see qflush.h) */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "match.h"
#include "qflush.h"

int qflush_site_ok(struct mta_conf *c, const char *site)
{
	struct cfg_strvec elems, parent;
	struct match_list *l;
	unsigned flags = 0;
	int rc;

	cfg_strvec_init(&elems);
	cfg_strvec_init(&parent);
	mta_conf_list(c, CFG_P_parent_domain_matches_subdomains, &parent);
	for (size_t i = 0; i < parent.n; i++)
		if (strcmp(parent.v[i], "fast_flush_domains") == 0)
			flags |= MATCH_PARENT;
	mta_conf_list(c, CFG_P_fast_flush_domains, &elems);
	l = match_list_new("fast_flush_domains", &elems, flags);
	rc = match_domain(l, site);
	match_list_free(l);
	cfg_strvec_fini(&parent);
	cfg_strvec_fini(&elems);
	return rc;
}

int qflush_send(struct mta_conf *c, const char *request, const char *name, const char *value)
{
	const char *service = mta_conf_str(c, CFG_P_flush_service_name);
	const char *queue_dir = mta_conf_str(c, CFG_P_queue_directory);
	int fd = ipc_connect(queue_dir, "public", service);
	int status = QFLUSH_STAT_FAIL;
	struct mta_stream s;
	struct cfg_strvec a;

	if (fd < 0) {
		mta_warn("connect to public/%s: %m", service);
		return QFLUSH_STAT_FAIL;
	}
	mta_stream_init(&s, fd, (int)mta_conf_time(c, CFG_P_ipc_timeout));
	cfg_strvec_init(&a);
	ipc_add(&a, "request", "%s", request);
	ipc_add(&a, name, "%s", value);
	if (ipc_send(&s, &a) == 0 && ipc_recv(&s, &a) == 0)
		status = (int)ipc_get_long(&a, "status", QFLUSH_STAT_FAIL);
	cfg_strvec_fini(&a);
	mta_stream_fini(&s);
	close(fd);
	return status;
}
