/* h2k: YAML configuration files, --config FILE (see h2k-config(5)).
 *
 * A configuration file is one YAML mapping of sections: "common" (keys
 * every tool accepts) and one per tool, named without "h2k-" ("fetch",
 * "convert", ...).  Each section maps keys to values; a key is the long
 * option of the tool it configures, so "validate: {timeout: 900}" means
 * "h2k-validate --timeout=900".  The schema (config-schema.c) says which
 * keys exist and what their values may be.
 *
 * Files are parsed with libyaml's event API into a small tree that keeps
 * the file and line of every key and value, checked against the schema
 * (so every error names FILE:LINE: section.key), then merged: maps merge
 * deeply, everything else (scalars, lists, null) replaces what an earlier
 * file said.  A null value ("key: ~") removes a key an earlier file set.
 *
 * Tools use one call, h2k_tool_config (tool.h), right after
 * h2k_tool_init.
 */
#ifndef H2K_CONFIG_H
#define H2K_CONFIG_H

#include <stddef.h>

/* Limits against hostile or mistaken input. */
#define H2K_CONFIG_MAX_BYTES (1024 * 1024)
#define H2K_CONFIG_MAX_DEPTH 16
#define H2K_CONFIG_MAX_NODES 10000

/* The schema ------------------------------------------------------------ */

enum h2k_config_type {
  H2K_CONFIG_STRING,            /* --key=VALUE */
  H2K_CONFIG_INTEGER,           /* --key=N, N in [min, max] */
  H2K_CONFIG_BOOLEAN,           /* true: --key; false: nothing */
  H2K_CONFIG_COUNT,             /* N (or true = 1): --key N times */
  H2K_CONFIG_LIST,              /* list of strings: --key=ITEM for each */
};

struct h2k_config_key {
  const char *name;             /* the key = the tool's long option */
  enum h2k_config_type type;
  const char *const *choices;   /* strings: the allowed values, or NULL */
  long long min, max;           /* integers and counts */
  /* Strings: a further check of the value; returns 0, or -1 with *WHY
   * set to a static explanation.  NULL: none.
   */
  int (*check) (const char *value, const char **why);
  /* Lists: keys sharing a group are replaced together by the command
   * line (giving --bridge drops the configured network list too).
   */
  const char *group;
  int positional;               /* the tool's positional argument */
  const char *doc;              /* one line, for messages and tests */
};

struct h2k_config_section {
  const char *name;             /* "common", or the tool without "h2k-" */
  const struct h2k_config_key *keys;   /* ends with name == NULL */
};

/* Every section; ends with name == NULL.  The first is "common". */
extern const struct h2k_config_section h2k_config_schema[];

/* The section or key called NAME, or NULL. */
const struct h2k_config_section *h2k_config_find_section (const char *name);
const struct h2k_config_key *
h2k_config_find_key (const struct h2k_config_section *s, const char *name);

/* Is VALUE one of the choices of SECTION.KEY (a CHOICE key of the
 * schema)?  A tool checks its option with this, so that its command line
 * and its configuration files accept the same values.  1 or 0 (0 too for
 * a key without choices).
 */
int h2k_config_is_choice (const char *section, const char *key,
                          const char *value);

/* The tree --------------------------------------------------------------- */

enum h2k_config_kind {
  H2K_CONFIG_SCALAR,
  H2K_CONFIG_MAP,
  H2K_CONFIG_SEQ,
  H2K_CONFIG_NULL,              /* "~", "null", or nothing */
};

struct h2k_config_node {
  enum h2k_config_kind kind;
  char *key;                    /* in a mapping: the key; else NULL */
  char *file;                   /* the file it was written in */
  unsigned long line;           /* 1-based */
  char *value;                  /* scalars (NUL-free) */
  int plain;                    /* the scalar was not quoted */
  struct h2k_config_node **items;   /* mappings and sequences */
  size_t n;
};

/* Parse TEXT (LEN bytes, from the file called NAME) into a tree.  Only
 * plain YAML is accepted: one document, no aliases, anchors or tags, no
 * duplicate keys, keys that are scalars.  Returns the root (a mapping;
 * an empty document gives an empty mapping) for h2k_config_node_free, or
 * NULL reported as "NAME:LINE: what is wrong".
 */
struct h2k_config_node *h2k_config_parse (const char *name, const char *text,
                                          size_t len);

/* Check ROOT (as parsed) against the schema; sections written as null
 * become empty mappings.  Returns 0, or -1 reported as
 * "FILE:LINE: section.key: what is wrong".
 */
int h2k_config_check (struct h2k_config_node *root);

/* Merge FROM into *INTO (maps deeply; anything else replaces) and free
 * FROM.  *INTO may be NULL.  Returns 0, or -1 reported (ENOMEM; FROM is
 * freed anyway).
 */
int h2k_config_merge (struct h2k_config_node **into,
                      struct h2k_config_node *from);

void h2k_config_node_free (struct h2k_config_node *n);

/* The value of key KEY (NULL: the section itself) of SECTION in ROOT, or
 * NULL when it is not set.  A key set to null is returned as a node of
 * kind H2K_CONFIG_NULL.
 */
const struct h2k_config_node *
h2k_config_get (const struct h2k_config_node *root, const char *section,
                const char *key);

/* Read, parse and check the file PATH and merge it into *ROOT (NULL at
 * first).  Returns 0, or -1 reported (*ROOT unchanged).
 */
int h2k_config_load (struct h2k_config_node **root, const char *path);

/* The options for SECTION's tool from ROOT's "common" section and
 * SECTION, in schema order: "--key=VALUE", "--key" for true booleans,
 * one "--key=ITEM" per list item.  Keys whose name (or group) is in SKIP
 * (NULL-terminated, or NULL) are left out; so is a positional key, whose
 * value goes to *POSITIONAL instead (NULL if unset).  Returns a
 * NULL-terminated vector the caller frees with h2k_free_strv (and
 * *POSITIONAL with free), or NULL reported.
 */
char **h2k_config_options (const struct h2k_config_node *root,
                           const char *section, const char *const *skip,
                           char **positional);

/* Is NAME a secret's name (password, passphrase, secret, key, token...),
 * which configuration may only name through a "*-file" or "*-env" key?
 */
int h2k_config_is_secret_name (const char *name);

#endif
