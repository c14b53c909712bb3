/* Unit tests: YAML configuration (common/config.c, config-schema.c). */

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "test.h"

static int quiet_fd = -1, saved_fd = -1;

static void
quiet (void)
{
  fflush (stderr);
  saved_fd = dup (2);
  quiet_fd = open ("/dev/null", O_WRONLY);
  dup2 (quiet_fd, 2);
}

static void
loud (void)
{
  fflush (stderr);
  dup2 (saved_fd, 2);
  close (saved_fd);
  close (quiet_fd);
}

static struct h2k_config_node *
parse (const char *name, const char *text)
{
  return h2k_config_parse (name, text, strlen (text));
}

/* Parse and check TEXT; NULL if either failed. */
static struct h2k_config_node *
parse_checked (const char *name, const char *text)
{
  struct h2k_config_node *n = parse (name, text);

  if (n && h2k_config_check (n) == -1) {
    h2k_config_node_free (n);
    return NULL;
  }
  return n;
}

/* The error (without the program name) that parsing and checking TEXT
 * gives, or "" if none; static buffer.
 */
static const char *
error_of (const char *text)
{
  static char buf[1024];
  struct h2k_config_node *n;
  const char *e;

  h2k_clear_error ();
  quiet ();
  n = parse_checked ("vm.yaml", text);
  loud ();
  e = h2k_first_error ();
  snprintf (buf, sizeof buf, "%s", n ? "" : e ? e : "(no message)");
  h2k_config_node_free (n);
  h2k_clear_error ();
  return buf;
}

/* The options for SECTION from the files TEXTS (NULL-terminated), joined
 * with spaces; static buffer.
 */
static const char *
options_of (const char *const *texts, const char *section,
            const char *const *skip)
{
  static char buf[2048];
  struct h2k_config_node *root = NULL;
  CLEANUP_FREE_STRV char **opts = NULL;
  CLEANUP_FREE char *pos = NULL;
  size_t off = 0;

  buf[0] = '\0';
  for (size_t i = 0; texts[i]; ++i) {
    char name[32];
    snprintf (name, sizeof name, "f%zu.yaml", i + 1);
    struct h2k_config_node *n = parse_checked (name, texts[i]);
    if (n == NULL || h2k_config_merge (&root, n) == -1) {
      h2k_config_node_free (root);
      return "(error)";
    }
  }
  opts = h2k_config_options (root, section, skip, &pos);
  h2k_config_node_free (root);
  if (opts == NULL)
    return "(error)";
  for (size_t i = 0; opts[i]; ++i)
    off += snprintf (buf + off, sizeof buf - off, "%s%s", i ? " " : "",
                     opts[i]);
  if (pos)
    snprintf (buf + off, sizeof buf - off, "%sSOURCE=%s", off ? " " : "",
              pos);
  return buf;
}

TEST (parse_keeps_lines)
{
  struct h2k_config_node *n =
    parse ("vm.yaml",
           "# comment\n"
           "validate:\n"
           "  timeout: 900\n"
           "\n"
           "  bus: \"virtio-blk\"\n"
           "convert:\n"
           "  network:\n"
           "    - \"VM Network:default\"\n"
           "    - DMZ:dmz\n");
  const struct h2k_config_node *v;

  CHECK (n != NULL);
  if (n == NULL)
    return;
  CHECK_INT (n->kind, H2K_CONFIG_MAP);
  CHECK_INT (n->n, 2);
  v = h2k_config_get (n, "validate", NULL);
  CHECK (v && v->kind == H2K_CONFIG_MAP && v->line == 2);
  v = h2k_config_get (n, "validate", "timeout");
  CHECK (v && v->kind == H2K_CONFIG_SCALAR && v->line == 3 && v->plain);
  CHECK_STR (v ? v->value : NULL, "900");
  CHECK_STR (v ? v->file : NULL, "vm.yaml");
  v = h2k_config_get (n, "validate", "bus");
  CHECK (v && v->line == 5 && !v->plain);
  v = h2k_config_get (n, "convert", "network");
  CHECK (v && v->kind == H2K_CONFIG_SEQ && v->n == 2 && v->line == 7);
  if (v && v->n == 2) {
    CHECK_STR (v->items[0]->value, "VM Network:default");
    CHECK_INT (v->items[0]->line, 8);
    CHECK_INT (v->items[1]->line, 9);
  }
  CHECK (h2k_config_get (n, "validate", "memory") == NULL);
  CHECK (h2k_config_get (n, "fetch", "name") == NULL);
  CHECK_INT (h2k_config_check (n), 0);
  h2k_config_node_free (n);
}

