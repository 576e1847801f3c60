/* test_mta.c - check suite for mta/common: queue files, addresses, match lists, IPC, resolution */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "cfg/base/xalloc.h"
#include "conf.h"
#include "ipc.h"
#include "match.h"
#include "qfile.h"
#include "resolve.h"
#include "stream.h"

static char tmpdir[64];

/* setup_dir - a queue directory in a fresh temporary directory */
static void setup_dir(void)
{
	struct cfg_buf why;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_mta.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	cfg_buf_init(&why);
	ck_assert_int_eq(qf_make_dirs(tmpdir, (uid_t)-1, (gid_t)-1, &why), 0);
	cfg_buf_fini(&why);
}

/* teardown_dir - remove it */
static void teardown_dir(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("rm", "rm", "-rf", tmpdir, (char *)NULL);
		_exit(1);
	}
	waitpid(pid, NULL, 0);
}

START_TEST(test_qfile_roundtrip)
{
	struct qf_writer w;
	struct qf_env e;
	struct cfg_buf why, content;
	struct stat st;
	int fd;

	ck_assert_int_eq(qf_create(&w, tmpdir, QF_INCOMING), 0);
	ck_assert(qf_valid_id(w.qid));
	qf_arrival(&w, 1795900262, 123456);
	qf_head(&w, 'S', "sender@example.net");
	qf_attr(&w, "client_name", "tab\there");
	qf_content(&w, "Subject: x\n\nbody\n", 17);
	qf_rcpt(&w, "orig", "user@example.com", 0);
	qf_rcpt(&w, "b%c", "second@example.com", QF_N_NEVER);
	qf_rcpt_dsn(&w, "t", "third@example.com", 0, '-', "rfc822;a\tb@example.org");
	ck_assert_int_eq(qf_seal(&w, 1), 0);
	ck_assert_int_eq(stat(w.path, &st), 0);
	ck_assert(st.st_mode & S_IXUSR); /* sealed: owner-execute set */
	fd = open(w.path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	qf_env_init(&e);
	cfg_buf_init(&why);
	ck_assert_int_eq(qf_read(fd, &e, &why), 0);
	ck_assert_str_eq(e.sender, "sender@example.net");
	ck_assert_int_eq(e.arrival_sec, 1795900262);
	ck_assert_str_eq(qf_env_attr(&e, "client_name"), "tab\there");
	ck_assert_uint_eq(e.nrcpt, 3);
	ck_assert_str_eq(e.rcpt[1].orig, "b%c");
	ck_assert_ptr_null(e.rcpt[1].dsn_orcpt);
	ck_assert_str_eq(e.rcpt[2].addr, "third@example.com");
	ck_assert_str_eq(e.rcpt[2].dsn_orcpt, "rfc822;a\tb@example.org");
	ck_assert_uint_eq(e.rcpt[1].notify, QF_N_NEVER);
	ck_assert_int_eq(e.content_size, 17);
	cfg_buf_init(&content);
	ck_assert_int_eq(qf_read_content(fd, &e, &content), 0);
	ck_assert_str_eq(content.data, "Subject: x\n\nbody\n");
	/* in-place updates survive a re-read */
	ck_assert_int_eq(qf_set_status(fd, &e.rcpt[0], 'D'), 0);
	ck_assert_int_eq(qf_set_mark(fd, &e.rcpt[1], 0x1234), 0);
	ck_assert_int_eq(qf_append_log(fd, 1, "bounced", "5.1.1", 7, "unknown user: \"x\"\n"), 0);
	ck_assert_int_eq(qf_set_hflags(fd, QF_H_BOUNCED), 0);
	qf_env_fini(&e);
	qf_env_init(&e);
	ck_assert_int_eq(qf_read(fd, &e, &why), 0);
	ck_assert_int_eq(e.rcpt[0].status, 'D');
	ck_assert_int_eq(e.rcpt[1].status, '-');
	ck_assert_uint_eq(e.rcpt[1].mark, 0x1234);
	ck_assert_uint_eq(e.nlogs, 1);
	ck_assert_str_eq(e.logs[0].text, "unknown user: \"x\"\n");
	ck_assert_uint_eq(e.hflags, QF_H_BOUNCED);
	qf_env_fini(&e);
	cfg_buf_fini(&content);
	cfg_buf_fini(&why);
	close(fd);
	qf_writer_fini(&w);
}
END_TEST

/* message_size - qf_message_size() of a sealed queue file holding content */
static long long message_size(const char *content)
{
	struct qf_writer w;
	struct qf_env e;
	struct cfg_buf why;
	long long size = -1;
	int fd;

	ck_assert_int_eq(qf_create(&w, tmpdir, QF_INCOMING), 0);
	qf_head(&w, 'S', "a@b");
	qf_content(&w, content, strlen(content));
	qf_rcpt(&w, "x@y", "x@y", 0);
	ck_assert_int_eq(qf_seal(&w, 0), 0);
	fd = open(w.path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	qf_env_init(&e);
	cfg_buf_init(&why);
	ck_assert_int_eq(qf_read(fd, &e, &why), 0);
	ck_assert_int_eq(qf_message_size(fd, &e, &size), 0);
	cfg_buf_fini(&why);
	qf_env_fini(&e);
	close(fd);
	qf_writer_fini(&w);
	return size;
}

/* repeat - a line of n copies of c after prefix, and a newline */
static void repeat(struct cfg_buf *b, const char *prefix, int c, size_t n)
{
	cfg_buf_adds(b, prefix);
	while (n-- > 0)
		cfg_buf_addc(b, c);
	cfg_buf_addc(b, '\n');
}

/* Postfix's message_size: records of at most 2048 bytes, 2 bytes of overhead (3 from 128 on) */
START_TEST(test_qfile_message_size)
{
	struct cfg_buf b;

	ck_assert_int_eq(message_size("Subject: x\n\nbody\n"), 12 + 2 + 6);
	/* a header line of exactly 2048 bytes is one record, a body line two */
	cfg_buf_init(&b);
	repeat(&b, "X: ", 'h', 2045);
	ck_assert_int_eq(message_size(b.data), 2051);
	cfg_buf_adds(&b, "\n");
	repeat(&b, "", 'b', 2048);
	ck_assert_int_eq(message_size(b.data), 2051 + 2 + 2051 + 2);
	cfg_buf_reset(&b);
	/* a message Postfix 3.7.11 queued and measured: message_size 9785 */
	cfg_buf_adds(&b, "Received: by mail.example.com (Postfix, from userid 0)\n"
	                 "\tid 49D98A7203E; Mon,  7 Dec 2026 03:18:33 +0000 (UTC)\n"
	                 "Subject: five\n");
	repeat(&b, "X-Long: ", 'h', 2100);
	repeat(&b, "X-Mid: ", 'm', 200);
	cfg_buf_adds(&b, "Message-Id: <20261207031833.49D98A7203E@mail.example.com>\n"
	                 "Date: Mon,  7 Dec 2026 03:18:33 +0000 (UTC)\n"
	                 "From: root <s5@example.net>\n\n");
	repeat(&b, "", 'b', 5000);
	repeat(&b, "", 'c', 2048);
	repeat(&b, "", 'd', 130);
	cfg_buf_adds(&b, "end\n");
	ck_assert_int_eq(message_size(b.data), 9785);
	cfg_buf_fini(&b);
}
END_TEST

START_TEST(test_qfile_unsealed_is_refused)
{
	struct qf_writer w;
	struct qf_env e;
	struct cfg_buf why;
	int fd;
	char *path;

	ck_assert_int_eq(qf_create(&w, tmpdir, QF_INCOMING), 0);
	qf_head(&w, 'S', "a@b");
	qf_content(&w, "x\n", 2);
	/* write what we have without sealing: a writer that died */
	ck_assert_int_eq(write(w.fd, w.buf.data, w.buf.len), (ssize_t)w.buf.len);
	path = cfg_xstrdup(w.path);
	fd = open(path, O_RDONLY);
	qf_env_init(&e);
	cfg_buf_init(&why);
	ck_assert_int_eq(qf_read(fd, &e, &why), -1);
	qf_env_fini(&e);
	cfg_buf_fini(&why);
	close(fd);
	qf_abort(&w);
	ck_assert_int_ne(access(path, F_OK), 0); /* abort removed it */
	free(path);
}
END_TEST

/* a reader may take a queue file only once its writer sealed it, never one the writer removed */
START_TEST(test_qfile_claim)
{
	struct qf_writer w;
	char *path;
	int fd;

	ck_assert_int_eq(qf_create(&w, tmpdir, QF_INCOMING), 0);
	qf_head(&w, 'S', "a@b");
	qf_content(&w, "x\n", 2);
	qf_rcpt(&w, "a@b", "a@b", 0);
	path = cfg_xstrdup(w.path);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, 0700), 0); /* sealed-looking, writer still at work */
	ck_assert_int_eq(qf_claim(fd), -1);
	ck_assert_int_eq(qf_seal(&w, 1), 0);
	ck_assert_int_eq(qf_claim(fd), 0);
	close(fd);
	qf_writer_fini(&w);
	unlink(path);
	free(path);

	/* the writer's seal failed after the mode change: the file it removed stays unclaimed */
	ck_assert_int_eq(qf_create(&w, tmpdir, QF_INCOMING), 0);
	fd = open(w.path, O_RDONLY);
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	qf_abort(&w);
	ck_assert_int_eq(qf_claim(fd), -1);
	close(fd);
}
END_TEST

