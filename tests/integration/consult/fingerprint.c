/* integration-consult-fingerprint: an endpoint whose SDP a=fingerprint does
 * not match its DTLS certificate is refused (error dtls_fingerprint_mismatch,
 * close 1008); nothing is relayed to or from it; the honest endpoint sees it
 * leave with media_failed. */
#include <gst/gst.h>

#include "consult_fixture.h"

static void test_fingerprint(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    g_autoptr(CgTestEndpoint) honest = cg_fx_join_publishing(daemon, c->tokens[0], 0x00ff00, 440);
    CgTestEndpointOptions o = {
        .media = {.tone_hz = 880, .color_rgb = 0xff0000, .corrupt_fingerprint = TRUE}};
    g_autoptr(CgTestEndpoint) forger = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), c->tokens[1], &o);

    if (!cg_test_endpoint_wait_error(forger, "dtls_fingerprint_mismatch", CG_FX_MEDIA_TIMEOUT_MS))
        g_error("no dtls_fingerprint_mismatch within %d ms (joined: %d)", CG_FX_MEDIA_TIMEOUT_MS,
                cg_test_endpoint_joined(forger));
    cg_fx_assert_closed(cg_test_endpoint_wss(forger), 1008, "dtls_fingerprint_mismatch", 5000);

    /* The honest endpoint is told why the other one went away. */
    g_assert_true(cg_test_endpoint_wait_left(honest, c->ids[1], 5000));
    g_assert_cmpstr(cg_test_endpoint_left_reason(honest, c->ids[1]), ==, "media_failed");

    /* Give any stray relayed packet time to arrive, then check none did. */
    cg_test_run_for(1000);
    g_assert_cmpuint(cg_test_endpoint_frames_from(honest, c->ids[1]), ==, 0);
    CgRtcPeer *fp = cg_test_endpoint_peer(forger);
    g_assert_cmpuint(fp ? cg_rtc_peer_packets_received(fp) : 0, ==, 0);
    g_assert_cmpuint(cg_test_endpoint_frames_from(forger, c->ids[0]), ==, 0);

    /* The daemon is fine and the honest endpoint still connected. */
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(honest)));
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(
        cg_test_admin_request(daemon, "GET", "/healthz", NULL, NULL, &status, &resp, &error));
    g_assert_cmpuint(status, ==, 200);
    json_decref(resp);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/fingerprint", test_fingerprint);
    return g_test_run();
}
