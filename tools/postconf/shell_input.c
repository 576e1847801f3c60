/*
 * shell_input.c - the terminal side of postconf --shell (GNU readline)
 *
 * readline's callback interface is used so that ^C can be handled in the
 * main loop (pselect() with SIGINT unblocked only while waiting), outside
 * the signal handler: it cancels the line being typed
 * (and a pending "discard?" question) and shows a fresh prompt.  ^D on an
 * empty line ends the input.  Completion knows the command names, parameter
 * names, the fixed values of a parameter's type (yes/no, enumeration
 * choices, table types "hash:", restriction names, master.cf services for
 * *_transport) and master.cf service names.  History lives in
 * $HOME/.postkit_history (1000 lines), only for terminal sessions.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cfg/base/strvec.h"
#include "cfg/base/xalloc.h"
#include "shell.h"

#define HISTORY_LINES 1000

static struct pcf_shell *cur; /* readline callbacks have no context pointer */
static volatile sig_atomic_t got_sigint;
static struct cfg_strvec cands;        /* candidates of the completion in progress */
static char word_breaks[] = " \t\n,="; /* list values complete word by word */

/* on_sigint - remember ^C; the main loop acts on it */
static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

/* generate - readline's generator over cands */
static char *generate(const char *text, int state)
{
	static size_t idx, len;

	if (state == 0) {
		idx = 0;
		len = strlen(text);
	}
	while (idx < cands.n) {
		const char *c = cands.v[idx++];

		if (strncmp(c, text, len) == 0)
			return cfg_xstrdup(c);
	}
	return NULL;
}

/* complete - choose candidates from the words before the cursor */
static char **complete(const char *text, int start, int end)
{
	struct cfg_strvec words;
	char *head = cfg_xstrndup(rl_line_buffer, (size_t)start);
	size_t i, nw;
	int all_colon = 1;

	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	cfg_strvec_clear(&cands);
	cfg_strvec_init(&words);
	cfg_strvec_split(&words, head, " \t");
	nw = words.n;
	if (nw == 0) {
		const char *const *c;

		for (c = pcf_shell_command_names(); *c != NULL; c++)
			cfg_strvec_add(&cands, *c);
	} else {
		switch (pcf_shell_command_arg(words.v[0])) {
		case PCF_ARG_PARAM:
			pcf_shell_param_names(cur, &cands);
			break;
		case PCF_ARG_SET:
			if (nw == 1 && (start == 0 || rl_line_buffer[start - 1] != '=')) {
				pcf_shell_param_names(cur, &cands);
			} else {
				char *name = cfg_xstrdup(words.v[1]);

				name[strcspn(name, "=")] = 0;
				pcf_shell_value_words(cur, name, &cands);
				free(name);
			}
			break;
		case PCF_ARG_EXPLAIN:
			if (nw == 1)
				pcf_shell_param_names(cur, &cands);
			else if (nw == 2)
				pcf_shell_service_names(cur, 1, &cands);
			break;
		case PCF_ARG_SERVICE:
			pcf_shell_service_names(cur, 1, &cands);
			break;
		case PCF_ARG_COMMAND: {
			const char *const *c;

			for (c = pcf_shell_command_names(); *c != NULL; c++)
				cfg_strvec_add(&cands, *c);
			break;
		}
		default:
			break;
		}
	}
	for (i = 0; i < cands.n && all_colon; i++)
		if (strncmp(cands.v[i], text, strlen(text)) == 0)
			all_colon = cands.v[i][strlen(cands.v[i]) - 1] == ':';
	rl_completion_append_character = cands.n > 0 && all_colon ? '\0' : ' ';
	cfg_strvec_fini(&words);
	free(head);
	return rl_completion_matches(text, generate);
}

/* on_line - a complete line (NULL at end of input) */
static void on_line(char *line)
{
	if (line == NULL) {
		fputc('\n', stdout);
		pcf_shell_eof(cur);
	} else {
		if (*line && !cur->confirm) {
			HIST_ENTRY *last = history_get(history_base + history_length - 1);

			if (last == NULL || strcmp(last->line, line) != 0)
				add_history(line);
		}
		pcf_shell_exec(cur, line);
		free(line);
	}
	if (cur->done)
		rl_callback_handler_remove(); /* no further prompt */
	else
		rl_set_prompt(pcf_shell_prompt(cur));
}

/* history_path - $HOME/.postkit_history, or NULL without a HOME (owned) */
static char *history_path(void)
{
	const char *home = getenv("HOME");

	return home != NULL && *home ? cfg_xasprintf("%s/.postkit_history", home) : NULL;
}

void pcf_shell_interactive(struct pcf_shell *sh)
{
	struct sigaction sa, old;
	sigset_t block, orig, waitmask;
	char *hist = history_path();

	cur = sh;
	cfg_strvec_init(&cands);
	rl_readline_name = "postconf";
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = word_breaks;
	rl_catch_signals = 0;
	using_history();
	if (hist != NULL)
		(void)read_history(hist);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: pselect() must see EINTR */
	sigaction(SIGINT, &sa, &old);
	/* SIGINT stays blocked except inside pselect(), so a ^C typed while a command runs is
	 * seen at the next wait instead of being lost between a check and the wait */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	waitmask = orig;
	sigdelset(&waitmask, SIGINT);
	rl_callback_handler_install(pcf_shell_prompt(sh), on_line);
	while (!sh->done) {
		fd_set fds;
		int n;

		FD_ZERO(&fds);
		FD_SET(STDIN_FILENO, &fds);
		n = pselect(STDIN_FILENO + 1, &fds, NULL, NULL, NULL, &waitmask);
		if (got_sigint) {
			/* ^C: drop the line (and a pending question), prompt again */
			got_sigint = 0;
			sh->confirm = 0;
			rl_free_line_state();
			rl_callback_sigcleanup();
			fputs("^C", stdout);
			rl_crlf();
			rl_replace_line("", 0);
			rl_set_prompt(pcf_shell_prompt(sh));
			rl_on_new_line();
			rl_redisplay();
			continue;
		}
		if (n < 0) {
			if (errno != EINTR)
				break;
			continue;
		}
		rl_callback_read_char();
	}
	if (!sh->done)
		rl_callback_handler_remove();
	sigprocmask(SIG_SETMASK, &orig, NULL);
	sigaction(SIGINT, &old, NULL);
	if (hist != NULL) {
		(void)write_history(hist);
		(void)history_truncate_file(hist, HISTORY_LINES);
	}
	free(hist);
	cfg_strvec_fini(&cands);
	cur = NULL;
}
