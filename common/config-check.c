/* h2k: checking a parsed configuration against the schema
 * (config-schema.c): known sections and keys, value types and choices,
 * no secrets in plain text.  See config.h and h2k-config(5).
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-priv.h"
#include "error.h"

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

int
h2k_config_parse_bool (const struct h2k_config_node *v, int *b)
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

int
h2k_config_parse_int (const struct h2k_config_node *v, long long *n)
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

  if (v->kind != H2K_CONFIG_SCALAR || h2k_config_parse_bool (v, &b) == 0)
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
    return h2k_config_parse_bool (v, &b) == 0 ? 0 : wrong_type (v, path, "true or false");
  case H2K_CONFIG_COUNT:
    if (h2k_config_parse_bool (v, &b) == 0)
      return 0;
    /* fall through */
  case H2K_CONFIG_INTEGER:
    if (h2k_config_parse_int (v, &n) == -1)
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

