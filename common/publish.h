/* h2k: publish files atomically.
 *
 * A file is written under a temporary name in its target directory, then
 * fsync'd, renamed over the final name and the directory fsync'd, so that a
 * reader sees either nothing or the whole file, even after a crash.
 *
 *   struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
 *   if (h2k_publish_begin ("/out/disk.qcow2", &p) == -1) return -1;
 *   ... write p.fd, or let a command write p.tmp ...
 *   if (h2k_publish_commit (&p) == -1) return -1;
 *
 * Until commit succeeds, the cleanup (h2k_publish_abort) removes the
 * temporary file.
 */
#ifndef H2K_PUBLISH_H
#define H2K_PUBLISH_H

#include <stddef.h>

struct h2k_publish {
  char *tmp;                    /* temporary path, in the same directory */
  char *dest;                   /* final path */
  int fd;                       /* open for writing on tmp, or -1 */
};

#define H2K_PUBLISH_INIT { NULL, NULL, -1 }

/* Create the temporary file "DIR/.NAME.h2k-XXXXXX" (mode 0644 less umask).
 * Returns 0, or -1 reported.
 */
int h2k_publish_begin (const char *dest, struct h2k_publish *p);

/* fsync the temporary file (reopening it by name if p->fd was closed, as
 * after a command wrote it), rename it to dest, fsync the directory.
 * Returns 0, or -1 reported (the temporary file is then removed).
 */
int h2k_publish_commit (struct h2k_publish *p);

/* Close and remove the temporary file if it is still there; free. */
void h2k_publish_abort (struct h2k_publish *p);

#define CLEANUP_PUBLISH __attribute__((cleanup (h2k_publish_abort)))

/* Publish LEN bytes of BUF as DEST in one call. */
int h2k_publish_buffer (const char *dest, const void *buf, size_t len);

/* Write all of BUF to FD, retrying short writes.  -1 with errno set. */
int h2k_write_all (int fd, const void *buf, size_t len);

/* fsync the directory holding PATH.  -1 reported. */
int h2k_fsync_parent (const char *path);

/* mkdir -p, mode 0755.  -1 reported. */
int h2k_mkdir_p (const char *path);

#endif
