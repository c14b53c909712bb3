/* h2k: from a configuration to command-line options, and
 * h2k_tool_config, which merges the --config files with a tool's argv
 * (the command line wins).  See config.h and h2k-config(5).
 */

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "config-priv.h"
#include "error.h"
#include "tool.h"
#include "util.h"

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
    if (h2k_config_parse_int (v, &n) == -1)
      return -1;
    {
      char num[32];
      snprintf (num, sizeof num, "%lld", n);
      return strv_take (sv, option_string (k->name, num));
    }
  case H2K_CONFIG_BOOLEAN:
    h2k_config_parse_bool (v, &b);
    return b ? strv_take (sv, option_string (k->name, NULL)) : 0;
  case H2K_CONFIG_COUNT:
    if (h2k_config_parse_bool (v, &b) == 0)
      n = b;
    else
      h2k_config_parse_int (v, &n);
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
