/* h2k-inspect: what the SYSTEM and SOFTWARE hives say about a Windows
 * guest.  Pure hivex: no appliance, so the unit tests run it on real
 * hives.  Everything from SYSTEM is read from the control set that
 * Select\Current names.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "inspect.h"
#include "windows.h"

#define NET_CLASS "{4D36E972-E325-11CE-BFC1-08002BE10318}"

/* Services and drivers that matter when the guest leaves its hypervisor. */
static const struct known_service {
  const char *name;
  const char *hypervisor;
} known_services[] = {
  { "vmxnet3ndis6", "vmware" }, { "vmxnet3", "vmware" }, { "vmxnet", "vmware" },
  { "pvscsi", "vmware" }, { "vmci", "vmware" }, { "vsock", "vmware" },
  { "vmhgfs", "vmware" }, { "vm3dmp", "vmware" }, { "vm3dmp_loader", "vmware" },
  { "vm3dmp-debug", "vmware" }, { "vm3dmp-stats", "vmware" },
  { "vmmouse", "vmware" }, { "vmusbmouse", "vmware" }, { "vmmemctl", "vmware" },
  { "vmrawdsk", "vmware" }, { "vmaudio", "vmware" }, { "vnetWFP", "vmware" },
  { "VMTools", "vmware" }, { "VGAuthService", "vmware" }, { "vmvss", "vmware" },
  { "VMware Physical Disk Helper Service", "vmware" },
  { "vmbus", "hyperv" }, { "VMBusHID", "hyperv" }, { "storvsc", "hyperv" },
  { "netvsc", "hyperv" }, { "hyperkbd", "hyperv" }, { "HyperVideo", "hyperv" },
  { "vmicheartbeat", "hyperv" }, { "vmickvpexchange", "hyperv" },
  { "vmicshutdown", "hyperv" }, { "vmictimesync", "hyperv" },
  { "vmicvss", "hyperv" }, { "vmicguestinterface", "hyperv" },
  { "vmicrdv", "hyperv" }, { "vmicvmsession", "hyperv" },
  { "VBoxGuest", "virtualbox" }, { "VBoxSF", "virtualbox" },
  { "VBoxMouse", "virtualbox" }, { "VBoxVideo", "virtualbox" },
  { "VBoxVideoW8", "virtualbox" }, { "VBoxWddm", "virtualbox" },
  { "VBoxService", "virtualbox" },
  { "xenbus", "xen" }, { "xenfilt", "xen" }, { "xeniface", "xen" },
  { "xenvbd", "xen" }, { "xenvif", "xen" }, { "xennet", "xen" },
  { "xenagent", "xen" }, { "xensvc", "xen" },
  { "viostor", "kvm" }, { "vioscsi", "kvm" }, { "netkvm", "kvm" },
  { "balloon", "kvm" }, { "vioser", "kvm" }, { "viorng", "kvm" },
  { "QEMU-GA", "kvm" },
  { NULL, NULL }
};

/* Antivirus and endpoint-protection services (service name, product).
 * builtin: ships with Windows.
 */
static const struct known_av {
  const char *service;
  const char *product;
  int builtin;
} known_av[] = {
  { "WinDefend", "Microsoft Defender Antivirus", 1 },
  { "Sense", "Microsoft Defender for Endpoint", 1 },
  { "SAVService", "Sophos Anti-Virus", 0 },
  { "SophosED", "Sophos Endpoint Defense", 0 },
  { "McShield", "McAfee VirusScan", 0 }, { "mfemms", "McAfee", 0 },
  { "masvc", "McAfee Agent", 0 },
  { "SepMasterService", "Symantec Endpoint Protection", 0 },
  { "ntrtscan", "Trend Micro OfficeScan", 0 },
  { "ds_agent", "Trend Micro Deep Security", 0 },
  { "ekrn", "ESET", 0 }, { "AVP", "Kaspersky", 0 }, { "kavfs", "Kaspersky", 0 },
  { "CSAgent", "CrowdStrike Falcon", 0 },
  { "CSFalconService", "CrowdStrike Falcon", 0 },
  { "CbDefense", "Carbon Black", 0 }, { "CarbonBlack", "Carbon Black", 0 },
  { "SentinelAgent", "SentinelOne", 0 },
  { "EPSecurityService", "Bitdefender Endpoint Security", 0 },
  { "CylanceSvc", "Cylance", 0 }, { "cyserver", "Palo Alto Cortex XDR", 0 },
  { "MBAMService", "Malwarebytes", 0 },
  { "avast! Antivirus", "Avast", 0 },
  { NULL, NULL, 0 }
};

