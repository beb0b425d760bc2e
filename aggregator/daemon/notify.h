/* notify.h — tells the service manager how the daemon is doing (the sd_notify protocol).
 *
 * Promise: each call sends one datagram to $NOTIFY_SOCKET (a path, or an abstract socket name
 * starting with '@') and returns 0 or a negative errno; where NOTIFY_SOCKET is unset or empty
 * (braid run from a terminal, braid poll --once from cron) every call is a no-op returning 0,
 * so the daemon calls them unconditionally. Built with libsystemd (BRAID_HAVE_SYSTEMD) the datagrams go through
 * sd_notify(); without it through the plain protocol below, which behaves the same. Nothing here
 * logs: the daemon logs the errors it cares about. The environment is left as it is, so a
 * reload can notify again.
 *
 * The order systemd expects from a Type=notify service:
 *   start:   ... open the store, bind the listener ... notify_ready()
 *   SIGHUP:  notify_reloading(); re-read the config; notify_ready()   (READY=1 ends the reload)
 *   SIGTERM: notify_stopping(); close everything; exit
 *   always:  notify_watchdog() every interval/2 from a uv timer, if notify_watchdog_interval_usec
 *            gave an interval other than 0.
 */
#ifndef BRAID_NOTIFY_H
#define BRAID_NOTIFY_H

#include <stdint.h>

/* Longest STATUS= text sent, in bytes; longer text is cut at a character boundary. */
#define NOTIFY_STATUS_MAX_BYTES 256

/* READY=1: start-up (or a reload) is complete. */
int notify_ready(void);
/* STATUS=TEXT, a one-line human-readable state shown by `systemctl status`. Newlines and other
 * control characters in TEXT become spaces, so text from a feed cannot forge other fields. */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC=now (CLOCK_MONOTONIC, which systemd 253+ needs to match a
 * reload to its request; older systemd ignores the field). */
int notify_reloading(void);
/* STOPPING=1: a clean stop has begun. */
int notify_stopping(void);
/* WATCHDOG=1: the loop is alive. */
int notify_watchdog(void);
/* The watchdog interval systemd asks for (WatchdogSec= → $WATCHDOG_USEC, for $WATCHDOG_PID if
 * set), in microseconds; *ret_usec = 0 when there is no watchdog for this process. Ping at half
 * of it. -EINVAL when the variables are malformed. */
int notify_watchdog_interval_usec(uint64_t *ret_usec);

/* The plain protocol, compiled into every build (it is the whole implementation without
 * libsystemd), public so that tests cover it in builds that use sd_notify. Same contracts as
 * above: notify_send_plain sends MESSAGE as it is to $NOTIFY_SOCKET. */
int notify_send_plain(const char *message);
int notify_watchdog_interval_plain(uint64_t *ret_usec);

#endif
