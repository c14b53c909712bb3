/* h2k: Debian ifupdown /etc/network/interfaces parser. */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

#define MAX_IFACES 1024
#define MAX_WORDS  64

struct ifu {
  const char *name;             /* file name for messages */
  json_object *root, *ifaces, *autos, *sources, *mappings;
  json_object *stanza;          /* current iface stanza or mapping, borrowed */
  json_object *options;         /* its options object (iface only) */
  int in_mapping;
  int lineno;                   /* first line of the logical line */
  int last;                     /* its last physical line */
};

/* Split S (modified) on blanks. */
static int
split_words (char *s, char **w, int max)
{
  int n = 0;

  for (;;) {
    while (h2k_lc_is_blank (*s))
      s++;
    if (*s == '\0' || n == max)
      return n;
    w[n++] = s;
    while (*s && !h2k_lc_is_blank (*s))
      s++;
    if (*s)
      *s++ = '\0';
  }
}

/* The interface object named NAME, created (at line LINENO) if needed.
 * Borrowed; NULL reported.
 */
static json_object *
get_iface (struct ifu *u, const char *ifname)
{
  size_t i, n = json_object_array_length (u->ifaces);
  json_object *o;

  for (i = 0; i < n; ++i) {
    o = json_object_array_get_idx (u->ifaces, i);
    if (strcmp (h2k_lc_get_str (o, "name"), ifname) == 0)
      return o;
  }
  if (n >= MAX_IFACES) {
    h2k_lc_error (u->name, u->lineno, "too many interfaces (at most %d)",
              MAX_IFACES);
    return NULL;
  }
  o = json_object_new_object ();
  if (h2k_lc_array_add (u->ifaces, o) == -1) {
    h2k_lc_oom (u->name);
    return NULL;
  }
  if (h2k_lc_add_str (o, "name", ifname) == -1 ||
      h2k_lc_add_int (o, "line", u->lineno) == -1 ||
      h2k_lc_add_bool (o, "auto", 0) == -1 ||
      h2k_lc_add_bool (o, "allow_hotplug", 0) == -1 ||
      json_object_object_add (o, "allow", json_object_new_array ()) != 0 ||
      json_object_object_add (o, "stanzas", json_object_new_array ()) != 0) {
    h2k_lc_oom (u->name);
    return NULL;
  }
  return o;
}

static int
do_iface (struct ifu *u, char **w, int n)
{
  const char *family = NULL, *method = NULL, *inherits = NULL;
  json_object *iface, *st, *stanzas;
  int i;

  if (n < 1) {
    h2k_lc_error (u->name, u->lineno, "iface: missing interface name");
    return -1;
  }
  for (i = 1; i < n; ++i) {
    if (strcmp (w[i], "inherits") == 0) {
      if (i + 1 >= n) {
        h2k_lc_error (u->name, u->lineno,
                  "iface %s: 'inherits' needs a template name", w[0]);
        return -1;
      }
      inherits = w[++i];
    }
    else if (inherits == NULL && family == NULL)
      family = w[i];
    else if (inherits == NULL && method == NULL)
      method = w[i];
    else {
      h2k_lc_error (u->name, u->lineno, "iface %s: unexpected word '%s'",
                w[0], w[i]);
      return -1;
    }
  }
  if (inherits == NULL && method == NULL) {
    h2k_lc_error (u->name, u->lineno,
              "iface %s: expected 'iface NAME FAMILY METHOD'", w[0]);
    return -1;
  }
  iface = get_iface (u, w[0]);
  if (iface == NULL)
    return -1;
  json_object_object_get_ex (iface, "stanzas", &stanzas);
  st = json_object_new_object ();
  u->options = json_object_new_object ();
  if (st == NULL || u->options == NULL ||
      json_object_array_add (stanzas, st) != 0) {
    json_object_put (st);
    json_object_put (u->options);
    u->options = NULL;
    h2k_lc_oom (u->name);
    return -1;
  }
  if (h2k_lc_add_int (st, "line", u->lineno) == -1 ||
      h2k_lc_add_int (st, "end_line", u->last) == -1 ||
      (family && h2k_lc_add_str (st, "family", family) == -1) ||
      (method && h2k_lc_add_str (st, "method", method) == -1) ||
      (inherits && h2k_lc_add_str (st, "inherits", inherits) == -1) ||
      json_object_object_add (st, "options", u->options) != 0) {
    h2k_lc_oom (u->name);
    return -1;
  }
  u->stanza = st;
  u->in_mapping = 0;
  return 0;
}

