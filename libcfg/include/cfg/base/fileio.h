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

/*
 * The read-modify-write cycle of a configuration file, written once for
 * postconf -e/-X/-#/-M..., the shell's "write" and --import:
 *   cfg_file_begin()  lock the file and read it (text holds its bytes);
 *   ...               the caller computes the new text from t.text;
 *   cfg_file_commit() replace it atomically (mode kept, else `mode');
 *   cfg_file_end()    unlock and release, whatever happened before.
 * Between begin and end no other postkit writer can change the file.
 */
struct cfg_file_txn {
	char *path;
	int fd;              /* the lock, -1 when none */
	int exists;          /* the file existed at begin */
	struct cfg_buf text; /* its bytes at begin ("" when it did not exist) */
};
/* CFG_FILE_MAY_BE_MISSING - begin succeeds on a missing file (exists = 0, nothing locked) */
#define CFG_FILE_MAY_BE_MISSING 0x1u
/* cfg_file_begin - lock and read path; 0, or -1 with a diagnostic (t is ready for end) */
int cfg_file_begin(struct cfg_file_txn *t, const char *path, unsigned flags,
                   struct cfg_diags *diags);
/* cfg_file_commit - replace the file with data[0..len); 0 or -1 with a diagnostic */
int cfg_file_commit(struct cfg_file_txn *t, const void *data, size_t len, mode_t mode,
                    struct cfg_diags *diags);
/* cfg_file_end - unlock and release (a zeroed or already ended txn is fine) */
void cfg_file_end(struct cfg_file_txn *t);

#endif