START_TEST(test_escape)
{
	struct cfg_buf b;

	cfg_buf_init(&b);
	qf_escape(&b, "a\tb%c\nd");
	ck_assert_str_eq(b.data, "a%09b%25c%0Ad");
	qf_unescape(b.data);
	ck_assert_str_eq(b.data, "a\tb%c\nd");
	cfg_buf_fini(&b);
}
END_TEST

/* one row of the SMTP path table: what the parser makes of RCPT TO:/MAIL FROM: text */
static const struct {
	const char *text;
	int rc;
	const char *internal;
	const char *external;
	size_t nparams;
} paths[] = {
    {"<user@example.com>", 0, "user@example.com", "user@example.com", 0},
    {" <user@example.com>", 0, "user@example.com", "user@example.com", 0},
    {"<user@example.com >", 0, "user@example.com", "user@example.com", 0},
    {"user@example.com", 0, "user@example.com", "user@example.com", 0},
    {"<@a.example,@b.example:user@example.org>", 0, "user@example.org", "user@example.org", 0},
    {"<\"user@example.org\"@example.com>", 0, "user@example.org@example.com",
     "\"user@example.org\"@example.com", 0},
    {"<\"a b\"@example.com> NOTIFY=NEVER SIZE=10", 0, "a b@example.com", "\"a b\"@example.com", 2},
    {"<>", 0, "", "", 0},
    {"<user@[192.0.2.1]>", 0, "user@[192.0.2.1]", "user@[192.0.2.1]", 0},
    {"<a b@example.com>", -2, NULL, NULL, 0},
    {"<user@example.com", -2, NULL, NULL, 0},
    {"", -1, NULL, NULL, 0},
};

