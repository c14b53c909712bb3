/* h2k: YAML configuration files: parse, check, merge, turn into options.
 * See config.h and h2k-config(5).
 */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "tool.h"
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

/* Checking against the schema ------------------------------------------- */

static const char *const secret_words[] = {
  "password", "passwd", "passphrase", "secret", "secrets", "key", "keys",
  "token", "credential", "credentials", "pin", NULL
};

/* Words (between '-', '_' or '.') that name a secret; and parts of
 * words ("luksPassphrase", "adminpassword").
 */
int
h2k_config_is_secret_name (const char *name)
{
  static const char *const parts[] = { "passw", "passphrase", "secret", NULL };
  char word[64];
  int secret = 0;

  for (const char *p = name; *p; ) {
    size_t len = strcspn (p, "-_.");
    size_t wlen = len < sizeof word - 1 ? len : sizeof word - 1;

    for (size_t i = 0; i < wlen; ++i)
      word[i] = (char) tolower ((unsigned char) p[i]);
    word[wlen] = '\0';
    for (size_t i = 0; secret_words[i]; ++i)
      if (strcmp (word, secret_words[i]) == 0)
        secret = 1;
    for (size_t i = 0; parts[i]; ++i)
      if (strstr (word, parts[i]))
        secret = 1;
    p += len;
    if (*p == '\0' && (strcmp (word, "file") == 0 || strcmp (word, "env") == 0))
      return 0;                 /* names where the secret is */
    p += *p != '\0';
  }
  return secret;
}

static const char *
describe (const struct h2k_config_node *v)
{
  switch (v->kind) {
  case H2K_CONFIG_MAP: return "a mapping";
  case H2K_CONFIG_SEQ: return "a list";
  case H2K_CONFIG_NULL: return "null";
  case H2K_CONFIG_SCALAR: break;
  }
  return NULL;
}

