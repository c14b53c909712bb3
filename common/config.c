/* h2k: YAML configuration files: the nodes, reading YAML into them
 * (libyaml events), merging and loading.  Checking against the schema is in
 * config-check.c, turning a configuration into options in config-argv.c.
 * See config.h and h2k-config(5).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "util.h"

/* Nodes ------------------------------------------------------------------ */

void
h2k_config_node_free (struct h2k_config_node *n)
{
  if (n == NULL)
    return;
  for (size_t i = 0; i < n->n; ++i)
    h2k_config_node_free (n->items[i]);
  free (n->items);
  free (n->key);
  free (n->file);
  free (n->value);
  free (n);
}

static void
cleanup_node (void *ptr)
{
  h2k_config_node_free (*(struct h2k_config_node **) ptr);
}
#define CLEANUP_NODE __attribute__((cleanup (cleanup_node)))

static struct h2k_config_node *
node_new (enum h2k_config_kind kind, const char *file, unsigned long line)
{
  struct h2k_config_node *n = calloc (1, sizeof *n);

  if (n == NULL || (n->file = strdup (file)) == NULL) {
    h2k_error ("%s: %m", file);
    free (n);
    return NULL;
  }
  n->kind = kind;
  n->line = line;
  return n;
}

/* Append CHILD to N, which takes it (freed on failure too). */
static int
node_add (struct h2k_config_node *n, struct h2k_config_node *child)
{
  struct h2k_config_node **p = realloc (n->items, (n->n + 1) * sizeof *p);

  if (p == NULL) {
    h2k_error ("%s: %m", n->file);
    h2k_config_node_free (child);
    return -1;
  }
  n->items = p;
  n->items[n->n++] = child;
  return 0;
}

static struct h2k_config_node *
node_member (const struct h2k_config_node *map, const char *key)
{
  if (map == NULL || map->kind != H2K_CONFIG_MAP)
    return NULL;
  for (size_t i = 0; i < map->n; ++i)
    if (strcmp (map->items[i]->key, key) == 0)
      return map->items[i];
  return NULL;
}

/* Parsing: libyaml events into nodes ------------------------------------ */

struct parse {
  yaml_parser_t parser;
  const char *name;
  size_t nodes;
};

static unsigned long
line_of (const yaml_event_t *ev)
{
  return (unsigned long) ev->start_mark.line + 1;
}

/* "NAME:LINE: PATH: message" (without "PATH: " at the top level). */
#define parse_error(ps, line, path, fs, ...)                            \
  h2k_error ("%s:%lu: %s%s" fs, (ps)->name, (line), (path) ? (path) : "", \
             (path) ? ": " : "", ##__VA_ARGS__)

/* The next event into EV (to be deleted by the caller), or -1 reported. */
static int
next_event (struct parse *ps, yaml_event_t *ev)
{
  yaml_parser_t *p = &ps->parser;

  if (yaml_parser_parse (p, ev))
    return 0;
  if (p->error == YAML_MEMORY_ERROR)
    h2k_error ("%s: out of memory", ps->name);
  else if (p->error == YAML_READER_ERROR)
    h2k_error ("%s: not a text file: %s at offset %zu", ps->name,
               p->problem ? p->problem : "?", p->problem_offset);
  else if (p->context)
    h2k_error ("%s:%lu: YAML syntax error: %s (%s, line %lu)", ps->name,
               (unsigned long) p->problem_mark.line + 1,
               p->problem ? p->problem : "?", p->context,
               (unsigned long) p->context_mark.line + 1);
  else
    h2k_error ("%s:%lu: YAML syntax error: %s", ps->name,
               (unsigned long) p->problem_mark.line + 1,
               p->problem ? p->problem : "?");
  return -1;
}

/* Anchors, aliases and tags are refused, except the tag !!str on
 * scalars: a configuration says what it means where it says it.
 */
static int
check_plain_yaml (struct parse *ps, const yaml_event_t *ev, const char *path)
{
  const yaml_char_t *anchor = NULL, *tag = NULL;

  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    anchor = ev->data.scalar.anchor;
    tag = ev->data.scalar.tag;
    if (tag && strcmp ((const char *) tag, YAML_STR_TAG) == 0)
      tag = NULL;
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor = ev->data.sequence_start.anchor;
    tag = ev->data.sequence_start.tag;
    break;
  case YAML_MAPPING_START_EVENT:
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
    break;
  case YAML_ALIAS_EVENT:
    parse_error (ps, line_of (ev), path,
                 "YAML aliases are not supported (write the value out)");
    return -1;
  default:
    break;
  }
  if (anchor) {
    parse_error (ps, line_of (ev), path, "YAML anchors are not supported");
    return -1;
  }
  if (tag) {
    parse_error (ps, line_of (ev), path, "YAML tags are not supported (%s)",
                 (const char *) tag);
    return -1;
  }
  return 0;
}

