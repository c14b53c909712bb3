/* h2k-validate: does the SYSTEM hive start the virtio storage driver at
 * boot and bind it to the virtio controller?  Pure hivex: no appliance
 * (the guest's files are checked through a callback).
 *
 * Windows finds its boot disk only if the driver is a boot-start kernel
 * driver in the control set it boots (Select names them) and the PnP
 * manager binds the controller to it before the disk is needed: through
 * the CriticalDeviceDatabase up to Windows 7 / 2008 R2, through the
 * DriverDatabase from Windows 8 on.  Else: 0x7B INACCESSIBLE_BOOT_DEVICE.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "windows.h"

#define KEY_PATH_MAX 512
#define MAX_STARTOVERRIDE 64    /* values we look at */

/* The PCI ids of one virtio storage device, most specific first, in the
 * order Windows matches them (hardware ids, then compatible ids).
 */
struct pci_family {
  const char *ids[5];
};

static const struct pci_family viostor_ids[] = {
  { { "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "VEN_1AF4&DEV_1001&SUBSYS_00021AF4",
      "VEN_1AF4&DEV_1001&REV_00", "VEN_1AF4&DEV_1001", NULL } },
  { { "VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", "VEN_1AF4&DEV_1042&SUBSYS_11001AF4",
      "VEN_1AF4&DEV_1042&REV_01", "VEN_1AF4&DEV_1042", NULL } },
};

static const struct pci_family vioscsi_ids[] = {
  { { "VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "VEN_1AF4&DEV_1004&SUBSYS_00081AF4",
      "VEN_1AF4&DEV_1004&REV_00", "VEN_1AF4&DEV_1004", NULL } },
  { { "VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01", "VEN_1AF4&DEV_1048&SUBSYS_11001AF4",
      "VEN_1AF4&DEV_1048&REV_01", "VEN_1AF4&DEV_1048", NULL } },
};

#define N_FAMILIES 2

static const struct pci_family *
families (const char *drv)
{
  return strcmp (drv, "vioscsi") == 0 ? vioscsi_ids : viostor_ids;
}

const char *
win_storage_driver (const char *bus)
{
  if (strcmp (bus, "virtio-blk") == 0)
    return "viostor";
  if (strcmp (bus, "virtio-scsi") == 0)
    return "vioscsi";
  return NULL;
}

/* ImagePath --------------------------------------------------------------- */

static int
prefix_ci (const char *s, const char *prefix)
{
  return strncasecmp (s, prefix, strlen (prefix)) == 0;
}

char *
win_image_path_to_guest (const char *image, const char *system_root)
{
  static const char *const root_prefixes[] = {
    "\\SystemRoot\\", "%SystemRoot%\\", "%windir%\\", NULL
  };
  const char *rest = image, *base = system_root;
  char *out;

  if (prefix_ci (rest, "\\??\\"))
    rest += 4;
  for (size_t i = 0; root_prefixes[i]; ++i)
    if (prefix_ci (rest, root_prefixes[i])) {
      rest += strlen (root_prefixes[i]);
      goto join;
    }
  if (rest[0] && rest[1] == ':' && rest[2] == '\\') {
    rest += 3;                  /* C:\...: the system drive */
    base = "";
  }
  else if (rest[0] == '\\') {
    rest += 1;
    base = "";
  }
 join:
  if (asprintf (&out, "%s/%s", base, rest) == -1)
    return NULL;
  for (char *p = out; *p; ++p)
    if (*p == '\\')
      *p = '/';
  return out;
}

/* Findings ------------------------------------------------------------------ */

struct check {
  hive_h *h;
  const struct win_check *c;
  json_object *out, *errors;
  int failed;                   /* ENOMEM */
};

static void fail (struct check *k, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* One error line: "SYSTEM\KEY...: what is wrong". */
static void
fail (struct check *k, const char *fs, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fs);
  if (vasprintf (&s, fs, ap) == -1)
    s = NULL;
  va_end (ap);
  if (s == NULL || h2k_json_array_add_string (k->errors, s) == -1)
    k->failed = 1;
  free (s);
}

static void
set_str (struct check *k, json_object *o, const char *key, const char *s)
{
  if (s && h2k_json_set_string (o, key, s) == -1)
    k->failed = 1;
}