TEST (parse_empty_and_null)
{
  struct h2k_config_node *n = parse ("e.yaml", "");

  CHECK (n && n->kind == H2K_CONFIG_MAP && n->n == 0);
  h2k_config_node_free (n);
  n = parse ("e.yaml", "# only a comment\n");
  CHECK (n && n->kind == H2K_CONFIG_MAP && n->n == 0);
  h2k_config_node_free (n);
  n = parse_checked ("e.yaml", "fetch:\nvalidate:\n  memory: ~\n  bus: null\n");
  CHECK (n != NULL);
  CHECK (h2k_config_get (n, "fetch", NULL)->kind == H2K_CONFIG_MAP);
  CHECK (h2k_config_get (n, "validate", "memory")->kind == H2K_CONFIG_NULL);
  CHECK (h2k_config_get (n, "validate", "bus")->kind == H2K_CONFIG_NULL);
  h2k_config_node_free (n);
}

TEST (errors_name_file_line_key)
{
  CHECK_STR (error_of ("validate:\n  timout: 9\n"),
             "vm.yaml:2: validate.timout: unknown key (known: bus, machine, "
             "signal, no-offline-checks, memory, timeout, net-timeout, "
             "expect, kernel, initrd, append)");
  CHECK_STR (error_of ("fetchh:\n  name: x\n"),
             "vm.yaml:1: fetchh: unknown section (known: common, fetch, "
             "flatten, inspect, fix-linux, fix-windows, convert, validate)");
  CHECK_STR (error_of ("flatten: {x: 1}\n"),
             "vm.yaml:1: flatten.x: unknown key (known: none)");
  CHECK_STR (error_of ("validate: 3\n"),
             "vm.yaml:1: validate: expected a mapping of keys, got \"3\"");
  CHECK_STR (error_of ("- a\n"),
             "vm.yaml:1: expected a mapping of sections (common, fetch, "
             "convert, ...)");
}

TEST (errors_wrong_type)
{
  CHECK_STR (error_of ("validate:\n  timeout: abc\n"),
             "vm.yaml:2: validate.timeout: expected an integer, got \"abc\"");
  CHECK_STR (error_of ("validate:\n  timeout: \"900\"\n"),
             "vm.yaml:2: validate.timeout: expected an integer, got \"900\"");
  CHECK_STR (error_of ("validate:\n  timeout: [1]\n"),
             "vm.yaml:2: validate.timeout: expected an integer, got a list");
  CHECK_STR (error_of ("fetch:\n  copy: yes\n"),
             "vm.yaml:2: fetch.copy: expected true or false, got \"yes\"");
  CHECK_STR (error_of ("fetch:\n  name: true\n"),
             "vm.yaml:2: fetch.name: expected a string, got \"true\"");
  CHECK_STR (error_of ("fetch:\n  name: {a: b}\n"),
             "vm.yaml:2: fetch.name: expected a string, got a mapping");
  CHECK_STR (error_of ("convert:\n  network: A:b\n"),
             "vm.yaml:2: convert.network: expected a list of strings, "
             "got \"A:b\"");
  CHECK_STR (error_of ("convert:\n  network:\n    - A:b\n    - [x]\n"),
             "vm.yaml:4: convert.network[1]: expected a string, got a list");
  CHECK_STR (error_of ("common:\n  verbose: lots\n"),
             "vm.yaml:2: common.verbose: expected true, false or an integer, "
             "got \"lots\"");
}