/* "FILE:LINE: PATH: " prefix and the rest. */
#define node_error(v, path, fs, ...) \
  h2k_error ("%s:%lu: %s: " fs, (v)->file, (v)->line, (path), ##__VA_ARGS__)

static int
wrong_type (const struct h2k_config_node *v, const char *path,
            const char *expected)
{
  if (v->kind == H2K_CONFIG_SCALAR)
    node_error (v, path, "expected %s, got \"%s\"", expected, v->value);
  else
    node_error (v, path, "expected %s, got %s", expected, describe (v));
  return -1;
}

static int
parse_bool (const struct h2k_config_node *v, int *b)
{
  static const char *const t[] = { "true", "True", "TRUE", NULL };
  static const char *const f[] = { "false", "False", "FALSE", NULL };

  if (v->kind != H2K_CONFIG_SCALAR || !v->plain)
    return -1;
  for (size_t i = 0; t[i]; ++i) {
    if (strcmp (v->value, t[i]) == 0) { *b = 1; return 0; }
    if (strcmp (v->value, f[i]) == 0) { *b = 0; return 0; }
  }
  return -1;
}

static int
parse_int (const struct h2k_config_node *v, long long *n)
{
  const char *s;
  char *end;

  if (v->kind != H2K_CONFIG_SCALAR || !v->plain)
    return -1;
  s = v->value;
  for (const char *p = s + (*s == '+' || *s == '-'); ; ++p) {
    if (!isdigit ((unsigned char) *p))
      return -1;
    if (p[1] == '\0')
      break;
  }
  errno = 0;
  *n = strtoll (s, &end, 10);
  return errno || *end ? -1 : 0;
}

static void
list_choices (char *buf, size_t size, const char *const *choices)
{
  size_t off = 0;

  buf[0] = '\0';
  for (size_t i = 0; choices[i] && off < size; ++i)
    off += snprintf (buf + off, size - off, "%s%s", i ? ", " : "",
                     choices[i]);
}

static int
check_string (const struct h2k_config_key *k, const struct h2k_config_node *v,
              const char *path)
{
  const char *why = NULL;
  char known[256];
  int b;

  if (v->kind != H2K_CONFIG_SCALAR || parse_bool (v, &b) == 0)
    return wrong_type (v, path, "a string");
  if (v->value[0] == '\0') {
    node_error (v, path, "empty value");
    return -1;
  }
  if (k->choices) {
    for (size_t i = 0; k->choices[i]; ++i)
      if (strcmp (v->value, k->choices[i]) == 0)
        return 0;
    list_choices (known, sizeof known, k->choices);
    node_error (v, path, "bad value \"%s\" (expected one of %s)", v->value,
                known);
    return -1;
  }
  if (k->check && k->check (v->value, &why) == -1) {
    node_error (v, path, "bad value \"%s\": %s", v->value, why);
    return -1;
  }
  return 0;
}

static int
check_value (const struct h2k_config_key *k, const struct h2k_config_node *v,
             const char *path)
{
  long long n;
  int b;

  if (v->kind == H2K_CONFIG_NULL)
    return 0;                   /* unsets the key */
  switch (k->type) {
  case H2K_CONFIG_STRING:
    return check_string (k, v, path);
  case H2K_CONFIG_BOOLEAN:
    return parse_bool (v, &b) == 0 ? 0 : wrong_type (v, path, "true or false");
  case H2K_CONFIG_COUNT:
    if (parse_bool (v, &b) == 0)
      return 0;
    /* fall through */
  case H2K_CONFIG_INTEGER:
    if (parse_int (v, &n) == -1)
      return wrong_type (v, path, k->type == H2K_CONFIG_COUNT
                         ? "true, false or an integer" : "an integer");
    if (n < k->min || n > k->max) {
      node_error (v, path, "bad value %s (expected %lld to %lld)", v->value,
                  k->min, k->max);
      return -1;
    }
    return 0;
  case H2K_CONFIG_LIST:
    if (v->kind != H2K_CONFIG_SEQ)
      return wrong_type (v, path, "a list of strings");
    for (size_t i = 0; i < v->n; ++i) {
      char ipath[256 + 24];

      snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
      if (check_string (k, v->items[i], ipath) == -1)
        return -1;
    }
    return 0;
  }
  return -1;
}

static void
known_keys (char *buf, size_t size, const struct h2k_config_section *s)
{
  size_t off = 0;

  snprintf (buf, size, "none");
  for (const struct h2k_config_key *k = s->keys; k->name && off < size; ++k)
    off += snprintf (buf + off, size - off, "%s%s", off ? ", " : "", k->name);
}

static int
secret_error (const struct h2k_config_node *v, const char *path)
{
  node_error (v, path, "secrets are never stored in configuration: name a "
              "file or an environment variable holding it with a *-file or "
              "*-env key (see h2k-config(5))");
  return -1;
}

static int
check_section (const struct h2k_config_section *s,
               struct h2k_config_node *sec)
{
  char known[512], path[256];

  if (sec->kind == H2K_CONFIG_NULL)
    sec->kind = H2K_CONFIG_MAP;   /* "fetch:" with nothing under it */
  if (sec->kind != H2K_CONFIG_MAP)
    return wrong_type (sec, s->name, "a mapping of keys");
  for (size_t i = 0; i < sec->n; ++i) {
    const struct h2k_config_node *v = sec->items[i];
    const struct h2k_config_key *k = h2k_config_find_key (s, v->key);

    snprintf (path, sizeof path, "%s.%s", s->name, v->key);
    if (h2k_config_is_secret_name (v->key))
      return secret_error (v, path);
    if (k == NULL) {
      known_keys (known, sizeof known, s);
      node_error (v, path, "unknown key (known: %s)", known);
      return -1;
    }
    if (check_value (k, v, path) == -1)
      return -1;
  }
  return 0;
}

int
h2k_config_check (struct h2k_config_node *root)
{
  char known[256];
  size_t off = 0;

  known[0] = '\0';
  for (const struct h2k_config_section *s = h2k_config_schema;
       s->name && off < sizeof known; ++s)
    off += snprintf (known + off, sizeof known - off, "%s%s", off ? ", " : "",
                     s->name);
  for (size_t i = 0; i < root->n; ++i) {
    struct h2k_config_node *sec = root->items[i];
    const struct h2k_config_section *s = h2k_config_find_section (sec->key);

    if (h2k_config_is_secret_name (sec->key))
      return secret_error (sec, sec->key);
    if (s == NULL) {
      node_error (sec, sec->key, "unknown section (known: %s)", known);
      return -1;
    }
    if (check_section (s, sec) == -1)
      return -1;
  }
  return 0;
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

/* From configuration to options ----------------------------------------- */

struct strv {
  char **v;
  size_t n;
};

/* Append S (taken; freed on failure). */
static int
strv_take (struct strv *sv, char *s)
{
  char **p;

  if (s == NULL || (p = realloc (sv->v, (sv->n + 2) * sizeof *p)) == NULL) {
    h2k_error ("%m");
    free (s);
    return -1;
  }
  sv->v = p;
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
  return 0;
}

static char *
option_string (const char *name, const char *value)
{
  char *s;

  if (asprintf (&s, value ? "--%s=%s" : "--%s", name, value) == -1)
    return NULL;
  return s;
}

static int
in_strv (const char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; ++i)
    if (strcmp (v[i], s) == 0)
      return 1;
  return 0;
}

/* Is key K of section S overridden by an option in SKIP (itself, or
 * another key of its group)?
 */
static int
skipped (const struct h2k_config_section *s, const struct h2k_config_key *k,
         const char *const *skip)
{
  if (in_strv (skip, k->name))
    return 1;
  if (k->group)
    for (const struct h2k_config_key *o = s->keys; o->name; ++o)
      if (o->group && strcmp (o->group, k->group) == 0 &&
          in_strv (skip, o->name))
        return 1;
  return 0;
}

static int
key_options (const struct h2k_config_key *k, const struct h2k_config_node *v,
             struct strv *sv)
{
  long long n = 0;
  int b = 0;

  switch (k->type) {
  case H2K_CONFIG_STRING:
    return strv_take (sv, option_string (k->name, v->value));
  case H2K_CONFIG_INTEGER:
    if (parse_int (v, &n) == -1)
      return -1;
    {
      char num[32];
      snprintf (num, sizeof num, "%lld", n);
      return strv_take (sv, option_string (k->name, num));
    }
  case H2K_CONFIG_BOOLEAN:
    parse_bool (v, &b);
    return b ? strv_take (sv, option_string (k->name, NULL)) : 0;
  case H2K_CONFIG_COUNT:
    if (parse_bool (v, &b) == 0)
      n = b;
    else
      parse_int (v, &n);
    for (long long i = 0; i < n; ++i)
      if (strv_take (sv, option_string (k->name, NULL)) == -1)
        return -1;
    return 0;
  case H2K_CONFIG_LIST:
    for (size_t i = 0; i < v->n; ++i)
      if (strv_take (sv, option_string (k->name, v->items[i]->value)) == -1)
        return -1;
    return 0;
  }
  return -1;
}

char **
h2k_config_options (const struct h2k_config_node *root, const char *section,
                    const char *const *skip, char **positional)
{
  const struct h2k_config_section *secs[2] = {
    h2k_config_find_section ("common"), h2k_config_find_section (section),
  };
  struct strv sv = { calloc (1, sizeof (char *)), 0 };

  *positional = NULL;
  if (sv.v == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < 2; ++i) {
    if (secs[i] == NULL || (i == 1 && secs[1] == secs[0]))
      continue;
    for (const struct h2k_config_key *k = secs[i]->keys; k->name; ++k) {
      const struct h2k_config_node *v =
        h2k_config_get (root, secs[i]->name, k->name);

      if (v == NULL || v->kind == H2K_CONFIG_NULL || skipped (secs[i], k, skip))
        continue;
      if (k->positional) {
        free (*positional);
        if ((*positional = strdup (v->value)) == NULL) {
          h2k_error ("%m");
          goto fail;
        }
      }
      else if (key_options (k, v, &sv) == -1)
        goto fail;
    }
  }
  return sv.v;

 fail:
  h2k_free_strv (sv.v);
  free (*positional);
  *positional = NULL;
  return NULL;
}

/* h2k_tool_config --------------------------------------------------------- */

/* What the command line holds, found by a first getopt pass over a copy. */
struct cmdline {
  const char **configs;         /* --config FILE, in order */
  size_t nconfigs;
  const char **given;           /* long names of the other options given */
  size_t ngiven;
  int positionals;              /* number of non-option arguments */
  int dashdash;                 /* "--" ended the options */
};

/* The short options of LONG_OPTS: each tool's short option is also a long
 * one with the same val.
 */
static void
short_options (const struct option *long_opts, char *buf, size_t size)
{
  size_t n = 0;

  for (const struct option *o = long_opts; o->name && n + 3 < size; ++o)
    if (o->flag == NULL && o->val > 0 && o->val <= CHAR_MAX &&
        isalnum (o->val)) {
      buf[n++] = (char) o->val;
      if (o->has_arg != no_argument)
        buf[n++] = ':';
      if (o->has_arg == optional_argument)
        buf[n++] = ':';
    }
  buf[n] = '\0';
}

static const char *
long_name_of (const struct option *long_opts, int c, int li)
{
  if (li >= 0)
    return long_opts[li].name;
  for (const struct option *o = long_opts; o->name; ++o)
    if (o->flag == NULL && o->val == c)
      return o->name;
  return NULL;
}

static int
scan_cmdline (int argc, char **argv, const struct option *long_opts,
              struct cmdline *cl)
{
  CLEANUP_FREE char **copy = calloc (argc + 1, sizeof *copy);
  char shorts[128];
  int c, li, saved_opterr = opterr;

  cl->configs = calloc (argc + 1, sizeof *cl->configs);
  cl->given = calloc (argc + 1, sizeof *cl->given);
  if (copy == NULL || cl->configs == NULL || cl->given == NULL) {
    h2k_error ("%m");
    return -1;
  }
  memcpy (copy, argv, argc * sizeof *copy);
  short_options (long_opts, shorts, sizeof shorts);
  opterr = 0;
  optind = 0;
  while (li = -1,
         (c = getopt_long (argc, copy, shorts, long_opts, &li)) != -1) {
    const char *name = long_name_of (long_opts, c, li);

    if (c == H2K_OPT_CONFIG)
      cl->configs[cl->nconfigs++] = optarg;
    else if (c != '?' && c != ':' && name)
      cl->given[cl->ngiven++] = name;
  }
  cl->positionals = argc - optind;
  cl->dashdash = optind > 1 && strcmp (copy[optind - 1], "--") == 0;
  opterr = saved_opterr;
  optind = 0;                   /* the tool's getopt starts afresh */
  return 0;
}

/* Every key of the tool's sections must be one of its long options, with
 * an argument exactly when the key's type has a value.
 */
static int
check_schema_matches (const char *section, const struct option *long_opts)
{
  const struct h2k_config_section *secs[2] = {
    h2k_config_find_section ("common"), h2k_config_find_section (section),
  };

  if (secs[1] == NULL) {
    h2k_error ("internal error: no section \"%s\" in the configuration "
               "schema (common/config-schema.c)", section);
    return -1;
  }
  for (size_t i = 0; i < 2; ++i)
    for (const struct h2k_config_key *k = secs[i]->keys; k->name; ++k) {
      const struct option *o;
      int want = k->type == H2K_CONFIG_BOOLEAN || k->type == H2K_CONFIG_COUNT
        ? no_argument : required_argument;

      if (k->positional)
        continue;
      for (o = long_opts; o->name; ++o)
        if (strcmp (o->name, k->name) == 0)
          break;
      if (o->name == NULL || o->has_arg != want) {
        h2k_error ("internal error: configuration key %s.%s is not an "
                   "option --%s%s of this tool (common/config-schema.c)",
                   secs[i]->name, k->name, k->name,
                   want == no_argument ? "" : "=VALUE");
        return -1;
      }
    }
  return 0;
}

/* The argument vector we build outlives main's use of optarg. */
static char **config_argv, **config_owned;
static int atexit_registered;

static void
free_config_argv (void)
{
  free (config_argv);
  h2k_free_strv (config_owned);
  config_argv = config_owned = NULL;
}

/* [argv0, OPTS..., argv[1..], ("--") POSITIONAL]; takes OPTS and
 * POSITIONAL (kept, with the vector, until exit).
 */
static int
build_argv (int *argc, char ***argv, char **opts, char *positional,
            int dashdash)
{
  size_t nopts = 0, n = 0;
  char **owned, **v;

  while (opts[nopts])
    nopts++;
  owned = realloc (opts, (nopts + 2) * sizeof *opts);
  v = owned ? calloc (*argc + nopts + 3, sizeof *v) : NULL;
  if (v == NULL) {
    h2k_error ("%m");
    h2k_free_strv (owned ? owned : opts);
    free (positional);
    return -1;
  }
  owned[nopts] = positional;
  owned[nopts + 1] = NULL;
  v[n++] = (*argv)[0];
  for (size_t i = 0; i < nopts; ++i)
    v[n++] = owned[i];
  for (int i = 1; i < *argc; ++i)
    v[n++] = (*argv)[i];
  if (positional) {
    if (!dashdash)
      v[n++] = (char *) "--";
    v[n++] = positional;
  }
  v[n] = NULL;
  free_config_argv ();
  if (!atexit_registered && atexit (free_config_argv) == 0)
    atexit_registered = 1;
  config_argv = v;
  config_owned = owned;
  *argc = (int) n;
  *argv = v;
  return 0;
}

int
h2k_tool_config (struct h2k_tool *t, const char *section,
                 const struct option *long_opts, int *argc, char ***argv)
{
  struct cmdline cl = { 0 };
  struct h2k_config_node *root = NULL;
  char **opts = NULL, *positional = NULL;
  int r = -1;

  t->config_ok = 1;
  if (scan_cmdline (*argc, *argv, long_opts, &cl) == -1)
    goto out;
  if (cl.nconfigs == 0) {
    r = 0;
    goto out;
  }
  if (check_schema_matches (section, long_opts) == -1)
    goto out;
  for (size_t i = 0; i < cl.nconfigs; ++i)
    if (h2k_config_load (&root, cl.configs[i]) == -1)
      goto out;
  opts = h2k_config_options (root, section, cl.given, &positional);
  if (opts == NULL)
    goto out;
  if (cl.positionals > 0) {     /* the command line's SOURCE wins */
    free (positional);
    positional = NULL;
  }
  r = build_argv (argc, argv, opts, positional, cl.dashdash);

 out:
  h2k_config_node_free (root);
  free (cl.configs);
  free (cl.given);
  return r;
}