static int
do_mapping (struct ifu *u, char **w, int n)
{
  json_object *m = json_object_new_object (), *match;
  int i;

  if (n < 1) {
    json_object_put (m);
    h2k_lc_error (u->name, u->lineno, "mapping: missing interface name");
    return -1;
  }
  match = json_object_new_array ();
  if (m == NULL || match == NULL || json_object_array_add (u->mappings, m)) {
    json_object_put (m);
    json_object_put (match);
    h2k_lc_oom (u->name);
    return -1;
  }
  if (h2k_lc_add_int (m, "line", u->lineno) == -1 ||
      h2k_lc_add_int (m, "end_line", u->last) == -1 ||
      json_object_object_add (m, "match", match) != 0) {
    h2k_lc_oom (u->name);
    return -1;
  }
  for (i = 0; i < n; ++i)
    if (h2k_lc_array_add_str (match, w[i]) == -1) {
      h2k_lc_oom (u->name);
      return -1;
    }
  u->stanza = m;
  u->options = NULL;
  u->in_mapping = 1;
  return 0;
}

/* auto / allow-CLASS: CLASS is NULL for auto. */
static int
do_allow (struct ifu *u, const char *class, char **w, int n)
{
  int i;

  for (i = 0; i < n; ++i) {
    json_object *iface, *allow;

    if (class == NULL) {
      json_object *a = json_object_new_object ();
      if (h2k_lc_array_add (u->autos, a) == -1 ||
          h2k_lc_add_str (a, "name", w[i]) == -1 ||
          h2k_lc_add_int (a, "line", u->lineno) == -1) {
        h2k_lc_oom (u->name);
        return -1;
      }
    }
    /* Patterns (/eth*, mac/.../=foo) are not interface names. */
    if (strchr (w[i], '/'))
      continue;
    iface = get_iface (u, w[i]);
    if (iface == NULL)
      return -1;
    if (class == NULL) {
      if (h2k_lc_add_bool (iface, "auto", 1) == -1) {
        h2k_lc_oom (u->name);
        return -1;
      }
      continue;
    }
    json_object_object_get_ex (iface, "allow", &allow);
    if (h2k_lc_array_add_str (allow, class) == -1 ||
        (strcmp (class, "hotplug") == 0 &&
         h2k_lc_add_bool (iface, "allow_hotplug", 1) == -1)) {
      h2k_lc_oom (u->name);
      return -1;
    }
  }
  return 0;
}

static int
do_source (struct ifu *u, const char *kind, const char *rest)
{
  json_object *s = json_object_new_object ();

  if (*rest == '\0') {
    json_object_put (s);
    h2k_lc_error (u->name, u->lineno, "%s: missing path", kind);
    return -1;
  }
  if (h2k_lc_array_add (u->sources, s) == -1 ||
      h2k_lc_add_int (s, "line", u->lineno) == -1 ||
      h2k_lc_add_str (s, "kind", kind) == -1 ||
      h2k_lc_add_str (s, "path", rest) == -1) {
    h2k_lc_oom (u->name);
    return -1;
  }
  u->stanza = NULL;
  u->options = NULL;
  return 0;
}

static int
is_multi (const char *key)
{
  static const char *multi[] = {
    "up", "down", "pre-up", "post-up", "pre-down", "post-down",
  };
  size_t i;

  for (i = 0; i < sizeof multi / sizeof multi[0]; ++i)
    if (strcmp (key, multi[i]) == 0)
      return 1;
  return 0;
}

/* Add KEY VALUE to OPTS; ALWAYS_ARRAY or a repeated key makes an array. */
static int
add_option (json_object *opts, const char *key, const char *value,
            int always_array)
{
  json_object *old, *arr;

  if (json_object_object_get_ex (opts, key, &old)) {
    if (json_object_is_type (old, json_type_array))
      return h2k_lc_array_add_str (old, value);
    arr = json_object_new_array ();
    if (arr == NULL)
      return -1;
    if (h2k_lc_array_add (arr, json_object_get (old)) == -1) {
      json_object_put (arr);
      return -1;
    }
    if (json_object_object_add (opts, key, arr) != 0) {
      json_object_put (arr);
      return -1;
    }
    return h2k_lc_array_add_str (arr, value);
  }
  if (always_array) {
    arr = json_object_new_array ();
    if (h2k_lc_array_add_str (arr, value) == -1 ||
        json_object_object_add (opts, key, arr) != 0) {
      json_object_put (arr);
      return -1;
    }
    return 0;
  }
  return h2k_lc_add_str (opts, key, value);
}

