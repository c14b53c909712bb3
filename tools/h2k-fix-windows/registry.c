/* h2k-fix-windows: registry planning and changes, on a local copy of the
 * SYSTEM or SOFTWARE hive, with hivex (keys found and made with
 * common/winreg.h).  No appliance here: the unit tests run these
 * on real hives.
 *
 * A value is planned only when the hive lacks it or holds it with another
 * type or data, so that a second run plans nothing.  Key names are
 * matched case-insensitively, as Windows (and hivex) do.
 */

#include <iconv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fix-windows.h"

#define SCSI_ADAPTER_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

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

static json_object *
hex_string (const char *data, size_t len)
{
  CLEANUP_FREE char *s = malloc (2 * len + 1);

  if (s == NULL)
    return NULL;
  for (size_t i = 0; i < len; ++i)
    sprintf (s + 2 * i, "%02x", (unsigned char) data[i]);
  s[2 * len] = 0;
  return json_object_new_string (s);
}

static json_object *
multi_strings (hive_h *h, hive_value_h v)
{
  CLEANUP_FREE_STRV char **strs = hivex_value_multiple_strings (h, v);
  json_object *a = strs ? json_object_new_array () : NULL;

  /* hivex gives the list's terminating empty string as an element: it
   * is not one.
   */
  for (size_t i = 0; a && strs[i] && (*strs[i] || strs[i + 1]); ++i)
    if (h2k_json_array_add_string (a, strs[i]) == -1) {
      json_object_put (a);
      return NULL;
    }
  return a;
}

json_object *
reg_get (hive_h *h, const char *key, const char *name)
{
  hive_node_h node = h2k_winreg_key (h, hivex_root (h), key);
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
  if (t == hive_t_REG_MULTI_SZ)
    return typed ("multi_sz", multi_strings (h, v));
  if (t == hive_t_REG_BINARY && (s = hivex_value_value (h, v, &t, &len)) != NULL)
    return typed ("binary", hex_string (s, len));
  /* Anything else: its length, enough to tell it changed. */
  return typed (type_name (t), json_object_new_int64 ((int64_t) len));
}

/* Append {key, name, type[, value]} to VALUES (VALUE may be NULL). */
static int
add_value (json_object *values, const char *key, const char *name,
           const char *type, json_object *value)
{
  json_object *o = json_object_new_object ();

  if (h2k_json_array_add (values, o) == -1)
    return -1;
  if (h2k_json_set_string (o, "key", key) == -1 ||
      h2k_json_set_string (o, "name", name) == -1 ||
      h2k_json_set_string (o, "type", type) == -1 ||
      (value && h2k_json_set (o, "value", json_object_get (value)) == -1))
    return -1;
  return 0;
}

/* Append {key, name, type, value} to VALUES unless the hive has it: NEW
 * is the wanted {type, value} (owned here).
 */
static int
want_typed (hive_h *h, json_object *values, const char *key, const char *name,
            json_object *new)
{
  CLEANUP_JSON json_object *cur = reg_get (h, key, name);
  CLEANUP_JSON json_object *owned = new;

  if (new == NULL) {
    h2k_error ("out of memory");
    return -1;
  }
  if (cur && json_object_equal (cur, new))
    return 0;
  return add_value (values, key, name, h2k_json_get_string (new, "type"),
                    json_object_object_get (new, "value"));
}

static int
want (hive_h *h, json_object *values, const char *key, const char *name,
      const char *type, const char *str, int64_t dword)
{
  return want_typed (h, values, key, name,
                     typed (type, str ? json_object_new_string (str)
                                      : json_object_new_int64 (dword)));
}