START_TEST(test_addr_paths)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct addr_path p;
		int rc;

		addr_path_init(&p);
		rc = addr_parse_path(paths[i].text, 0, &p);
		ck_assert_msg(rc == paths[i].rc, "%s: got %d, want %d", paths[i].text, rc,
		              paths[i].rc);
		if (rc == 0) {
			ck_assert_str_eq(p.internal, paths[i].internal);
			ck_assert_str_eq(p.external, paths[i].external);
			ck_assert_uint_eq(p.params.n, paths[i].nparams);
		}
		addr_path_fini(&p);
	}
}
END_TEST

START_TEST(test_addr_helpers)
{
	ck_assert(addr_valid_hostname("mail.example.com"));
	ck_assert(!addr_valid_hostname("bad_helo!"));
	ck_assert(!addr_valid_hostname("1.2.3.4"));
	ck_assert(addr_valid_ip_literal("[192.0.2.1]"));
	ck_assert(addr_valid_ip_literal("[IPv6:::1]"));
	ck_assert(!addr_valid_ip_literal("[300.1.1.1]"));
	ck_assert_str_eq(addr_domain("a@b@c.example"), "c.example");
	ck_assert_ptr_null(addr_domain("local"));
}
END_TEST

START_TEST(test_match_lists)
{
	struct cfg_strvec v;
	struct match_list *l;

	cfg_strvec_init(&v);
	cfg_strvec_add(&v, "example.com");
	cfg_strvec_add(&v, ".sub.example.net");
	cfg_strvec_add(&v, "!bad.example.org");
	cfg_strvec_add(&v, "example.org");
	l = match_list_new("relay_domains", &v, MATCH_PARENT);
	ck_assert_int_eq(match_domain(l, "example.com"), 1);
	ck_assert_int_eq(match_domain(l, "EXAMPLE.COM."), 1);
	ck_assert_int_eq(match_domain(l, "x.example.com"), 1); /* parent style */
	ck_assert_int_eq(match_domain(l, "a.sub.example.net"), 1);
	ck_assert_int_eq(match_domain(l, "sub.example.net"), 0);
	ck_assert_int_eq(match_domain(l, "bad.example.org"), 0); /* negation wins first */
	ck_assert_int_eq(match_domain(l, "good.example.org"), 1);
	ck_assert_int_eq(match_domain(l, "example.net"), 0);
	match_list_free(l);
	l = match_list_new("mydestination", &v, 0);
	ck_assert_int_eq(match_domain(l, "x.example.com"), 0); /* no parent matching */
	match_list_free(l);
	cfg_strvec_clear(&v);
	cfg_strvec_add(&v, "192.0.2.0/24");
	cfg_strvec_add(&v, "[2001:db8::]/32");
	cfg_strvec_add(&v, "127.0.0.1");
	l = match_list_new("mynetworks", &v, MATCH_HOSTS);
	ck_assert_int_eq(match_host(l, "unknown", "192.0.2.77"), 1);
	ck_assert_int_eq(match_host(l, "unknown", "192.0.3.1"), 0);
	ck_assert_int_eq(match_host(l, "unknown", "2001:db8::5"), 1);
	ck_assert_int_eq(match_host(l, "localhost", "127.0.0.1"), 1);
	ck_assert_int_eq(match_host(l, "localhost", "127.0.0.2"), 0);
	match_list_free(l);
	cfg_strvec_fini(&v);
}
END_TEST

