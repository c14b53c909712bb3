/* h2k: human-readable sizes. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

static const char units[] = "KMGTPE";

char *
h2k_human_size (char *buf, uint64_t bytes)
{
  int i = -1;
  double v = bytes;

  if (buf == NULL && (buf = malloc (H2K_HUMAN_SIZE_LEN)) == NULL)
    return NULL;
  if (bytes < 1024) {
    snprintf (buf, H2K_HUMAN_SIZE_LEN, "%" PRIu64, bytes);
    return buf;
  }
  while (v >= 1024 && i < 5) {
    v /= 1024;
    i++;
  }
  /* Rounding can carry to 1024.0: show 1.0 of the next unit instead. */
  if (v >= 1023.95 && i < 5) {
    v /= 1024;
    i++;
  }
  snprintf (buf, H2K_HUMAN_SIZE_LEN, "%.1f%c", v, units[i]);
  return buf;
}

int
h2k_parse_size (const char *s, uint64_t *bytes)
{
  char *end;
  double frac = 0;
  uint64_t whole, mult = 1;
  const char *u;

  if (!isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  whole = strtoull (s, &end, 10);
  if (errno)
    return -1;
  if (*end == '.') {
    char *fend;
    frac = strtod (end, &fend);
    if (fend == end + 1)
      return -1;
    end = fend;
  }
  if (*end != '\0') {
    u = strchr (units, toupper ((unsigned char) *end));
    if (u == NULL)
      return -1;
    for (int i = 0; i <= u - units; ++i)
      mult *= 1024;
    end++;
    if (strcmp (end, "") && strcmp (end, "B") && strcmp (end, "iB"))
      return -1;
  }
  else if (frac != 0)
    return -1;
  if (whole > UINT64_MAX / mult)
    return -1;
  *bytes = whole * mult + (uint64_t) (frac * mult);
  return 0;
}