/* Plan the deletion of value NAME of KEY, if it is there. */
static int
want_deleted (hive_h *h, json_object *values, const char *key, const char *name)
{
  CLEANUP_JSON json_object *cur = reg_get (h, key, name);

  return cur ? add_value (values, key, name, "delete", NULL) : 0;
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

/* Is service NAME a class filter (UpperFilters or LowerFilters of a
 * device class) in control set CS?  Disabling a filter that a class still
 * lists stops every device of the class: for storage, 0x7B.
 */
static int
is_class_filter (hive_h *h, const char *cs, const char *name)
{
  static const char *const lists[] = { "UpperFilters", "LowerFilters", NULL };
  CLEANUP_FREE char *path = NULL;
  hive_node_h classes, *kids;
  int found = 0;

  if (asprintf (&path, "%s\\Control\\Class", cs) == -1 ||
      (classes = h2k_winreg_key (h, hivex_root (h), path)) == 0 ||
      (kids = hivex_node_children (h, classes)) == NULL)
    return 0;
  for (size_t i = 0; kids[i] && !found; ++i)
    for (size_t j = 0; lists[j] && !found; ++j) {
      CLEANUP_FREE_STRV char **strs = h2k_winreg_get_strings (h, kids[i], lists[j]);
      for (size_t k = 0; strs && strs[k]; ++k)
        found |= strcasecmp (strs[k], name) == 0;
    }
  free (kids);
  return found;
}

/* Drivers and services of other hypervisors that fail, hang or spin on
 * KVM.  Hyper-V's are not here: they are part of Windows, stay idle
 * without a VMBus, and disabling them would break a move back.
 */
const char *const hypervisor_services[] = {
  /* VMware Tools */
  "vmxnet3ndis6", "vmxnet3", "vmxnet", "pvscsi", "vmci", "vsock", "vmhgfs",
  "vm3dmp", "vm3dmp-debug", "vm3dmp-stats", "vm3dmp_loader", "vmmouse",
  "vmusbmouse", "vmmemctl", "vmrawdsk", "vmaudio", "VMTools", "VGAuthService",
  "vmvss", "VMUpgradeHelper",
  /* VirtualBox Guest Additions */
  "VBoxGuest", "VBoxSF", "VBoxMouse", "VBoxVideo", "VBoxVideoW8", "VBoxWddm",
  "VBoxService",
  /* Xen PV drivers */
  "xenbus", "xeniface", "xenvbd", "xenvif", "xennet", "xenagent", "xensvc",
  "xenfilt",
  NULL
};

int
reg_plan_leftovers (hive_h *h, char **control_sets, json_object *values)
{
  for (size_t i = 0; control_sets[i]; ++i)
    for (size_t j = 0; hypervisor_services[j]; ++j) {
      CLEANUP_FREE char *key = NULL, *real = NULL, *rkey = NULL;
      hive_node_h n;

      if (asprintf (&key, "%s\\Services\\%s", control_sets[i], hypervisor_services[j]) == -1) {
        h2k_error ("out of memory");
        return -1;
      }
      n = h2k_winreg_key (h, hivex_root (h), key);
      if (n == 0)
        continue;
      if (is_class_filter (h, control_sets[i], hypervisor_services[j])) {
        h2k_warning ("%s: left enabled: it is a device class filter, and "
                     "disabling a listed filter stops the whole class", key);
        continue;
      }
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

int
reg_plan_start_override (hive_h *h, char **control_sets, const char *drv,
                         json_object *values)
{
  for (size_t i = 0; control_sets[i]; ++i) {
    CLEANUP_FREE char *key = NULL;
    hive_node_h n;
    hive_value_h *vals;

    if (asprintf (&key, "%s\\Services\\%s\\StartOverride", control_sets[i], drv) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    if ((n = h2k_winreg_key (h, hivex_root (h), key)) == 0 ||
        (vals = hivex_node_values (h, n)) == NULL)
      continue;
    for (size_t j = 0; vals[j]; ++j) {
      CLEANUP_FREE char *name = hivex_value_key (h, vals[j]);
      if (name == NULL || want_deleted (h, values, key, name) == -1) {
        free (vals);
        if (name == NULL)
          h2k_error ("%s: cannot read a value name: %m", key);
        return -1;
      }
    }
    free (vals);
  }
  return 0;
}

int
reg_plan_ahci (hive_h *h, char **control_sets, int64_t build,
               json_object *values)
{
  const char *drv = build >= 9200 ? "storahci" : "msahci";

  for (size_t i = 0; control_sets[i]; ++i) {
    CLEANUP_FREE char *key = NULL;

    if (asprintf (&key, "%s\\Services\\%s", control_sets[i], drv) == -1) {
      h2k_error ("out of memory");
      return -1;
    }
    if (h2k_winreg_key (h, hivex_root (h), key) == 0) {
      h2k_error ("SYSTEM hive: %s: missing: this Windows has no inbox SATA AHCI "
                 "driver to boot phase 1 from", key);
      return -1;
    }
    if (want (h, values, key, "Start", "dword", NULL, 0) == -1 ||
        reg_plan_start_override (h, (char *[]) { control_sets[i], NULL }, drv, values) == -1)
      return -1;
  }
  return 0;
}

/* The Version value Windows keeps for a driver package (48 bytes): flags,
 * the class GUID in its binary form, the driver date (a FILETIME) and
 * version (four 16-bit numbers, last first).  Ours carries date and
 * version zero on purpose: any real package is newer and wins when it is
 * installed at first boot.
 */
static json_object *
package_version (const char *class_guid)
{
  unsigned char b[48] = { 0x00, 0xff, 0x09, 0x00 };
  unsigned int d1, d2, d3, d4[8];

  if (class_guid == NULL ||
      sscanf (class_guid, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &d1, &d2, &d3,
              &d4[0], &d4[1], &d4[2], &d4[3], &d4[4], &d4[5], &d4[6], &d4[7]) != 11)
    return NULL;
  h2k_put_le32 (b + 8, d1);
  h2k_put_le16 (b + 12, (uint16_t) d2);
  h2k_put_le16 (b + 14, (uint16_t) d3);
  for (size_t i = 0; i < 8; ++i)
    b[16 + i] = d4[i];
  return hex_string ((const char *) b, sizeof b);
}

char *
reg_driverdb_inf (const char *drv)
{
  char *s;

  return asprintf (&s, "h2k-%s.inf", drv) == -1 ? NULL : s;
}

char *
reg_driverdb_package (const char *drv, const char *arch)
{
  char *s;

  return asprintf (&s, "h2k-%s.inf_%s_0000000000000000", drv, arch) == -1 ? NULL : s;
}

/* The models of INF that install DRV's own section (its function driver). */
static int
model_installs (const struct inf_model *m, const struct inf_info *inf)
{
  return inf->n_models && strcasecmp (m->section, inf->models[0].section) == 0;
}

static int
plan_driverdb_package (hive_h *h, const char *pkg, const char *infname,
                       const struct inf_info *inf, const char *drv,
                       const char *oem_path, json_object *values)
{
  CLEANUP_FREE char *k = NULL, *cfg = NULL, *orig = NULL;
  const char *section = inf->models[0].section;

  if (asprintf (&k, "DriverDatabase\\DriverPackages\\%s", pkg) == -1 ||
      asprintf (&cfg, "%s\\Configurations\\%s", k, section) == -1 ||
      asprintf (&orig, "%s.inf", drv) == -1)
    goto oom;
  if (want (h, values, k, "", "sz", infname, 0) == -1 ||
      want (h, values, k, "InfName", "sz", orig, 0) == -1 ||
      want (h, values, k, "OemPath", "sz", oem_path, 0) == -1 ||
      want (h, values, k, "Provider", "sz", inf->provider ? inf->provider : "", 0) == -1 ||
      want_typed (h, values, k, "Version",
                  typed ("binary", package_version (inf->class_guid))) == -1 ||
      want (h, values, cfg, "Service", "sz", drv, 0) == -1 ||
      want (h, values, cfg, "ConfigFlags", "dword", NULL, 0) == -1 ||
      want (h, values, cfg, "ConfigScope", "dword", NULL, 7) == -1)
    return -1;
  for (size_t i = 0; i < inf->n_models; ++i) {
    const struct inf_model *m = &inf->models[i];
    CLEANUP_FREE char *d = NULL;

    if (!model_installs (m, inf))
      continue;
    if (asprintf (&d, "%s\\Descriptors\\%s", k, m->hwid) == -1)
      goto oom;
    if (want (h, values, d, "Configuration", "sz", section, 0) == -1 ||
        want (h, values, d, "Manufacturer", "sz", inf->provider ? inf->provider : "", 0) == -1 ||
        want (h, values, d, "Description", "sz", m->description ? m->description : drv, 0) == -1)
      return -1;
  }
  return 0;
 oom:
  h2k_error ("out of memory");
  return -1;
}

int
reg_plan_driverdb (hive_h *h, const char *drv, const char *arch,
                   const struct inf_info *inf, const char *oem_path,
                   json_object *values)
{
  CLEANUP_FREE char *infname = reg_driverdb_inf (drv);
  CLEANUP_FREE char *pkg = reg_driverdb_package (drv, arch);
  CLEANUP_FREE char *files = NULL;
  json_object *pkgs;

  if (infname == NULL || pkg == NULL ||
      asprintf (&files, "DriverDatabase\\DriverInfFiles\\%s", infname) == -1)
    goto oom;
  if (inf->n_models == 0 || inf->class_guid == NULL) {
    h2k_error ("%s: the driver's INF has no device for this architecture "
               "(or no ClassGuid)", drv);
    return -1;
  }
  pkgs = json_object_new_array ();
  if (pkgs == NULL)
    goto oom;
  if (h2k_json_array_add_string (pkgs, pkg) == -1) {
    json_object_put (pkgs);
    return -1;
  }
  if (want_typed (h, values, files, "", typed ("multi_sz", pkgs)) == -1 ||
      want (h, values, files, "Active", "sz", pkg, 0) == -1 ||
      plan_driverdb_package (h, pkg, infname, inf, drv, oem_path, values) == -1)
    return -1;
  for (size_t i = 0; i < inf->n_models; ++i) {
    CLEANUP_FREE char *d = NULL;

    if (!model_installs (&inf->models[i], inf))
      continue;
    if (asprintf (&d, "DriverDatabase\\DeviceIds\\%s", inf->models[i].hwid) == -1)
      goto oom;
    if (want_typed (h, values, d, infname,
                    typed ("binary", json_object_new_string ("01ff0000"))) == -1)
      return -1;
  }
  return 0;
 oom:
  h2k_error ("out of memory");
  return -1;
}

/* {key, name} under HKLM (SYSTEM\...) for fb_step_reg_delete. */
static int
cleanup_item (json_object *a, const char *key, const char *name)
{
  json_object *o = json_object_new_object ();
  CLEANUP_FREE char *k = NULL;

  if (h2k_json_array_add (a, o) == -1)
    return -1;
  if (asprintf (&k, "SYSTEM\\%s", key) == -1) {
    h2k_error ("out of memory");
    return -1;
  }
  if (h2k_json_set_string (o, "key", k) == -1 ||
      (name && h2k_json_set_string (o, "name", name) == -1))
    return -1;
  return 0;
}

json_object *
reg_driverdb_cleanup (const char *drv, const char *arch, const struct inf_info *inf)
{
  CLEANUP_FREE char *infname = reg_driverdb_inf (drv);
  CLEANUP_FREE char *pkg = reg_driverdb_package (drv, arch);
  CLEANUP_FREE char *files = NULL, *pk = NULL;
  json_object *a = json_object_new_array ();

  if (a == NULL || infname == NULL || pkg == NULL ||
      asprintf (&files, "DriverDatabase\\DriverInfFiles\\%s", infname) == -1 ||
      asprintf (&pk, "DriverDatabase\\DriverPackages\\%s", pkg) == -1)
    goto oom;
  for (size_t i = 0; i < inf->n_models; ++i) {
    CLEANUP_FREE char *d = NULL;

    if (!model_installs (&inf->models[i], inf))
      continue;
    if (asprintf (&d, "DriverDatabase\\DeviceIds\\%s", inf->models[i].hwid) == -1)
      goto oom;
    if (cleanup_item (a, d, infname) == -1)
      goto fail;
  }
  if (cleanup_item (a, files, NULL) == -1 || cleanup_item (a, pk, NULL) == -1)
    goto fail;
  return a;
 oom:
  h2k_error ("out of memory");
 fail:
  json_object_put (a);
  return NULL;
}

int
reg_plan_setup (hive_h *h, const char *cmdline, json_object *values)
{
  CLEANUP_JSON json_object *type = reg_get (h, "Setup", "SetupType");
  CLEANUP_JSON json_object *cmd = reg_get (h, "Setup", "CmdLine");
  const char *c = cmd ? json_object_get_string (json_object_object_get (cmd, "value")) : "";
  int64_t t = type ? json_object_get_int64 (json_object_object_get (type, "value")) : 0;

  if (t != 0 && strcmp (c, cmdline) != 0) {
    h2k_error ("SYSTEM hive: Setup\\SetupType: %" PRId64 " (CmdLine \"%s\"): Windows "
               "setup is pending (a sysprepped or unfinished install); h2k's "
               "first boot would replace it: boot it on the source first", t, c);
    return -1;
  }
  if (want (h, values, "Setup", "CmdLine", "sz", cmdline, 0) == -1 ||
      want (h, values, "Setup", "SetupType", "dword", NULL, 2) == -1)
    return -1;
  return 0;
}

int
reg_plan_device_path (hive_h *h, char *const *dirs, json_object *values)
{
  static const char key[] = "Microsoft\\Windows\\CurrentVersion";
  CLEANUP_JSON json_object *cur = reg_get (h, key, "DevicePath");
  const char *v = cur ? json_object_get_string (json_object_object_get (cur, "value")) : NULL;
  CLEANUP_FREE char *s = strdup (v && *v ? v : "%SystemRoot%\\inf");

  if (s == NULL)
    goto oom;
  for (size_t i = 0; dirs[i]; ++i) {
    CLEANUP_FREE char *probe = NULL, *list = NULL;
    char *n;

    if (asprintf (&probe, ";%s;", dirs[i]) == -1 || asprintf (&list, ";%s;", s) == -1)
      goto oom;
    if (strcasestr (list, probe))
      continue;
    if (asprintf (&n, "%s;%s", s, dirs[i]) == -1)
      goto oom;
    free (s);
    s = n;
  }
  return want (h, values, key, "DevicePath", "expand_sz", s, 0);
 oom:
  h2k_error ("out of memory");
  return -1;
}

/* S (UTF-8) as UTF-16LE with its terminating NUL; *LEN its size. */
static char *
utf16le (const char *s, size_t *len)
{
  size_t in = strlen (s) + 1, out = 2 * in + 2;
  char *b = malloc (out), *ip = (char *) s, *op = b;
  iconv_t cd = iconv_open ("UTF-16LE", "UTF-8");

  if (b == NULL || cd == (iconv_t) -1 ||
      iconv (cd, &ip, &in, &op, &out) == (size_t) -1) {
    if (cd != (iconv_t) -1)
      iconv_close (cd);
    free (b);
    return NULL;
  }
  iconv_close (cd);
  *len = (size_t) (op - b);
  return b;
}

/* The bytes of VAL for TYPE (sz, expand_sz, multi_sz, binary); *LEN. */
static char *
value_bytes (const char *type, json_object *val, size_t *len)
{
  if (strcmp (type, "binary") == 0) {
    const char *hex = json_object_get_string (val);
    size_t n = strlen (hex) / 2;
    char *b = malloc (n ? n : 1);
    for (size_t i = 0; b && i < n; ++i) {
      unsigned int x;
      sscanf (hex + 2 * i, "%2x", &x);
      b[i] = (char) x;
    }
    *len = n;
    return b;
  }
  if (strcmp (type, "multi_sz") == 0) {
    char *all = NULL;
    size_t total = 0;
    for (size_t i = 0; i <= json_object_array_length (val); ++i) {
      const char *s = i < json_object_array_length (val)
        ? json_object_get_string (json_object_array_get_idx (val, i)) : "";
      size_t n;
      CLEANUP_FREE char *u = utf16le (s, &n);
      char *grown = u ? realloc (all, total + n) : NULL;
      if (grown == NULL) {
        free (all);
        return NULL;
      }
      all = grown;
      memcpy (all + total, u, n);
      total += n;
    }
    *len = total;
    return all;
  }
  return utf16le (json_object_get_string (val), len);
}

static hive_type
value_type (const char *type)
{
  if (strcmp (type, "expand_sz") == 0) return hive_t_REG_EXPAND_SZ;
  if (strcmp (type, "multi_sz") == 0) return hive_t_REG_MULTI_SZ;
  if (strcmp (type, "binary") == 0) return hive_t_REG_BINARY;
  return hive_t_REG_SZ;
}

/* Remove value NAME from NODE: hivex sets a node's values as a whole. */
static int
delete_value (hive_h *h, hive_node_h node, const char *name)
{
  CLEANUP_FREE hive_value_h *vals = hivex_node_values (h, node);
  hive_set_value *keep = NULL;
  size_t n = 0, k = 0;
  int r = -1;

  if (vals == NULL)
    return -1;
  while (vals[n])
    ++n;
  keep = calloc (n + 1, sizeof *keep);
  if (keep == NULL)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    char *key = hivex_value_key (h, vals[i]);
    if (key == NULL)
      goto out;
    if (strcasecmp (key, name) == 0) {
      free (key);
      continue;
    }
    keep[k].key = key;
    keep[k].value = hivex_value_value (h, vals[i], &keep[k].t, &keep[k].len);
    if (keep[k++].value == NULL)
      goto out;
  }
  r = hivex_node_set_values (h, node, k, keep, 0);
 out:
  for (size_t i = 0; i < k; ++i) {
    free (keep[i].key);
    free (keep[i].value);
  }
  free (keep);
  return r;
}

static int
set_one (hive_h *h, json_object *v)
{
  const char *key = h2k_json_get_string (v, "key");
  const char *name = h2k_json_get_string (v, "name");
  const char *type = h2k_json_get_string (v, "type");
  json_object *val = h2k_json_get (v, "value");
  int del = type && strcmp (type, "delete") == 0;
  hive_node_h node = key == NULL ? 0
                    : del ? h2k_winreg_key (h, hivex_root (h), key)
                    : h2k_winreg_add_key (h, hivex_root (h), key);
  CLEANUP_FREE char *data = NULL;
  hive_set_value sv = { .key = (char *) name };
  unsigned char dw[4];

  if (node == 0 || name == NULL || type == NULL || (val == NULL && !del)) {
    h2k_error ("hive: %s: cannot create the key: %m", key ? key : "(no key)");
    return -1;
  }
  if (del) {
    if (delete_value (h, node, name) == -1)
      goto fail;
    return 0;
  }
  if (strcmp (type, "dword") == 0) {
    h2k_put_le32 (dw, (uint32_t) json_object_get_int64 (val));
    sv.t = hive_t_REG_DWORD;
    sv.len = sizeof dw;
    sv.value = (char *) dw;
  }
  else {
    sv.t = value_type (type);
    data = value_bytes (type, val, &sv.len);
    if (data == NULL) {
      h2k_error ("hive: %s\\%s: cannot encode the value", key, name);
      return -1;
    }
    sv.value = data;
  }
  if (hivex_node_set_value (h, node, &sv, 0) == -1)
    goto fail;
  return 0;
 fail:
  h2k_error ("hive: %s\\%s: cannot set the value: %m", key, *name ? name : "@");
  return -1;
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
