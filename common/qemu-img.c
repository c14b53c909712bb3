/* h2k: ask qemu-img about images (read-only). */

#include <signal.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "qemu-img.h"
#include "run.h"

struct h2k_run_limits h2k_probe_limits = {
  .address_space = 1ULL << 30,
  .cpu_seconds = 30,
};

static const char *const formats[][2] = {
  /* ours     qemu's */
  { "vmdk",  "vmdk" },
  { "vhd",   "vpc" },
  { "vhdx",  "vhdx" },
  { "qcow2", "qcow2" },
  { "raw",   "raw" },
  { "vdi",   "vdi" },
};

const char *
h2k_qemu_format (const char *f)
{
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; ++i)
    if (strcmp (f, formats[i][0]) == 0)
      return formats[i][1];
  return NULL;
}

const char *
h2k_format_from_qemu (const char *f)
{
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; ++i)
    if (strcmp (f, formats[i][1]) == 0)
      return formats[i][0];
  return NULL;
}

json_object *
h2k_qemu_img_info (const char *path, const char *format, unsigned flags)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  const char *argv[10];
  size_t i = 0;
  json_object *j;
  json_type want = flags & H2K_INFO_CHAIN ? json_type_array : json_type_object;

  argv[i++] = "qemu-img";
  argv[i++] = "info";
  argv[i++] = "--output=json";
  argv[i++] = "-U";
  if (flags & H2K_INFO_CHAIN)
    argv[i++] = "--backing-chain";
  if (format) {
    argv[i++] = "-f";
    argv[i++] = h2k_qemu_format (format) ? h2k_qemu_format (format) : format;
  }
  argv[i++] = "--";
  argv[i++] = path;
  argv[i] = NULL;

  if (h2k_run_limited (argv, H2K_RUN_OUT | H2K_RUN_ERR, &h2k_probe_limits,
                       &res) == -1)
    return NULL;
  if (res.status == 128 + SIGXCPU || res.status == 128 + SIGKILL) {
    h2k_error ("%s: qemu-img info: the probe exceeded its CPU time limit "
               "(%lu s) and was killed", path, h2k_probe_limits.cpu_seconds);
    return NULL;
  }
  if (res.status > 128) {
    h2k_error ("%s: qemu-img info: killed by signal %d (the probe runs with "
               "%llu MiB of address space)", path, res.status - 128,
               h2k_probe_limits.address_space >> 20);
    return NULL;
  }
  if (res.status != 0) {
    /* qemu-img's message names the file already; keep its last line. */
    char *msg = res.err ? res.err : "";
    size_t n = strlen (msg);
    while (n > 0 && msg[n - 1] == '\n')
      msg[--n] = '\0';
    char *nl = strrchr (msg, '\n');
    h2k_error ("%s: qemu-img info failed: %s", path, nl ? nl + 1 : msg);
    return NULL;
  }
  j = json_tokener_parse (res.out ? res.out : "");
  if (j == NULL || !json_object_is_type (j, want)) {
    json_object_put (j);
    h2k_error ("%s: qemu-img info printed unexpected output", path);
    return NULL;
  }
  return j;
}
