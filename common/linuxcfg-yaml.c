/* h2k: YAML (netplan) to JSON through libyaml. */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <yaml.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

/* Aliases can make a small document expand enormously: bound the output. */
#define MAX_NODES (10 * LINUXCFG_MAX_ENTRIES)

struct conv {
  yaml_document_t *doc;
  const char *name;
  size_t nodes;
};

static json_object *convert (struct conv *c, yaml_node_t *node, int depth);

static json_object *
convert_mapping (struct conv *c, yaml_node_t *node, int depth)
{
  CLEANUP_JSON json_object *o = json_object_new_object ();
  yaml_node_pair_t *pair;
  json_object *ret;

  if (o == NULL) {
    h2k_lc_oom (c->name);
    return NULL;
  }
  for (pair = node->data.mapping.pairs.start;
       pair < node->data.mapping.pairs.top; pair++) {
    yaml_node_t *k = yaml_document_get_node (c->doc, pair->key);
    yaml_node_t *v = yaml_document_get_node (c->doc, pair->value);
    CLEANUP_FREE char *key = NULL;
    json_object *jv;

    if (k == NULL || v == NULL) {
      h2k_lc_error (c->name, (int) node->start_mark.line + 1, "broken mapping");
      return NULL;
    }
    if (k->type != YAML_SCALAR_NODE) {
      h2k_lc_error (c->name, (int) k->start_mark.line + 1,
                "mapping key is not a scalar");
      return NULL;
    }
    key = strndup ((const char *) k->data.scalar.value, k->data.scalar.length);
    if (key == NULL) {
      h2k_lc_oom (c->name);
      return NULL;
    }
    if (strlen (key) != k->data.scalar.length) {
      h2k_lc_error (c->name, (int) k->start_mark.line + 1,
                "mapping key contains a NUL character");
      return NULL;
    }
    if (json_object_object_get_ex (o, key, NULL)) {
      h2k_lc_error (c->name, (int) k->start_mark.line + 1,
                "duplicate key '%s'", key);
      return NULL;
    }
    jv = convert (c, v, depth + 1);
    if (jv == NULL)
      return NULL;
    if (json_object_object_add (o, key, jv) != 0) {
      json_object_put (jv);
      h2k_lc_oom (c->name);
      return NULL;
    }
  }
  ret = o;
  o = NULL;
  return ret;
}

static json_object *
convert_sequence (struct conv *c, yaml_node_t *node, int depth)
{
  CLEANUP_JSON json_object *a = json_object_new_array ();
  yaml_node_item_t *item;
  json_object *ret;

  if (a == NULL) {
    h2k_lc_oom (c->name);
    return NULL;
  }
  for (item = node->data.sequence.items.start;
       item < node->data.sequence.items.top; item++) {
    yaml_node_t *v = yaml_document_get_node (c->doc, *item);
    json_object *jv;

    if (v == NULL) {
      h2k_lc_error (c->name, (int) node->start_mark.line + 1,
                    "broken sequence");
      return NULL;
    }
    jv = convert (c, v, depth + 1);
    if (jv == NULL)
      return NULL;
    if (h2k_lc_array_add (a, jv) == -1) {
      h2k_lc_oom (c->name);
      return NULL;
    }
  }
  ret = a;
  a = NULL;
  return ret;
}

static json_object *
convert (struct conv *c, yaml_node_t *node, int depth)
{
  json_object *s;

  if (depth > LINUXCFG_MAX_DEPTH) {
    h2k_lc_error (c->name, (int) node->start_mark.line + 1,
              "nested too deeply (at most %d levels)", LINUXCFG_MAX_DEPTH);
    return NULL;
  }
  if (++c->nodes > MAX_NODES) {
    h2k_lc_error (c->name, (int) node->start_mark.line + 1,
              "too many nodes, aliases included (at most %d)", MAX_NODES);
    return NULL;
  }
  switch (node->type) {
  case YAML_MAPPING_NODE:
    return convert_mapping (c, node, depth);
  case YAML_SEQUENCE_NODE:
    return convert_sequence (c, node, depth);
  case YAML_SCALAR_NODE:
    s = json_object_new_string_len ((const char *) node->data.scalar.value,
                                    (int) node->data.scalar.length);
    if (s == NULL)
      h2k_lc_oom (c->name);
    return s;
  default:
    h2k_lc_error (c->name, (int) node->start_mark.line + 1, "empty YAML node");
    return NULL;
  }
}

static void
parser_error (yaml_parser_t *p, const char *name)
{
  const char *problem = p->problem ? p->problem : "invalid YAML";

  if (p->error == YAML_MEMORY_ERROR)
    h2k_lc_oom (name);
  else if (p->context)
    h2k_lc_error (name, (int) p->problem_mark.line + 1, "%s (%s)", problem,
              p->context);
  else
    h2k_lc_error (name, (int) p->problem_mark.line + 1, "%s", problem);
}

json_object *
h2k_linuxcfg_yaml (const char *text, size_t len, const char *name)
{
  yaml_parser_t parser;
  yaml_document_t doc, doc2;
  yaml_node_t *root;
  struct conv c = { .doc = &doc, .name = name };
  json_object *ret = NULL;
  size_t i;

  if (len > LINUXCFG_MAX_FILE) {
    h2k_lc_error (name, 0, "file too large (%zu bytes, at most %d)",
              len, LINUXCFG_MAX_FILE);
    return NULL;
  }
  for (i = 0; i < len; ++i)
    if (text[i] == '\0') {
      h2k_lc_error (name, 0, "NUL byte at offset %zu: not a text file", i);
      return NULL;
    }
  if (!yaml_parser_initialize (&parser)) {
    h2k_lc_oom (name);
    return NULL;
  }
  yaml_parser_set_input_string (&parser, (const unsigned char *) text, len);
  if (!yaml_parser_load (&parser, &doc)) {
    parser_error (&parser, name);
    yaml_parser_delete (&parser);
    return NULL;
  }
  root = yaml_document_get_root_node (&doc);
  if (root == NULL) {
    ret = json_object_new_object ();
    if (ret == NULL)
      h2k_lc_oom (name);
    goto out;
  }
  /* A second document is an error (netplan reads only one). */
  if (!yaml_parser_load (&parser, &doc2)) {
    parser_error (&parser, name);
    goto out;
  }
  if (yaml_document_get_root_node (&doc2) != NULL) {
    h2k_lc_error (name, (int) doc2.start_mark.line + 1,
              "more than one YAML document");
    yaml_document_delete (&doc2);
    goto out;
  }
  yaml_document_delete (&doc2);
  ret = convert (&c, root, 0);
 out:
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
  return ret;
}