static int
is_null_text (const char *s)
{
  return !strcmp (s, "") || !strcmp (s, "~") || !strcmp (s, "null") ||
    !strcmp (s, "Null") || !strcmp (s, "NULL");
}

static struct h2k_config_node *parse_node (struct parse *ps, yaml_event_t *ev,
                                           int depth, const char *path);

static struct h2k_config_node *
parse_scalar (struct parse *ps, const yaml_event_t *ev, const char *path)
{
  const char *v = (const char *) ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
    ev->data.scalar.tag == NULL;
  struct h2k_config_node *n;

  if (strlen (v) != len) {
    parse_error (ps, line_of (ev), path, "the value contains a NUL character");
    return NULL;
  }
  n = node_new (plain && is_null_text (v) ? H2K_CONFIG_NULL : H2K_CONFIG_SCALAR,
                ps->name, line_of (ev));
  if (n == NULL)
    return NULL;
  n->plain = plain;
  if ((n->value = strdup (v)) == NULL) {
    h2k_error ("%s: %m", ps->name);
    h2k_config_node_free (n);
    return NULL;
  }
  return n;
}

static struct h2k_config_node *
parse_sequence (struct parse *ps, const yaml_event_t *start, int depth,
                const char *path)
{
  CLEANUP_NODE struct h2k_config_node *n =
    node_new (H2K_CONFIG_SEQ, ps->name, line_of (start));
  struct h2k_config_node *ret;

  if (n == NULL)
    return NULL;
  for (;;) {
    CLEANUP_FREE char *ipath = NULL;
    yaml_event_t ev;
    struct h2k_config_node *item;

    if (next_event (ps, &ev) == -1)
      return NULL;
    if (ev.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete (&ev);
      break;
    }
    if (asprintf (&ipath, "%s[%zu]", path ? path : "", n->n) == -1) {
      h2k_error ("%s: %m", ps->name);
      ipath = NULL;
      item = NULL;
    }
    else
      item = parse_node (ps, &ev, depth + 1, ipath);
    yaml_event_delete (&ev);
    if (item == NULL || node_add (n, item) == -1)
      return NULL;
  }
  ret = n;
  n = NULL;
  return ret;
}

/* The key of a mapping pair, from event EV: a scalar.  Caller frees. */
static char *
parse_key (struct parse *ps, const yaml_event_t *ev, const char *path)
{
  char *key;

  if (ev->type != YAML_SCALAR_EVENT) {
    parse_error (ps, line_of (ev), path, "a key must be a string, not a %s",
                 ev->type == YAML_MAPPING_START_EVENT ? "mapping"
                 : ev->type == YAML_SEQUENCE_START_EVENT ? "list"
                 : "YAML alias");
    return NULL;
  }
  if (check_plain_yaml (ps, ev, path) == -1)
    return NULL;
  if (strlen ((const char *) ev->data.scalar.value) != ev->data.scalar.length) {
    parse_error (ps, line_of (ev), path, "a key contains a NUL character");
    return NULL;
  }
  if ((key = strdup ((const char *) ev->data.scalar.value)) == NULL)
    h2k_error ("%s: %m", ps->name);
  return key;
}

