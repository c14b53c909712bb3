/* h2k: the manifest schema, version 1.  Keep man/h2k-manifest.5.pod in
 * step with this file.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "manifest-schema.h"

/* Limits against hostile or broken input. */
#define MAX_STR    4096
#define MAX_ITEMS  4096

static const struct h2k_schema text = { .type = S_STRING, .maxlen = MAX_STR };
static const struct h2k_schema str_or_null = { .type = S_STRING, .maxlen = MAX_STR, .nullable = 1 };
static const struct h2k_schema abspath = { .type = S_ABSPATH, .maxlen = MAX_STR };
static const struct h2k_schema sha256 = { .type = S_HEX, .maxlen = 64 };
static const struct h2k_schema boolean = { .type = S_BOOL };
static const struct h2k_schema number = { .type = S_NUMBER };
static const struct h2k_schema size = { .type = S_INT, .min = 0, .max = INT64_MAX };
static const struct h2k_schema count = { .type = S_INT, .min = 0, .max = INT32_MAX };
static const struct h2k_schema any_object = { .type = S_OBJECT, .open = 1 };
static const struct h2k_schema strings = { .type = S_ARRAY, .items = &text, .max = MAX_ITEMS };

#define ENUM(name, ...)                                                 \
  static const char *const name##_values[] = { __VA_ARGS__, NULL };     \
  static const struct h2k_schema name = { .type = S_ENUM, .values = name##_values }

ENUM (source_kind, "vmx", "ovf", "ova", "vmdk", "vhd", "vhdx", "qcow2", "raw", "vdi", "vsphere");
ENUM (disk_format, "vmdk", "vhd", "vhdx", "qcow2", "raw", "vdi");
ENUM (output_format, "qcow2", "raw", "vdi");
ENUM (firmware, "bios", "uefi", "unknown");
ENUM (bus, "scsi", "sata", "ide", "nvme", "virtio", "unknown");
ENUM (flatten_action, "none", "collapse");
ENUM (compression, "none", "zlib", "zstd");
ENUM (preallocation, "off", "metadata", "falloc", "full");
ENUM (check_status, "clean", "leaks", "corrupt", "not-supported");
ENUM (stage_status, "ok", "failed");

static const struct h2k_schema version = { .type = S_INT, .min = 1, .max = 1 };
static const struct h2k_schema cpus = { .type = S_INT, .min = 1, .max = 4096 };
static const struct h2k_schema memory = { .type = S_INT, .min = 1, .max = INT64_C (1) << 32 };

ENUM (remote_protocol, "http", "https", "sftp");

/* vm.source.remote.files[] */
static const struct h2k_sfield remote_file_fields[] = {
  { "url", &text, 1 },
  { "path", &abspath, 1 },
  { "size", &size, 1 },
  { "resumed_from", &size, 0 },
  { "planned", &boolean, 0 },
  { "validator", &text, 0 },
  { "sha256", &sha256, 0 },
  { NULL }
};
static const struct h2k_schema remote_file = { .type = S_OBJECT, .fields = remote_file_fields };
static const struct h2k_schema remote_files = { .type = S_ARRAY, .items = &remote_file, .max = MAX_ITEMS };

/* vm.source.remote */
static const struct h2k_sfield remote_fields[] = {
  { "protocol", &remote_protocol, 1 },
  { "insecure", &boolean, 1 },
  { "warning", &text, 0 },
  { "files", &remote_files, 1 },
  { "total_bytes", &size, 0 },
  { NULL }
};
static const struct h2k_schema remote = { .type = S_OBJECT, .fields = remote_fields };

ENUM (vsphere_api, "vcenter", "esxi");

/* vm.source.vsphere.plan[] */
static const struct h2k_sfield vsphere_plan_fields[] = {
  { "datastore_path", &text, 1 },
  { "url", &text, 1 },
  { "path", &abspath, 1 },
  { "size", &size, 0 },
  { NULL }
};
static const struct h2k_schema vsphere_plan_file = { .type = S_OBJECT, .fields = vsphere_plan_fields };
static const struct h2k_schema vsphere_plan = { .type = S_ARRAY, .items = &vsphere_plan_file, .max = MAX_ITEMS };

/* vm.source.vsphere.snapshot */
static const struct h2k_sfield vsphere_snapshot_fields[] = {
  { "name", &text, 0 },
  { "moref", &text, 0 },
  { "created", &boolean, 1 },
  { "removed", &boolean, 0 },
  { NULL }
};
static const struct h2k_schema vsphere_snapshot = { .type = S_OBJECT, .fields = vsphere_snapshot_fields };

/* vm.source.vsphere */
static const struct h2k_sfield vsphere_fields[] = {
  { "api", &vsphere_api, 1 },
  { "moref", &text, 1 },
  { "inventory_path", &text, 1 },
  { "uuid", &text, 0 },
  { "power_state", &text, 0 },
  { "vmx", &text, 0 },
  { "snapshots", &count, 0 },
  { "snapshot", &vsphere_snapshot, 0 },
  { "total_bytes", &size, 1 },
  { "plan", &vsphere_plan, 1 },
  { NULL }
};
static const struct h2k_schema vsphere = { .type = S_OBJECT, .fields = vsphere_fields };

/* vm.source */
static const struct h2k_sfield vm_source_fields[] = {
  { "kind", &source_kind, 1 },
  { "path", &abspath, 1 },
  { "sha256", &sha256, 0 },
  { "extracted_dir", &abspath, 0 },
  { "manifest_verified", &text, 0 },
  { "url", &text, 0 },
  { "remote", &remote, 0 },
  { "vsphere", &vsphere, 0 },
  { NULL }
};
static const struct h2k_schema vm_source = { .type = S_OBJECT, .fields = vm_source_fields };

/* vm.nics[] */
static const struct h2k_sfield nic_fields[] = {
  { "id", &text, 1 },
  { "mac", &str_or_null, 0 },
  { "model", &text, 0 },
  { "network", &text, 0 },
  { "connected", &boolean, 0 },
  { NULL }
};
static const struct h2k_schema nic = { .type = S_OBJECT, .fields = nic_fields };
static const struct h2k_schema nics = { .type = S_ARRAY, .items = &nic, .max = 64 };

static const struct h2k_sfield vm_fields[] = {
  { "name", &text, 1 },
  { "source", &vm_source, 0 },
  { "firmware", &firmware, 0 },
  { "secure_boot", &boolean, 0 },
  { "cpus", &cpus, 0 },
  { "cores_per_socket", &cpus, 0 },
  { "memory_mb", &memory, 0 },
  { "hardware_version", &text, 0 },
  { "guest_os_hint", &text, 0 },
  { "nics", &nics, 0 },
  { "overrides", &strings, 0 },
  { NULL }
};
static const struct h2k_schema vm = { .type = S_OBJECT, .fields = vm_fields };

/* disks[].source */
static const struct h2k_sfield disk_source_fields[] = {
  { "path", &abspath, 1 },
  { "format", &disk_format, 1 },
  { "subformat", &text, 0 },
  { "virtual_size", &size, 0 },
  { "allocated_size", &size, 0 },
  { "read_only", &boolean, 0 },
  { "original_path", &abspath, 0 },
  { "sha256", &sha256, 0 },
  { NULL }
};
static const struct h2k_schema disk_source = { .type = S_OBJECT, .fields = disk_source_fields };

/* disks[].chain[] : index 0 is the image the VM used, the last the base. */
static const struct h2k_sfield chain_fields[] = {
  { "path", &abspath, 1 },
  { "format", &disk_format, 1 },
  { "subformat", &text, 0 },
  { "virtual_size", &size, 0 },
  { "cid", &text, 0 },
  { "parent_cid", &text, 0 },
  { "parent_hint", &text, 0 },
  { NULL }
};
static const struct h2k_schema chain_item = { .type = S_OBJECT, .fields = chain_fields };
static const struct h2k_schema chain = { .type = S_ARRAY, .items = &chain_item, .max = 256 };

static const struct h2k_sfield flatten_fields[] = {
  { "action", &flatten_action, 1 },
  { "reason", &text, 1 },
  { "path", &abspath, 0 },
  { NULL }
};
static const struct h2k_schema flatten = { .type = S_OBJECT, .fields = flatten_fields };

static const struct h2k_sfield image_fields[] = {
  { "path", &abspath, 1 },
  { "format", &disk_format, 1 },
  { NULL }
};
static const struct h2k_schema image = { .type = S_OBJECT, .fields = image_fields };

static const struct h2k_sfield overlay_fields[] = {
  { "path", &abspath, 1 },
  { "format", &disk_format, 1 },
  { "backing", &abspath, 1 },
  { NULL }
};
static const struct h2k_schema overlay = { .type = S_OBJECT, .fields = overlay_fields };

static const struct h2k_sfield check_fields[] = {
  { "status", &check_status, 1 },
  { "corruptions", &count, 0 },
  { "leaks", &count, 0 },
  { NULL }
};
static const struct h2k_schema check = { .type = S_OBJECT, .fields = check_fields };

static const struct h2k_sfield output_fields[] = {
  { "path", &abspath, 1 },
  { "format", &output_format, 1 },
  { "compression", &compression, 0 },
  { "preallocation", &preallocation, 0 },
  { "virtual_size", &size, 0 },
  { "allocated_size", &size, 0 },
  { "sha256", &sha256, 0 },
  { "check", &check, 0 },
  { "identical_to_source", &boolean, 0 },
  { NULL }
};
static const struct h2k_schema output = { .type = S_OBJECT, .fields = output_fields };

static const struct h2k_sfield disk_fields[] = {
  { "id", &text, 1 },
  { "bus", &bus, 0 },
  { "controller", &text, 0 },
  { "address", &text, 0 },
  { "source", &disk_source, 1 },
  { "chain", &chain, 0 },
  { "flatten", &flatten, 0 },
  { "current", &image, 1 },
  { "overlay", &overlay, 0 },
  { "output", &output, 0 },
  { NULL }
};
static const struct h2k_schema disk = { .type = S_OBJECT, .fields = disk_fields };
static const struct h2k_schema disks = { .type = S_ARRAY, .items = &disk, .max = 256 };

/* plan[] and changes[], owned by the fixers. */
static const struct h2k_sfield plan_fields[] = {
  { "id", &text, 1 },
  { "tool", &text, 1 },
  { "action", &text, 1 },
  { "reason", &text, 1 },
  { "files", &strings, 0 },
  { "details", &any_object, 0 },
  { NULL }
};
static const struct h2k_schema plan_item = { .type = S_OBJECT, .fields = plan_fields };
static const struct h2k_schema plan = { .type = S_ARRAY, .items = &plan_item, .max = MAX_ITEMS };

static const struct h2k_sfield change_fields[] = {
  { "plan_id", &text, 1 },
  { "action", &text, 1 },
  { "path", &text, 0 },
  { "before_sha256", &sha256, 0 },
  { "after_sha256", &sha256, 0 },
  { "backup", &text, 0 },
  { "command", &strings, 0 },
  { "details", &any_object, 0 },
  { NULL }
};
static const struct h2k_schema change_item = { .type = S_OBJECT, .fields = change_fields };
static const struct h2k_schema changes = { .type = S_ARRAY, .items = &change_item, .max = MAX_ITEMS };

static const struct h2k_sfield stage_fields[] = {
  { "tool", &text, 1 },
  { "version", &text, 1 },
  { "started", &text, 1 },
  { "ended", &text, 1 },
  { "duration_s", &number, 1 },
  { "status", &stage_status, 1 },
  { "error", &text, 0 },
  { "dry_run", &boolean, 0 },
  { NULL }
};
static const struct h2k_schema stage = { .type = S_OBJECT, .fields = stage_fields };
static const struct h2k_schema stages = { .type = S_ARRAY, .items = &stage, .max = 1024 };

/* windows_boot, written by h2k-fix-windows, read by h2k-validate. */
ENUM (boot_strategy, "single", "two-phase");
ENUM (win_storage, "viostor", "vioscsi");
static const struct h2k_schema phases = { .type = S_ARRAY, .items = &any_object, .max = 8 };
static const struct h2k_sfield windows_boot_fields[] = {
  { "strategy", &boot_strategy, 1 },
  { "storage", &win_storage, 1 },
  { "phases", &phases, 1 },
  { NULL }
};
static const struct h2k_schema windows_boot = { .type = S_OBJECT, .fields = windows_boot_fields };

static const struct h2k_sfield top_fields[] = {
  { "h2k_manifest_version", &version, 1 },
  { "workdir", &abspath, 0 },
  { "vm", &vm, 1 },
  { "disks", &disks, 1 },
  { "guest", &any_object, 0 },
  { "plan", &plan, 0 },
  { "changes", &changes, 0 },
  { "validation", &any_object, 0 },
  { "libvirt_xml", &abspath, 0 },
  { "windows_boot", &windows_boot, 0 },
  { "stages", &stages, 1 },
  { NULL }
};
const struct h2k_schema h2k_manifest_schema = { .type = S_OBJECT, .fields = top_fields };

static const char *
type_name (enum h2k_stype t)
{
  switch (t) {
  case S_OBJECT: return "an object";
  case S_ARRAY: return "an array";
  case S_STRING: case S_ABSPATH: case S_HEX: case S_ENUM: return "a string";
  case S_INT: return "an integer";
  case S_NUMBER: return "a number";
  case S_BOOL: return "true or false";
  }
  return "?";
}

static int
json_type_ok (const struct h2k_schema *s, json_object *v)
{
  switch (s->type) {
  case S_OBJECT: return json_object_is_type (v, json_type_object);
  case S_ARRAY: return json_object_is_type (v, json_type_array);
  case S_INT: return json_object_is_type (v, json_type_int);
  case S_NUMBER: return json_object_is_type (v, json_type_int) ||
                        json_object_is_type (v, json_type_double);
  case S_BOOL: return json_object_is_type (v, json_type_boolean);
  default: return json_object_is_type (v, json_type_string);
  }
}

static int validate_object (const struct h2k_schema *s, json_object *v,
                            const char *name, const char *path);
static int validate_array (const struct h2k_schema *s, json_object *v,
                           const char *name, const char *path);

static int
validate_string (const struct h2k_schema *s, json_object *v,
                 const char *name, const char *path)
{
  const char *str = json_object_get_string (v);
  size_t len = (size_t) json_object_get_string_len (v);

  if (strlen (str) != len) {
    h2k_error ("%s: %s: string contains a NUL byte", name, path);
    return -1;
  }
  switch (s->type) {
  case S_ENUM:
    for (size_t i = 0; s->values[i]; ++i)
      if (strcmp (str, s->values[i]) == 0)
        return 0;
    {
      CLEANUP_FREE char *list = NULL;
      size_t n = 0;
      FILE *fp = open_memstream (&list, &n);
      for (size_t i = 0; fp && s->values[i]; ++i)
        fprintf (fp, "%s%s", i ? ", " : "", s->values[i]);
      if (fp)
        fclose (fp);
      h2k_error ("%s: %s: \"%.64s\" is not one of %s", name, path, str,
                 list ? list : "the allowed values");
    }
    return -1;
  case S_HEX:
    for (size_t i = 0; i < len; ++i)
      if (!strchr ("0123456789abcdef", str[i]))
        goto bad_hex;
    if (len == s->maxlen)
      return 0;
  bad_hex:
    h2k_error ("%s: %s: expected %zu lowercase hex digits", name, path, s->maxlen);
    return -1;
  case S_ABSPATH:
    if (str[0] != '/') {
      h2k_error ("%s: %s: \"%.64s\" is not an absolute path", name, path, str);
      return -1;
    }
    /* fall through */
  default:
    if (len > s->maxlen) {
      h2k_error ("%s: %s: string longer than %zu bytes", name, path, s->maxlen);
      return -1;
    }
    return 0;
  }
}

int
h2k_schema_validate (const struct h2k_schema *s, json_object *v,
                     const char *name, const char *path)
{
  const char *where = path[0] ? path : "/";

  if (v == NULL && s->nullable)
    return 0;
  if (v == NULL || !json_type_ok (s, v)) {
    h2k_error ("%s: %s: expected %s, found %s", name, where, type_name (s->type),
               v ? json_type_to_name (json_object_get_type (v)) : "null");
    return -1;
  }
  switch (s->type) {
  case S_OBJECT:
    return validate_object (s, v, name, path);
  case S_ARRAY:
    return validate_array (s, v, name, path);
  case S_INT: {
    int64_t i;
    errno = 0;
    i = json_object_get_int64 (v);
    if (errno == 0 && i >= s->min && i <= s->max)
      return 0;
    h2k_error ("%s: %s: %s out of range [%" PRId64 ", %" PRId64 "]", name, where,
               json_object_to_json_string (v), s->min, s->max);
    return -1;
  }
  case S_NUMBER:
    if (json_object_get_double (v) >= 0)
      return 0;
    h2k_error ("%s: %s: negative number", name, where);
    return -1;
  case S_BOOL:
    return 0;
  default:
    return validate_string (s, v, name, where);
  }
}

static const struct h2k_sfield *
find_field (const struct h2k_schema *s, const char *key)
{
  for (const struct h2k_sfield *f = s->fields; f && f->key; ++f)
    if (strcmp (f->key, key) == 0)
      return f;
  return NULL;
}

static int
validate_object (const struct h2k_schema *s, json_object *v,
                 const char *name, const char *path)
{
  json_object_object_foreach (v, key, val) {
    const struct h2k_sfield *f = find_field (s, key);
    CLEANUP_FREE char *sub = NULL;

    if (f == NULL && s->open)
      continue;
    if (asprintf (&sub, "%s/%s", path, key) == -1) {
      h2k_error ("%m");
      return -1;
    }
    if (f == NULL) {
      h2k_error ("%s: %s: unknown key", name, sub);
      return -1;
    }
    if (h2k_schema_validate (f->schema, val, name, sub) == -1)
      return -1;
  }
  for (const struct h2k_sfield *f = s->fields; f && f->key; ++f) {
    if (f->required && !json_object_object_get_ex (v, f->key, NULL)) {
      h2k_error ("%s: %s/%s: required key missing", name, path, f->key);
      return -1;
    }
  }
  return 0;
}

static int
validate_array (const struct h2k_schema *s, json_object *v,
                const char *name, const char *path)
{
  size_t n = json_object_array_length (v);

  if ((int64_t) n > s->max) {
    h2k_error ("%s: %s: more than %" PRId64 " items", name, path, s->max);
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    CLEANUP_FREE char *sub = NULL;

    if (asprintf (&sub, "%s/%zu", path, i) == -1) {
      h2k_error ("%m");
      return -1;
    }
    if (h2k_schema_validate (s->items, json_object_array_get_idx (v, i),
                             name, sub) == -1)
      return -1;
  }
  return 0;
}
