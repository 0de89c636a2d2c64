/* sd_notify.c — sd_notify wrapper. See sd_notify.h. */
#ifndef G_LOG_DOMAIN
#define G_LOG_DOMAIN "cg-daemon"
#endif

#include "sd_notify.h"

#include <stdarg.h>
#include <string.h>
#include <systemd/sd-daemon.h>

static GSource *watchdog_source; /* main thread only */

static gboolean under_systemd(void)
{
    const char *sock = g_getenv("NOTIFY_SOCKET");
    return sock != NULL && sock[0] != '\0';
}

static gboolean send_state(const char *state)
{
    if (!under_systemd())
        return FALSE;
    int r = sd_notify(0, state);
    if (r < 0) {
        g_debug("sd_notify failed: %s", g_strerror(-r));
        return FALSE;
    }
    return r > 0;
}

gboolean cg_notify_ready(void)
{
    return send_state("READY=1\nSTATUS=Ready");
}

gboolean cg_notify_stopping(void)
{
    return send_state("STOPPING=1\nSTATUS=Stopping");
}

gboolean cg_notify_status(const char *fmt, ...)
{
    if (!under_systemd())
        return FALSE;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One notify message is newline-separated assignments. */
    g_strdelimit(text, "\r\n", ' ');
    g_autofree char *state = g_strconcat("STATUS=", text, NULL);
    return send_state(state);
}

static gboolean watchdog_ping(gpointer user_data)
{
    (void)user_data;
    send_state("WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

void cg_notify_watchdog_stop(void)
{
    if (watchdog_source != NULL) {
        g_source_destroy(watchdog_source);
        g_clear_pointer(&watchdog_source, g_source_unref);
    }
}

guint64 cg_notify_watchdog_start(GMainContext *context)
{
    cg_notify_watchdog_stop();
    if (!under_systemd())
        return 0;

    uint64_t usec = 0;
    /* > 0 only if WATCHDOG_USEC is set and WATCHDOG_PID is absent or ours. */
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;

    guint interval_ms = (guint)MAX(usec / 2000, 1);
    watchdog_source = g_timeout_source_new(interval_ms);
    g_source_set_name(watchdog_source, "cg-watchdog");
    g_source_set_callback(watchdog_source, watchdog_ping, NULL, NULL);
    g_source_attach(watchdog_source, context);
    g_debug("systemd watchdog: %" G_GUINT64_FORMAT " us, ping every %u ms", (guint64)usec,
            interval_ms);
    return usec;
}