static void
set_int (struct check *k, json_object *o, const char *key, int64_t v)
{
  if (h2k_json_set_int (o, key, v) == -1)
    k->failed = 1;
}

static json_object *
new_obj (struct check *k, json_object *parent, const char *key)
{
  json_object *o = h2k_json_ensure_object (parent, key);

  if (o == NULL)
    k->failed = 1;
  return o;
}

/* The service ---------------------------------------------------------------- */

/* StartOverride\<n>: any value but 0 demotes the driver. */
static void
check_start_override (struct check *k, hive_node_h svc, const char *key,
                      json_object *so)
{
  hive_node_h node = h2k_winreg_key (k->h, svc, "StartOverride");
  CLEANUP_FREE hive_value_h *vals = node ? hivex_node_values (k->h, node) : NULL;

  if (node == 0)
    return;
  if (h2k_json_set_bool (so, "start_override", 1) == -1)
    k->failed = 1;
  for (size_t i = 0; vals && vals[i] && i < MAX_STARTOVERRIDE; ++i) {
    CLEANUP_FREE char *name = hivex_value_key (k->h, vals[i]);
    int64_t d;

    if (name && h2k_winreg_get_dword (k->h, node, name, &d) && d != 0)
      fail (k, "SYSTEM\\%s\\StartOverride\\%s: %" PRId64 " demotes the boot "
            "driver (0 or no value: boot start)", key, name, d);
  }
}

static void
check_image_path (struct check *k, hive_node_h svc, const char *key,
                  json_object *so)
{
  CLEANUP_FREE char *image = h2k_winreg_get_string (k->h, svc, "ImagePath");
  CLEANUP_FREE char *dflt = NULL;
  CLEANUP_FREE char *path = NULL;
  const char *ip = image;
  int exists;

  if (ip == NULL) {
    /* Windows' default for a kernel driver. */
    if (asprintf (&dflt, "system32\\drivers\\%s.sys", k->c->drv) == -1) {
      k->failed = 1;
      return;
    }
    ip = dflt;
    if (h2k_json_set_bool (so, "image_path_default", 1) == -1)
      k->failed = 1;
  }
  set_str (k, so, "image_path", ip);
  if ((path = win_image_path_to_guest (ip, k->c->system_root)) == NULL) {
    k->failed = 1;
    return;
  }
  set_str (k, so, "file", path);
  if (k->c->file_exists == NULL)
    return;
  exists = k->c->file_exists (k->c->opaque, path);
  if (h2k_json_set_bool (so, "file_exists", exists) == -1)
    k->failed = 1;
  if (!exists)
    fail (k, "SYSTEM\\%s\\ImagePath: %s: %s does not exist in the guest",
          key, ip, path);
}

static void
check_service (struct check *k, hive_node_h cs, const char *csname,
               json_object *o)
{
  char key[KEY_PATH_MAX];
  hive_node_h svc;
  json_object *so;
  int64_t type, start;

  snprintf (key, sizeof key, "%s\\Services\\%s", csname, k->c->drv);
  svc = h2k_winreg_key (k->h, cs, "Services");
  svc = h2k_winreg_key (k->h, svc, k->c->drv);
  if ((so = new_obj (k, o, "service")) == NULL)
    return;
  set_str (k, so, "key", key);
  if (svc == 0) {
    fail (k, "SYSTEM\\%s: missing: Windows cannot load %s at boot "
          "(0x7B INACCESSIBLE_BOOT_DEVICE)", key, k->c->drv);
    return;
  }
  if (!h2k_winreg_get_dword (k->h, svc, "Type", &type))
    fail (k, "SYSTEM\\%s\\Type: missing, expected 1 (kernel driver)", key);
  else {
    set_int (k, so, "type", type);
    if (type != 1)
      fail (k, "SYSTEM\\%s\\Type: %" PRId64 ", expected 1 (kernel driver)", key, type);
  }
  if (!h2k_winreg_get_dword (k->h, svc, "Start", &start))
    fail (k, "SYSTEM\\%s\\Start: missing, expected 0 (boot start)", key);
  else {
    set_int (k, so, "start", start);
    if (start != 0)
      fail (k, "SYSTEM\\%s\\Start: %" PRId64 ", expected 0 (boot start)", key, start);
  }
  check_start_override (k, svc, key, so);
  check_image_path (k, svc, key, so);
}