static const char *
start_mode (int64_t start)
{
  static const char *const modes[] = { "boot", "system", "auto", "demand", "disabled" };

  return start >= 0 && start <= 4 ? modes[start] : "unknown";
}

/* OBJ[KEY] = the string value NAME of NODE, when there is one. */
static int
set_reg_string (json_object *obj, const char *key, hive_h *h,
                hive_node_h node, const char *name)
{
  CLEANUP_FREE char *s = h2k_winreg_get_string (h, node, name);

  return s ? h2k_json_set_string (obj, key, s) : 0;
}

static int
set_reg_strings (json_object *obj, const char *key, hive_h *h,
                 hive_node_h node, const char *name)
{
  CLEANUP_FREE_STRV char **v = h2k_winreg_get_strings (h, node, name);
  json_object *arr;

  if (v == NULL)
    return 0;
  arr = h2k_json_ensure_array (obj, key);
  if (arr == NULL)
    return -1;
  for (size_t i = 0; v[i]; ++i)
    if (h2k_json_array_add_string (arr, v[i]) == -1)
      return -1;
  return 0;
}

/* ---------------------------------------------------------------- SYSTEM */

/* Select: which ControlSetNNN is current, default, last known good,
 * failed; and which exist.  Returns the current one's name (caller frees)
 * or NULL reported.
 */
static char *
control_sets (hive_h *h, json_object *win)
{
  static const char *const names[][2] = {
    { "Current", "current" }, { "Default", "default" },
    { "LastKnownGood", "last_known_good" }, { "Failed", "failed" },
  };
  hive_node_h sel = h2k_winreg_key (h, hivex_root (h), "Select");
  json_object *cs = h2k_json_ensure_object (win, "control_sets");
  json_object *present = h2k_json_ensure_array (cs, "present");
  CLEANUP_FREE_STRV char **keys = h2k_winreg_subkeys (h, hivex_root (h));
  char *current = NULL;

  if (cs == NULL || present == NULL || keys == NULL)
    return NULL;
  for (size_t i = 0; i < 4; ++i) {
    int64_t n;
    char name[32];

    if (!h2k_winreg_get_dword (h, sel, names[i][0], &n) || n <= 0 || n > 999)
      continue;
    snprintf (name, sizeof name, "ControlSet%03d", (int) n);
    if (h2k_json_set_string (cs, names[i][1], name) == -1)
      return NULL;
    if (i == 0 && (current = strdup (name)) == NULL) {
      h2k_error ("out of memory");
      return NULL;
    }
  }
  for (size_t i = 0; keys[i]; ++i)
    if (strncasecmp (keys[i], "ControlSet", 10) == 0 &&
        h2k_json_array_add_string (present, keys[i]) == -1) {
      free (current);
      return NULL;
    }
  if (current == NULL)
    h2k_error ("SYSTEM hive: no Select\\Current: not a Windows SYSTEM hive");
  return current;
}

static int
read_service (hive_h *h, hive_node_h svc, const char *name,
              const char *hypervisor, json_object *arr)
{
  json_object *o = json_object_new_object ();
  int64_t start = -1, type = 0;
  int has_start = h2k_winreg_get_dword (h, svc, "Start", &start);
  int has_type = h2k_winreg_get_dword (h, svc, "Type", &type);
  const char *kind = !has_type ? "unknown" : (type & 0x3) ? "driver" : "service";

  if (h2k_json_array_add (arr, o) == -1)
    return -1;
  if (h2k_json_set_string (o, "name", name) == -1 ||
      h2k_json_set_string (o, "hypervisor", hypervisor) == -1 ||
      h2k_json_set_string (o, "kind", kind) == -1 ||
      (has_type && h2k_json_set_int (o, "type", type) == -1) ||
      (has_start && h2k_json_set_int (o, "start", start) == -1) ||
      h2k_json_set_string (o, "start_mode", has_start ? start_mode (start) : "unknown") == -1 ||
      set_reg_string (o, "image_path", h, svc, "ImagePath") == -1 ||
      set_reg_string (o, "group", h, svc, "Group") == -1 ||
      (h2k_winreg_key (h, svc, "StartOverride") &&
       h2k_json_set_bool (o, "start_override", 1) == -1))
    return -1;
  return 0;
}

