/* h2k: the manifest. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest.h"
#include "manifest-schema.h"
#include "publish.h"
#include "util.h"

json_object *
h2k_manifest_new (const char *vm_name)
{
  CLEANUP_JSON json_object *m = json_object_new_object ();
  json_object *vm = json_object_new_object ();

  if (m == NULL || vm == NULL ||
      h2k_json_set_int (m, "h2k_manifest_version", H2K_MANIFEST_VERSION) == -1 ||
      h2k_json_set (m, "vm", vm) == -1 ||
      h2k_json_set_string (vm, "name", vm_name) == -1 ||
      h2k_json_set (m, "disks", json_object_new_array ()) == -1 ||
      h2k_json_set (m, "stages", json_object_new_array ()) == -1) {
    h2k_error ("creating manifest: %m");
    return NULL;
  }
  json_object *r = m;
  m = NULL;
  return r;
}

/* Line and column of byte OFFSET in BUF, for parse errors. */
static void
line_col (const char *buf, size_t offset, int *line, int *col)
{
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset && buf[i]; ++i) {
    if (buf[i] == '\n') {
      (*line)++;
      *col = 1;
    }
    else
      (*col)++;
  }
}

/* Checks the schema cannot express. */
static int
validate_ids (json_object *arr, const char *name, const char *path)
{
  size_t n = arr ? json_object_array_length (arr) : 0;

  for (size_t i = 0; i < n; ++i) {
    const char *a = h2k_json_get_string (json_object_array_get_idx (arr, i), "id");
    for (size_t j = 0; a && j < i; ++j) {
      const char *b = h2k_json_get_string (json_object_array_get_idx (arr, j), "id");
      if (b && strcmp (a, b) == 0) {
        h2k_error ("%s: %s/%zu/id: \"%s\" is used twice", name, path, i, a);
        return -1;
      }
    }
  }
  return 0;
}

int
h2k_manifest_validate (json_object *m, const char *name)
{
  json_object *ver;

  /* The version first, so that a future manifest gets a useful message
   * rather than complaints about keys we do not know.
   */
  if (m && json_object_is_type (m, json_type_object) &&
      json_object_object_get_ex (m, "h2k_manifest_version", &ver) &&
      json_object_is_type (ver, json_type_int) &&
      json_object_get_int64 (ver) != H2K_MANIFEST_VERSION) {
    h2k_error ("%s: /h2k_manifest_version: version %s is not supported "
               "(h2k %s reads version %d)", name, json_object_to_json_string (ver),
               H2K_VERSION, H2K_MANIFEST_VERSION);
    return -1;
  }
  if (h2k_schema_validate (&h2k_manifest_schema, m, name, "") == -1)
    return -1;
  if (validate_ids (h2k_json_get_array (m, "disks"), name, "/disks") == -1)
    return -1;
  if (validate_ids (h2k_json_get_array (h2k_json_get_object (m, "vm"), "nics"),
                    name, "/vm/nics") == -1)
    return -1;
  return 0;
}

/* A manifest whose last stage failed must be repaired first. */
static int
check_last_stage (json_object *m, const char *name)
{
  json_object *stages = h2k_json_get_array (m, "stages");
  size_t n = stages ? json_object_array_length (stages) : 0;
  json_object *last;
  const char *status, *err;

  if (n == 0)
    return 0;
  last = json_object_array_get_idx (stages, n - 1);
  status = h2k_json_get_string (last, "status");
  if (status && strcmp (status, "failed") == 0) {
    err = h2k_json_get_string (last, "error");
    h2k_error ("%s: /stages/%zu: the last stage, %s, failed%s%s; "
               "fix that and run it again first", name, n - 1,
               h2k_json_get_string (last, "tool"), err ? ": " : "",
               err ? err : "");
    return -1;
  }
  return 0;
}

