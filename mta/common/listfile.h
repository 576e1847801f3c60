/*
 * listfile.h - reading a user's list file (.forward) the way local(8) may
 *
 * A .forward belongs to its user: it is looked at and read with that
 * user's rights, never root's, and only if it is safe to trust:
 *  - a regular file (no FIFO, device or directory), reached without
 *    following a symbolic link in the last component;
 *  - owned by root or by the user;
 *  - not writable by everyone.
 * local(8) applies the rules while delivering; `postfix route` applies the
 * same ones before it shows what a .forward says, so an administrator who
 * runs it as root is never shown a file the user could not read.
 */
#ifndef MTA_LISTFILE_H
#define MTA_LISTFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "cfg/base/buf.h"

/*
 * listfile_unsafe - why a user's list file described by st must be ignored,
 * in Postfix's warning words ("file F is not a regular file", "file F has
 * bad owner uid N", "file F is world writable"), into why; 1 if unsafe, else 0
 */
int listfile_unsafe(const char *path, const struct stat *st, uid_t uid, struct cfg_buf *why);

/*
 * listfile_read_as - in a child process that becomes uid/gid for good (when
 * the caller is root; as the caller otherwise), lstat path, apply
 * listfile_unsafe and read the file without following a link.  1 with the
 * text in out, 0 if there is no such file, -1 with the reason in why.
 */
int listfile_read_as(const char *path, uid_t uid, gid_t gid, struct cfg_buf *out,
                     struct cfg_buf *why);

#endif
