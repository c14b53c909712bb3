/* h2k: THE configuration schema, shared by every tool (see h2k-config(5)).
 *
 * One section per tool, named without "h2k-", plus "common".  A key is
 * the long option it sets, with the same meaning; h2k_tool_config checks
 * at startup that each key of the tool's sections is one of its long
 * options, taking an argument exactly when the key's type needs one.
 * Keep man/h2k-config.5.pod in step (tests/unit/common/test-config.c
 * checks that every key is documented there).
 */

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "size.h"

static int
check_size (const char *value, const char **why)
{
  uint64_t bytes;

  if (h2k_parse_size (value, &bytes) == -1 || bytes == 0) {
    *why = "expected a size such as 512M, 20G or 1T";
    return -1;
  }
  return 0;
}

static int
check_sha256 (const char *value, const char **why)
{
  if (strlen (value) != 64 || strspn (value, "0123456789abcdefABCDEF") != 64) {
    *why = "expected 64 hexadecimal digits";
    return -1;
  }
  return 0;
}

/* A certificate's SHA-1 or SHA-256 fingerprint: hex, ':' allowed. */
static int
check_thumbprint (const char *value, const char **why)
{
  size_t n = 0;

  for (const char *p = value; *p; ++p)
    n += *p != ':';
  if (strspn (value, "0123456789abcdefABCDEF:") != strlen (value) ||
      (n != 40 && n != 64)) {
    *why = "expected a SHA-1 or SHA-256 fingerprint in hex (':' allowed)";
    return -1;
  }
  return 0;
}

static int
check_regex (const char *value, const char **why)
{
  regex_t re;

  if (regcomp (&re, value, REG_EXTENDED | REG_NOSUB) != 0) {
    *why = "not a valid extended regular expression";
    return -1;
  }
  regfree (&re);
  return 0;
}

/* IN:OUT, split at the last ':', both parts non-empty. */
static int
check_map (const char *value, const char **why)
{
  const char *colon = strrchr (value, ':');

  if (colon == NULL || colon == value || colon[1] == '\0') {
    *why = "expected IN:OUT (source network : libvirt network or bridge)";
    return -1;
  }
  return 0;
}

/* The choices of the CHOICE keys.  The tools check their command-line
 * options against these same lists (h2k_config_is_choice), so a value is
 * good in a file exactly when it is good on the command line.
 */
static const char *const disk_formats[] = {
  "vmdk", "vhd", "vhdx", "qcow2", "raw", "vdi", NULL
};
static const char *const output_formats[] = { "qcow2", "raw", "vdi", NULL };
static const char *const compressions[] = { "zstd", "zlib", NULL };
static const char *const preallocations[] = {
  "off", "metadata", "falloc", "full", NULL
};
static const char *const buses[] = {
  "virtio-blk", "virtio-scsi", "sata", NULL
};
static const char *const machines[] = { "q35", "pc", NULL };
static const char *const report_formats[] = { "manifest", "table", NULL };
static const char *const signals[] = { "beacon", "login", NULL };

#define STRING(n, d) { .name = (n), .type = H2K_CONFIG_STRING, .doc = (d) }
#define CHOICE(n, c, d) \
  { .name = (n), .type = H2K_CONFIG_STRING, .choices = (c), .doc = (d) }
#define CHECKED(n, f, d) \
  { .name = (n), .type = H2K_CONFIG_STRING, .check = (f), .doc = (d) }
#define INTEGER(n, lo, hi, d) \
  { .name = (n), .type = H2K_CONFIG_INTEGER, .min = (lo), .max = (hi), \
    .doc = (d) }
#define BOOLEAN(n, d) { .name = (n), .type = H2K_CONFIG_BOOLEAN, .doc = (d) }
#define LIST(n, f, g, d) \
  { .name = (n), .type = H2K_CONFIG_LIST, .check = (f), .group = (g), \
    .doc = (d) }
#define END { .name = NULL }

/* An allowed disk directory: absolute, and never the root (the tool
 * checks again, with symbolic links resolved, when it starts).
 */
static int
check_disk_dir (const char *value, const char **why)
{
  if (value[0] != '/') {
    *why = "expected an absolute directory";
    return -1;
  }
  if (value[strspn (value, "/")] == '\0') {
    *why = "the root directory would allow any file on the host: refused";
    return -1;
  }
  return 0;
}

static const struct h2k_config_key common_keys[] = {
  { .name = "verbose", .type = H2K_CONFIG_COUNT, .min = 0, .max = 9,
    .doc = "debug messages: true, or how many times -v" },
  STRING ("failed-manifest", "on failure, write the failed manifest here"),
  BOOLEAN ("dry-run", "decide and record, change nothing"),
  LIST ("allow-disk-dir", check_disk_dir, NULL,
        "files image metadata names may also be under these directories"),
  BOOLEAN ("allow-devices",
           "files image metadata names may be block or character devices"),
  END
};

static const char *const firmwares[] = { "bios", "uefi", NULL };