START_TEST(test_ipc_messages)
{
	int sv[2];
	struct mta_stream a, b;
	struct cfg_strvec out, in;
	struct cfg_buf data;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	mta_stream_init(&a, sv[0], 5);
	mta_stream_init(&b, sv[1], 5);
	cfg_strvec_init(&out);
	cfg_strvec_init(&in);
	ipc_add(&out, "queue_id", "%s", "ABC123");
	ipc_add(&out, "text", "%s", "line\nwith=equals");
	ipc_queue(&a, &out);
	ipc_chunk(&a, "hello\n", 6);
	ipc_chunk(&a, "", 0);
	ck_assert_int_eq(mta_stream_flush(&a), 0);
	ck_assert_int_eq(ipc_recv(&b, &in), 0);
	ck_assert_str_eq(ipc_get(&in, "queue_id"), "ABC123");
	ck_assert_str_eq(ipc_get(&in, "text"), "line\nwith=equals");
	cfg_buf_init(&data);
	ck_assert_int_eq(ipc_recv_chunk(&b, &data), 6);
	ck_assert_int_eq(ipc_recv_chunk(&b, &data), 0);
	ck_assert_str_eq(data.data, "hello\n");
	close(sv[0]);
	ck_assert_int_eq(ipc_recv(&b, &in), -1); /* peer gone */
	cfg_buf_fini(&data);
	cfg_strvec_fini(&out);
	cfg_strvec_fini(&in);
	mta_stream_fini(&a);
	mta_stream_fini(&b);
	close(sv[1]);
}
END_TEST

