/* sd_notify.h — systemd readiness, status and watchdog (sd_notify wrapper).
 *
 * Every call is a no-op returning FALSE/0 outside systemd (NOTIFY_SOCKET
 * unset), so consultd runs the same from a shell. The unit uses
 * NotifyAccess=main: call these from the main process only.
 *
 * The watchdog ping is a GLib timeout on the daemon's main context, at half
 * of WatchdogSec: if the main loop gets stuck, the pings stop and systemd
 * restarts the service. That is the point, so never ping from another thread.
 * Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends READY=1 (plus STATUS=Ready). TRUE if a message was delivered. */
gboolean cg_notify_ready(void);

/* Sends STOPPING=1. TRUE if a message was delivered. */
gboolean cg_notify_stopping(void);

/* Sends STATUS=<formatted text> (shown by `systemctl status`); newlines in the
 * text are replaced by spaces. TRUE if a message was delivered. */
gboolean cg_notify_status(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* If systemd asked for a watchdog (WATCHDOG_USEC, and WATCHDOG_PID is us or
 * unset), attaches a timeout to @context (NULL = the global default context)
 * that sends WATCHDOG=1 every half interval. Returns the interval in
 * microseconds, or 0 when no watchdog is wanted. Calling it again replaces
 * the previous timeout. */
guint64 cg_notify_watchdog_start(GMainContext *context);

/* Removes the watchdog timeout, if any. */
void cg_notify_watchdog_stop(void);

G_END_DECLS
