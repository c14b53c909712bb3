/* h2k-fix-windows: registry planning and changes, on a local copy of the
 * SYSTEM hive, with hivex.  No appliance here: the unit tests run these
 * on real hives.
 *
 * A value is planned only when the hive lacks it or holds it with another
 * type or data, so that a second run plans nothing.  Key names are
 * matched case-insensitively, as Windows (and hivex) do.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fixwin.h"

#define KEY_PATH_MAX 512
#define SCSI_ADAPTER_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

const char *const vmware_services[] = {
  "vmxnet3ndis6", "vmxnet3", "vmxnet", "pvscsi", "vmci", "vsock", "vmhgfs",
  "vm3dmp", "vm3dmp-debug", "vm3dmp-stats", "vm3dmp_loader", "vmmouse",
  "vmusbmouse", "vmmemctl", "vmrawdsk", "VMTools", "VGAuthService",
  "vmvss", "VMUpgradeHelper", NULL
};

/* The node at PATH (backslash-separated) under the root; 0 if missing.
 * With CREATE, missing keys are added.
 */
static hive_node_h
key_node (hive_h *h, const char *path, int create)
{
  char buf[KEY_PATH_MAX];
  hive_node_h node = hivex_root (h), next;
  char *save = NULL;

  if (node == 0 || strlen (path) >= sizeof buf)
    return 0;
  strcpy (buf, path);
  for (char *p = strtok_r (buf, "\\", &save); p && node;
       p = strtok_r (NULL, "\\", &save)) {
    next = hivex_node_get_child (h, node, p);
    if (next == 0 && create)
      next = hivex_node_add_child (h, node, p);
    node = next;
  }
  return node;
}

static const char *
type_name (hive_type t)
{
  switch (t) {
  case hive_t_REG_DWORD: return "dword";
  case hive_t_REG_SZ: return "sz";
  case hive_t_REG_EXPAND_SZ: return "expand_sz";
  case hive_t_REG_MULTI_SZ: return "multi_sz";
  case hive_t_REG_BINARY: return "binary";
  default: return "other";
  }
}

static json_object *
typed (const char *type, json_object *value)
{
  json_object *o = json_object_new_object ();

  if (o == NULL || value == NULL ||
      json_object_object_add (o, "type", json_object_new_string (type)) != 0 ||
      json_object_object_add (o, "value", value) != 0) {
    json_object_put (o);
    json_object_put (value);
    return NULL;
  }
  return o;
}

json_object *
reg_get (hive_h *h, const char *key, const char *name)
{
  hive_node_h node = key_node (h, key, 0);
  hive_value_h v = node ? hivex_node_get_value (h, node, name) : 0;
  hive_type t;
  size_t len;
  CLEANUP_FREE char *s = NULL;

  if (v == 0 || hivex_value_type (h, v, &t, &len) == -1)
    return NULL;
  if (t == hive_t_REG_DWORD)
    return typed ("dword", json_object_new_int64 ((uint32_t) hivex_value_dword (h, v)));
  if ((t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) &&
      (s = hivex_value_string (h, v)) != NULL)
    return typed (type_name (t), json_object_new_string (s));
  /* Anything else: its length, enough to tell it changed. */
  return typed (type_name (t), json_object_new_int64 ((int64_t) len));
}

/* Append {key, name, type, value} to VALUES unless the hive has it. */
static int
want (hive_h *h, json_object *values, const char *key, const char *name,
      const char *type, const char *str, int64_t dword)
{
  CLEANUP_JSON json_object *cur = reg_get (h, key, name);
  CLEANUP_JSON json_object *new = typed (type, str ? json_object_new_string (str)
                                                   : json_object_new_int64 (dword));
  json_object *o;

  if (new == NULL)
    goto oom;
  if (cur && json_object_equal (cur, new))
    return 0;
  o = json_object_new_object ();
  if (o == NULL || json_object_array_add (values, o) != 0) {
    json_object_put (o);
    goto oom;
  }
  if (h2k_json_set_string (o, "key", key) == -1 ||
      h2k_json_set_string (o, "name", name) == -1 ||
      h2k_json_set_string (o, "type", type) == -1 ||
      h2k_json_set (o, "value", json_object_get (json_object_object_get (new, "value"))) == -1)
    return -1;
  return 0;
 oom:
  h2k_error ("out of memory");
  return -1;
}

