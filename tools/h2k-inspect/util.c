/* h2k-inspect: small helpers. */

#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "h2k.h"
#include "inspect.h"

int
guest_parse_file (guestfs_h *g, const char *path, parser_fn parse,
                  json_object *guest, const char *key)
{
  CLEANUP_FREE char *text = h2k_guest_read_text (g, path, 1 << 20);
  json_object *doc;

  if (text == NULL)
    return 0;
  doc = parse (text, strlen (text), path);
  if (doc == NULL)
    return -1;
  return h2k_json_set (guest, key, doc);
}
