/* h2k-fetch: build the first manifest from a VMX, OVF, OVA or disk
 * image.  This file parses options, decides what SOURCE is and where the
 * workdir goes, and hands over to one fetch_* function.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "h2k.h"
#include "fetch.h"
#include "vmx.h"
#include "remote.h"
#include "vsphere.h"

#define DEFAULT_MAX_EXTRACT "1T"

enum {
  OPT_WORKDIR = H2K_OPT_TOOL,
  OPT_NAME,
  OPT_COPY,
  OPT_MAX_EXTRACT,
  OPT_FORMAT,
  OPT_FIRMWARE,
  OPT_CONNECTIONS,
  OPT_SHA256,
  OPT_CACERT,
  OPT_INSECURE,
  OPT_KNOWN_HOSTS,
  OPT_IDENTITY_FILE,
  OPT_PASSWORD_FILE,
  OPT_PASSWORD_ENV,
  OPT_TOKEN_FILE,
  OPT_TOKEN_ENV,
  OPT_LIST,
  OPT_SNAPSHOT,
  OPT_THUMBPRINT,
};

static const char short_opts[] = H2K_COMMON_SHORT "n";
static const struct option long_opts[] = {
  H2K_COMMON_LONG,
  { "workdir", required_argument, NULL, OPT_WORKDIR },
  { "name", required_argument, NULL, OPT_NAME },
  { "copy", no_argument, NULL, OPT_COPY },
  { "dry-run", no_argument, NULL, 'n' },
  { "max-extract", required_argument, NULL, OPT_MAX_EXTRACT },
  { "format", required_argument, NULL, OPT_FORMAT },
  { "firmware", required_argument, NULL, OPT_FIRMWARE },
  { "connections", required_argument, NULL, OPT_CONNECTIONS },
  { "sha256", required_argument, NULL, OPT_SHA256 },
  { "cacert", required_argument, NULL, OPT_CACERT },
  { "insecure", no_argument, NULL, OPT_INSECURE },
  { "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS },
  { "identity-file", required_argument, NULL, OPT_IDENTITY_FILE },
  { "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
  { "password-env", required_argument, NULL, OPT_PASSWORD_ENV },
  { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
  { "token-env", required_argument, NULL, OPT_TOKEN_ENV },
  { "list", no_argument, NULL, OPT_LIST },
  { "snapshot", no_argument, NULL, OPT_SNAPSHOT },
  { "thumbprint", required_argument, NULL, OPT_THUMBPRINT },
  { NULL }
};

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
"Usage: %s [OPTIONS] SOURCE\n"
"Build the first h2k manifest from SOURCE and write it to standard output.\n"
"SOURCE is a VMware .vmx, an .ovf, an .ova, or a disk image (VMDK, VHD,\n"
"VHDX, qcow2, VDI; raw with --format raw).  Source files are never\n"
"written.  SOURCE may be a URL: http://, https:// (an .ova, an .ovf and\n"
"the files it references, or a disk image), ssh:// or sftp:// (an ESXi\n"
"host's .vmx and its disks, or any of the above); the files are downloaded\n"
"into WORKDIR/download, resumably, then read as local files.\n"
"\n"
"Options:\n"
"      --workdir=DIR        where this migration's files go (default:\n"
"                           ./NAME.h2k, created if missing)\n"
"      --name=NAME          the VM's name (default: from SOURCE)\n"
"      --copy               copy the disks into the workdir, verified by\n"
"                           sha256 (default: reference them read-only)\n"
"      --format=FMT         SOURCE is a disk image in FMT: vmdk, vhd, vhdx,\n"
"                           qcow2, raw, vdi (needed for raw images)\n"
"      --firmware=FW        the VM boots with bios or uefi, whatever the\n"
"                           source says (recorded in vm.overrides)\n"
"      --max-extract=SIZE   refuse an OVA expanding past SIZE (default "
DEFAULT_MAX_EXTRACT ")\n"
"  -n, --dry-run            decide and print the manifest, but create,\n"
"                           copy and extract nothing (a URL: list and\n"
"                           size its files, download none)\n"
"\n"
"URL sources (credentials are never given on the command line):\n"
"      --connections=N      parallel HTTP Range requests per file (1-16,\n"
"                           default 4)\n"
"      --sha256=HEX         the file the URL names must have this sha256\n"
"      --cacert=FILE        trust the CA certificates in FILE (PEM) for\n"
"                           HTTPS (default: the system's)\n"
"      --insecure           do not verify TLS certificates (a warning is\n"
"                           recorded in the manifest)\n"
"      --known-hosts=FILE   SSH host keys (default: ~/.ssh/known_hosts)\n"
"      --identity-file=FILE SSH private key (default: ssh-agent, then\n"
"                           ~/.ssh/id_*)\n"
"      --password-file=FILE the password (for the URL's user@) is the\n"
"                           first line of FILE\n"
"      --password-env=VAR   ... or the value of the environment variable\n"
"      --token-file=FILE    HTTP bearer token, first line of FILE\n"
"      --token-env=VAR      ... or the value of the environment variable\n"
"\n"
"vSphere sources (vsphere://user@vcenter/DC/vm/Folder/VM, esxi://user@host/VM;\n"
"the VM by inventory path, name, managed object id or BIOS UUID):\n"
"      --list               print the VMs below the URL (no bytes moved);\n"
"                           --format=table (default) or --format=json\n"
"      --snapshot           copy a running VM from a snapshot h2k takes\n"
"                           and removes (without it, a running VM is\n"
"                           refused)\n"
"      --thumbprint=HEX     trust the server's certificate with this SHA-1\n"
"                           or SHA-256 fingerprint (AB:CD:...)\n"
"      (with --dry-run: the plan and the manifest; no snapshot, no\n"
"      download)\n"
H2K_COMMON_HELP
H2K_USAGE_END ("h2k-fetch"),
           h2k_progname);
  exit (status);
}

enum kind { K_VMX, K_OVF, K_OVA, K_IMAGE };

static int
kind_of_name (const char *s, enum kind *k)
{
  if (strcmp (s, "vmx") == 0) *k = K_VMX;
  else if (strcmp (s, "ovf") == 0) *k = K_OVF;
  else if (strcmp (s, "ova") == 0) *k = K_OVA;
  else if (h2k_qemu_format (s)) *k = K_IMAGE;
  else return -1;
  return 0;
}

/* The kind a file name's extension claims, or NULL. */
static const char *
kind_of_extension (const char *path)
{
  static const char *const ext[][2] = {
    { ".vmx", "vmx" }, { ".ovf", "ovf" }, { ".ova", "ova" },
    { ".vmdk", "vmdk" }, { ".vhd", "vhd" }, { ".vhdx", "vhdx" },
    { ".avhdx", "vhdx" }, { ".qcow2", "qcow2" }, { ".vdi", "vdi" },
  };

  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; ++i)
    if (h2k_ends_with_ci (path, ext[i][0]))
      return ext[i][1];
  return NULL;
}

