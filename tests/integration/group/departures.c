/* integration-group-departures: after everyone leaves a 3-party call, the
 * daemon's thread count and fd count return to what they were when idle (no
 * relay element, socket or thread stays behind). A warm-up call runs first:
 * GStreamer and libnice create a few process-wide threads/fds on first use
 * that live as long as the process (registry, system clock, OpenSSL); those
 * are not per-call resources. Then the idle values are recorded and a second
 * call must leave nothing behind. */
#include <gst/gst.h>

#include "group_common.h"

#define SETTLE_TIMEOUT_MS 30000

typedef struct {
    GPid pid;
    guint threads, fds;
} Idle;

static gboolean back_to_idle(gpointer data)
{
    Idle *idle = data;
    return cg_fx_proc_threads(idle->pid) <= idle->threads && cg_fx_proc_fds(idle->pid) <= idle->fds;
}

static void run_call(CgTestDaemon *daemon, Idle *idle, const char *what)
{
    g_autoptr(CgTestConsult) c = group_create_consult(daemon, 3);
    CgRtcPeerOptions media = {.width = 160, .height = 120, .fps = 10};
    CgTestEndpoint *ep[3];
    for (guint i = 0; i < 3; i++)
        ep[i] = group_join(daemon, c, i, &media);
    group_assert_all_media(ep, c, 3);
    g_test_message("%s: during the call %u threads, %u fds", what, cg_fx_proc_threads(idle->pid),
                   cg_fx_proc_fds(idle->pid));
    /* everyone leaves cleanly; the others are told at once */
    cg_test_endpoint_leave(ep[0]);
    g_assert_true(cg_test_endpoint_wait_left(ep[1], c->ids[0], 5000));
    g_assert_cmpstr(cg_test_endpoint_left_reason(ep[1], c->ids[0]), ==, "left");
    cg_test_endpoint_leave(ep[1]);
    g_assert_true(cg_test_endpoint_wait_left(ep[2], c->ids[1], 5000));
    cg_test_endpoint_leave(ep[2]);
    for (guint i = 0; i < 3; i++)
        g_assert_true(cg_wss_client_wait_closed(cg_test_endpoint_wss(ep[i]), 5000));
    for (guint i = 0; i < 3; i++)
        cg_test_endpoint_free(ep[i]);
}

static void test_departures(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    Idle idle = {.pid = cg_test_daemon_pid(daemon)};
    guint t0 = cg_fx_proc_threads(idle.pid), f0 = cg_fx_proc_fds(idle.pid);
    run_call(daemon, &idle, "warm-up call");
    /* settle, then take the idle values */
    idle.threads = t0;
    idle.fds = f0;
    cg_test_wait_until(back_to_idle, &idle, SETTLE_TIMEOUT_MS);
    idle.threads = cg_fx_proc_threads(idle.pid);
    idle.fds = cg_fx_proc_fds(idle.pid);
    g_autofree char *idle_desc = cg_fx_proc_describe(idle.pid);
    g_test_message("before any call: %u threads, %u fds; idle after the warm-up: %u threads, "
                   "%u fds (%s)",
                   t0, f0, idle.threads, idle.fds, idle_desc);
    for (guint round = 1; round <= 2; round++) {
        g_autofree char *what = g_strdup_printf("call %u", round);
        run_call(daemon, &idle, what);
        gint64 t = g_get_monotonic_time();
        gboolean ok = cg_test_wait_until(back_to_idle, &idle, SETTLE_TIMEOUT_MS);
        g_test_message("%s: after everyone left %u threads, %u fds (idle %u, %u) after %.1f s",
                       what, cg_fx_proc_threads(idle.pid), cg_fx_proc_fds(idle.pid), idle.threads,
                       idle.fds, (g_get_monotonic_time() - t) / 1e6);
        if (!ok) {
            g_autofree char *desc = cg_fx_proc_describe(idle.pid);
            g_error("%s left resources behind: %s", what, desc);
        }
    }
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/group/departures", test_departures);
    return g_test_run();
}
