/* h2k: grub.cfg menu entries, BLS entries, kernel command lines. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

#define MAX_WORDS 256
#define MAX_BLOCKS 16

/* Split a grub script line into shell words.  Returns the number of words
 * (W[i] to be freed by the caller), or -1 reported.
 */
static int
grub_words (const char *line, char **w, int lineno, const char *name)
{
  const char *p = line, *reason = NULL;
  int n = 0, dyn, r;

  for (;;) {
    if (n == MAX_WORDS) {
      h2k_lc_error (name, lineno, "too many words (at most %d)", MAX_WORDS);
      goto err;
    }
    r = h2k_lc_shell_word (&p, &w[n], &dyn, &reason, ';');
    if (r == 0)
      return n;                 /* end of line or comment */
    if (r == -1) {
      h2k_lc_error (name, lineno, "%s", reason);
      goto err;
    }
    n++;
    p = h2k_lc_skip_blank (p);
    if (*p == ';')
      return n;                 /* "a ; b": the first command only */
  }
 err:
  while (n-- > 0)
    free (w[n]);
  return -1;
}

/* W[FROM..N) joined with spaces (caller frees). */
static char *
join (char **w, int from, int n)
{
  size_t l = 1;
  char *s;
  int i;

  for (i = from; i < n; ++i)
    l += strlen (w[i]) + 1;
  s = malloc (l);
  if (s == NULL)
    return NULL;
  s[0] = '\0';
  for (i = from; i < n; ++i) {
    if (i > from)
      strcat (s, " ");
    strcat (s, w[i]);
  }
  return s;
}

struct grub {
  const char *name;
  json_object *root, *entries;
  json_object *entry;           /* current menuentry, borrowed */
  const char *blocks[MAX_BLOCKS];       /* "menuentry", "submenu", ... */
  char *submenu;                /* title of the innermost submenu */
  int depth;
};

static int
grub_set (struct grub *g, char **w, int n)
{
  int i;

  for (i = 1; i < n; ++i) {
    char *eq = strchr (w[i], '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    if (g->entry) {
      if (strcmp (w[i], "root") == 0 &&
          h2k_lc_add_str (g->entry, "root", eq + 1))
        return -1;
    }
    else if ((strcmp (w[i], "default") == 0 || strcmp (w[i], "timeout") == 0)
             && strchr (eq + 1, '$') == NULL &&
             h2k_lc_add_str (g->root, w[i], eq + 1) == -1)
      return -1;
  }
  return 0;
}

/* A command inside a menuentry. */
static int
grub_entry_cmd (struct grub *g, char **w, int n, int lineno)
{
  CLEANUP_FREE char *s = NULL;
  const char *c = w[0];

  if ((strcmp (c, "linux") == 0 || strcmp (c, "linux16") == 0 ||
       strcmp (c, "linuxefi") == 0) && n >= 2) {
    s = join (w, 2, n);
    if (s == NULL || h2k_lc_add_str (g->entry, "linux", w[1]) == -1 ||
        h2k_lc_add_int (g->entry, "linux_line", lineno) == -1 ||
        h2k_lc_add_str (g->entry, "cmdline", s) == -1)
      return -1;
  }
  else if ((strcmp (c, "initrd") == 0 || strcmp (c, "initrd16") == 0 ||
            strcmp (c, "initrdefi") == 0) && n >= 2) {
    s = join (w, 1, n);
    if (s == NULL || h2k_lc_add_str (g->entry, "initrd", s) == -1 ||
        h2k_lc_add_int (g->entry, "initrd_line", lineno) == -1)
      return -1;
  }
  else if (strcmp (c, "search") == 0) {
    s = join (w, 1, n);
    if (s == NULL || h2k_lc_add_str (g->entry, "search", s) == -1)
      return -1;
  }
  return 0;
}