/* One key and its value, the key's event in EV; NULL reported. */
static struct h2k_config_node *
parse_pair (struct parse *ps, struct h2k_config_node *map, yaml_event_t *ev,
            int depth, const char *path)
{
  CLEANUP_FREE char *key = parse_key (ps, ev, path), *kpath = NULL;
  unsigned long line = line_of (ev);
  const struct h2k_config_node *dup;
  struct h2k_config_node *v;
  yaml_event_t vev;

  if (key == NULL)
    return NULL;
  if (asprintf (&kpath, "%s%s%s", path ? path : "", path ? "." : "",
                key) == -1) {
    h2k_error ("%s: %m", ps->name);
    kpath = NULL;
    return NULL;
  }
  if ((dup = node_member (map, key)) != NULL) {
    parse_error (ps, line, kpath, "duplicate key (first on line %lu)",
                 dup->line);
    return NULL;
  }
  if (next_event (ps, &vev) == -1)
    return NULL;
  v = parse_node (ps, &vev, depth + 1, kpath);
  yaml_event_delete (&vev);
  if (v == NULL)
    return NULL;
  v->key = key;
  key = NULL;
  v->line = line;
  return v;
}

static struct h2k_config_node *
parse_mapping (struct parse *ps, const yaml_event_t *start, int depth,
               const char *path)
{
  CLEANUP_NODE struct h2k_config_node *n =
    node_new (H2K_CONFIG_MAP, ps->name, line_of (start));
  struct h2k_config_node *ret;

  if (n == NULL)
    return NULL;
  for (;;) {
    yaml_event_t ev;
    struct h2k_config_node *item;

    if (next_event (ps, &ev) == -1)
      return NULL;
    if (ev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete (&ev);
      break;
    }
    item = parse_pair (ps, n, &ev, depth, path);
    yaml_event_delete (&ev);
    if (item == NULL || node_add (n, item) == -1)
      return NULL;
  }
  ret = n;
  n = NULL;
  return ret;
}

/* The node starting with event EV (which the caller deletes); PATH names
 * it in messages (NULL: the top level).
 */
static struct h2k_config_node *
parse_node (struct parse *ps, yaml_event_t *ev, int depth, const char *path)
{
  if (check_plain_yaml (ps, ev, path) == -1)
    return NULL;
  if (depth > H2K_CONFIG_MAX_DEPTH) {
    parse_error (ps, line_of (ev), path, "nested deeper than %d levels",
                 H2K_CONFIG_MAX_DEPTH);
    return NULL;
  }
  if (++ps->nodes > H2K_CONFIG_MAX_NODES) {
    parse_error (ps, line_of (ev), path, "more than %d values",
                 H2K_CONFIG_MAX_NODES);
    return NULL;
  }
  switch (ev->type) {
  case YAML_SCALAR_EVENT: return parse_scalar (ps, ev, path);
  case YAML_SEQUENCE_START_EVENT: return parse_sequence (ps, ev, depth, path);
  case YAML_MAPPING_START_EVENT: return parse_mapping (ps, ev, depth, path);
  default:
    parse_error (ps, line_of (ev), path, "unexpected YAML event %d",
                 (int) ev->type);
    return NULL;
  }
}

