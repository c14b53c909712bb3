/* h2k: the manifest, the JSON document passed from tool to tool.
 *
 * The contract (version 1) is documented in h2k-manifest(5).  Every tool
 * reads a manifest with h2k_manifest_read, which parses it, validates it
 * against the schema (unknown keys and wrong types are errors naming the
 * JSON path) and refuses one whose last stage failed; changes only the
 * fields it owns; and writes it once, at the end, with h2k_manifest_write.
 */
#ifndef H2K_MANIFEST_H
#define H2K_MANIFEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#define H2K_MANIFEST_VERSION 1

/* A manifest may not be larger than this. */
#define H2K_MANIFEST_MAX_BYTES (64u << 20)

/* A new, empty manifest: version, empty vm, disks and stages.  Caller
 * owns the reference.  NULL reported.
 */
json_object *h2k_manifest_new (const char *vm_name);

/* Parse and validate a manifest from FP; NAME ("<stdin>" or a file name)
 * prefixes every message.  Refuses a terminal, empty input, text that is
 * not one JSON object, a wrong version, a schema violation, and a
 * manifest whose last stage failed.  Caller owns the result; NULL
 * reported.
 */
json_object *h2k_manifest_read (FILE *fp, const char *name);

/* The same for a buffer (LEN bytes, NUL-terminated). */
json_object *h2k_manifest_parse (const char *buf, size_t len,
                                 const char *name);

/* Validate M against the version 1 schema.  0, or -1 reported as
 * "NAME: /json/path: what is wrong".
 */
int h2k_manifest_validate (json_object *m, const char *name);

/* Validate, then write M to FD (pretty-printed, one trailing newline) in
 * as few write calls as the kernel allows, checking every one, so that
 * `tool > /dev/full` fails.  0, or -1 reported.
 */
int h2k_manifest_write_fd (json_object *m, int fd, const char *name);

/* Validate and publish M as the file PATH, atomically. */
int h2k_manifest_write_file (json_object *m, const char *path);

/* The stage record.  h2k_stage_begin notes the tool and the time;
 * h2k_stage_end appends {tool, version, started, ended, duration_s,
 * status, error?, dry_run?} to M's "stages".  ERROR is NULL for success.
 */
struct h2k_stage {
  const char *tool;
  char started[32];
  double t0;
  int dry_run;
};

void h2k_stage_begin (struct h2k_stage *st, const char *tool);
int h2k_stage_end (json_object *m, const struct h2k_stage *st,
                   const char *error);

/* Small accessors.  The getters return NULL (or DEF) when the key is
 * missing or of another type; the returned objects are borrowed.
 * The setters replace the key; they return 0, or -1 reported on ENOMEM.
 */
json_object *h2k_json_get (json_object *obj, const char *key);
json_object *h2k_json_get_object (json_object *obj, const char *key);
json_object *h2k_json_get_array (json_object *obj, const char *key);
const char *h2k_json_get_string (json_object *obj, const char *key);
int64_t h2k_json_get_int (json_object *obj, const char *key, int64_t def);
int h2k_json_get_bool (json_object *obj, const char *key, int def);

/* Get OBJ.KEY as an object, creating an empty one if missing. */
json_object *h2k_json_ensure_object (json_object *obj, const char *key);
json_object *h2k_json_ensure_array (json_object *obj, const char *key);

/* Set OBJ.KEY to VAL (owned).  VAL NULL is an error (its constructor
 * ran out of memory), never JSON null: use h2k_json_set_null for that.
 */
int h2k_json_set (json_object *obj, const char *key, json_object *val);
int h2k_json_set_null (json_object *obj, const char *key);
int h2k_json_set_string (json_object *obj, const char *key, const char *s);

/* Arrays.  h2k_json_array_add appends VAL (owned: freed on failure) to
 * ARR; VAL NULL is an error (its constructor ran out of memory), so
 *   if (h2k_json_array_add (arr, json_object_new_string (s)) == -1)
 * is the whole check.  The _string and _unique forms append a string (the
 * latter unless ARR holds it already; S NULL appends nothing).  All return
 * 0, or -1 reported.
 */
int h2k_json_array_add (json_object *arr, json_object *val);
int h2k_json_array_add_string (json_object *arr, const char *s);
int h2k_json_array_add_unique (json_object *arr, const char *s);
/* The length of ARR: 0 when it is NULL or not an array. */
size_t h2k_json_array_len (json_object *arr);
/* Is S one of the strings of the array ARR (NULL: none)? */
int h2k_json_array_has_string (json_object *arr, const char *s);
/* A new array of the strings of V (NULL-terminated; V NULL: an empty
 * array).  Caller owns it; NULL reported.
 */
json_object *h2k_json_strv (const char *const *v);

/* The fixers' plan: append {id, tool, action, reason, files[], details}
 * to the array PLAN, the id being ACTION-N (N its position from 1).  FILE
 * may be NULL; DETAILS (owned) NULL means the caller ran out of memory
 * building them: an error.  Returns the item, or NULL reported.
 */
json_object *h2k_plan_add (json_object *plan, const char *tool,
                           const char *action, const char *file,
                           json_object *details, const char *fs, va_list args)
  __attribute__((format (printf, 6, 0)));
int h2k_json_set_int (json_object *obj, const char *key, int64_t v);
int h2k_json_set_bool (json_object *obj, const char *key, int v);
int h2k_json_set_double (json_object *obj, const char *key, double v);

#endif