json_object *
h2k_manifest_parse (const char *buf, size_t len, const char *name)
{
  struct json_tokener *tok = NULL;
  json_object *m = NULL;
  size_t end;
  int line, col;

  if (len == 0 || strspn (buf, " \t\r\n") == len) {
    h2k_error ("%s: no manifest: the input is empty (start a pipeline "
               "with h2k-fetch)", name);
    return NULL;
  }
  if (strlen (buf) != len) {
    h2k_error ("%s: not a manifest: the input contains a NUL byte", name);
    return NULL;
  }
  tok = json_tokener_new ();
  if (tok == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  m = json_tokener_parse_ex (tok, buf, (int) len);
  end = json_tokener_get_parse_end (tok);
  if (m == NULL || json_tokener_get_error (tok) != json_tokener_success) {
    enum json_tokener_error e = json_tokener_get_error (tok);
    line_col (buf, end, &line, &col);
    h2k_error ("%s: line %d, column %d: not valid JSON: %s", name, line, col,
               e == json_tokener_continue ? "unexpected end of input"
                                          : json_tokener_error_desc (e));
    goto fail;
  }
  if (strspn (buf + end, " \t\r\n") != len - end) {
    line_col (buf, end, &line, &col);
    h2k_error ("%s: line %d, column %d: text after the manifest", name, line, col);
    goto fail;
  }
  if (h2k_manifest_validate (m, name) == -1 || check_last_stage (m, name) == -1)
    goto fail;
  json_tokener_free (tok);
  return m;
 fail:
  json_object_put (m);
  json_tokener_free (tok);
  return NULL;
}

json_object *
h2k_manifest_read (FILE *fp, const char *name)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  if (isatty (fileno (fp))) {
    h2k_error ("%s: is a terminal: pipe a manifest in (see h2k-manifest(5))",
               name);
    return NULL;
  }
  buf = h2k_read_stream (fp, name, H2K_MANIFEST_MAX_BYTES, &len);
  if (buf == NULL)
    return NULL;
  return h2k_manifest_parse (buf, len, name);
}

static const char *
to_text (json_object *m, size_t *len)
{
  const char *s = json_object_to_json_string_length
    (m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
        JSON_C_TO_STRING_NOSLASHESCAPE, len);
  return s;
}

int
h2k_manifest_write_fd (json_object *m, int fd, const char *name)
{
  const char *s;
  size_t len;

  if (h2k_manifest_validate (m, "output manifest") == -1)
    return -1;
  s = to_text (m, &len);
  if (s == NULL || h2k_write_all (fd, s, len) == -1 ||
      h2k_write_all (fd, "\n", 1) == -1) {
    h2k_error ("%s: writing the manifest: %m", name);
    return -1;
  }
  return 0;
}

int
h2k_manifest_write_file (json_object *m, const char *path)
{
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;

  if (h2k_publish_begin (path, &p) == -1 ||
      h2k_manifest_write_fd (m, p.fd, p.tmp) == -1)
    return -1;
  return h2k_publish_commit (&p);
}

void
h2k_stage_begin (struct h2k_stage *st, const char *tool)
{
  st->tool = tool;
  st->t0 = h2k_monotonic ();
  h2k_now_rfc3339 (st->started);
}

int
h2k_stage_end (json_object *m, const struct h2k_stage *st, const char *error)
{
  json_object *rec = json_object_new_object ();
  json_object *stages = h2k_json_ensure_array (m, "stages");
  char ended[32];
  double dur = h2k_monotonic () - st->t0;

  h2k_now_rfc3339 (ended);
  if (rec == NULL || stages == NULL ||
      h2k_json_set_string (rec, "tool", st->tool) == -1 ||
      h2k_json_set_string (rec, "version", H2K_VERSION) == -1 ||
      h2k_json_set_string (rec, "started", st->started) == -1 ||
      h2k_json_set_string (rec, "ended", ended) == -1 ||
      h2k_json_set_double (rec, "duration_s", (long) (dur * 1000 + 0.5) / 1000.0) == -1 ||
      h2k_json_set_string (rec, "status", error ? "failed" : "ok") == -1 ||
      (error && h2k_json_set_string (rec, "error", error) == -1) ||
      (st->dry_run && h2k_json_set_bool (rec, "dry_run", 1) == -1) ||
      json_object_array_add (stages, rec) != 0) {
    json_object_put (rec);
    h2k_error ("stage record: %m");
    return -1;
  }
  return 0;
}

json_object *
h2k_json_get (json_object *obj, const char *key)
{
  json_object *v;

  if (obj == NULL || !json_object_is_type (obj, json_type_object) ||
      !json_object_object_get_ex (obj, key, &v))
    return NULL;
  return v;
}

static json_object *
get_typed (json_object *obj, const char *key, json_type t)
{
  json_object *v = h2k_json_get (obj, key);

  return v && json_object_is_type (v, t) ? v : NULL;
}

json_object *
h2k_json_get_object (json_object *obj, const char *key)
{
  return get_typed (obj, key, json_type_object);
}

json_object *
h2k_json_get_array (json_object *obj, const char *key)
{
  return get_typed (obj, key, json_type_array);
}

const char *
h2k_json_get_string (json_object *obj, const char *key)
{
  json_object *v = get_typed (obj, key, json_type_string);

  return v ? json_object_get_string (v) : NULL;
}

int64_t
h2k_json_get_int (json_object *obj, const char *key, int64_t def)
{
  json_object *v = get_typed (obj, key, json_type_int);

  return v ? json_object_get_int64 (v) : def;
}

