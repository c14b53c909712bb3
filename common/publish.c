/* h2k: publish files atomically. */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "publish.h"

int
h2k_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0) {
    ssize_t r = write (fd, p, len);

    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += r;
    len -= r;
  }
  return 0;
}

int
h2k_fsync_parent (const char *path)
{
  CLEANUP_FREE char *copy = strdup (path);
  CLEANUP_CLOSE int fd = -1;
  const char *dir;

  if (copy == NULL) {
    h2k_error ("strdup: %m");
    return -1;
  }
  dir = dirname (copy);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1 || fsync (fd) == -1) {
    h2k_error ("%s: fsync directory: %m", dir);
    return -1;
  }
  return 0;
}

int
h2k_mkdir_p (const char *path)
{
  CLEANUP_FREE char *copy = strdup (path);

  if (copy == NULL) {
    h2k_error ("strdup: %m");
    return -1;
  }
  for (char *p = copy + 1; ; ++p) {
    if (*p != '/' && *p != '\0')
      continue;
    char c = *p;
    *p = '\0';
    if (mkdir (copy, 0755) == -1 && errno != EEXIST) {
      h2k_error ("%s: mkdir: %m", copy);
      return -1;
    }
    *p = c;
    if (c == '\0')
      break;
  }
  return 0;
}

int
h2k_publish_begin (const char *dest, struct h2k_publish *p)
{
  CLEANUP_FREE char *d1 = strdup (dest), *d2 = strdup (dest);

  p->fd = -1;
  p->tmp = NULL;
  p->dest = NULL;
  if (d1 == NULL || d2 == NULL ||
      asprintf (&p->tmp, "%s/.%s.h2k-XXXXXX", dirname (d1), basename (d2)) == -1) {
    p->tmp = NULL;
    h2k_error ("%s: %m", dest);
    return -1;
  }
  p->fd = mkostemp (p->tmp, O_CLOEXEC);
  if (p->fd == -1) {
    h2k_error ("%s: cannot create temporary file: %m", p->tmp);
    free (p->tmp);
    p->tmp = NULL;
    return -1;
  }
  /* mkostemp makes 0600; outputs are ordinary files. */
  mode_t mask = umask (0);
  umask (mask);
  if (fchmod (p->fd, 0644 & ~mask) == -1 || (p->dest = strdup (dest)) == NULL) {
    h2k_error ("%s: %m", p->tmp);
    h2k_publish_abort (p);
    return -1;
  }
  return 0;
}

int
h2k_publish_commit (struct h2k_publish *p)
{
  if (p->fd == -1)
    p->fd = open (p->tmp, O_RDONLY | O_CLOEXEC);
  if (p->fd == -1 || fsync (p->fd) == -1) {
    h2k_error ("%s: fsync: %m", p->tmp);
    goto fail;
  }
  if (close (p->fd) == -1) {
    p->fd = -1;
    h2k_error ("%s: close: %m", p->tmp);
    goto fail;
  }
  p->fd = -1;
  if (rename (p->tmp, p->dest) == -1) {
    h2k_error ("%s: rename to %s: %m", p->tmp, p->dest);
    goto fail;
  }
  free (p->tmp);
  p->tmp = NULL;
  if (h2k_fsync_parent (p->dest) == -1)
    goto fail;
  free (p->dest);
  p->dest = NULL;
  return 0;
 fail:
  h2k_publish_abort (p);
  return -1;
}

void
h2k_publish_abort (struct h2k_publish *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  if (p->tmp)
    unlink (p->tmp);
  free (p->tmp);
  free (p->dest);
  p->tmp = p->dest = NULL;
}

int
h2k_publish_buffer (const char *dest, const void *buf, size_t len)
{
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;

  if (h2k_publish_begin (dest, &p) == -1)
    return -1;
  if (h2k_write_all (p.fd, buf, len) == -1) {
    h2k_error ("%s: write: %m", p.tmp);
    return -1;
  }
  return h2k_publish_commit (&p);
}
