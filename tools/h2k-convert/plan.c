/* h2k-convert: output file names. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"

#include "convert.h"

static int
safe_byte (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

char *
convert_safe_name (const char *s, const char *fallback)
{
  size_t n = strnlen (s, CONVERT_NAME_MAX);
  char *r;

  if (n == 0) {
    s = fallback;
    n = strnlen (fallback, CONVERT_NAME_MAX);
  }
  r = malloc (n + 1);
  if (r == NULL) {
    h2k_error ("malloc: %m");
    return NULL;
  }
  for (size_t i = 0; i < n; ++i)
    r[i] = safe_byte ((unsigned char) s[i]) ? s[i] : '_';
  r[n] = '\0';
  /* No hidden files, nothing that looks like an option. */
  if (r[0] == '.' || r[0] == '-')
    r[0] = '_';
  return r;
}

char *
convert_output_name (const char *vm_name, const char *disk_id,
                     const char *format)
{
  CLEANUP_FREE char *vm = convert_safe_name (vm_name, "vm");
  CLEANUP_FREE char *id = convert_safe_name (disk_id, "disk");
  char *r;

  if (vm == NULL || id == NULL)
    return NULL;
  if (asprintf (&r, "%s-%s.%s", vm, id, convert_format_ext (format)) == -1) {
    h2k_error ("asprintf: %m");
    return NULL;
  }
  return r;
}