int
h2k_json_get_bool (json_object *obj, const char *key, int def)
{
  json_object *v = get_typed (obj, key, json_type_boolean);

  return v ? json_object_get_boolean (v) : def;
}

int
h2k_json_set (json_object *obj, const char *key, json_object *val)
{
  /* VAL NULL: its constructor failed, and json-c's constructors fail
   * only for want of memory (errno is not reliably set then).
   */
  if (val == NULL || json_object_object_add (obj, key, val) != 0) {
    json_object_put (val);
    h2k_error ("setting %s: out of memory", key);
    return -1;
  }
  return 0;
}

int
h2k_json_set_null (json_object *obj, const char *key)
{
  if (json_object_object_add (obj, key, NULL) != 0) {
    h2k_error ("setting %s: out of memory", key);
    return -1;
  }
  return 0;
}

static json_object *
ensure (json_object *obj, const char *key, json_type t)
{
  json_object *v = get_typed (obj, key, t);

  if (v)
    return v;
  v = t == json_type_object ? json_object_new_object () : json_object_new_array ();
  return h2k_json_set (obj, key, v) == 0 ? v : NULL;
}

json_object *
h2k_json_ensure_object (json_object *obj, const char *key)
{
  return ensure (obj, key, json_type_object);
}

json_object *
h2k_json_ensure_array (json_object *obj, const char *key)
{
  return ensure (obj, key, json_type_array);
}

int
h2k_json_array_add (json_object *arr, json_object *val)
{
  if (val == NULL || json_object_array_add (arr, val) != 0) {
    json_object_put (val);
    h2k_error ("adding to an array: out of memory");
    return -1;
  }
  return 0;
}

int
h2k_json_array_add_string (json_object *arr, const char *s)
{
  return h2k_json_array_add (arr, json_object_new_string (s));
}

size_t
h2k_json_array_len (json_object *arr)
{
  return json_object_is_type (arr, json_type_array) ? json_object_array_length (arr) : 0;
}

int
h2k_json_array_has_string (json_object *arr, const char *s)
{
  size_t n = h2k_json_array_len (arr);

  for (size_t i = 0; s && i < n; ++i) {
    json_object *v = json_object_array_get_idx (arr, i);
    if (json_object_is_type (v, json_type_string) &&
        strcmp (json_object_get_string (v), s) == 0)
      return 1;
  }
  return 0;
}

int
h2k_json_array_add_unique (json_object *arr, const char *s)
{
  if (s == NULL || h2k_json_array_has_string (arr, s))
    return 0;
  return h2k_json_array_add_string (arr, s);
}

json_object *
h2k_json_strv (const char *const *v)
{
  json_object *a = json_object_new_array ();

  if (a == NULL) {
    h2k_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; v && v[i]; ++i)
    if (h2k_json_array_add_string (a, v[i]) == -1) {
      json_object_put (a);
      return NULL;
    }
  return a;
}

int
h2k_json_set_string (json_object *obj, const char *key, const char *s)
{
  return h2k_json_set (obj, key, json_object_new_string (s));
}

int
h2k_json_set_int (json_object *obj, const char *key, int64_t v)
{
  return h2k_json_set (obj, key, json_object_new_int64 (v));
}

int
h2k_json_set_bool (json_object *obj, const char *key, int v)
{
  return h2k_json_set (obj, key, json_object_new_boolean (v));
}

int
h2k_json_set_double (json_object *obj, const char *key, double v)
{
  return h2k_json_set (obj, key, json_object_new_double (v));
}

json_object *
h2k_plan_add (json_object *plan, const char *tool, const char *action,
              const char *file, json_object *details, const char *fs,
              va_list args)
{
  json_object *item = json_object_new_object ();
  json_object *files = json_object_new_array ();
  CLEANUP_FREE char *reason = NULL, *id = NULL;

  if (vasprintf (&reason, fs, args) == -1)
    reason = NULL;
  if (item == NULL || files == NULL || reason == NULL || details == NULL ||
      asprintf (&id, "%s-%zu", action, json_object_array_length (plan) + 1) == -1 ||
      json_object_array_add (plan, item) != 0) {
    json_object_put (item);
    json_object_put (files);
    json_object_put (details);
    h2k_error ("out of memory");
    return NULL;
  }
  if (h2k_json_set_string (item, "id", id) == -1 ||
      h2k_json_set_string (item, "tool", tool) == -1 ||
      h2k_json_set_string (item, "action", action) == -1 ||
      h2k_json_set_string (item, "reason", reason) == -1 ||
      h2k_json_set (item, "files", files) == -1 ||
      (file && json_object_array_add (files, json_object_new_string (file)) != 0) ||
      h2k_json_set (item, "details", details) == -1)
    return NULL;
  return item;
}
