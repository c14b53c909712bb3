/* h2k-fetch: the virtual hardware version, one value for every source. */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"

/* N from "vmx-N" (N decimal, 1 to FETCH_MAX_VMX_HW), else 0. */
static unsigned
vmx_number (const char *s, size_t len)
{
  char buf[16];
  char *end;
  unsigned long n;

  if (len < 5 || len >= sizeof buf || strncasecmp (s, "vmx-", 4) != 0 ||
      !isdigit ((unsigned char) s[4]))
    return 0;
  memcpy (buf, s, len);
  buf[len] = '\0';
  errno = 0;
  n = strtoul (buf + 4, &end, 10);
  if (errno || *end || n < 1 || n > FETCH_MAX_VMX_HW)
    return 0;
  return (unsigned) n;
}

int
fetch_hw_version (const char *list, char *buf, size_t size)
{
  const char *first = NULL;
  size_t first_len = 0;
  unsigned best = 0;

  for (const char *p = list; *p; ) {
    size_t n;

    p += strspn (p, " \t\r\n,");
    n = strcspn (p, " \t\r\n,");
    if (n == 0)
      break;
    if (first == NULL) {
      first = p;
      first_len = n;
    }
    if (vmx_number (p, n) > best)
      best = vmx_number (p, n);
    p += n;
  }
  if (best)
    return snprintf (buf, size, "vmx-%02u", best) < (int) size ? 0 : -1;
  if (first == NULL || first_len >= size)
    return -1;
  memcpy (buf, first, first_len);
  buf[first_len] = '\0';
  return 0;
}

int
fetch_vmx_hw_version (const char *version, char *buf, size_t size)
{
  char *end;
  unsigned long n;

  if (!isdigit ((unsigned char) version[0]))
    return -1;
  errno = 0;
  n = strtoul (version, &end, 10);
  if (errno || *end || n < 1 || n > FETCH_MAX_VMX_HW)
    return -1;
  return snprintf (buf, size, "vmx-%02lu", n) < (int) size ? 0 : -1;
}