TEST (errors_bad_value)
{
  CHECK_STR (error_of ("validate:\n  timeout: 0\n"),
             "vm.yaml:2: validate.timeout: bad value 0 (expected 1 to 86400)");
  CHECK_STR (error_of ("validate:\n  bus: ide\n"),
             "vm.yaml:2: validate.bus: bad value \"ide\" (expected one of "
             "virtio-blk, virtio-scsi, sata)");
  CHECK_STR (error_of ("fetch:\n  max-extract: lots\n"),
             "vm.yaml:2: fetch.max-extract: bad value \"lots\": expected a "
             "size such as 512M, 20G or 1T");
  CHECK_STR (error_of ("validate:\n  expect: \"(\"\n"),
             "vm.yaml:2: validate.expect: bad value \"(\": not a valid "
             "extended regular expression");
  CHECK_STR (error_of ("convert:\n  bridge: [\"A:\"]\n"),
             "vm.yaml:2: convert.bridge[0]: bad value \"A:\": expected IN:OUT "
             "(source network : libvirt network or bridge)");
  CHECK_STR (error_of ("fetch:\n  name: \"\"\n"),
             "vm.yaml:2: fetch.name: empty value");
  CHECK_STR (error_of ("common:\n  verbose: 10\n"),
             "vm.yaml:2: common.verbose: bad value 10 (expected 0 to 9)");
  CHECK_STR (error_of ("fetch:\n  name: \"a\\0b\"\n"),
             "vm.yaml:2: fetch.name: the value contains a NUL character");
}

TEST (errors_yaml)
{
  CHECK_STR (error_of ("validate:\n  timeout: 9\n bus: x\n"),
             "vm.yaml:3: YAML syntax error: did not find expected key "
             "(while parsing a block mapping, line 1)");
  CHECK_STR (error_of ("validate: [1\n"),
             "vm.yaml:2: YAML syntax error: did not find expected ',' or ']' "
             "(while parsing a flow sequence, line 1)");
  CHECK_STR (error_of ("a: b: c\n"),
             "vm.yaml:1: YAML syntax error: mapping values are not allowed "
             "in this context");
  CHECK_STR (error_of ("validate:\n  bus: sata\n  bus: pc\n"),
             "vm.yaml:3: validate.bus: duplicate key (first on line 2)");
  CHECK_STR (error_of ("base: &b {bus: sata}\nvalidate: *b\n"),
             "vm.yaml:1: base: YAML anchors are not supported");
  CHECK_STR (error_of ("validate:\n  bus: *b\n"),
             "vm.yaml:2: validate.bus: YAML aliases are not supported "
             "(write the value out)");
  CHECK_STR (error_of ("validate:\n  memory: !!int 512\n"),
             "vm.yaml:2: validate.memory: YAML tags are not supported "
             "(tag:yaml.org,2002:int)");
  CHECK_STR (error_of ("fetch: {}\n---\nfetch: {}\n"),
             "vm.yaml:2: only one YAML document per file");
  CHECK_STR (error_of ("? [a, b]\n: c\n"),
             "vm.yaml:1: a key must be a string, not a list");
  CHECK_STR (error_of ("fetch:\n  name: \xff\n"),
             "vm.yaml: not a text file: invalid leading UTF-8 octet at "
             "offset 15");
  /* !!str is the one tag allowed: it makes a string. */
  CHECK_STR (error_of ("fetch:\n  name: !!str true\n"), "");
}

TEST (errors_secrets)
{
  static const char msg[] = ": secrets are never stored in configuration: "
    "name a file or an environment variable holding it with a *-file or "
    "*-env key (see h2k-config(5))";
  char want[512];

  snprintf (want, sizeof want, "vm.yaml:2: fetch.password%s", msg);
  CHECK_STR (error_of ("fetch:\n  password: hunter2\n"), want);
  snprintf (want, sizeof want, "vm.yaml:3: convert.luks-key%s", msg);
  CHECK_STR (error_of ("convert:\n  force: true\n  luks-key: abc\n"), want);
  snprintf (want, sizeof want, "vm.yaml:1: vcenter_password%s", msg);
  CHECK_STR (error_of ("vcenter_password: x\n"), want);
  /* Naming where the secret is passes this rule (this key is still
   * unknown: no tool reads LUKS keys yet); fetch's are known.
   */
  CHECK (strstr (error_of ("convert:\n  luks-key-file: /root/p\n"),
                 "convert.luks-key-file: unknown key") != NULL);
  CHECK_STR (error_of ("fetch:\n  password-file: /root/p\n  token-env: T\n"), "");
  CHECK (h2k_config_is_secret_name ("password"));
  CHECK (h2k_config_is_secret_name ("Passphrase"));
  CHECK (h2k_config_is_secret_name ("esxi-passwd"));
  CHECK (h2k_config_is_secret_name ("adminPassword"));
  CHECK (h2k_config_is_secret_name ("api_token"));
  CHECK (h2k_config_is_secret_name ("luks-keys"));
  CHECK (h2k_config_is_secret_name ("client-secret"));
  CHECK (!h2k_config_is_secret_name ("password-file"));
  CHECK (!h2k_config_is_secret_name ("luks-key-env"));
  CHECK (!h2k_config_is_secret_name ("keep-hypervisor-tools"));
  CHECK (!h2k_config_is_secret_name ("keyboard"));
  CHECK (!h2k_config_is_secret_name ("monkey"));
  /* No key of the schema looks like a secret. */
  for (const struct h2k_config_section *s = h2k_config_schema; s->name; ++s)
    for (const struct h2k_config_key *k = s->keys; k->name; ++k)
      CHECK (!h2k_config_is_secret_name (k->name));
}

