/*
 * local_token.h - the destinations listed in an alias value, :include: file or .forward file
 *
 * Text in, a list of destinations out, and nothing else: no files, no
 * lookups, no privileges, so a fuzzer can drive it (tests/fuzz/fuzz_local.c).
 * The grammar is Postfix's: the text is read as an RFC 822 address list
 * (quoted strings, backslash escapes, (comments), <route> brackets,
 * "group: a, b;" lists; missing commas between words are supplied), each
 * address is taken in its unquoted (internal) form, and its first
 * characters say what it is:
 *
 *   /path            LOCAL_FILE     append to a file ("/path/" is a Maildir)
 *   ~/path           LOCAL_HOME     the same, relative to the home directory
 *   |command         LOCAL_COMMAND  pipe into a shell command (text after '|')
 *   :include:/path   LOCAL_INCLUDE  more destinations from a file (text: the path)
 *   anything else    LOCAL_ADDR     a mail address
 *
 * So, unquoted, |/bin/echo a b is three destinations (the command
 * "/bin/echo" and the users a and b) and |id > /tmp/f is the command "id"
 * and the file "/tmp/f", exactly as Postfix reads them; "|/bin/echo a b"
 * in quotes is one command.  A backslash only escapes the next character
 * (\user is the same as user).
 */
#ifndef LOCAL_TOKEN_H
#define LOCAL_TOKEN_H

#include <stddef.h>

enum local_kind { LOCAL_ADDR, LOCAL_FILE, LOCAL_HOME, LOCAL_COMMAND, LOCAL_INCLUDE };

struct local_dest {
	enum local_kind kind;
	char *text; /* owned; never NULL, may be empty for LOCAL_ADDR */
};

struct local_dests {
	struct local_dest *v;
	size_t n;
};

/* local_dests_init / local_dests_fini - an empty list / release it */
void local_dests_init(struct local_dests *d);
void local_dests_fini(struct local_dests *d);

/* local_parse_list - append the destinations of one list (an alias value); a NUL ends the text */
void local_parse_list(const char *text, size_t len, struct local_dests *out);

/*
 * local_parse_file - the same for a file, read as Postfix reads one: line
 * by line, a line longer than line_limit bytes is taken in pieces of that
 * size, and a line (or piece) that starts with '#' is skipped.
 */
void local_parse_file(const char *text, size_t len, size_t line_limit, struct local_dests *out);

#endif