static int
read_services (hive_h *h, hive_node_h cs, json_object *win)
{
  hive_node_h services = h2k_winreg_key (h, cs, "Services");
  json_object *arr = h2k_json_ensure_array (win, "services");

  if (arr == NULL)
    return -1;
  for (const struct known_service *k = known_services; k->name; ++k) {
    hive_node_h svc = services ? h2k_winreg_key (h, services, k->name) : 0;
    CLEANUP_FREE char *real = svc ? hivex_node_name (h, svc) : NULL;

    if (svc && read_service (h, svc, real ? real : k->name, k->hypervisor, arr) == -1)
      return -1;
  }
  return 0;
}

static int
read_antivirus (hive_h *h, hive_node_h cs, json_object *win)
{
  hive_node_h services = h2k_winreg_key (h, cs, "Services");
  json_object *arr = h2k_json_ensure_array (win, "antivirus");

  if (arr == NULL)
    return -1;
  for (const struct known_av *k = known_av; services && k->service; ++k) {
    hive_node_h svc = h2k_winreg_key (h, services, k->service);
    json_object *o;
    int64_t start = -1;

    if (svc == 0)
      continue;
    o = json_object_new_object ();
    if (h2k_json_array_add (arr, o) == -1)
      return -1;
    h2k_winreg_get_dword (h, svc, "Start", &start);
    if (h2k_json_set_string (o, "service", k->service) == -1 ||
        h2k_json_set_string (o, "product", k->product) == -1 ||
        h2k_json_set_bool (o, "builtin", k->builtin) == -1 ||
        h2k_json_set_string (o, "start_mode", start_mode (start)) == -1)
      return -1;
  }
  return 0;
}

/* MAC from a PCI device serial number in the device instance id, as
 * Windows writes it for NICs whose serial is an EUI-64 made from the MAC:
 * "...\000C29FFFFF3FFDE00" is 00:0c:29:f3:ff:de.  0 when it is not one.
 */
static int
mac_from_instance (const char *id, char mac[18])
{
  const char *s = id ? strrchr (id, '\\') : NULL;

  if (s == NULL || strlen (++s) != 18 || strspn (s, "0123456789ABCDEFabcdef") != 18 ||
      strncasecmp (s + 6, "FFFF", 4) != 0 || strcmp (s + 16, "00") != 0)
    return 0;
  snprintf (mac, 18, "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s",
            s, s + 2, s + 4, s + 10, s + 12, s + 14);
  for (int i = 0; mac[i]; ++i)
    mac[i] = mac[i] >= 'A' && mac[i] <= 'F' ? mac[i] + 32 : mac[i];
  return 1;
}

/* NetworkAddress "005056A11001" (an administrator's override) to
 * "00:50:56:a1:10:01"; 0 when it is not 12 hex digits.
 */
static int
mac_from_network_address (const char *na, char mac[18])
{
  if (na == NULL || strlen (na) != 12 || strspn (na, "0123456789ABCDEFabcdef") != 12)
    return 0;
  snprintf (mac, 18, "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s",
            na, na + 2, na + 4, na + 6, na + 8, na + 10);
  for (int i = 0; mac[i]; ++i)
    mac[i] = mac[i] >= 'A' && mac[i] <= 'F' ? mac[i] + 32 : mac[i];
  return 1;
}

static int
set_mac (json_object *iface, const char *mac, const char *source)
{
  if ((mac && h2k_json_set_string (iface, "mac", mac) == -1) ||
      h2k_json_set_string (iface, "mac_source", source) == -1)
    return -1;
  return 0;
}