TEST (options_in_schema_order)
{
  const char *const one[] = {
    "validate:\n"
    "  timeout: +0900\n"
    "  bus: sata\n"
    "  no-offline-checks: true\n"
    "common:\n"
    "  verbose: 2\n"
    "  dry-run: false\n"
    "  failed-manifest: failed.json\n",
    NULL
  };
  const char *const lists[] = {
    "convert:\n  network: [\"VM Network:default\", \"B:x\"]\n"
    "  bridge: [\"C:br0\"]\n  force: true\n",
    NULL
  };

  CHECK_STR (options_of (one, "validate", NULL),
             "--verbose --verbose --failed-manifest=failed.json --bus=sata "
             "--no-offline-checks --timeout=900");
  /* Another tool sees only the common keys. */
  CHECK_STR (options_of (one, "convert", NULL),
             "--verbose --verbose --failed-manifest=failed.json");
  CHECK_STR (options_of (lists, "convert", NULL),
             "--force --network=VM Network:default --network=B:x "
             "--bridge=C:br0");
}

TEST (options_skip_and_groups)
{
  const char *const lists[] = {
    "common: {verbose: true}\n"
    "convert:\n  network: [\"A:x\"]\n  bridge: [\"C:br0\"]\n"
    "  output-dir: out\n",
    NULL
  };
  const char *const skip_bridge[] = { "bridge", NULL };
  const char *const skip_verbose_dir[] = { "verbose", "output-dir", NULL };

  /* --bridge on the command line replaces both NIC map lists. */
  CHECK_STR (options_of (lists, "convert", skip_bridge),
             "--verbose --output-dir=out");
  CHECK_STR (options_of (lists, "convert", skip_verbose_dir),
             "--network=A:x --bridge=C:br0");
}

TEST (merge_deep_lists_replace_null_removes)
{
  const char *const files[] = {
    "fetch:\n  name: base\n  copy: true\n  workdir: /w\n"
    "convert:\n  network: [\"A:x\", \"B:y\"]\n  output-dir: out\n",
    "fetch:\n  name: vm\n"
    "convert:\n  network: [\"C:z\"]\n",
    "fetch:\n  copy: ~\n  source: vm.vmx\n"
    "validate:\n  timeout: 60\n",
    NULL
  };

  CHECK_STR (options_of (files, "fetch", NULL),
             "--workdir=/w --name=vm SOURCE=vm.vmx");
  CHECK_STR (options_of (files, "convert", NULL),
             "--output-dir=out --network=C:z");
  CHECK_STR (options_of (files, "validate", NULL), "--timeout=60");
}

TEST (merge_keeps_where_each_value_came_from)
{
  struct h2k_config_node *root = NULL;
  const struct h2k_config_node *v;

  CHECK_INT (h2k_config_merge (&root, parse_checked ("a.yaml",
             "validate:\n  bus: sata\n  memory: 512\n")), 0);
  CHECK_INT (h2k_config_merge (&root, parse_checked ("b.yaml",
             "\n\nvalidate:\n  memory: 1024\n")), 0);
  v = h2k_config_get (root, "validate", "bus");
  CHECK (v && strcmp (v->file, "a.yaml") == 0 && v->line == 2);
  v = h2k_config_get (root, "validate", "memory");
  CHECK (v && strcmp (v->file, "b.yaml") == 0 && v->line == 4 &&
         strcmp (v->value, "1024") == 0);
  h2k_config_node_free (root);
}