static int
do_option (struct ifu *u, const char *key, const char *rest)
{
  if (u->stanza == NULL) {
    h2k_lc_error (u->name, u->lineno,
              "'%s' is not a keyword and is outside any iface or mapping "
              "stanza", key);
    return -1;
  }
  if (h2k_lc_add_int (u->stanza, "end_line", u->last) == -1)
    goto oom;
  if (u->in_mapping) {
    if (strcmp (key, "script") == 0) {
      if (h2k_lc_add_str (u->stanza, "script", rest) == -1)
        goto oom;
    }
    else if (strcmp (key, "map") == 0) {
      json_object *map;
      if (!json_object_object_get_ex (u->stanza, "map", &map)) {
        map = json_object_new_array ();
        if (map == NULL || json_object_object_add (u->stanza, "map", map)) {
          json_object_put (map);
          goto oom;
        }
      }
      if (h2k_lc_array_add_str (map, rest) == -1)
        goto oom;
    }
    else {
      h2k_lc_error (u->name, u->lineno, "mapping: unknown option '%s'", key);
      return -1;
    }
    return 0;
  }
  if (add_option (u->options, key, rest, is_multi (key)) == -1)
    goto oom;
  return 0;
 oom:
  h2k_lc_oom (u->name);
  return -1;
}

static int
do_line (struct ifu *u, char *line)
{
  char *p = (char *) h2k_lc_skip_blank (line), *key, *rest, *w[MAX_WORDS];
  size_t l;
  int n;

  key = p;
  while (*p && !h2k_lc_is_blank (*p))
    p++;
  if (*p)
    *p++ = '\0';
  rest = (char *) h2k_lc_skip_blank (p);
  l = strlen (rest);
  while (l > 0 && h2k_lc_is_blank (rest[l - 1]))
    rest[--l] = '\0';

  if (strcmp (key, "source") == 0)
    return do_source (u, "source", rest);
  if (strcmp (key, "source-directory") == 0 || strcmp (key, "source-dir") == 0)
    return do_source (u, "source-directory", rest);
  if (strcmp (key, "iface") == 0 || strcmp (key, "mapping") == 0 ||
      strcmp (key, "auto") == 0 || strncmp (key, "allow-", 6) == 0 ||
      strcmp (key, "no-auto-down") == 0 || strcmp (key, "no-scripts") == 0) {
    n = split_words (rest, w, MAX_WORDS);
    if (n == MAX_WORDS &&
        *h2k_lc_skip_blank (w[n - 1] + strlen (w[n - 1]) + 1)) {
      h2k_lc_error (u->name, u->lineno, "%s: too many words (at most %d)",
                key, MAX_WORDS);
      return -1;
    }
    if (strcmp (key, "iface") == 0)
      return do_iface (u, w, n);
    if (strcmp (key, "mapping") == 0)
      return do_mapping (u, w, n);
    u->stanza = NULL;
    u->options = NULL;
    if (strcmp (key, "auto") == 0 || strcmp (key, "allow-auto") == 0)
      return do_allow (u, NULL, w, n);
    if (strncmp (key, "allow-", 6) == 0)
      return do_allow (u, key + 6, w, n);
    return 0;                   /* no-auto-down, no-scripts: noted only */
  }
  return do_option (u, key, rest);
}

json_object *
h2k_linuxcfg_ifupdown (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  struct ifu u = { .name = name };
  CLEANUP_JSON json_object *root = json_object_new_object ();
  json_object *ret = NULL;
  size_t i = 0, count = 0;

  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  u.root = root;
  u.ifaces = json_object_new_array ();
  u.autos = json_object_new_array ();
  u.sources = json_object_new_array ();
  u.mappings = json_object_new_array ();
  if (root == NULL ||
      json_object_object_add (root, "interfaces", u.ifaces) != 0 ||
      json_object_object_add (root, "auto", u.autos) != 0 ||
      json_object_object_add (root, "sources", u.sources) != 0 ||
      json_object_object_add (root, "mappings", u.mappings) != 0) {
    h2k_lc_oom (name);
    goto out;
  }
  while (i < t.n) {
    CLEANUP_FREE char *line = h2k_lc_logical_line (&t, &i, &u.lineno, 0);

    if (line == NULL)
      goto out;
    u.last = (int) i;
    if (h2k_lc_is_comment (line, "#"))
      continue;
    if (++count > LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, u.lineno, "too many lines (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      goto out;
    }
    if (do_line (&u, line) == -1)
      goto out;
  }
  ret = root;
  root = NULL;
 out:
  h2k_lc_text_free (&t);
  return ret;
}