/* Events up to the end of the stream: one document (or none). */
static struct h2k_config_node *
parse_stream (struct parse *ps)
{
  CLEANUP_NODE struct h2k_config_node *root = NULL;
  struct h2k_config_node *ret;
  int docs = 0;

  for (;;) {
    yaml_event_t ev;
    int r = 0;

    if (next_event (ps, &ev) == -1)
      return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
      yaml_event_delete (&ev);
      break;
    }
    if (ev.type == YAML_DOCUMENT_START_EVENT && docs++ > 0) {
      h2k_error ("%s:%lu: only one YAML document per file", ps->name,
                 line_of (&ev));
      r = -1;
    }
    else if (ev.type != YAML_STREAM_START_EVENT &&
             ev.type != YAML_DOCUMENT_START_EVENT &&
             ev.type != YAML_DOCUMENT_END_EVENT)
      r = (root = parse_node (ps, &ev, 0, NULL)) == NULL ? -1 : 0;
    yaml_event_delete (&ev);
    if (r == -1)
      return NULL;
  }
  if (root == NULL || root->kind == H2K_CONFIG_NULL) {
    h2k_config_node_free (root);
    root = node_new (H2K_CONFIG_MAP, ps->name, 1);
    if (root == NULL)
      return NULL;
  }
  if (root->kind != H2K_CONFIG_MAP) {
    h2k_error ("%s:%lu: expected a mapping of sections (common, fetch, "
               "convert, ...)", ps->name, root->line);
    return NULL;
  }
  ret = root;
  root = NULL;
  return ret;
}

struct h2k_config_node *
h2k_config_parse (const char *name, const char *text, size_t len)
{
  struct parse ps = { .name = name };
  struct h2k_config_node *root;

  if (!yaml_parser_initialize (&ps.parser)) {
    h2k_error ("%s: out of memory", name);
    return NULL;
  }
  yaml_parser_set_input_string (&ps.parser, (const unsigned char *) text, len);
  root = parse_stream (&ps);
  yaml_parser_delete (&ps.parser);
  return root;
}

/* Merging --------------------------------------------------------------- */

static int
merge_map (struct h2k_config_node *into, struct h2k_config_node *from)
{
  for (size_t i = 0; i < from->n; ++i) {
    struct h2k_config_node *child = from->items[i];
    size_t j;

    from->items[i] = NULL;
    for (j = 0; j < into->n; ++j)
      if (strcmp (into->items[j]->key, child->key) == 0)
        break;
    if (j == into->n) {
      if (node_add (into, child) == -1)
        return -1;
    }
    else if (into->items[j]->kind == H2K_CONFIG_MAP &&
             child->kind == H2K_CONFIG_MAP) {
      int r = merge_map (into->items[j], child);
      h2k_config_node_free (child);
      if (r == -1)
        return -1;
    }
    else {
      h2k_config_node_free (into->items[j]);
      into->items[j] = child;
    }
  }
  return 0;
}

int
h2k_config_merge (struct h2k_config_node **into, struct h2k_config_node *from)
{
  int r = 0;

  if (*into && (*into)->kind == H2K_CONFIG_MAP &&
      from->kind == H2K_CONFIG_MAP) {
    r = merge_map (*into, from);
    h2k_config_node_free (from);
  }
  else {
    h2k_config_node_free (*into);
    *into = from;
  }
  return r;
}

const struct h2k_config_node *
h2k_config_get (const struct h2k_config_node *root, const char *section,
                const char *key)
{
  const struct h2k_config_node *sec = node_member (root, section);

  return key ? node_member (sec, key) : sec;
}

int
h2k_config_load (struct h2k_config_node **root, const char *path)
{
  CLEANUP_FREE char *text = NULL;
  struct h2k_config_node *n;
  size_t len;

  if (path[0] == '\0') {
    h2k_error ("--config: empty file name");
    return -1;
  }
  text = h2k_read_file (path, H2K_CONFIG_MAX_BYTES, &len);
  if (text == NULL)
    return -1;
  n = h2k_config_parse (path, text, len);
  if (n == NULL)
    return -1;
  if (h2k_config_check (n) == -1) {
    h2k_config_node_free (n);
    return -1;
  }
  return h2k_config_merge (root, n);
}
