/* h2k-validate: run QEMU, and watch its console and its network until
 * the guest proves itself or fails.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "frame.h"
#include "validate.h"

#define PROBE_INTERVAL 2.0      /* seconds between ARP probes */
#define POLL_MS 200

static int
bound_udp (uint16_t port, uint16_t *got)
{
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                            .sin_port = htons (port) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

  if (fd == -1 || bind (fd, (struct sockaddr *) &sa, sizeof sa) == -1 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) == -1) {
    h2k_error ("UDP socket on 127.0.0.1: %m");
    if (fd >= 0)
      close (fd);
    return -1;
  }
  *got = ntohs (sa.sin_port);
  return fd;
}

/* Our end of each NIC: a UDP socket on 127.0.0.1, connected to the port
 * QEMU will use, so that only QEMU's datagrams reach us.
 */
int
run_open_sockets (struct run *r)
{
  for (size_t i = 0; i < r->net.n_nics; ++i) {
    struct net_nic *nic = &r->net.nics[i];
    struct sockaddr_in peer = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    int tmp;

    nic->fd = bound_udp (0, &nic->our_port);
    if (nic->fd == -1)
      return -1;
    /* A free port for QEMU's end. */
    tmp = bound_udp (0, &nic->qemu_port);
    if (tmp == -1)
      return -1;
    close (tmp);
    peer.sin_port = htons (nic->qemu_port);
    if (connect (nic->fd, (struct sockaddr *) &peer, sizeof peer) == -1) {
      h2k_error ("connecting UDP socket to 127.0.0.1:%u: %m",
                 (unsigned) nic->qemu_port);
      return -1;
    }
  }
  return 0;
}

void
run_close_sockets (struct run *r)
{
  for (size_t i = 0; i < r->net.n_nics; ++i)
    if (r->net.nics[i].fd >= 0) {
      close (r->net.nics[i].fd);
      r->net.nics[i].fd = -1;
    }
}

int
run_start_qemu (struct run *r)
{
  int out;

  out = open (r->qemu_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out == -1) {
    h2k_error ("%s: %m", r->qemu_out);
    return -1;
  }
  r->serial_fd = open (r->cfg.serial_log, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (r->serial_fd == -1) {
    h2k_error ("%s: %m", r->cfg.serial_log);
    close (out);
    return -1;
  }
  fflush (stderr);
  r->pid = fork ();
  if (r->pid == -1) {
    h2k_error ("fork: %m");
    close (out);
    return -1;
  }
  if (r->pid == 0) {
    int null = open ("/dev/null", O_RDONLY);
    /* QEMU must not outlive us. */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    signal (SIGPIPE, SIG_DFL);
    if (null == -1 || dup2 (null, 0) == -1 || dup2 (out, 1) == -1 ||
        dup2 (out, 2) == -1)
      _exit (127);
    execvp (r->argv[0], r->argv);
    dprintf (2, "%s: %s\n", r->argv[0], strerror (errno));
    _exit (127);
  }
  close (out);
  r->started = h2k_monotonic ();
  return 0;
}

void
run_stop_qemu (struct run *r)
{
  int ws;

  if (r->pid <= 0 || r->exited)
    return;
  kill (r->pid, SIGKILL);
  while (waitpid (r->pid, &ws, 0) == -1 && errno == EINTR)
    ;
  r->pid = 0;
}

static void
send_frame (struct net_nic *nic, const uint8_t *buf, size_t len, void *opaque)
{
  (void) opaque;
  /* Before QEMU listens, the kernel refuses: harmless, we probe again. */
  if (send (nic->fd, buf, len, 0) == -1 && errno != ECONNREFUSED &&
      errno != EAGAIN)
    h2k_debug ("%s: send: %m", nic->id);
}

static void
read_frames (struct net_nic *nic)
{
  uint8_t buf[65536], out[FRAME_MAX];
  ssize_t n;
  size_t len;

  while ((n = recv (nic->fd, buf, sizeof buf, 0)) != 0) {
    if (n == -1) {
      if (errno == ECONNREFUSED || errno == EINTR)
        continue;
      break;                    /* EAGAIN: all read */
    }
    len = net_handle_frame (nic, buf, (size_t) n, out);
    if (len > 0)
      send_frame (nic, out, len, NULL);
  }
}

/* Read what the console printed since last time.  -1 reported. */
static int
read_serial (struct run *r)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (r->serial_fd, buf, sizeof buf)) > 0)
    if (console_feed (&r->con, buf, (size_t) n) == -1)
      return -1;
  if (n == -1) {
    h2k_error ("%s: %m", r->cfg.serial_log);
    return -1;
  }
  return 0;
}

static int
check_exit (struct run *r)
{
  int ws;
  pid_t p = waitpid (r->pid, &ws, WNOHANG);

  if (p != r->pid)
    return 0;
  r->exited = 1;
  r->exit_status = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws);
  return 1;
}

/* The beacon's end marker, or the login prompt. */
static int
signal_reached (struct run *r)
{
  if (strcmp (r->signal, "beacon") == 0)
    return r->beacon.state == BEACON_ENDED;
  return r->con.event == CONSOLE_LOGIN;
}

/* The loop: until the signal (the beacon or the login prompt) and the
 * network proof, a failure signature, the timeout, or QEMU's exit.  With
 * the beacon, a login prompt starts a shorter wait: the beacon waits at
 * most --net-timeout for the network, and runs about when the getty does.
 */
int
run_watch (struct run *r)
{
  struct pollfd pfd[64];
  size_t n = r->net.n_nics;
  double next_probe = r->started, net_deadline = 0;

  for (size_t i = 0; i < n; ++i)
    pfd[i] = (struct pollfd) { .fd = r->net.nics[i].fd, .events = POLLIN };
  for (;;) {
    double now;
    int exited;

    if (poll (pfd, n, POLL_MS) == -1 && errno != EINTR) {
      h2k_error ("poll: %m");
      return -1;
    }
    if (h2k_interrupted) {
      h2k_error ("interrupted");
      return -1;
    }
    for (size_t i = 0; i < n; ++i)
      read_frames (&r->net.nics[i]);
    exited = check_exit (r);
    if (read_serial (r) == -1)
      return -1;
    now = h2k_monotonic ();
    if (!r->signaled && r->con.event == CONSOLE_FAILURE)
      return 0;
    if (!r->signaled && signal_reached (r)) {
      r->signaled = 1;
      r->boot_seconds = r->signal_seconds = now - r->started;
      net_deadline = now + r->o->net_timeout;
      h2k_info ("%s after %.0f s; proving the network",
                strcmp (r->signal, "beacon") == 0 ? "beacon" : "login prompt",
                r->boot_seconds);
    }
    if (exited)
      return 0;
    if (r->signaled && (net_done (&r->net) || now >= net_deadline))
      return 0;
    if (!r->signaled && r->con.event == CONSOLE_LOGIN && r->login_seconds == 0)
      r->login_seconds = now - r->started;
    if (!r->signaled && strcmp (r->signal, "beacon") == 0 && r->login_seconds > 0 &&
        now - r->started - r->login_seconds >= r->o->net_timeout + BEACON_LOGIN_GRACE) {
      r->timed_out = 1;
      return 0;
    }
    if (!r->signaled && now - r->started >= r->timeout) {
      r->timed_out = 1;
      return 0;
    }
    if (now >= next_probe) {
      for (size_t i = 0; i < n; ++i)
        net_probe (&r->net.nics[i], send_frame, NULL);
      next_probe = now + PROBE_INTERVAL;
    }
  }
}
