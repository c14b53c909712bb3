/* h2k-inspect: small helpers. */

#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "h2k.h"
#include "inspect.h"

int
json_add_string (json_object *arr, const char *s)
{
  json_object *v = json_object_new_string (s);

  if (v == NULL || json_object_array_add (arr, v) != 0) {
    json_object_put (v);
    h2k_error ("out of memory");
    return -1;
  }
  return 0;
}

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