/* Decide what SOURCE is: by extension, checked against the content for
 * disk images; by content when the extension says nothing.
 */
static int
decide_kind (const char *source, const char *format, enum kind *k)
{
  const char *by_ext = kind_of_extension (source), *by_content;

  if (format) {
    if (by_ext && (strcmp (by_ext, "vmx") == 0 || strcmp (by_ext, "ovf") == 0 ||
                   strcmp (by_ext, "ova") == 0)) {
      h2k_error ("%s: --format applies to disk images, not to .%s files",
                 source, by_ext);
      return -1;
    }
    *k = K_IMAGE;
    return 0;
  }
  if (fetch_sniff (source, &by_content) == -1)
    return -1;
  if (by_ext && kind_of_name (by_ext, k) == 0 && *k != K_IMAGE)
    return 0;                   /* vmx, ovf, ova: their parsers judge */
  if (by_ext && by_content && strcmp (by_ext, by_content) != 0) {
    h2k_error ("%s: named .%s but its content is %s (use --format to "
               "override)", source, by_ext, by_content);
    return -1;
  }
  if (by_content && kind_of_name (by_content, k) == 0)
    return 0;
  if (by_ext)
    h2k_error ("%s: not a %s image (no %s signature found)", source, by_ext,
               by_ext);
  else
    h2k_error ("%s: unknown file type (not a VMX, OVF, OVA, or a VMDK, VHD, "
               "VHDX, qcow2 or VDI image); for a raw image use --format raw",
               source);
  return -1;
}