/* The adapter (Control\Class\{net}\NNNN) whose NetCfgInstanceId is GUID. */
static int
read_adapter (hive_h *h, hive_node_h cs, const char *guid, json_object *iface)
{
  hive_node_h cls = h2k_winreg_key (h, cs, "Control\\Class\\" NET_CLASS);
  CLEANUP_FREE_STRV char **keys = cls ? h2k_winreg_subkeys (h, cls) : NULL;
  char mac[18];

  if (cls && keys == NULL)
    return -1;
  for (size_t i = 0; keys && keys[i]; ++i) {
    hive_node_h a = h2k_winreg_key (h, cls, keys[i]);
    CLEANUP_FREE char *id = h2k_winreg_get_string (h, a, "NetCfgInstanceId");
    CLEANUP_FREE char *inst = NULL, *na = NULL, *conn_path = NULL;
    json_object *ad;

    if (id == NULL || strcasecmp (id, guid) != 0)
      continue;
    inst = h2k_winreg_get_string (h, a, "DeviceInstanceID");
    na = h2k_winreg_get_string (h, a, "NetworkAddress");
    if (asprintf (&conn_path, "Control\\Network\\" NET_CLASS "\\%s\\Connection", id) == -1 ||
        (ad = h2k_json_ensure_object (iface, "adapter")) == NULL ||
        h2k_json_set_string (ad, "class_key", keys[i]) == -1 ||
        set_reg_string (ad, "description", h, a, "DriverDesc") == -1 ||
        (inst && h2k_json_set_string (ad, "device_instance_id", inst) == -1) ||
        set_reg_string (ad, "service", h,
                        h2k_winreg_key (h, h2k_winreg_key (h, cs, "Enum"),
                                        inst ? inst : ""), "Service") == -1 ||
        set_reg_string (ad, "connection_name", h,
                        h2k_winreg_key (h, cs, conn_path), "Name") == -1)
      return -1;
    if (mac_from_network_address (na, mac))
      return set_mac (iface, mac, "NetworkAddress");
    if (mac_from_instance (inst, mac))
      return set_mac (iface, mac, "device-serial");
    return set_mac (iface, NULL, "not-in-registry");
  }
  return 0;
}

/* Is the first address of ADDRS a real one (not 0.0.0.0)? */
static int
has_address (json_object *ipv4)
{
  json_object *a = h2k_json_get_array (ipv4, "addresses");
  const char *first = a && json_object_array_length (a) > 0
    ? json_object_get_string (json_object_array_get_idx (a, 0)) : NULL;

  return first && strcmp (first, "0.0.0.0") != 0;
}

static int
read_interface (hive_h *h, hive_node_h cs, hive_node_h ifs, const char *guid,
                json_object *arr)
{
  hive_node_h k = h2k_winreg_key (h, ifs, guid);
  hive_node_h k6 = h2k_winreg_key (h, cs, "Services\\Tcpip6\\Parameters\\Interfaces");
  json_object *o, *ipv4;
  int64_t dhcp;

  if (!h2k_winreg_get_dword (h, k, "EnableDHCP", &dhcp))
    return 0;                   /* an unused interface key */
  o = json_object_new_object ();
  if (h2k_json_array_add (arr, o) == -1)
    return -1;
  if (h2k_json_set_string (o, "guid", guid) == -1 ||
      h2k_json_set_bool (o, "dhcp", dhcp != 0) == -1 ||
      (ipv4 = h2k_json_ensure_object (o, "ipv4")) == NULL ||
      set_reg_strings (ipv4, "addresses", h, k, "IPAddress") == -1 ||
      set_reg_strings (ipv4, "netmasks", h, k, "SubnetMask") == -1 ||
      set_reg_strings (ipv4, "gateways", h, k, "DefaultGateway") == -1 ||
      set_reg_strings (o, "dns", h, k, "NameServer") == -1 ||
      set_reg_strings (o, "ipv6_dns", h, k6 ? h2k_winreg_key (h, k6, guid) : 0,
                       "NameServer") == -1 ||
      set_reg_string (o, "domain", h, k, "Domain") == -1 ||
      h2k_json_set_bool (o, "static", dhcp == 0 && has_address (ipv4)) == -1)
    return -1;
  return read_adapter (h, cs, guid, o);
}