/* CriticalDeviceDatabase (before Windows 8) ------------------------------- */

/* CDD key names: "pci#ven_1af4&dev_1001&..." (any case). */
static void
cdd_name (const char *id, char *buf, size_t size)
{
  snprintf (buf, size, "pci#%s", id);
  for (char *p = buf; *p; ++p)
    *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
}

/* Is the CDD entry for ID right?  1 yes; 0 wrong (the problem in
 * *WHY, which the caller frees); -1 missing.
 */
static int
cdd_entry (struct check *k, hive_node_h cdd, const char *key, const char *id,
           char **why)
{
  char name[128];
  hive_node_h e;
  CLEANUP_FREE char *svc = NULL, *guid = NULL;
  int r;

  cdd_name (id, name, sizeof name);
  if ((e = h2k_winreg_key (k->h, cdd, name)) == 0)
    return -1;
  svc = h2k_winreg_get_string (k->h, e, "Service");
  guid = h2k_winreg_get_string (k->h, e, "ClassGUID");
  if (svc == NULL || strcasecmp (svc, k->c->drv) != 0)
    r = asprintf (why, "SYSTEM\\%s\\%s\\Service: %s%s%s, expected %s", key, name,
                  svc ? "\"" : "", svc ? svc : "missing", svc ? "\"" : "",
                  k->c->drv);
  else if (guid == NULL || strcasecmp (guid, WIN_SCSI_ADAPTER_GUID) != 0)
    r = asprintf (why, "SYSTEM\\%s\\%s\\ClassGUID: %s, expected %s (SCSIAdapter)",
                  key, name, guid ? guid : "missing", WIN_SCSI_ADAPTER_GUID);
  else
    return 1;
  if (r == -1) {
    *why = NULL;
    k->failed = 1;
  }
  return 0;
}

static void
check_cdd (struct check *k, hive_node_h cs, const char *csname, json_object *o)
{
  char key[KEY_PATH_MAX];
  hive_node_h cdd = h2k_winreg_key (k->h, cs, "Control\\CriticalDeviceDatabase");
  const struct pci_family *fam = families (k->c->drv);
  CLEANUP_FREE char *first_why = NULL;
  json_object *co;

  snprintf (key, sizeof key, "%s\\Control\\CriticalDeviceDatabase", csname);
  if ((co = new_obj (k, o, "critical_device")) == NULL)
    return;
  /* Windows takes the first id present; either device model will do. */
  for (size_t f = 0; f < N_FAMILIES; ++f)
    for (size_t i = 0; fam[f].ids[i]; ++i) {
      CLEANUP_FREE char *why = NULL;
      char name[128];
      int r = cdd_entry (k, cdd, key, fam[f].ids[i], &why);

      if (r == -1)
        continue;
      if (r == 1) {
        cdd_name (fam[f].ids[i], name, sizeof name);
        snprintf (key + strlen (key), sizeof key - strlen (key), "\\%s", name);
        set_str (k, co, "key", key);
        set_str (k, co, "service", k->c->drv);
        set_str (k, co, "class_guid", WIN_SCSI_ADAPTER_GUID);
        return;
      }
      if (first_why == NULL) {
        first_why = why;
        why = NULL;
      }
      break;                    /* this device model matches the wrong entry */
    }
  if (first_why)
    fail (k, "%s", first_why);
  else
    fail (k, "SYSTEM\\%s: no entry for the %s PCI ids (pci#%s, ...): Windows "
          "does not bind %s to the controller at boot", key,
          strcmp (k->c->drv, "vioscsi") == 0 ? "virtio-scsi" : "virtio-blk",
          fam[0].ids[0], k->c->drv);
  set_str (k, co, "status", "missing");
}

/* DriverDatabase (Windows 8 and later) ----------------------------------------- */

/* Does the package bound by INF (a value name of DeviceIds\PCI\ID) map ID
 * to a configuration installing the driver?  1 yes; 0 no, the problem in
 * *WHY (caller frees).  The chain is recorded in DB when complete.
 */