int
reg_plan_service (hive_h *h, char **control_sets, const char *drv,
                  json_object *values)
{
  for (size_t i = 0; control_sets[i]; ++i) {
    CLEANUP_FREE char *key = NULL, *image = NULL;

    if (asprintf (&key, "%s\\Services\\%s", control_sets[i], drv) == -1 ||
        asprintf (&image, "system32\\drivers\\%s.sys", drv) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    if (want (h, values, key, "Type", "dword", NULL, 1) == -1 ||
        want (h, values, key, "Start", "dword", NULL, 0) == -1 ||
        want (h, values, key, "ErrorControl", "dword", NULL, 1) == -1 ||
        want (h, values, key, "Group", "sz", "SCSI miniport", 0) == -1 ||
        want (h, values, key, "ImagePath", "expand_sz", image, 0) == -1)
      return -1;
  }
  return 0;
}

/* The PCI ids Windows matches, most specific first: legacy
 * (transitional) and modern devices.
 */
static const char *const viostor_ids[] = {
  "PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
  "PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4",
  "PCI#VEN_1AF4&DEV_1001",
  "PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
  "PCI#VEN_1AF4&DEV_1042&SUBSYS_11001AF4",
  "PCI#VEN_1AF4&DEV_1042",
  NULL
};
static const char *const vioscsi_ids[] = {
  "PCI#VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
  "PCI#VEN_1AF4&DEV_1004&SUBSYS_00081AF4",
  "PCI#VEN_1AF4&DEV_1004",
  "PCI#VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01",
  "PCI#VEN_1AF4&DEV_1048&SUBSYS_11001AF4",
  "PCI#VEN_1AF4&DEV_1048",
  NULL
};

int
reg_plan_cdd (hive_h *h, char **control_sets, const char *drv,
              json_object *values)
{
  const char *const *ids = strcmp (drv, "vioscsi") == 0 ? vioscsi_ids : viostor_ids;

  for (size_t i = 0; control_sets[i]; ++i)
    for (size_t j = 0; ids[j]; ++j) {
      CLEANUP_FREE char *key = NULL;

      if (asprintf (&key, "%s\\Control\\CriticalDeviceDatabase\\%s",
                    control_sets[i], ids[j]) == -1) {
        h2k_error ("out of memory");
        return -1;
      }
      if (want (h, values, key, "Service", "sz", drv, 0) == -1 ||
          want (h, values, key, "ClassGUID", "sz", SCSI_ADAPTER_GUID, 0) == -1)
        return -1;
    }
  return 0;
}

int
reg_plan_vmware (hive_h *h, char **control_sets, json_object *values)
{
  for (size_t i = 0; control_sets[i]; ++i)
    for (size_t j = 0; vmware_services[j]; ++j) {
      CLEANUP_FREE char *key = NULL, *real = NULL, *rkey = NULL;
      hive_node_h n;

      if (asprintf (&key, "%s\\Services\\%s", control_sets[i], vmware_services[j]) == -1) {
        h2k_error ("out of memory");
        return -1;
      }
      n = key_node (h, key, 0);
      if (n == 0)
        continue;
      /* Record the key as the hive spells it. */
      real = hivex_node_name (h, n);
      if (real == NULL ||
          asprintf (&rkey, "%s\\Services\\%s", control_sets[i], real) == -1) {
        h2k_error ("out of memory");
        return -1;
      }
      if (want (h, values, rkey, "Start", "dword", NULL, 4) == -1)
        return -1;
    }
  return 0;
}

/* S as UTF-16LE with its terminating NUL (ASCII only: our values are). */
static char *
utf16le (const char *s, size_t *len)
{
  size_t n = strlen (s);
  char *b = calloc (n + 1, 2);

  if (b == NULL)
    return NULL;
  for (size_t i = 0; i < n; ++i)
    b[2 * i] = s[i];
  *len = 2 * (n + 1);
  return b;
}

static int
set_one (hive_h *h, json_object *v)
{
  const char *key = h2k_json_get_string (v, "key");
  const char *name = h2k_json_get_string (v, "name");
  const char *type = h2k_json_get_string (v, "type");
  json_object *val = h2k_json_get (v, "value");
  hive_node_h node = key ? key_node (h, key, 1) : 0;
  CLEANUP_FREE char *data = NULL;
  hive_set_value sv = { .key = (char *) name };
  uint32_t dw;

  if (node == 0 || name == NULL || type == NULL || val == NULL) {
    h2k_error ("SYSTEM hive: %s: cannot create the key: %m", key ? key : "(no key)");
    return -1;
  }
  if (strcmp (type, "dword") == 0) {
    dw = htole32 ((uint32_t) json_object_get_int64 (val));
    sv.t = hive_t_REG_DWORD;
    sv.len = 4;
    sv.value = (char *) &dw;
  }
  else {
    sv.t = strcmp (type, "expand_sz") == 0 ? hive_t_REG_EXPAND_SZ : hive_t_REG_SZ;
    data = utf16le (json_object_get_string (val), &sv.len);
    if (data == NULL) {
      h2k_error ("out of memory");
      return -1;
    }
    sv.value = data;
  }
  if (hivex_node_set_value (h, node, &sv, 0) == -1) {
    h2k_error ("SYSTEM hive: %s\\%s: cannot set the value: %m", key, name);
    return -1;
  }
  return 0;
}

int
reg_apply (hive_h *h, json_object *values, json_object *before)
{
  size_t n = json_object_array_length (values);

  for (size_t i = 0; i < n; ++i) {
    json_object *v = json_object_array_get_idx (values, i);
    json_object *old = reg_get (h, h2k_json_get_string (v, "key"),
                                h2k_json_get_string (v, "name"));

    if (json_object_array_add (before, old) != 0) {
      json_object_put (old);
      h2k_error ("out of memory");
      return -1;
    }
    if (set_one (h, v) == -1)
      return -1;
  }
  return 0;
}