static char *
write_temp (const char *text)
{
  char *path = strdup ("/tmp/h2k-test-config-XXXXXX");
  int fd = mkstemp (path);

  if (fd == -1 || write (fd, text, strlen (text)) != (ssize_t) strlen (text)) {
    free (path);
    return NULL;
  }
  close (fd);
  return path;
}

TEST (load_files)
{
  CLEANUP_UNLINK_FREE char *a = write_temp ("validate:\n  memory: 512\n");
  CLEANUP_UNLINK_FREE char *b = write_temp ("validate:\n  memory: 0\n");
  struct h2k_config_node *root = NULL;
  char want[256];

  CHECK_INT (h2k_config_load (&root, a), 0);
  CHECK_STR (h2k_config_get (root, "validate", "memory")->value, "512");
  quiet ();
  CHECK_INT (h2k_config_load (&root, b), -1);
  loud ();
  snprintf (want, sizeof want, "%s:2: validate.memory: bad value 0 "
            "(expected 64 to 1048576)", b);
  CHECK_STR (h2k_first_error (), want);
  h2k_clear_error ();
  /* A failed file changes nothing. */
  CHECK_STR (h2k_config_get (root, "validate", "memory")->value, "512");
  quiet ();
  CHECK_INT (h2k_config_load (&root, "/nonexistent/vm.yaml"), -1);
  loud ();
  CHECK_STR (h2k_first_error (),
             "/nonexistent/vm.yaml: No such file or directory");
  h2k_clear_error ();
  quiet ();
  CHECK_INT (h2k_config_load (&root, ""), -1);
  loud ();
  CHECK_STR (h2k_first_error (), "--config: empty file name");
  h2k_clear_error ();
  h2k_config_node_free (root);
}

TEST (limits)
{
  char deep[256] = "";
  size_t off = 0;

  for (int i = 0; i < 20; ++i)
    off += snprintf (deep + off, sizeof deep - off, "[");
  CHECK (strstr (error_of (deep), "nested deeper than 16 levels") != NULL);
}

/* h2k_tool_config with a tool's options: h2k-validate's. */
static const struct option validate_opts[] = {
  H2K_COMMON_LONG,
  { "bus", required_argument, NULL, 1000 },
  { "machine", required_argument, NULL, 1001 },
  { "memory", required_argument, NULL, 1002 },
  { "timeout", required_argument, NULL, 1003 },
  { "net-timeout", required_argument, NULL, 1004 },
  { "expect", required_argument, NULL, 1005 },
  { "kernel", required_argument, NULL, 1006 },
  { "initrd", required_argument, NULL, 1007 },
  { "append", required_argument, NULL, 1008 },
  { "signal", required_argument, NULL, 1009 },
  { "no-offline-checks", no_argument, NULL, 1010 },
  { "dry-run", no_argument, NULL, 'n' },
  { NULL, 0, NULL, 0 }
};

static const char *
joined (int argc, char **argv)
{
  static char buf[1024];
  size_t off = 0;

  buf[0] = '\0';
  for (int i = 0; i < argc; ++i)
    off += snprintf (buf + off, sizeof buf - off, "%s%s", i ? " " : "",
                     argv[i]);
  return buf;
}

TEST (tool_config_rebuilds_argv)
{
  CLEANUP_UNLINK_FREE char *a =
    write_temp ("common: {verbose: 1}\nvalidate:\n  memory: 512\n"
                "  timeout: 60\n");
  CLEANUP_UNLINK_FREE char *b = write_temp ("validate: {memory: 1024}\n");
  struct h2k_tool t = { .name = "h2k-validate" };
  char cfg_a[128], want[1024];
  char *args[] = { (char *) "h2k-validate", (char *) "-v", cfg_a,
                   (char *) "--timeout", (char *) "30", (char *) "--config",
                   b, NULL };
  int argc = 7, c, memory = 0, timeout = 0;
  char **argv = args;

  snprintf (cfg_a, sizeof cfg_a, "--config=%s", a);
  CHECK_INT (h2k_tool_config (&t, "validate", validate_opts, &argc, &argv), 0);
  snprintf (want, sizeof want, "h2k-validate --memory=1024 -v %s "
            "--timeout 30 --config %s", cfg_a, b);
  CHECK_STR (joined (argc, argv), want);
  CHECK (t.config_ok);
  /* The tool's getopt then sees the command line last. */
  while ((c = getopt_long (argc, argv, "hVvn", validate_opts, NULL)) != -1) {
    if (c == 1002) memory = atoi (optarg);
    if (c == 1003) timeout = atoi (optarg);
  }
  CHECK_INT (memory, 1024);
  CHECK_INT (timeout, 30);
  CHECK_INT (optind, argc);
}

