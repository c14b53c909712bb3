/* h2k: udev persistent-net rules (70-persistent-net.rules). */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "linuxcfg.h"
#include "linuxcfg-priv.h"

#define MAX_TOKENS 64

struct token {
  char *key;                    /* KEY or KEY{attr} */
  char *op;                     /* ==, !=, =, +=, -=, := */
  char *value;
};

/* Tokenise LINE in place.  Returns the number of tokens or -1 with
 * *REASON.
 */
static int
tokenise (char *p, struct token *tok, const char **reason)
{
  int n = 0;

  for (;;) {
    char *k, *kend, *o, *v, *w;

    while (h2k_lc_is_blank (*p) || *p == ',')
      p++;
    if (*p == '\0' || *p == '#')
      return n;
    if (n == MAX_TOKENS) {
      *reason = "too many keys in one rule";
      goto err;
    }
    k = p;
    while (isalnum ((unsigned char) *p) || *p == '_')
      p++;
    if (p == k) {
      *reason = "expected a key";
      goto err;
    }
    if (*p == '{') {
      p = strchr (p, '}');
      if (p == NULL) {
        *reason = "missing '}' after attribute";
        goto err;
      }
      p++;
    }
    kend = p;
    p = (char *) h2k_lc_skip_blank (p);
    o = p;
    if ((p[0] == '=' || p[0] == '!' || p[0] == '+' || p[0] == '-' ||
         p[0] == ':') && p[1] == '=')
      p += 2;
    else if (p[0] == '=')
      p += 1;
    else {
      *reason = "expected an operator after a key";
      goto err;
    }
    tok[n].op = strndup (o, p - o);
    if (tok[n].op == NULL) {
      *reason = "out of memory";
      goto err;
    }
    *kend = '\0';
    p = (char *) h2k_lc_skip_blank (p);
    if (*p != '"') {
      free (tok[n].op);
      *reason = "expected a double-quoted value";
      goto err;
    }
    v = w = ++p;
    while (*p && *p != '"') {
      if (*p == '\\' && p[1] == '"')
        p++;
      *w++ = *p++;
    }
    if (*p != '"') {
      free (tok[n].op);
      *reason = "unterminated value";
      goto err;
    }
    p++;
    *w = '\0';
    tok[n].key = k;
    tok[n].value = v;
    n++;
  }
 err:
  while (n-- > 0)
    free (tok[n].op);
  return -1;
}

static char *
lower (const char *s)
{
  char *r = strdup (s), *p;

  if (r)
    for (p = r; *p; p++)
      *p = (char) tolower ((unsigned char) *p);
  return r;
}

/* 1 and *OUT for a net naming rule, 0 for another rule, -1 (OOM). */
static int
net_rule (struct token *tok, int n, int lineno, json_object **out)
{
  CLEANUP_JSON json_object *e = NULL;
  const char *ifname = NULL;
  int net = 0, i;

  for (i = 0; i < n; ++i) {
    if (strcmp (tok[i].key, "SUBSYSTEM") == 0 &&
        strcmp (tok[i].op, "==") == 0 && strcmp (tok[i].value, "net") == 0)
      net = 1;
    if (strcmp (tok[i].key, "NAME") == 0 &&
        (strcmp (tok[i].op, "=") == 0 || strcmp (tok[i].op, ":=") == 0))
      ifname = tok[i].value;
  }
  *out = NULL;
  if (!net || ifname == NULL)
    return 0;
  e = json_object_new_object ();
  if (e == NULL || h2k_lc_add_int (e, "line", lineno) == -1 ||
      h2k_lc_add_str (e, "name", ifname) == -1)
    return -1;
  for (i = 0; i < n; ++i) {
    const char *k = tok[i].key, *field = NULL;

    if (strcmp (tok[i].op, "==") != 0)
      continue;
    if (strcmp (k, "ATTR{address}") == 0 || strcmp (k, "SYSFS{address}") == 0) {
      CLEANUP_FREE char *mac = lower (tok[i].value);
      if (mac == NULL || h2k_lc_add_str (e, "mac", mac) == -1)
        return -1;
      continue;
    }
    if (strcmp (k, "KERNEL") == 0) field = "kernel";
    else if (strcmp (k, "DRIVERS") == 0 || strcmp (k, "DRIVER") == 0)
      field = "driver";
    else if (strcmp (k, "ATTR{dev_id}") == 0) field = "dev_id";
    else if (strcmp (k, "ATTR{type}") == 0) field = "type";
    else if (strcmp (k, "ACTION") == 0) field = "action";
    if (field && h2k_lc_add_str (e, field, tok[i].value) == -1)
      return -1;
  }
  *out = e;
  e = NULL;
  return 1;
}

json_object *
h2k_linuxcfg_udev_net (const char *text, size_t len, const char *name)
{
  struct h2k_lc_text t;
  CLEANUP_JSON json_object *arr = json_object_new_array ();
  json_object *ret = NULL;
  size_t i = 0, count = 0;

  if (arr == NULL) {
    h2k_lc_oom (name);
    return NULL;
  }
  if (h2k_lc_text_split (text, len, name, &t) == -1)
    return NULL;
  while (i < t.n) {
    struct token tok[MAX_TOKENS];
    const char *reason = NULL;
    json_object *e;
    int lineno, n, k, r;
    CLEANUP_FREE char *line = h2k_lc_logical_line (&t, &i, &lineno, 0);

    if (line == NULL)
      goto out;
    if (h2k_lc_is_comment (line, "#"))
      continue;
    if (++count > LINUXCFG_MAX_ENTRIES) {
      h2k_lc_error (name, lineno, "too many rules (at most %d)",
                LINUXCFG_MAX_ENTRIES);
      goto out;
    }
    n = tokenise (line, tok, &reason);
    if (n == -1) {
      h2k_lc_error (name, lineno, "%s", reason);
      goto out;
    }
    r = net_rule (tok, n, lineno, &e);
    for (k = 0; k < n; ++k)
      free (tok[k].op);
    if (r == -1) {
      h2k_lc_oom (name);
      goto out;
    }
    if (r == 0)
      continue;
    if (h2k_lc_array_add (arr, e) == -1) {
      h2k_lc_oom (name);
      goto out;
    }
  }
  ret = arr;
  arr = NULL;
 out:
  h2k_lc_text_free (&t);
  return ret;
}
