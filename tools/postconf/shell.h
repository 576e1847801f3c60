/*
 * shell.h - state of postconf --shell, shared by shell.c (commands) and
 * shell_input.c (GNU readline: prompt, completion, history, ^C).
 *
 * Pending changes are kept as a list of operations (set NAME VALUE, unset
 * NAME) on top of main.cf as it was read; "diff" shows them applied to
 * that text, "write" replays them on the file as it is at that moment
 * (under its lock), so a concurrent edit of another setting is never lost.
 */
#ifndef POSTCONF_SHELL_H
#define POSTCONF_SHELL_H

#include <stddef.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/config/effective.h"
#include "cfg/base/strvec.h"

struct pcf_shell {
	const char *dir;        /* configuration directory */
	char *main_path;        /* DIR/main.cf */
	struct cfg_config *cfg; /* as loaded at start or after the last write */
	struct cfg_buf text;    /* main.cf bytes as read then */
	char **pnames;          /* pending operations, in order: name and value */
	char **pvalues;         /* (value NULL: unset) */
	size_t npend;
	int tty;         /* stdin is a terminal: readline, prompts, questions */
	unsigned lineno; /* input line number, for messages when not a tty */
	int failed;      /* a command failed (exit status 1 when not a tty) */
	int done;        /* leave the command loop */
	int confirm;     /* the next line answers "discard unwritten changes?" */
};

/* pcf_shell_exec - run one input line */
void pcf_shell_exec(struct pcf_shell *sh, const char *line);
/* pcf_shell_eof - end of input (^D): like quit, without the shell's "quit!" */
void pcf_shell_eof(struct pcf_shell *sh);
/* pcf_shell_prompt - the prompt for the next line */
const char *pcf_shell_prompt(const struct pcf_shell *sh);

/* completion support: what a command's arguments are */
enum pcf_shell_arg {
	PCF_ARG_NONE = 0,
	PCF_ARG_PARAM,   /* a parameter name */
	PCF_ARG_SET,     /* a parameter name, then a value of its type */
	PCF_ARG_SERVICE, /* a master.cf service name or name/type */
	PCF_ARG_EXPLAIN, /* a parameter name, then a service */
	PCF_ARG_COMMAND, /* a command name (help) */
	PCF_ARG_WORD,    /* free text */
};
/* pcf_shell_command_names - NULL-terminated list of command names */
const char *const *pcf_shell_command_names(void);
/* pcf_shell_command_arg - the argument kind of a command, PCF_ARG_NONE if unknown */
enum pcf_shell_arg pcf_shell_command_arg(const char *cmd);
/* pcf_shell_param_names - every parameter name the shell knows, sorted (appended) */
void pcf_shell_param_names(const struct pcf_shell *sh, struct cfg_strvec *out);
/* pcf_shell_value_words - candidate values for a parameter (appended); *no_space for "hash:" */
void pcf_shell_value_words(const struct pcf_shell *sh, const char *name, struct cfg_strvec *out);
/* pcf_shell_service_names - "name" and "name/type" of every master.cf entry (appended) */
void pcf_shell_service_names(const struct pcf_shell *sh, int with_type, struct cfg_strvec *out);

/* pcf_shell_interactive - the readline loop (shell_input.c) */
void pcf_shell_interactive(struct pcf_shell *sh);

/* The shell's own files share these (shell.c, shell_check.c) */
/* pcf_shell_say - a message about the current line: "error: ..." (stdin:N: first when scripted) */
void pcf_shell_say(struct pcf_shell *sh, const char *sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* pcf_shell_apply - main.cf text with the pending operations applied (warnings to ds) */
int pcf_shell_apply(struct pcf_shell *sh, const char *text, size_t len, struct cfg_buf *out,
                    struct cfg_diags *ds);
/* pcf_shell_cmd_check / pcf_shell_cmd_diff - the "check" and "diff" commands */
void pcf_shell_cmd_check(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest);
void pcf_shell_cmd_diff(struct pcf_shell *sh, struct cfg_strvec *av, const char *rest);

#endif