TEST (tool_config_without_config_changes_nothing)
{
  struct h2k_tool t = { .name = "h2k-validate" };
  char *args[] = { (char *) "h2k-validate", (char *) "--bus=sata", NULL };
  int argc = 2;
  char **argv = args;

  CHECK_INT (h2k_tool_config (&t, "validate", validate_opts, &argc, &argv), 0);
  CHECK (argv == args && argc == 2);
}

TEST (tool_config_positional)
{
  CLEANUP_UNLINK_FREE char *a =
    write_temp ("fetch:\n  source: vm.vmx\n  name: web01\n");
  static const struct option fetch_opts[] = {
    H2K_COMMON_LONG,
    { "workdir", required_argument, NULL, 1000 },
    { "name", required_argument, NULL, 1001 },
    { "copy", no_argument, NULL, 1002 },
    { "dry-run", no_argument, NULL, 'n' },
    { "max-extract", required_argument, NULL, 1003 },
    { "format", required_argument, NULL, 1004 },
    { "firmware", required_argument, NULL, 1005 },
    { "connections", required_argument, NULL, 1006 },
    { "sha256", required_argument, NULL, 1007 },
    { "cacert", required_argument, NULL, 1008 },
    { "insecure", no_argument, NULL, 1009 },
    { "known-hosts", required_argument, NULL, 1010 },
    { "identity-file", required_argument, NULL, 1011 },
    { "password-file", required_argument, NULL, 1012 },
    { "password-env", required_argument, NULL, 1013 },
    { "token-file", required_argument, NULL, 1014 },
    { "token-env", required_argument, NULL, 1015 },
    { "list", no_argument, NULL, 1016 },
    { "snapshot", no_argument, NULL, 1017 },
    { "thumbprint", required_argument, NULL, 1018 },
    { NULL, 0, NULL, 0 }
  };
  struct h2k_tool t = { .name = "h2k-fetch" };
  char *args1[] = { (char *) "h2k-fetch", (char *) "--config", a, NULL };
  char *args2[] = { (char *) "h2k-fetch", (char *) "--config", a,
                    (char *) "other.ova", NULL };
  char *args3[] = { (char *) "h2k-fetch", (char *) "--config", a,
                    (char *) "--", NULL };
  char want[256];
  int argc = 3;
  char **argv = args1;

  CHECK_INT (h2k_tool_config (&t, "fetch", fetch_opts, &argc, &argv), 0);
  snprintf (want, sizeof want, "h2k-fetch --name=web01 --config %s -- vm.vmx",
            a);
  CHECK_STR (joined (argc, argv), want);
  argc = 4;
  argv = args2;
  CHECK_INT (h2k_tool_config (&t, "fetch", fetch_opts, &argc, &argv), 0);
  snprintf (want, sizeof want, "h2k-fetch --name=web01 --config %s other.ova",
            a);
  CHECK_STR (joined (argc, argv), want);
  argc = 4;
  argv = args3;
  CHECK_INT (h2k_tool_config (&t, "fetch", fetch_opts, &argc, &argv), 0);
  snprintf (want, sizeof want, "h2k-fetch --name=web01 --config %s -- vm.vmx",
            a);
  CHECK_STR (joined (argc, argv), want);
}

