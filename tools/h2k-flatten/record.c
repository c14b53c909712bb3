/* h2k-flatten: the chain as manifest JSON, and as text on stderr. */

#include <stdlib.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "size.h"
#include "flatten.h"

static json_object *
node_to_json (const struct node *n)
{
  CLEANUP_JSON json_object *o = json_object_new_object ();

  if (o == NULL ||
      h2k_json_set_string (o, "path", n->path) == -1 ||
      h2k_json_set_string (o, "format", n->format) == -1 ||
      (n->subformat && h2k_json_set_string (o, "subformat", n->subformat) == -1) ||
      h2k_json_set_int (o, "virtual_size", (int64_t) n->virtual_size) == -1 ||
      (n->cid && h2k_json_set_string (o, "cid", n->cid) == -1) ||
      (n->parent_cid && h2k_json_set_string (o, "parent_cid", n->parent_cid) == -1) ||
      (n->parent_hint && h2k_json_set_string (o, "parent_hint", n->parent_hint) == -1))
    return NULL;
  json_object *r = o;
  o = NULL;
  return r;
}

json_object *
chain_to_json (const struct chain *c)
{
  CLEANUP_JSON json_object *a = json_object_new_array ();

  if (a == NULL) {
    h2k_error ("chain: %m");
    return NULL;
  }
  for (size_t i = 0; i < c->n; ++i) {
    json_object *o = node_to_json (&c->nodes[i]);
    if (h2k_json_array_add (a, o) == -1)
      return NULL;
  }
  json_object *r = a;
  a = NULL;
  return r;
}

void
chain_print (const char *id, const struct chain *c)
{
  for (size_t i = 0; i < c->n; ++i) {
    const struct node *n = &c->nodes[i];
    char size[H2K_HUMAN_SIZE_LEN];

    h2k_info ("%s: %zu: %s (%s%s%s, %s%s%s%s%s)", id, i, n->path, n->format,
              n->subformat ? " " : "", n->subformat ? n->subformat : "",
              h2k_human_size (size, n->virtual_size),
              n->cid ? ", cid " : "", n->cid ? n->cid : "",
              n->parent_path && n->parent_cid ? ", parent cid " : "",
              n->parent_path && n->parent_cid ? n->parent_cid : "");
  }
}
