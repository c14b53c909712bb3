/* h2k-validate: reading the serial console. */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"

static int
feed (struct console *c, const char *s)
{
  return console_feed (c, s, strlen (s));
}

/* The prompt has no newline; colours and \r are removed. */
TEST (login_prompt)
{
  struct console c;

  CHECK_INT (console_init (&c, "login:"), 0);
  CHECK_INT (feed (&c, "[\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mgetty.target\x1b[0m.\r\n"), CONSOLE_NOTHING);
  CHECK_INT (feed (&c, "\r\nDebian GNU/Linux 12 h2k ttyS0\r\n\r\nh2k log"), CONSOLE_NOTHING);
  CHECK_INT (feed (&c, "in: "), CONSOLE_LOGIN);
  CHECK_STR (c.login_line, "h2k login:");
  CHECK (c.failure == NULL);
  CHECK_INT (console_flush (&c), 0);
  {
    CLEANUP_JSON json_object *t = console_tail_json (&c);
    CHECK_INT (json_object_array_length (t), 3);
    CHECK_STR (json_object_get_string (json_object_array_get_idx (t, 0)),
               "[  OK  ] Reached target getty.target.");
    CHECK_STR (json_object_get_string (json_object_array_get_idx (t, 2)),
               "h2k login:");
  }
  console_free (&c);
}

/* An escape sequence split between two reads. */
TEST (split_escape)
{
  struct console c;

  CHECK_INT (console_init (&c, "^Welcome$"), 0);
  CHECK_INT (feed (&c, "Wel\x1b["), CONSOLE_NOTHING);
  CHECK_INT (feed (&c, "0;1mcome\n"), CONSOLE_LOGIN);
  console_free (&c);
}

/* The initramfs shell: the failure comes first and sticks. */
TEST (initramfs_failure)
{
  struct console c;

  CHECK_INT (console_init (&c, "login:"), 0);
  feed (&c, "Begin: Waiting for root file system ... done.\n");
  feed (&c, "Gave up waiting for root file system device.\n");
  CHECK_INT (feed (&c, "ALERT!  /dev/sda1 does not exist.  Dropping to a shell!\n"),
             CONSOLE_FAILURE);
  CHECK_STR (c.failure, "ALERT!  /dev/sda1 does not exist.  Dropping to a shell!");
  CHECK_INT (feed (&c, "(initramfs) login: "), CONSOLE_FAILURE);
  CHECK (c.login_line == NULL);
  console_free (&c);
}

TEST (prompt_without_newline_fails)
{
  struct console c;

  CHECK_INT (console_init (&c, "login:"), 0);
  CHECK_INT (feed (&c, "BusyBox v1.35.0 built-in shell (ash)\n(initramfs) "),
             CONSOLE_FAILURE);
  CHECK_STR (c.failure, "(initramfs)");
  CHECK_STR (console_failure_signature (c.failure), "\\(initramfs\\)");
  console_free (&c);
}

TEST (failed_units_and_tail_ring)
{
  struct console c;
  char line[64];

  CHECK_INT (console_init (&c, "login:"), 0);
  feed (&c, "[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mnetworking.service\x1b[0m - Raise network interfaces.\n");
  for (int i = 0; i < 40; ++i) {
    snprintf (line, sizeof line, "line %d\n", i);
    feed (&c, line);
  }
  CHECK_INT (c.n_failed, 1);
  CHECK_STR (c.failed_units[0],
             "[FAILED] Failed to start networking.service - Raise network interfaces.");
  {
    CLEANUP_JSON json_object *t = console_tail_json (&c);
    CHECK_INT (json_object_array_length (t), CONSOLE_TAIL);
    CHECK_STR (json_object_get_string (json_object_array_get_idx (t, 0)), "line 10");
    CHECK_STR (json_object_get_string (json_object_array_get_idx (t, CONSOLE_TAIL - 1)),
               "line 39");
  }
  console_free (&c);
}

TEST (signatures)
{
  CHECK_STR (console_failure_signature ("[    2.1] Kernel panic - not syncing: VFS"), "Kernel panic");
  CHECK_STR (console_failure_signature ("You are in emergency mode. After logging in"),
             "emergency mode");
  CHECK_STR (console_failure_signature ("STOP: 0x0000007B (INACCESSIBLE_BOOT_DEVICE)"),
             "INACCESSIBLE_BOOT_DEVICE");
  CHECK (console_failure_signature ("[  OK  ] Started systemd-logind.service") == NULL);
  /* OVMF with no loader left to try starts its shell. */
  CHECK_STR (console_failure_signature ("UEFI Interactive Shell v2.2 / EFI Internal Shell"),
             "EFI Internal Shell");
  CHECK (console_failure_signature ("BdsDxe: loading Boot0001 \"UEFI QEMU HARDDISK\"") == NULL);
  /* Healthy Debian 12 prints this one. */
  CHECK (console_failure_signature ("[   31.6] Not activating Mandatory Access "
                                    "Control as /sbin/tomoyo-init does not exist.") == NULL);
  CHECK (console_failure_signature ("Warning: /dev/mapper/rhel-root does not exist") != NULL);
}

TEST (bad_regex)
{
  struct console c;

  CHECK_INT (console_init (&c, "login:("), -1);
}

int
main (void)
{
  RUN (login_prompt);
  RUN (split_escape);
  RUN (initramfs_failure);
  RUN (prompt_without_newline_fails);
  RUN (failed_units_and_tail_ring);
  RUN (signatures);
  RUN (bad_regex);
  return test_done ();
}