static int
dd_inf (struct check *k, hive_node_h dd, const char *id, const char *inf,
        json_object *db, char **why)
{
  char path[KEY_PATH_MAX];
  CLEANUP_FREE char *pkg = NULL, *cfg = NULL, *svc = NULL;
  hive_node_h n, p;
  int r;

  snprintf (path, sizeof path, "DriverInfFiles\\%s", inf);
  n = h2k_winreg_key (k->h, dd, path);
  if (n == 0 || (pkg = h2k_winreg_get_string (k->h, n, "Active")) == NULL || !*pkg) {
    r = asprintf (why, "SYSTEM\\DriverDatabase\\%s%s: missing: the package "
                  "bound to PCI\\%s is not installed", path, n ? "\\Active" : "", id);
    goto out;
  }
  snprintf (path, sizeof path, "DriverPackages\\%s", pkg);
  if ((p = h2k_winreg_key (k->h, dd, path)) == 0) {
    r = asprintf (why, "SYSTEM\\DriverDatabase\\%s: missing (the Active package of %s)",
                  path, inf);
    goto out;
  }
  snprintf (path, sizeof path, "DriverPackages\\%s\\Descriptors\\PCI\\%s", pkg, id);
  n = h2k_winreg_key (k->h, dd, path);
  if (n == 0 || (cfg = h2k_winreg_get_string (k->h, n, "Configuration")) == NULL) {
    r = asprintf (why, "SYSTEM\\DriverDatabase\\%s%s: missing: package %s does "
                  "not describe PCI\\%s", path, n ? "\\Configuration" : "", pkg, id);
    goto out;
  }
  snprintf (path, sizeof path, "DriverPackages\\%s\\Configurations\\%s", pkg, cfg);
  n = h2k_winreg_key (k->h, dd, path);
  svc = n ? h2k_winreg_get_string (k->h, n, "Service") : NULL;
  if (svc == NULL || strcasecmp (svc, k->c->drv) != 0) {
    r = asprintf (why, "SYSTEM\\DriverDatabase\\%s%s: %s%s%s, expected Service %s",
                  path, n ? "\\Service" : "", svc ? "\"" : "",
                  svc ? svc : "missing", svc ? "\"" : "", k->c->drv);
    goto out;
  }
  snprintf (path, sizeof path, "DeviceIds\\PCI\\%s", id);
  set_str (k, db, "device_id", path);
  set_str (k, db, "inf", inf);
  set_str (k, db, "package", pkg);
  set_str (k, db, "configuration", cfg);
  set_str (k, db, "service", svc);
  return 1;
 out:
  if (r == -1) {
    *why = NULL;
    k->failed = 1;
  }
  return 0;
}

/* The INF names bound to DeviceIds\PCI\ID: 1 bound to the driver, 0 not
 * (*WHY), -1 no such key.
 */
static int
dd_device (struct check *k, hive_node_h dd, const char *id, json_object *db,
           char **why)
{
  char path[KEY_PATH_MAX];
  hive_node_h n;
  CLEANUP_FREE hive_value_h *vals = NULL;
  int found = 0;

  snprintf (path, sizeof path, "DeviceIds\\PCI\\%s", id);
  if ((n = h2k_winreg_key (k->h, dd, path)) == 0)
    return -1;
  vals = hivex_node_values (k->h, n);
  for (size_t i = 0; vals && vals[i]; ++i) {
    CLEANUP_FREE char *inf = hivex_value_key (k->h, vals[i]);
    CLEANUP_FREE char *w = NULL;

    if (inf == NULL || !h2k_ends_with_ci (inf, ".inf"))
      continue;
    found = 1;
    if (dd_inf (k, dd, id, inf, db, &w) == 1)
      return 1;
    if (*why == NULL) {
      *why = w;
      w = NULL;
    }
  }
  if (!found && *why == NULL &&
      asprintf (why, "SYSTEM\\DriverDatabase\\%s: names no INF", path) == -1) {
    *why = NULL;
    k->failed = 1;
  }
  return 0;
}

