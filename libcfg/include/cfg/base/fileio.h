/*
 * fileio.h - whole-file reads and atomic replacement
 *
 * cfg_file_replace() is the only way postkit writes a configuration or table
 * file: the new bytes go to a temporary file in the same directory, which is
 * fsync()ed, given the old file's mode and owner, and rename()d over the
 * target; the directory is fsync()ed too.  A reader sees the old file or the
 * new one, never a mix, and a failure leaves the old file untouched.
 */
#ifndef CFG_FILEIO_H
#define CFG_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"

/*
 * cfg_file_read - read a whole file into out (appended).  Returns 0, or -1
 * with errno set and a diagnostic "open PATH: STRERROR" (code "file-open")
 * or "read PATH: STRERROR" (code "file-read").
 */
int cfg_file_read(const char *path, struct cfg_buf *out, struct cfg_diags *diags);
/*
 * cfg_file_replace - atomically replace path with data[0..len).  When path
 * exists its mode and owner are kept; otherwise mode is used.  Returns 0 or
 * -1 with a diagnostic (code "file-write").
 */
int cfg_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                     struct cfg_diags *diags);
/*
 * cfg_file_lock - take an exclusive flock() on path itself, waiting for it.
 * Because cfg_file_replace() renames a new inode into place, the lock is
 * retried until the locked descriptor is still the file at path.  Returns a
 * descriptor for cfg_file_unlock() or -1 with a diagnostic.  Serialises
 * read-modify-write cycles across processes (postconf -e racing postconf -e):
 * lock, read, edit, replace, unlock.
 */
int cfg_file_lock(const char *path, struct cfg_diags *diags);
/* cfg_file_unlock - release a lock from cfg_file_lock(); -1 is a no-op */
void cfg_file_unlock(int fd);

#endif