static const struct h2k_config_key fetch_keys[] = {
  { .name = "source", .type = H2K_CONFIG_STRING, .positional = 1,
    .doc = "the VMX, OVF, OVA or disk image (the SOURCE argument)" },
  STRING ("workdir", "where this migration's files go"),
  STRING ("name", "the VM's name"),
  BOOLEAN ("copy", "copy the disks into the workdir"),
  CHOICE ("format", disk_formats, "SOURCE is a disk image in this format"),
  CHECKED ("max-extract", check_size, "refuse an OVA expanding past this"),
  CHOICE ("firmware", firmwares, "the VM's firmware, whatever the source says"),
  INTEGER ("connections", 1, 16, "parallel HTTP Range requests per file"),
  CHECKED ("sha256", check_sha256, "the sha256 of the file a URL names"),
  STRING ("cacert", "trust the CA certificates in this PEM file (HTTPS)"),
  BOOLEAN ("insecure", "do not verify TLS certificates (recorded)"),
  STRING ("known-hosts", "SSH host keys (default ~/.ssh/known_hosts)"),
  STRING ("identity-file", "SSH private key file"),
  STRING ("password-file", "a file whose first line is the password"),
  STRING ("password-env", "an environment variable holding the password"),
  STRING ("token-file", "a file whose first line is the HTTP bearer token"),
  STRING ("token-env", "an environment variable holding the bearer token"),
  CHECKED ("thumbprint", check_thumbprint,
           "vSphere: trust the server's certificate with this fingerprint"),
  BOOLEAN ("snapshot", "vSphere: copy a running VM from a snapshot h2k takes"),
  END
};

static const struct h2k_config_key flatten_keys[] = {
  END
};

static const struct h2k_config_key inspect_keys[] = {
  CHOICE ("format", report_formats, "stdout: the manifest, or a table"),
  END
};

static const struct h2k_config_key fix_linux_keys[] = {
  BOOLEAN ("keep-hypervisor-tools", "do not remove the old hypervisor's tools"),
  CHOICE ("format", report_formats, "stdout: the manifest, or the plan"),
  END
};

static const char *const storage_drivers[] = { "viostor", "vioscsi", NULL };
static const char *const boot_strategies[] = { "single", "two-phase", NULL };

static const struct h2k_config_key fix_windows_keys[] = {
  STRING ("virtio-win", "the virtio-win drivers: a directory or the ISO"),
  CHOICE ("storage", storage_drivers, "viostor (virtio-blk) or vioscsi (virtio-scsi)"),
  BOOLEAN ("keep-hypervisor-tools",
           "do not disable other hypervisors' drivers nor uninstall their tools"),
  CHOICE ("boot-strategy", boot_strategies, "single or two-phase"),
  CHOICE ("format", report_formats, "stdout: the manifest, or the plan"),
  END
};

static const struct h2k_config_key convert_keys[] = {
  CHOICE ("output-format", output_formats, "qcow2, raw or vdi"),
  CHOICE ("compress", compressions, "zstd or zlib: compressed qcow2"),
  CHOICE ("preallocation", preallocations, "off, metadata, falloc or full"),
  STRING ("output-dir", "where outputs go"),
  BOOLEAN ("force", "overwrite existing outputs"),
  BOOLEAN ("no-compare", "skip qemu-img compare"),
  STRING ("libvirt-xml", "write the libvirt domain XML here"),
  LIST ("network", check_map, "nic-map", "IN:OUT, NICs on IN to libvirt network OUT"),
  LIST ("bridge", check_map, "nic-map", "IN:OUT, NICs on IN to host bridge OUT"),
  CHOICE ("bus", buses, "the libvirt disk bus"),
  END
};

static const struct h2k_config_key validate_keys[] = {
  CHOICE ("bus", buses, "virtio-blk, virtio-scsi or sata"),
  CHOICE ("machine", machines, "q35 or pc"),
  CHOICE ("signal", signals, "what proves the boot: beacon or login"),
  BOOLEAN ("no-offline-checks", "skip qemu-img check and the guest checks"),
  INTEGER ("memory", 64, 1048576, "cap on the VM's memory, MiB"),
  INTEGER ("timeout", 1, 86400, "seconds to wait for the boot signal"),
  INTEGER ("net-timeout", 1, 86400, "then seconds for the network proof"),
  CHECKED ("expect", check_regex, "the login prompt, a regular expression"),
  STRING ("kernel", "boot this kernel directly"),
  STRING ("initrd", "with this initrd"),
  STRING ("append", "and this command line"),
  END
};

const struct h2k_config_section h2k_config_schema[] = {
  { "common", common_keys },
  { "fetch", fetch_keys },
  { "flatten", flatten_keys },
  { "inspect", inspect_keys },
  { "fix-linux", fix_linux_keys },
  { "fix-windows", fix_windows_keys },
  { "convert", convert_keys },
  { "validate", validate_keys },
  { NULL, NULL }
};

const struct h2k_config_section *
h2k_config_find_section (const char *name)
{
  for (const struct h2k_config_section *s = h2k_config_schema; s->name; ++s)
    if (strcmp (s->name, name) == 0)
      return s;
  return NULL;
}

const struct h2k_config_key *
h2k_config_find_key (const struct h2k_config_section *s, const char *name)
{
  for (const struct h2k_config_key *k = s->keys; k->name; ++k)
    if (strcmp (k->name, name) == 0)
      return k;
  return NULL;
}

int
h2k_config_is_choice (const char *section, const char *key, const char *value)
{
  const struct h2k_config_section *s = h2k_config_find_section (section);
  const struct h2k_config_key *k = s ? h2k_config_find_key (s, key) : NULL;

  for (size_t i = 0; value && k && k->choices && k->choices[i]; ++i)
    if (strcmp (k->choices[i], value) == 0)
      return 1;
  return 0;
}