/* resolution rows: address -> class, transport, routed flag, rewritten recipient */
static const struct {
	const char *addr;
	enum rslv_class cls;
	const char *transport;
	unsigned routed;
	const char *recipient;
} rows[] = {
    {"nobody@example.com", RSLV_LOCAL, "local", 0, "nobody@example.com"},
    {"nobody", RSLV_LOCAL, "local", 0, "nobody@mail.example.com"},
    {"user%example.org@example.com", RSLV_DEFAULT, "smtp", 0, "user@example.org"},
    {"example.org!user@example.com", RSLV_DEFAULT, "smtp", 0, "user@example.org"},
    {"user@example.org@example.com", RSLV_DEFAULT, "smtp", 0, "user@example.org"},
    {"user%other.example@relay.example", RSLV_RELAY, "relay", RSLV_F_ROUTED,
     "user%other.example@relay.example"},
    {"user@sub.relay.example", RSLV_RELAY, "relay", 0, "user@sub.relay.example"},
    {"user@example.org.", RSLV_DEFAULT, "smtp", 0, "user@example.org"},
    {"user@[127.0.0.1]", RSLV_LOCAL, "local", 0, "user@[127.0.0.1]"},
    {"user@[192.0.2.1]", RSLV_DEFAULT, "smtp", 0, "user@[192.0.2.1]"},
};

START_TEST(test_resolve)
{
	char main_cf[256], master_cf[256];
	FILE *f;
	struct mta_conf c;
	struct cfg_buf why;
	struct rslv *r;

	snprintf(main_cf, sizeof(main_cf), "%s/main.cf", tmpdir);
	snprintf(master_cf, sizeof(master_cf), "%s/master.cf", tmpdir);
	f = fopen(main_cf, "w");
	fprintf(f,
	        "compatibility_level = 3.6\nmyhostname = mail.example.com\nmydomain = example.com\n"
	        "mydestination = $myhostname, localhost, $mydomain\ninet_interfaces = 127.0.0.1\n"
	        "relay_domains = relay.example\n");
	fclose(f);
	f = fopen(master_cf, "w");
	fclose(f);
	cfg_buf_init(&why);
	ck_assert_msg(mta_conf_try(&c, tmpdir, NULL, NULL, &why) == 0, "%s", why.data);
	r = rslv_new(&c);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rslv_result res;

		rslv_result_init(&res);
		ck_assert_int_eq(rslv_resolve(r, rows[i].addr, &res), 0);
		ck_assert_msg(res.cls == rows[i].cls, "%s: class %d, want %d", rows[i].addr,
		              res.cls, rows[i].cls);
		ck_assert_str_eq(res.transport.data, rows[i].transport);
		ck_assert_msg((res.flags & RSLV_F_ROUTED) == rows[i].routed, "%s: routed",
		              rows[i].addr);
		ck_assert_str_eq(res.recipient.data, rows[i].recipient);
		rslv_result_fini(&res);
	}
	rslv_free(r);
	mta_conf_close(&c);
	cfg_buf_fini(&why);
}
END_TEST