/* The default VM name: the VMX's displayName, else the file's name
 * without its extension.  Caller frees; NULL reported.
 */
static char *
default_name (const char *source, enum kind k)
{
  const char *base = strrchr (source, '/');
  char *r, *dot;

  if (k == K_VMX) {
    int err;
    r = fetch_vmx_name (source, &err);
    if (r || err == -1)
      return r;
  }
  r = strdup (base ? base + 1 : source);
  if (r == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  dot = strrchr (r, '.');
  if (dot && dot != r)
    *dot = '\0';
  return r;
}

/* ./NAME.h2k, absolute, with NAME made safe as one path component. */
static char *
default_workdir (const char *name)
{
  CLEANUP_FREE char *comp = NULL;
  char *r;

  if (asprintf (&comp, "%s.h2k", name) == -1) {
    h2k_error ("%m");
    return NULL;
  }
  for (char *p = comp; *p; ++p)
    if (*p == '/' || (unsigned char) *p < ' ' || *p == 127)
      *p = '_';
  if (comp[0] == '.')
    comp[0] = '_';
  if ((r = h2k_absolute_path (comp)) == NULL)
    return NULL;
  return r;
}

/* Create the workdir unless it exists (or this is a dry run); note it
 * for fetch_undo if we made it.
 */
static int
prepare_workdir (const char *dir, int dry_run, int note)
{
  struct stat st;

  if (stat (dir, &st) == 0) {
    if (!S_ISDIR (st.st_mode)) {
      h2k_error ("%s: workdir exists and is not a directory", dir);
      return -1;
    }
    return 0;
  }
  if (errno != ENOENT) {
    h2k_error ("%s: %m", dir);
    return -1;
  }
  if (dry_run) {
    h2k_debug ("dry run: would create %s", dir);
    return 0;
  }
  if (mkdir (dir, 0755) == -1) {
    h2k_error ("%s: cannot create the workdir: %m", dir);
    return -1;
  }
  return note ? fetch_note_created (dir) : 0;
}

static int
check_source (const char *source)
{
  struct stat st;

  if (strcmp (source, "-") == 0) {
    h2k_error ("SOURCE must be a file: h2k-fetch does not read standard input");
    return -1;
  }
  if (stat (source, &st) == -1) {
    h2k_error ("%s: %m", source);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", source);
    return -1;
  }
  return 0;
}

static int
check_name (const char *name)
{
  if (name[0] == '\0' || strlen (name) > 255) {
    h2k_error ("--name: must be 1 to 255 bytes long");
    return -1;
  }
  for (const char *p = name; *p; ++p)
    if ((unsigned char) *p < ' ' || *p == 127) {
      h2k_error ("--name: control characters are not allowed");
      return -1;
    }
  return 0;
}

static int
run (const char *source, enum kind k, const struct fetch_opts *o,
     json_object *m)
{
  switch (k) {
  case K_VMX: return fetch_vmx (source, o, m);
  case K_OVF: return fetch_ovf (source, o, m);
  case K_OVA: return fetch_ova (source, o, m);
  case K_IMAGE: return fetch_image (source, o, m);
  }
  return -1;
}

/* --firmware: the admin knows better than the source (a disk image says
 * nothing; an OVF may not say it); vm.overrides records it.
 */
static int
override_firmware (json_object *m, const char *firmware)
{
  json_object *vm = h2k_json_ensure_object (m, "vm");
  json_object *ov = vm ? h2k_json_ensure_array (vm, "overrides") : NULL;
  const char *said = h2k_json_get_string (vm, "firmware");

  if (ov == NULL)
    return -1;
  if (said && strcmp (said, firmware) != 0)
    h2k_info ("firmware: %s (the source says %s)", firmware, said);
  if (h2k_json_set_string (vm, "firmware", firmware) == -1 ||
      h2k_json_array_add_string (ov, "firmware") == -1)
    return -1;
  return 0;
}

/* The kind of the downloaded file TOP: what the remote side says
 * (HINT), else as for a local file.
 */
static int
downloaded_kind (const char *top, const char *hint, const char *format,
                 enum kind *k)
{
  if (check_source (top) == -1)
    return -1;
  if (hint && format == NULL && kind_of_name (hint, k) == 0)
    return 0;
  return decide_kind (top, format, k);
}

/* A dry run's vm.source: what the plan found at TOP (not downloaded):
 * its kind (the remote side's HINT, else the name's extension, else
 * --format).
 */
static int
planned_source (json_object *m, const char *url, const char *top,
                const char *hint, const char *format)
{
  json_object *vm = h2k_json_ensure_object (m, "vm");
  json_object *src = vm ? h2k_json_ensure_object (vm, "source") : NULL;
  const char *kind = format ? format : hint ? hint : kind_of_extension (top);

  if (src == NULL)
    return -1;
  if (kind == NULL) {
    h2k_error ("%s: a dry run cannot tell what this file is without "
               "downloading it (no known extension): give --format", url);
    return -1;
  }
  return h2k_json_set_string (src, "kind", kind) == -1 ||
    h2k_json_set_string (src, "path", top) == -1 ? -1 : 0;
}

/* --dry-run with a URL: the plan (remote.h, ro->plan) instead of the
 * download; the workdir is not created, nothing is written in it.
 */
static int
plan_url (const char *source, struct fetch_opts *o,
          const struct remote_opts *ro, json_object *m)
{
  CLEANUP_FREE char *top = NULL;
  struct remote_opts plan = *ro;
  const char *hint;

  plan.plan = 1;
  return prepare_workdir (o->workdir, 1, 0) == -1 ||
    fetch_remote (source, o, &plan, &top, &hint) == -1 ||
    planned_source (m, source, top, hint, o->format) == -1 ||
    remote_record_manifest (m) == -1 ||
    (o->firmware && override_firmware (m, o->firmware) == -1) ? -1 : 0;
}

/* A URL source: download into WORKDIR/download (kept on failure, for a
 * resume: the workdir is not noted for fetch_undo, nor is the download),
 * then the local path on the downloaded file.
 */
static int
fetch_url (const char *source, struct fetch_opts *o,
           const struct remote_opts *ro, const char *workdir_opt,
           json_object **m)
{
  CLEANUP_FREE char *name = NULL, *workdir = NULL, *top = NULL;
  const char *hint;
  enum kind k;
  int r;

  name = o->name ? strdup (o->name) : remote_default_name (source);
  if (name == NULL)
    return -1;
  workdir = workdir_opt ? h2k_absolute_path (workdir_opt)
    : default_workdir (name);
  if (workdir == NULL)
    return -1;
  o->workdir = workdir;
  h2k_debug ("source %s, name \"%s\", workdir %s", source, name, workdir);
  if ((*m = h2k_manifest_new (name)) == NULL ||
      h2k_json_set_string (*m, "workdir", workdir) == -1)
    r = -1;
  else if (o->dry_run)
    r = plan_url (source, o, ro, *m);
  else
    r = prepare_workdir (workdir, 0, 0) == -1 ||
      fetch_remote (source, o, ro, &top, &hint) == -1 ||
      downloaded_kind (top, hint, o->format, &k) == -1 ||
      run (top, k, o, *m) == -1 ||
      remote_record_manifest (*m) == -1 ||
      (o->firmware && override_firmware (*m, o->firmware) == -1) ? -1 : 0;
  o->workdir = NULL;            /* freed on return */
  return r;
}

/* A vsphere:// or esxi:// source: find the VM first (its name names the
 * workdir), then plan, snapshot and download; the snapshot is removed and
 * the session closed whatever happens.  Downloads are kept on failure,
 * for a resume, like fetch_url's.
 */
static int
fetch_vsphere (const char *source, struct fetch_opts *o,
               const struct remote_opts *ro, const struct vsphere_opts *vo,
               const char *workdir_opt, json_object **m)
{
  CLEANUP_FREE char *name = NULL, *workdir = NULL;
  struct vs_job *j = vsphere_prepare (source, ro, vo, &name);
  int r;

  if (j == NULL)
    return -1;
  if (o->name) {
    free (name);
    name = strdup (o->name);
  }
  workdir = name == NULL ? NULL : workdir_opt ? h2k_absolute_path (workdir_opt)
    : default_workdir (name);
  o->workdir = workdir;
  r = workdir == NULL ||
    (*m = h2k_manifest_new (name)) == NULL ||
    h2k_json_set_string (*m, "workdir", workdir) == -1 ||
    prepare_workdir (workdir, o->dry_run, 0) == -1 ||
    vsphere_run (j, o, *m) == -1 ||
    (o->firmware && override_firmware (*m, o->firmware) == -1) ? -1 : 0;
  r = vsphere_finish (j, r, *m);
  o->workdir = NULL;            /* freed on return */
  return r;
}

/* Everything after option parsing; M gets the manifest (or stays NULL). */
static int
fetch (const char *source, struct fetch_opts *o, const struct remote_opts *ro,
       const struct vsphere_opts *vo, const char *workdir_opt,
       json_object **m)
{
  CLEANUP_FREE char *name = NULL, *workdir = NULL;
  enum kind k;
  int r;

  if (remote_url_is (source, REMOTE_URL_VSPHERE))
    return fetch_vsphere (source, o, ro, vo, workdir_opt, m);
  if (vo->snapshot || vo->thumbprint) {
    h2k_error ("%s: --snapshot and --thumbprint apply to vsphere:// and "
               "esxi:// sources", source);
    return -1;
  }

  if (remote_is_url (source))
    return fetch_url (source, o, ro, workdir_opt, m);
  if (ro->sha256) {
    h2k_error ("%s: --sha256 applies to URL sources (a local file is "
               "read in place)", source);
    return -1;
  }
  if (check_source (source) == -1 ||
      decide_kind (source, o->format, &k) == -1)
    return -1;
  name = o->name ? strdup (o->name) : default_name (source, k);
  if (name == NULL)
    return -1;
  workdir = workdir_opt ? h2k_absolute_path (workdir_opt)
    : default_workdir (name);
  if (workdir == NULL)
    return -1;
  o->workdir = workdir;
  h2k_debug ("source %s, name \"%s\", workdir %s", source, name, workdir);
  r = (*m = h2k_manifest_new (name)) == NULL ||
    h2k_json_set_string (*m, "workdir", workdir) == -1 ||
    prepare_workdir (workdir, o->dry_run, 1) == -1 ||
    run (source, k, o, *m) == -1 ||
    (o->firmware && override_firmware (*m, o->firmware) == -1) ? -1 : 0;
  o->workdir = NULL;            /* freed on return */
  return r;
}

/* The URL options' values; the later of --X-file and --X-env wins
 * (so the command line overrides the configuration).
 */
static int
check_remote_opts (const char *connections, struct remote_opts *ro)
{
  if (connections) {
    char *end;
    unsigned long n;
    errno = 0;
    n = strtoul (connections, &end, 10);
    if (errno || end == connections || *end || n < 1 ||
        n > REMOTE_MAX_CONNECTIONS) {
      h2k_error ("--connections: \"%s\" is not a number from 1 to %d",
                 connections, REMOTE_MAX_CONNECTIONS);
      return -1;
    }
    ro->connections = (unsigned) n;
  }
  if (ro->sha256 && !h2k_is_hex (ro->sha256, 64)) {
    h2k_error ("--sha256: expected 64 hexadecimal digits");
    return -1;
  }
  if ((ro->password_env && ro->password_env[0] == '\0') ||
      (ro->token_env && ro->token_env[0] == '\0')) {
    h2k_error ("--password-env, --token-env: the variable's name is empty");
    return -1;
  }
  ro->verbose = h2k_verbose;
  return 0;
}

int
main (int argc, char **argv)
{
  static struct h2k_tool tool;
  struct fetch_opts o = { 0 };
  struct remote_opts ro = { .connections = REMOTE_DEFAULT_CONNECTIONS };
  struct vsphere_opts vo = { .list_format = "table" };
  const char *workdir = NULL, *max_extract = DEFAULT_MAX_EXTRACT;
  const char *connections = NULL;
  json_object *m = NULL;
  int c, r, status;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "fetch", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, short_opts, long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    switch (c) {
    case OPT_WORKDIR: workdir = optarg; break;
    case OPT_NAME: o.name = optarg; break;
    case OPT_COPY: o.copy = 1; break;
    case 'n': o.dry_run = 1; break;
    case OPT_MAX_EXTRACT: max_extract = optarg; break;
    case OPT_FORMAT: o.format = optarg; break;
    case OPT_FIRMWARE: o.firmware = optarg; break;
    case OPT_CONNECTIONS: connections = optarg; break;
    case OPT_SHA256: ro.sha256 = optarg; break;
    case OPT_CACERT: ro.cacert = optarg; break;
    case OPT_INSECURE: ro.insecure = 1; break;
    case OPT_KNOWN_HOSTS: ro.known_hosts = optarg; break;
    case OPT_IDENTITY_FILE: ro.identity_file = optarg; break;
    case OPT_PASSWORD_FILE: ro.password_file = optarg; ro.password_env = NULL; break;
    case OPT_PASSWORD_ENV: ro.password_env = optarg; ro.password_file = NULL; break;
    case OPT_TOKEN_FILE: ro.token_file = optarg; ro.token_env = NULL; break;
    case OPT_TOKEN_ENV: ro.token_env = optarg; ro.token_file = NULL; break;
    case OPT_LIST: vo.list = 1; break;
    case OPT_SNAPSHOT: vo.snapshot = 1; break;
    case OPT_THUMBPRINT: vo.thumbprint = optarg; break;
    default:
      usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (optind != argc - 1) {
    h2k_error (optind >= argc ? "missing SOURCE" : "too many arguments");
    usage (stderr, H2K_EXIT_USAGE);
  }
  if (h2k_parse_size (max_extract, &o.max_extract) == -1 ||
      o.max_extract == 0) {
    h2k_error ("--max-extract: \"%s\" is not a size", max_extract);
    return H2K_EXIT_USAGE;
  }
  if (vo.list) {
    if (o.format && strcmp (o.format, "table") && strcmp (o.format, "json")) {
      h2k_error ("--format: with --list, \"%s\" is not table or json",
                 o.format);
      return H2K_EXIT_USAGE;
    }
    if (o.format)
      vo.list_format = o.format;
    o.format = NULL;
  }
  if (o.format && !h2k_config_is_choice ("fetch", "format", o.format)) {
    h2k_error ("--format: \"%s\" is not one of vmdk, vhd, vhdx, qcow2, raw, "
               "vdi", o.format);
    return H2K_EXIT_USAGE;
  }
  if (o.firmware && !h2k_config_is_choice ("fetch", "firmware", o.firmware)) {
    h2k_error ("--firmware: \"%s\" is not bios or uefi", o.firmware);
    return H2K_EXIT_USAGE;
  }
  if (workdir && workdir[0] == '\0') {
    h2k_error ("--workdir: empty");
    return H2K_EXIT_USAGE;
  }
  if (o.name && check_name (o.name) == -1)
    return H2K_EXIT_USAGE;
  if (check_remote_opts (connections, &ro) == -1)
    return H2K_EXIT_USAGE;
  tool.stage.dry_run = o.dry_run;

  if (vo.list) {
    if (!remote_url_is (argv[optind], REMOTE_URL_VSPHERE)) {
      h2k_error ("--list: needs a vsphere:// or esxi:// URL");
      return H2K_EXIT_USAGE;
    }
    return vsphere_list (argv[optind], &ro, &vo) == 0
      ? H2K_EXIT_OK : H2K_EXIT_FAILURE;
  }
  r = fetch (argv[optind], &o, &ro, &vo, workdir, &m);
  if (r == -1)
    fetch_undo ();
  status = h2k_tool_finish (&tool, m, r);
  /* Writing the manifest failed: without it nothing refers to what we
   * copied, so take it back.
   */
  if (status != H2K_EXIT_OK && r == 0)
    fetch_undo ();
  remote_free ();
  return status;
}