static void
check_driver_database (struct check *k)
{
  hive_node_h dd = h2k_winreg_key (k->h, hivex_root (k->h), "DriverDatabase");
  const struct pci_family *fam = families (k->c->drv);
  CLEANUP_FREE char *first_why = NULL;
  json_object *db = new_obj (k, k->out, "driver_database");

  if (db == NULL)
    return;
  if (dd == 0) {
    fail (k, "SYSTEM\\DriverDatabase: missing: no driver is bound to any device");
    return;
  }
  for (size_t f = 0; f < N_FAMILIES; ++f)
    for (size_t i = 0; fam[f].ids[i]; ++i) {
      CLEANUP_FREE char *why = NULL;
      int r = dd_device (k, dd, fam[f].ids[i], db, &why);

      if (r == 1)
        return;
      if (r == 0 && first_why == NULL) {
        first_why = why;
        why = NULL;
      }
    }
  if (first_why)
    fail (k, "%s", first_why);
  else
    fail (k, "SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\%s: missing (nor the "
          "other %s ids): no driver package is bound to the controller",
          fam[0].ids[0], strcmp (k->c->drv, "vioscsi") == 0 ? "virtio-scsi"
          : "virtio-blk");
  set_str (k, db, "status", "missing");
}

/* Control sets --------------------------------------------------------------- */

static json_object *
find_set (json_object *sets, const char *name)
{
  for (size_t i = 0; i < json_object_array_length (sets); ++i) {
    json_object *o = json_object_array_get_idx (sets, i);
    if (strcmp (h2k_json_get_string (o, "name"), name) == 0)
      return o;
  }
  return NULL;
}

/* The control sets Select names, each once, with what it is selected as. */
static json_object *
selected_sets (struct check *k)
{
  static const char *const roles[][2] = {
    { "Current", "current" }, { "Default", "default" },
    { "LastKnownGood", "last_known_good" },
  };
  hive_node_h sel = h2k_winreg_key (k->h, hivex_root (k->h), "Select");
  json_object *sets = h2k_json_ensure_array (k->out, "control_sets");

  if (sets == NULL) {
    k->failed = 1;
    return NULL;
  }
  if (sel == 0) {
    fail (k, "SYSTEM\\Select: missing: which control set boots is unknown");
    return sets;
  }
  for (size_t i = 0; i < 3; ++i) {
    char name[32];
    int64_t n;
    json_object *o, *as;

    if (!h2k_winreg_get_dword (k->h, sel, roles[i][0], &n) || n < 1 || n > 999) {
      /* Windows needs Current and Default; LastKnownGood is a fallback. */
      if (i < 2)
        fail (k, "SYSTEM\\Select\\%s: missing or not a control set number",
              roles[i][0]);
      continue;
    }
    snprintf (name, sizeof name, "ControlSet%03d", (int) n);
    if ((o = find_set (sets, name)) == NULL) {
      o = json_object_new_object ();
      if (h2k_json_array_add (sets, o) == -1) {
        k->failed = 1;
        return NULL;
      }
      set_str (k, o, "name", name);
    }
    as = h2k_json_ensure_array (o, "selected_as");
    if (as == NULL || h2k_json_array_add_string (as, roles[i][1]) == -1) {
      k->failed = 1;
      return NULL;
    }
  }
  return sets;
}

static void
check_set (struct check *k, json_object *o)
{
  const char *name = h2k_json_get_string (o, "name");
  hive_node_h cs = h2k_winreg_key (k->h, hivex_root (k->h), name);
  size_t before = json_object_array_length (k->errors);

  if (cs == 0) {
    fail (k, "SYSTEM\\%s: missing, but SYSTEM\\Select names it", name);
    set_str (k, o, "status", "missing");
    return;
  }
  check_service (k, cs, name, o);
  if (k->c->build < WIN_BUILD_WIN8)
    check_cdd (k, cs, name, o);
  set_str (k, o, "status",
           json_object_array_length (k->errors) > before ? "failed" : "ok");
}

json_object *
win_check_storage (hive_h *h, const struct win_check *c)
{
  struct check k = { .h = h, .c = c, .out = json_object_new_object () };
  json_object *sets;

  if (k.out == NULL || (k.errors = h2k_json_ensure_array (k.out, "errors")) == NULL)
    goto nomem;
  set_str (&k, k.out, "driver", c->drv);
  set_str (&k, k.out, "binding", c->build < WIN_BUILD_WIN8
           ? "critical-device-database" : "driver-database");
  if ((sets = selected_sets (&k)) == NULL)
    goto nomem;
  for (size_t i = 0; i < json_object_array_length (sets); ++i)
    check_set (&k, json_object_array_get_idx (sets, i));
  if (c->build >= WIN_BUILD_WIN8)
    check_driver_database (&k);
  if (k.failed)
    goto nomem;
  return k.out;
 nomem:
  json_object_put (k.out);
  h2k_error ("%m");
  return NULL;
}
