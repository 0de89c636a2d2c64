/* integration-consult-shutdown: SIGTERM while endpoints are in a call. Each
 * gets {"type":"bye","reason":"server_shutdown"} and a close 1001, and the
 * daemon exits 0 within server.shutdown_timeout_s (5 s). */
#include <gst/gst.h>

#include "consult_fixture.h"

static void test_shutdown(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    /* A third one that joined but publishes nothing. */
    CgTestEndpointOptions quiet = {.no_publish = TRUE};
    g_autoptr(CgTestEndpoint) q = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), c->tokens[2], &quiet);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(q, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);

    gint64 t0 = g_get_monotonic_time();
    int status = -1;
    gboolean exited = cg_test_daemon_stop(daemon, 5000, &status, &error);
    gint64 elapsed_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_no_error(error);
    g_assert_true(exited);
    g_test_message("consultd exited %" G_GINT64_FORMAT " ms after SIGTERM", elapsed_ms);
    g_assert_cmpint(status, ==, 0);

    CgTestEndpoint *eps[] = {a, b, q};
    for (guint i = 0; i < G_N_ELEMENTS(eps); i++) {
        cg_fx_assert_closed(cg_test_endpoint_wss(eps[i]), 1001, NULL, 2000);
        g_assert_cmpstr(cg_test_endpoint_bye_reason(eps[i]), ==, "server_shutdown");
    }
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/shutdown", test_shutdown);
    return g_test_run();
}
