/* mailq.c - postqueue's formats of the queue report (see mailq.h) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipc.h"
#include "mailq.h"

/* the column layout of Postfix's mailq with short queue IDs */
#define HEAD_FORMAT "%-11s %7s %-20s %s\n"
#define SENDER_FORMAT "%-11s %7lld %20.20s %s\n"

void mailq_init(struct mailq *mq, int json)
{
	memset(mq, 0, sizeof(*mq));
	mq->json = json;
	cfg_buf_init(&mq->out);
}

void mailq_fini(struct mailq *mq)
{
	cfg_buf_fini(&mq->out);
}

/* emit - write the buffered output; 0, or -2 when stdout failed */
static int emit(struct mailq *mq, struct cfg_buf *why)
{
	if (!mq->stopped && mq->out.len
	    && (fwrite(mq->out.data, 1, mq->out.len, stdout) != mq->out.len
	        || fflush(stdout) != 0)) {
		mq->stopped = 1;
		/* a reader that went away (mailq | head) is no error */
		if (errno != EPIPE) {
			cfg_buf_printf(why, "output write error: %s", strerror(errno));
			return -2;
		}
	}
	cfg_buf_reset(&mq->out);
	return 0;
}

/* utf8_len - the length of a valid UTF-8 sequence at p, or 0 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = *p >= 0xf5 ? 0 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * json_string - "text" as Postfix's postqueue quotes it: short escapes for
 * \b \f \n \r \t, \uXXXX for other controls and DEL, \\ and \", then
 * anything that is not valid UTF-8 as '?'
 */
static void json_string(struct cfg_buf *out, const char *text)
{
	cfg_buf_addc(out, '"');
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		static const char shorts[] = "\bb\ff\nn\rr\tt";
		const char *s;
		size_t n;

		if (*p < 0x20 || *p == 0x7f) {
			if (*p && (s = strchr(shorts, *p)) != NULL && (s - shorts) % 2 == 0)
				cfg_buf_printf(out, "\\%c", s[1]);
			else
				cfg_buf_printf(out, "\\u%04X", *p);
		} else if (*p == '\\' || *p == '"') {
			cfg_buf_addc(out, '\\');
			cfg_buf_addc(out, *p);
		} else if (*p < 0x80) {
			cfg_buf_addc(out, *p);
		} else if ((n = utf8_len(p)) > 0) {
			cfg_buf_add(out, p, n);
			p += n - 1;
		} else {
			cfg_buf_addc(out, '?');
		}
	}
	cfg_buf_addc(out, '"');
}

/* json_message - one message as one JSON object on one line */
static void json_message(struct mailq *mq, const struct cfg_strvec *msg, long long arrival,
                         long long size, int forced)
{
	struct cfg_buf *o = &mq->out;
	int n = 0;

	cfg_buf_adds(o, "{\"queue_name\": ");
	json_string(o, ipc_get(msg, "queue_name"));
	cfg_buf_adds(o, ", \"queue_id\": ");
	json_string(o, ipc_get(msg, "queue_id"));
	cfg_buf_printf(o, ", \"arrival_time\": %lld, \"message_size\": %lld, \"forced_expire\": %s",
	               arrival, size, forced ? "true" : "false");
	cfg_buf_adds(o, ", \"sender\": ");
	json_string(o, ipc_get(msg, "sender"));
	cfg_buf_adds(o, ", \"recipients\": [");
	for (size_t i = 0; i + 1 < msg->n; i++) {
		if (strncmp(msg->v[i], "recipient=", 10) != 0)
			continue;
		cfg_buf_adds(o, n++ ? ", {\"address\": " : "{\"address\": ");
		json_string(o, msg->v[i] + 10);
		if (msg->v[i + 1][7] != '\0') {
			cfg_buf_adds(o, ", \"delay_reason\": ");
			json_string(o, msg->v[i + 1] + 7);
		}
		cfg_buf_addc(o, '}');
	}
	cfg_buf_adds(o, "]}\n");
}

/* text_message - one message in the mailq format */
static void text_message(struct mailq *mq, const struct cfg_strvec *msg, long long arrival,
                         long long size, int forced)
{
	const char *queue = ipc_get(msg, "queue_name");
	const char *saved = "";
	char id[64], when[32];
	time_t t = (time_t)arrival;
	struct tm tm;

	if (mq->count == 0)
		cfg_buf_printf(&mq->out, HEAD_FORMAT, "-Queue ID-", "--Size--",
		               "----Arrival Time----", "-Sender/Recipient-------");
	else
		cfg_buf_addc(&mq->out, '\n');
	snprintf(id, sizeof(id), "%s%s%s", ipc_get(msg, "queue_id"),
	         strcmp(queue, "active") == 0 ? "*"
	         : strcmp(queue, "hold") == 0 ? "!"
	                                      : "",
	         forced ? "#" : "");
	if (localtime_r(&t, &tm) == NULL || asctime_r(&tm, when) == NULL)
		snprintf(when, sizeof(when), "??");
	cfg_buf_printf(&mq->out, SENDER_FORMAT, id, size, when, ipc_get(msg, "sender"));
	for (size_t i = 0; i + 1 < msg->n; i++) {
		const char *why;

		if (strncmp(msg->v[i], "recipient=", 10) != 0)
			continue;
		/* a reason line where the reason changes, as Postfix prints it */
		why = msg->v[i + 1] + 7;
		if (strcmp(saved, why) != 0) {
			const char *show = *why ? why : "reason unavailable";
			int pad = 76 - (int)strlen(show);

			saved = why;
			cfg_buf_printf(&mq->out, "%*s(%s)\n", pad < 0 ? 0 : pad, "", show);
		}
		cfg_buf_printf(&mq->out, HEAD_FORMAT, "", "", "", msg->v[i] + 10);
	}
}

/* well_formed - the attributes every message has, each recipient followed by its reason */
static int well_formed(const struct cfg_strvec *msg)
{
	static const char *const need[] = {"queue_name", "queue_id",      "time",
	                                   "size",       "forced_expire", "sender"};

	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
		if (ipc_get(msg, need[k]) == NULL)
			return 0;
	for (size_t i = 0; i < msg->n; i++)
		if (strncmp(msg->v[i], "recipient=", 10) == 0
		    && (i + 1 == msg->n || strncmp(msg->v[i + 1], "reason=", 7) != 0))
			return 0;
	return 1;
}

int mailq_message(struct mailq *mq, const struct cfg_strvec *msg, struct cfg_buf *why)
{
	long long arrival, size;
	int forced;

	if (!well_formed(msg)) {
		cfg_buf_adds(why, "malformed showq server response");
		return -1;
	}
	arrival = strtoll(ipc_get(msg, "time"), NULL, 10);
	size = strtoll(ipc_get(msg, "size"), NULL, 10);
	forced = strcmp(ipc_get(msg, "forced_expire"), "0") != 0;
	if (mq->json)
		json_message(mq, msg, arrival, size, forced);
	else
		text_message(mq, msg, arrival, size, forced);
	mq->count++;
	mq->bytes += size > 0 ? (unsigned long long)size : 0;
	return emit(mq, why);
}

int mailq_finish(struct mailq *mq, struct cfg_buf *why)
{
	if (mq->json)
		return emit(mq, why);
	if (mq->count == 0)
		cfg_buf_adds(&mq->out, "Mail queue is empty\n");
	else
		cfg_buf_printf(&mq->out, "\n-- %llu Kbytes in %lu Request%s.\n", mq->bytes / 1024,
		               mq->count, mq->count == 1 ? "" : "s");
	return emit(mq, why);
}