/* open_conf - a configuration in tmpdir with main_text as main.cf */
static void open_conf(struct mta_conf *c, const char *main_text)
{
	char path[256];
	struct cfg_buf why;
	FILE *f;

	snprintf(path, sizeof(path), "%s/main.cf", tmpdir);
	f = fopen(path, "w");
	fputs(main_text, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/master.cf", tmpdir);
	fclose(fopen(path, "w"));
	cfg_buf_init(&why);
	ck_assert_msg(mta_conf_try(c, tmpdir, NULL, NULL, &why) == 0, "%s", why.data);
	cfg_buf_fini(&why);
}

/* settings are read by id, each in the C type the registry's type calls for */
START_TEST(test_conf_by_id)
{
	struct mta_conf c;
	const char *host = "";
	int vrfy = 0;
	long size = 0, delay = 0;
	struct cfg_strvec classes;
	struct mta_setting tab[] = {
	    MTA_SET(CFG_P_myhostname, &host),         MTA_SET(CFG_P_disable_vrfy_command, &vrfy),
	    MTA_SET(CFG_P_message_size_limit, &size), MTA_SET(CFG_P_maximal_queue_lifetime, &delay),
	    MTA_SET(CFG_P_notify_classes, &classes),  MTA_SETTINGS_END,
	};

	ck_assert_int_eq(mta_conf_kind(CFG_P_notify_classes), MTA_KIND_LIST);
	ck_assert_int_eq(mta_conf_kind(CFG_P_inet_interfaces), MTA_KIND_LIST);
	ck_assert_int_eq(mta_conf_kind(CFG_P_maximal_queue_lifetime), MTA_KIND_TIME);
	ck_assert_int_eq(mta_conf_kind(CFG_P_myorigin), MTA_KIND_STR);
	ck_assert_int_eq(mta_conf_id("smtp_helo_name"), CFG_P_smtp_helo_name);
	cfg_strvec_init(&classes);
	open_conf(&c, "myhostname = mx.example\ndisable_vrfy_command = yes\n"
	              "message_size_limit = 2048\nmaximal_queue_lifetime = 2h\n"
	              "notify_classes = bounce, 2bounce resource\n");
	mta_conf_get(&c, tab);
	ck_assert_str_eq(host, "mx.example");
	ck_assert_int_eq(vrfy, 1);
	ck_assert_int_eq(size, 2048);
	ck_assert_int_eq(delay, 7200);
	ck_assert_int_eq((long)classes.n, 3);
	ck_assert_str_eq(classes.v[1], "2bounce");
	ck_assert_str_eq(mta_conf_text(&c, CFG_P_notify_classes), "bounce, 2bounce resource");
	ck_assert_int_eq(mta_conf_time(&c, CFG_P_maximal_queue_lifetime), 7200);
	cfg_strvec_fini(&classes);
	mta_conf_close(&c);
}
END_TEST

/* a variable of the wrong C type for the registry's type stops the daemon */
START_TEST(test_conf_wrong_type_is_fatal)
{
	struct mta_conf c;
	const char *classes = "";
	struct mta_setting tab[] = {MTA_SET(CFG_P_notify_classes, &classes), MTA_SETTINGS_END};

	open_conf(&c, "notify_classes = bounce\n");
	mta_conf_get(&c, tab);
}
END_TEST

/* mta_suite - the suite */
static Suite *mta_suite(void)
{
	Suite *s = suite_create("mta");
	TCase *tc = tcase_create("common");

	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_qfile_roundtrip);
	tcase_add_test(tc, test_qfile_unsealed_is_refused);
	tcase_add_test(tc, test_qfile_claim);
	tcase_add_test(tc, test_qfile_message_size);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_addr_paths);
	tcase_add_test(tc, test_addr_helpers);
	tcase_add_test(tc, test_match_lists);
	tcase_add_test(tc, test_ipc_messages);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_conf_by_id);
	tcase_add_exit_test(tc, test_conf_wrong_type_is_fatal, 1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mta_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
