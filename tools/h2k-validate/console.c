/* h2k-validate: what the serial console showed. */

#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"

/* Lines that mean the guest did not boot (extended regular expressions).
 * Whichever of these or the login prompt appears first decides.  "does
 * not exist" alone is not enough: a healthy Debian prints "... tomoyo-init
 * does not exist".
 */
static const char *const failure_signatures[] = {
  "Kernel panic",
  "VFS: Unable to mount root fs",
  "Dropping to a shell",
  "\\(initramfs\\)",
  "ALERT!.* does not exist",
  "/dev/[^ ]+ does not exist",
  "(UUID|LABEL)=[^ ]+ does not exist",
  "Give root password for maintenance",
  "Press Enter for maintenance",
  "emergency mode",
  "You are in rescue mode",
  "Cannot open access to console, the root account is locked",
  "dracut-initqueue.*[Cc]ould not boot",
  "grub rescue>",
  "No bootable device",
  "EFI Internal Shell",         /* OVMF found no loader it could start */
  "Boot failed:",
  "INACCESSIBLE_BOOT_DEVICE",
  "STOP: 0x0000007B",
  NULL
};

#define N_SIGNATURES (sizeof failure_signatures / sizeof failure_signatures[0] - 1)

const char *
console_failure_signature (const char *line)
{
  static regex_t re[N_SIGNATURES];
  static int compiled;

  if (!compiled) {
    for (size_t i = 0; i < N_SIGNATURES; ++i)
      if (regcomp (&re[i], failure_signatures[i], REG_EXTENDED | REG_NOSUB) != 0)
        abort ();               /* a bug in the table above */
    compiled = 1;
  }
  for (size_t i = 0; i < N_SIGNATURES; ++i)
    if (regexec (&re[i], line, 0, NULL, 0) == 0)
      return failure_signatures[i];
  return NULL;
}

int
console_init (struct console *c, const char *login_regex)
{
  memset (c, 0, sizeof *c);
  if (regcomp (&c->re, login_regex, REG_EXTENDED | REG_NOSUB) != 0) {
    h2k_error ("--expect: bad regular expression '%s'", login_regex);
    return -1;
  }
  c->have_re = 1;
  return 0;
}

void
console_free (struct console *c)
{
  if (c->have_re)
    regfree (&c->re);
  free (c->failure);
  free (c->login_line);
  for (size_t i = 0; i < CONSOLE_TAIL; ++i)
    free (c->tail[i]);
  h2k_free_strv (c->failed_units);
  memset (c, 0, sizeof *c);
}

/* Check the line being built (complete or not) for the first event. */
static int
scan (struct console *c)
{
  CLEANUP_FREE char *copy = NULL;
  char **dest;

  if (c->event != CONSOLE_NOTHING || c->line_len == 0)
    return 0;
  if (console_failure_signature (c->line)) {
    c->event = CONSOLE_FAILURE;
    dest = &c->failure;
  }
  else if (regexec (&c->re, c->line, 0, NULL, 0) == 0) {
    c->event = CONSOLE_LOGIN;
    dest = &c->login_line;
  }
  else
    return 0;
  copy = strdup (c->line);
  if (copy == NULL || (*dest = strdup (h2k_trim (copy))) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  return 0;
}

static int
note_failed_unit (struct console *c, const char *line)
{
  char **v;

  if (strstr (line, "[FAILED]") == NULL || c->n_failed >= CONSOLE_MAX_WARNINGS)
    return 0;
  v = realloc (c->failed_units, (c->n_failed + 2) * sizeof *v);
  if (v == NULL)
    goto nomem;
  c->failed_units = v;
  if ((v[c->n_failed] = strdup (line)) == NULL)
    goto nomem;
  v[++c->n_failed] = NULL;
  return 0;
 nomem:
  h2k_error ("%m");
  return -1;
}

/* The current line is complete: scan it, keep it. */
static int
end_line (struct console *c)
{
  CLEANUP_FREE char *copy = NULL;
  char *line;

  c->line[c->line_len] = '\0';
  if (scan (c) == -1)
    return -1;
  copy = strdup (c->line);
  c->line_len = 0;
  c->line[0] = '\0';
  if (copy == NULL) {
    h2k_error ("%m");
    return -1;
  }
  line = h2k_trim (copy);
  if (*line == '\0')
    return 0;
  c->lines++;
  if (c->echo)
    c->echo (line);
  if (c->on_line && c->on_line (c->opaque, line) == -1)
    return -1;
  if (note_failed_unit (c, line) == -1)
    return -1;
  free (c->tail[c->tail_next]);
  if ((c->tail[c->tail_next] = strdup (line)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  c->tail_next = (c->tail_next + 1) % CONSOLE_TAIL;
  if (c->tail_count < CONSOLE_TAIL)
    c->tail_count++;
  return 0;
}

/* Escape states: 0 text, 1 after ESC, 2 in a CSI sequence. */
int
console_feed (struct console *c, const char *data, size_t len)
{
  int grew = 0;

  for (size_t i = 0; i < len; ++i) {
    unsigned char ch = (unsigned char) data[i];

    if (c->esc == 1) {
      c->esc = ch == '[' ? 2 : 0;
      continue;
    }
    if (c->esc == 2) {
      if (ch >= 0x40 && ch <= 0x7e)
        c->esc = 0;
      continue;
    }
    if (ch == 0x1b)
      c->esc = 1;
    else if (ch == '\n') {
      if (end_line (c) == -1)
        return -1;
      grew = 0;
    }
    else if ((ch >= 0x20 && ch != 0x7f) || ch == '\t') {
      if (c->line_len < CONSOLE_LINE_MAX) {
        c->line[c->line_len++] = (char) ch;
        c->line[c->line_len] = '\0';
        grew = 1;
      }
    }
    /* Other control characters, '\r' included, are dropped. */
  }
  if (grew && scan (c) == -1)
    return -1;
  return c->event;
}

int
console_flush (struct console *c)
{
  if (c->line_len == 0)
    return 0;
  return end_line (c);
}

json_object *
console_tail_json (const struct console *c)
{
  json_object *a = json_object_new_array ();
  size_t first = (c->tail_next + CONSOLE_TAIL - c->tail_count) % CONSOLE_TAIL;

  if (a == NULL)
    goto nomem;
  for (size_t i = 0; i < c->tail_count; ++i) {
    const char *s = c->tail[(first + i) % CONSOLE_TAIL];
    json_object *js = json_object_new_string (s);
    if (h2k_json_array_add (a, js) == -1)
      goto nomem;
  }
  return a;
 nomem:
  json_object_put (a);
  h2k_error ("%m");
  return NULL;
}