static int
read_network (hive_h *h, hive_node_h cs, json_object *win)
{
  hive_node_h ifs = h2k_winreg_key (h, cs, "Services\\Tcpip\\Parameters\\Interfaces");
  CLEANUP_FREE_STRV char **guids = ifs ? h2k_winreg_subkeys (h, ifs) : NULL;
  json_object *net = h2k_json_ensure_object (win, "network");
  json_object *arr = h2k_json_ensure_array (net, "interfaces");

  if (arr == NULL || (ifs && guids == NULL))
    return -1;
  for (size_t i = 0; guids && guids[i]; ++i)
    if (read_interface (h, cs, ifs, guids[i], arr) == -1)
      return -1;
  return 0;
}

static const char *
arch_name (const char *pa)
{
  if (pa == NULL)
    return NULL;
  if (strcasecmp (pa, "AMD64") == 0)
    return "x86_64";
  if (strcasecmp (pa, "x86") == 0)
    return "i386";
  if (strcasecmp (pa, "ARM64") == 0)
    return "aarch64";
  return pa;
}

int
win_read_system (hive_h *h, json_object *win)
{
  CLEANUP_FREE char *csname = control_sets (h, win);
  CLEANUP_FREE char *pa = NULL;
  hive_node_h cs = csname ? h2k_winreg_key (h, hivex_root (h), csname) : 0;
  json_object *hib = h2k_json_ensure_object (win, "hibernation");
  json_object *bl = h2k_json_ensure_object (win, "bitlocker");
  int64_t v;

  if (csname == NULL || hib == NULL || bl == NULL)
    return -1;
  if (cs == 0) {
    h2k_error ("SYSTEM hive: Select\\Current names %s, which is missing", csname);
    return -1;
  }
  pa = h2k_winreg_get_string (h, h2k_winreg_key (h, cs, "Control\\Session Manager\\"
                                                 "Environment"),
                              "PROCESSOR_ARCHITECTURE");
  if ((pa && h2k_json_set_string (win, "arch", arch_name (pa)) == -1) ||
      h2k_json_set_bool (win, "critical_device_database",
                         h2k_winreg_key (h, cs, "Control\\CriticalDeviceDatabase") != 0) == -1 ||
      h2k_json_set_bool (win, "driver_database",
                         h2k_winreg_key (h, hivex_root (h), "DriverDatabase") != 0) == -1)
    return -1;
  if (h2k_winreg_get_dword (h, h2k_winreg_key (h, cs, "Control\\Session Manager\\Power"),
                            "HiberbootEnabled", &v) &&
      h2k_json_set_bool (hib, "fast_startup", v != 0) == -1)
    return -1;
  if (h2k_winreg_get_dword (h, h2k_winreg_key (h, cs, "Control\\BitLockerStatus"),
                            "BootStatus", &v) &&
      h2k_json_set_int (bl, "boot_status", v) == -1)
    return -1;
  if (read_services (h, cs, win) == -1 ||
      read_antivirus (h, cs, win) == -1 ||
      read_network (h, cs, win) == -1)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- SOFTWARE */

static int
read_version (hive_h *h, json_object *win)
{
  hive_node_h cv = h2k_winreg_key (h, hivex_root (h),
                                   "Microsoft\\Windows NT\\CurrentVersion");
  CLEANUP_FREE char *build = h2k_winreg_get_string (h, cv, "CurrentBuildNumber");
  CLEANUP_FREE char *ver = h2k_winreg_get_string (h, cv, "CurrentVersion");
  int64_t major, minor;
  char buf[32];

  if (cv == 0)
    return 0;
  /* Windows 10 and later keep CurrentVersion at "6.3" for old programs. */
  if (h2k_winreg_get_dword (h, cv, "CurrentMajorVersionNumber", &major) &&
      h2k_winreg_get_dword (h, cv, "CurrentMinorVersionNumber", &minor)) {
    snprintf (buf, sizeof buf, "%d.%d", (int) major, (int) minor);
    if (h2k_json_set_string (win, "version", buf) == -1)
      return -1;
  }
  else if (ver && h2k_json_set_string (win, "version", ver) == -1)
    return -1;
  if (build && strspn (build, "0123456789") == strlen (build) && *build &&
      strlen (build) < 10 && h2k_json_set_int (win, "build", atoll (build)) == -1)
    return -1;
  if (set_reg_string (win, "product", h, cv, "ProductName") == -1 ||
      set_reg_string (win, "edition", h, cv, "EditionID") == -1 ||
      set_reg_string (win, "installation_type", h, cv, "InstallationType") == -1 ||
      set_reg_string (win, "display_version", h, cv, "DisplayVersion") == -1 ||
      set_reg_string (win, "system_root", h, cv, "SystemRoot") == -1)
    return -1;
  return 0;
}

/* Group Policy: Computer Configuration > System > Device Installation >
 * Device Installation Restrictions.  Records the policy values set.
 */
static int
read_device_install_policy (hive_h *h, json_object *win)
{
  static const char *const names[] = {
    "DenyUnspecified", "DenyRemovableDevices", "DenyDeviceIDs",
    "DenyDeviceClasses", "DenyInstanceIDs", "AllowAdminInstall",
    "AllowDeviceIDs", "AllowDeviceClasses", "AllowInstanceIDs", NULL
  };
  hive_node_h r = h2k_winreg_key (h, hivex_root (h), "Policies\\Microsoft\\Windows\\"
                                  "DeviceInstall\\Restrictions");
  json_object *o;

  if (r == 0)
    return 0;
  o = h2k_json_ensure_object (win, "device_install_restrictions");
  if (o == NULL)
    return -1;
  for (size_t i = 0; names[i]; ++i) {
    int64_t v;
    if (h2k_winreg_get_dword (h, r, names[i], &v) &&
        h2k_json_set_int (o, names[i], v) == -1)
      return -1;
  }
  return 0;
}

/* The uninstall entries of hypervisor tools (for the fixers). */
static int
read_uninstall (hive_h *h, json_object *win)
{
  static const char *const names[] = {
    "VMware Tools", "Oracle VM VirtualBox Guest Additions",
    "Citrix XenServer", "XenServer VM Tools", "Citrix Hypervisor", NULL
  };
  hive_node_h u = h2k_winreg_key (h, hivex_root (h),
                                  "Microsoft\\Windows\\CurrentVersion\\Uninstall");
  CLEANUP_FREE_STRV char **keys = u ? h2k_winreg_subkeys (h, u) : NULL;
  json_object *arr;

  if (u == 0)
    return 0;
  if (keys == NULL || (arr = h2k_json_ensure_array (win, "tools_uninstall")) == NULL)
    return -1;
  for (size_t i = 0; keys[i]; ++i) {
    hive_node_h k = h2k_winreg_key (h, u, keys[i]);
    CLEANUP_FREE char *dn = h2k_winreg_get_string (h, k, "DisplayName");
    json_object *o;
    size_t j;

    for (j = 0; dn && names[j] && strncasecmp (dn, names[j], strlen (names[j])) != 0; ++j)
      ;
    if (dn == NULL || names[j] == NULL)
      continue;
    o = json_object_new_object ();
    if (h2k_json_array_add (arr, o) == -1)
      return -1;
    if (h2k_json_set_string (o, "name", dn) == -1 ||
        h2k_json_set_string (o, "key", keys[i]) == -1 ||
        set_reg_string (o, "version", h, k, "DisplayVersion") == -1 ||
        set_reg_string (o, "uninstall_string", h, k, "UninstallString") == -1)
      return -1;
  }
  return 0;
}

int
win_read_software (hive_h *h, json_object *win)
{
  json_object *bl = h2k_json_ensure_object (win, "bitlocker");

  if (bl == NULL ||
      read_version (h, win) == -1 ||
      read_device_install_policy (h, win) == -1 ||
      h2k_json_set_bool (bl, "policy",
                         h2k_winreg_key (h, hivex_root (h), "Policies\\Microsoft\\FVE") != 0) == -1 ||
      read_uninstall (h, win) == -1)
    return -1;
  return 0;
}