TEST (tool_config_schema_must_match_options)
{
  CLEANUP_UNLINK_FREE char *a = write_temp ("");
  static const struct option too_few[] = {
    H2K_COMMON_LONG,
    { "bus", no_argument, NULL, 1000 },
    { "dry-run", no_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 }
  };
  struct h2k_tool t = { .name = "h2k-validate" };
  char *args[] = { (char *) "h2k-validate", (char *) "--config", a, NULL };
  int argc = 3;
  char **argv = args;

  quiet ();
  CHECK_INT (h2k_tool_config (&t, "validate", too_few, &argc, &argv), -1);
  loud ();
  CHECK_STR (h2k_first_error (),
             "internal error: configuration key validate.bus is not an "
             "option --bus=VALUE of this tool (common/config-schema.c)");
  h2k_clear_error ();
  quiet ();
  CHECK_INT (h2k_tool_config (&t, "fix-nothing", too_few, &argc, &argv), -1);
  loud ();
  CHECK_STR (h2k_first_error (),
             "internal error: no section \"fix-nothing\" in the "
             "configuration schema (common/config-schema.c)");
  h2k_clear_error ();
}

/* The schema is sane, and every section and key is in h2k-config(5). */
TEST (schema_documented)
{
  CLEANUP_FREE char *pod = h2k_read_file (SRCDIR "/man/h2k-config.5.pod",
                                          1 << 20, NULL);

  CHECK (pod != NULL);
  if (pod == NULL)
    return;
  CHECK_STR (h2k_config_schema[0].name, "common");
  for (const struct h2k_config_section *s = h2k_config_schema; s->name; ++s) {
    char head[64];
    const char *start, *end;

    snprintf (head, sizeof head, "\n=head2 %s\n", s->name);
    start = strstr (pod, head);
    CHECK (start != NULL);
    if (start == NULL)
      continue;
    end = strstr (start + 1, "\n=head");
    for (const struct h2k_config_key *k = s->keys; k->name; ++k) {
      char item[96];
      const char *at;

      snprintf (item, sizeof item, "\n=item B<%s> (", k->name);
      at = strstr (start, item);
      if (at == NULL || (end && at > end))
        printf ("# %s.%s is not documented in h2k-config(5)\n", s->name,
                k->name);
      CHECK (at != NULL && (end == NULL || at < end));
      CHECK (h2k_config_find_key (s, k->name) == k);   /* no duplicates */
      CHECK (k->doc != NULL);
      CHECK (!k->positional || k->type == H2K_CONFIG_STRING);
      CHECK (!k->choices || k->type == H2K_CONFIG_STRING);
      CHECK (k->type != H2K_CONFIG_INTEGER || k->min <= k->max);
    }
  }
}

/* The tools check their options against the schema's choices. */
TEST (choices)
{
  CHECK (h2k_config_is_choice ("validate", "bus", "virtio-scsi"));
  CHECK (!h2k_config_is_choice ("validate", "bus", "ide"));
  CHECK (!h2k_config_is_choice ("validate", "bus", NULL));
  CHECK (h2k_config_is_choice ("validate", "signal", "login"));
  CHECK (h2k_config_is_choice ("convert", "preallocation", "falloc"));
  CHECK (!h2k_config_is_choice ("convert", "output-format", "vmdk"));
  CHECK (h2k_config_is_choice ("fetch", "format", "vhdx"));
  CHECK (h2k_config_is_choice ("fetch", "firmware", "uefi"));
  /* Keys without choices, unknown keys and sections: never a choice. */
  CHECK (!h2k_config_is_choice ("fetch", "name", "x"));
  CHECK (!h2k_config_is_choice ("fetch", "no-such-key", "x"));
  CHECK (!h2k_config_is_choice ("no-such-tool", "bus", "sata"));
  /* h2k-fetch --format names qemu's formats through h2k_qemu_format. */
  for (const char *const *f = h2k_config_find_key (h2k_config_find_section ("fetch"),
                                                   "format")->choices; *f; ++f)
    CHECK (h2k_qemu_format (*f) != NULL);
}

int
main (void)
{
  RUN (parse_keeps_lines);
  RUN (parse_empty_and_null);
  RUN (errors_name_file_line_key);
  RUN (errors_wrong_type);
  RUN (errors_bad_value);
  RUN (errors_yaml);
  RUN (errors_secrets);
  RUN (options_in_schema_order);
  RUN (options_skip_and_groups);
  RUN (merge_deep_lists_replace_null_removes);
  RUN (merge_keeps_where_each_value_came_from);
  RUN (load_files);
  RUN (limits);
  RUN (tool_config_rebuilds_argv);
  RUN (tool_config_without_config_changes_nothing);
  RUN (tool_config_positional);
  RUN (tool_config_schema_must_match_options);
  RUN (schema_documented);
  RUN (choices);
  return test_done ();
}
