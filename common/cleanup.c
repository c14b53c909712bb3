/* h2k: cleanup attributes. */

#include <stdlib.h>
#include <unistd.h>

#include <archive.h>
#include <json-c/json.h>

#include "cleanup.h"

void
h2k_cleanup_free (void *ptr)
{
  free (*(void **) ptr);
}

void
h2k_free_strv (char **v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; v[i] != NULL; ++i)
    free (v[i]);
  free (v);
}

void
h2k_cleanup_free_strv (void *ptr)
{
  h2k_free_strv (*(char ***) ptr);
}

void
h2k_cleanup_fclose (void *ptr)
{
  FILE *fp = *(FILE **) ptr;

  if (fp)
    fclose (fp);
}

void
h2k_cleanup_close (void *ptr)
{
  int fd = *(int *) ptr;

  if (fd >= 0)
    close (fd);
}

void
h2k_cleanup_json (void *ptr)
{
  json_object_put (*(json_object **) ptr);
}

void
h2k_cleanup_unlink_free (void *ptr)
{
  char *path = *(char **) ptr;

  if (path) {
    unlink (path);
    free (path);
  }
}

void
h2k_cleanup_archive (void *ptr)
{
  struct archive *a = *(struct archive **) ptr;

  if (a)
    archive_read_free (a);
}
