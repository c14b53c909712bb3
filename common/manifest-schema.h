/* h2k: the manifest schema, as data (private to manifest.c and tests).
 *
 * A schema node says what one JSON value must be.  Objects list their
 * fields; a key not listed is an error unless the object is open.
 */
#ifndef H2K_MANIFEST_SCHEMA_H
#define H2K_MANIFEST_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum h2k_stype {
  S_OBJECT,                     /* fields, closed unless .open */
  S_ARRAY,                      /* items, at most .max of them */
  S_STRING,                     /* at most .maxlen bytes, no NUL */
  S_ABSPATH,                    /* string starting with '/' */
  S_HEX,                        /* hex string of exactly .maxlen digits */
  S_ENUM,                       /* one of .values */
  S_INT,                        /* integer in [.min, .max] */
  S_NUMBER,                     /* any number >= 0 */
  S_BOOL,
};

struct h2k_sfield;

struct h2k_schema {
  enum h2k_stype type;
  const struct h2k_sfield *fields;      /* S_OBJECT, NULL-key terminated */
  int open;                             /* S_OBJECT: any other key allowed */
  const struct h2k_schema *items;       /* S_ARRAY */
  const char *const *values;            /* S_ENUM, NULL-terminated */
  int64_t min, max;                     /* S_INT; S_ARRAY: max items */
  size_t maxlen;                        /* S_STRING, S_HEX */
  int nullable;                         /* JSON null is accepted too */
};

struct h2k_sfield {
  const char *key;
  const struct h2k_schema *schema;
  int required;
};

extern const struct h2k_schema h2k_manifest_schema;

/* Validate V against S; PATH is the JSON pointer of V ("" for the root).
 * On error, reports "NAME: PATH: message" and returns -1.
 */
struct json_object;
int h2k_schema_validate (const struct h2k_schema *s, struct json_object *v,
                         const char *name, const char *path);

#endif