static int
grub_open (struct grub *g, char **w, int n, int lineno)
{
  const char *kind = strcmp (w[0], "menuentry") == 0 ? "menuentry"
    : strcmp (w[0], "submenu") == 0 ? "submenu" : "block";

  if (g->depth == MAX_BLOCKS) {
    h2k_lc_error (g->name, lineno, "blocks nested too deeply (at most %d)",
              MAX_BLOCKS);
    return -1;
  }
  if (g->entry && strcmp (kind, "block") != 0) {
    h2k_lc_error (g->name, lineno, "%s inside a menuentry", kind);
    return -1;
  }
  g->blocks[g->depth++] = kind;
  if (strcmp (kind, "submenu") == 0) {
    free (g->submenu);
    g->submenu = strdup (n > 2 ? w[1] : "");
    return g->submenu ? 0 : -2;
  }
  if (strcmp (kind, "menuentry") == 0) {
    json_object *e = json_object_new_object ();

    if (json_object_array_length (g->entries) >= LINUXCFG_MAX_ENTRIES) {
      json_object_put (e);
      h2k_lc_error (g->name, lineno, "too many menu entries (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      return -1;
    }
    if (h2k_lc_array_add (g->entries, e) == -1 ||
        h2k_lc_add_str (e, "title", n > 2 ? w[1] : "") == -1 ||
        h2k_lc_add_int (e, "line", lineno) == -1 ||
        (g->submenu && h2k_lc_add_str (e, "submenu", g->submenu) == -1))
      return -2;
    g->entry = e;
  }
  return 0;
}

static int
grub_close (struct grub *g, int lineno)
{
  const char *kind;

  if (g->depth == 0) {
    h2k_lc_error (g->name, lineno, "'}' without an open block");
    return -1;
  }
  kind = g->blocks[--g->depth];
  if (strcmp (kind, "menuentry") == 0) {
    if (h2k_lc_add_int (g->entry, "end_line", lineno) == -1)
      return -2;
    g->entry = NULL;
  }
  else if (strcmp (kind, "submenu") == 0) {
    free (g->submenu);
    g->submenu = NULL;
  }
  return 0;
}

/* One line's words: 0, -1 reported, -2 out of memory. */
static int
grub_cmd (struct grub *g, char **w, int n, int lineno)
{
  if (n == 0)
    return 0;
  if (strcmp (w[0], "}") == 0)
    return grub_close (g, lineno);
  if (strcmp (w[n - 1], "{") == 0)
    return grub_open (g, w, n, lineno);
  if (strcmp (w[0], "set") == 0)
    return grub_set (g, w, n) == -1 ? -2 : 0;
  if (g->entry)
    return grub_entry_cmd (g, w, n, lineno) == -1 ? -2 : 0;
  return 0;
}

json_object *
h2k_linuxcfg_grub_cfg (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  struct grub g = { .name = name };
  CLEANUP_JSON json_object *root = json_object_new_object ();
  json_object *ret = NULL;
  size_t i = 0;

  g.root = root;
  g.entries = json_object_new_array ();
  if (root == NULL || json_object_object_add (root, "entries", g.entries)) {
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  while (i < t.n) {
    char *w[MAX_WORDS];
    int lineno, n, r;
    CLEANUP_FREE char *line = h2k_lc_logical_line (&t, &i, &lineno, 0);

    if (line == NULL)
      goto out;
    if (h2k_lc_is_comment (line, "#"))
      continue;
    n = grub_words (line, w, lineno, name);
    if (n == -1)
      goto out;
    r = grub_cmd (&g, w, n, lineno);
    while (n-- > 0)
      free (w[n]);
    if (r == -2)
      h2k_lc_oom (name);
    if (r < 0)
      goto out;
  }
  if (g.depth > 0) {
    h2k_lc_error (name, (int) t.n, "end of file inside a %s block",
              g.blocks[g.depth - 1]);
    goto out;
  }
  ret = root;
  root = NULL;
 out:
  free (g.submenu);
  h2k_lc_text_free (&t);
  return ret;
}

json_object *
h2k_linuxcfg_bls (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *root = json_object_new_object ();
  json_object *lines = json_object_new_object ();
  json_object *initrd = json_object_new_array ();
  json_object *ret = NULL;
  size_t i;

  if (root == NULL || json_object_object_add (root, "lines", lines) != 0 ||
      json_object_object_add (root, "initrd", initrd) != 0) {
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  if (t.n > LINUXCFG_MAX_ENTRIES) {
    h2k_lc_error (name, 0, "too many lines (at most %d)", LINUXCFG_MAX_ENTRIES);
    goto out;
  }
  for (i = 0; i < t.n; ++i) {
    char *p = (char *) h2k_lc_skip_blank (t.lines[i]), *key, *v;
    size_t l;

    if (*p == '\0' || *p == '#')
      continue;
    key = p;
    while (*p && !h2k_lc_is_blank (*p))
      p++;
    if (*p)
      *p++ = '\0';
    v = (char *) h2k_lc_skip_blank (p);
    l = strlen (v);
    while (l > 0 && h2k_lc_is_blank (v[l - 1]))
      v[--l] = '\0';
    if (strcmp (key, "lines") == 0) {
      h2k_lc_error (name, (int) i + 1, "unexpected key 'lines'");
      goto out;
    }
    if (strcmp (key, "initrd") == 0) {
      if (h2k_lc_array_add_str (initrd, v) == -1)
        goto oom;
    }
    else if (strcmp (key, "options") == 0 && h2k_lc_get_str (root, key)) {
      /* Several options lines are concatenated. */
      CLEANUP_FREE char *both = NULL;
      if (asprintf (&both, "%s %s", h2k_lc_get_str (root, key), v) == -1) {
        both = NULL;
        goto oom;
      }
      if (h2k_lc_add_str (root, key, both) == -1)
        goto oom;
    }
    else if (h2k_lc_add_str (root, key, v) == -1)
      goto oom;
    if (h2k_lc_add_int (lines, key, (int) i + 1) == -1)
      goto oom;
  }
  ret = root;
  root = NULL;
  goto out;
 oom:
  h2k_lc_oom (name);
 out:
  h2k_lc_text_free (&t);
  return ret;
}

json_object *
h2k_linuxcfg_cmdline (const char *cmdline, const char *name)
{
  CLEANUP_JSON json_object *arr = json_object_new_array ();
  CLEANUP_FREE char *buf = NULL;
  const char *p = cmdline;
  json_object *ret;
  size_t l = strlen (cmdline);

  if (l > LINUXCFG_MAX_LINE) {
    h2k_lc_error (name, 0,
                  "kernel command line too long (%zu bytes, at most %d)",
              l, LINUXCFG_MAX_LINE);
    return NULL;
  }
  buf = malloc (l + 1);
  if (arr == NULL || buf == NULL) {
    h2k_lc_oom (name);
    return NULL;
  }
  for (;;) {
    char *o = buf, *eq;
    int quoted = 0;
    json_object *e;

    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if (*p == '\0')
      break;
    while (*p && (quoted || !(*p == ' ' || *p == '\t' || *p == '\n' ||
                              *p == '\r'))) {
      if (*p == '"')
        quoted = !quoted;
      else
        *o++ = *p;
      p++;
    }
    *o = '\0';
    if (quoted) {
      h2k_lc_error (name, 0,
                    "unterminated double quote in kernel command line");
      return NULL;
    }
    if (json_object_array_length (arr) >= LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, 0, "too many kernel parameters (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      return NULL;
    }
    e = json_object_new_object ();
    eq = strchr (buf, '=');
    if (h2k_lc_array_add (arr, e) == -1 ||
        (eq ? h2k_lc_add_strn (e, "key", buf, eq - buf)
            : h2k_lc_add_str (e, "key", buf)) == -1 ||
        (eq && h2k_lc_add_str (e, "value", eq + 1) == -1)) {
      h2k_lc_oom (name);
      return NULL;
    }
  }
  ret = arr;
  arr = NULL;
  return ret;
}

json_object *
h2k_linuxcfg_grubenv (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *root = json_object_new_object ();
  json_object *vars = json_object_new_object ();
  json_object *lines = json_object_new_object ();
  json_object *ret = NULL;
  size_t i;

  if (root == NULL || json_object_object_add (root, "vars", vars) != 0 ||
      json_object_object_add (root, "lines", lines) != 0) {
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  if (t.n > LINUXCFG_MAX_ENTRIES) {
    h2k_lc_error (name, 0, "too many lines (at most %d)",
                  LINUXCFG_MAX_ENTRIES);
    goto out;
  }
  for (i = 0; i < t.n; ++i) {
    char *p = t.lines[i], *eq, *r, *w;

    if (*p == '\0' || *p == '#')
      continue;
    eq = strchr (p, '=');
    if (eq == NULL || eq == p) {
      h2k_lc_error (name, (int) i + 1, "expected 'name=value'");
      goto out;
    }
    *eq = '\0';
    for (r = w = eq + 1; *r; r++) {     /* grub-editenv escapes \ */
      if (*r == '\\' && r[1])
        r++;
      *w++ = *r;
    }
    *w = '\0';
    if (h2k_lc_add_str (vars, p, eq + 1) == -1 ||
        h2k_lc_add_int (lines, p, (int) i + 1) == -1) {
      h2k_lc_oom (name);
      goto out;
    }
  }
  ret = root;
  root = NULL;
 out:
  h2k_lc_text_free (&t);
  return ret;
}
