/* integration-consult-ice_tcp: an endpoint whose network drops UDP (its ICE
 * agent may only use TCP) still joins, and media flows both ways through
 * consultd over ICE-TCP: each side decodes the other's colour and tone. */
#include <math.h>

#include "consult_fixture.h"

static void test_tcp_only_endpoint(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    g_autoptr(CgTestEndpoint) udp = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    CgTestEndpointOptions o = {.media = {.tone_hz = 880, .color_rgb = 0x0000ff, .tcp_only = TRUE},
                               .admit_waiting = TRUE};
    g_autoptr(CgTestEndpoint) tcp = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), c->tokens[1], &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(tcp, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);

    cg_fx_wait_frames(udp, c->ids[1], 20);
    cg_fx_wait_frames(tcp, c->ids[0], 20);
    guint32 rgb = 0;
    g_assert_true(cg_rtc_peer_video_color(cg_test_endpoint_peer(udp), c->ids[1], &rgb));
    g_assert_cmpuint(rgb & 0xff, >, 0x80); /* blue from the TCP endpoint */
    g_assert_true(fabs(cg_rtc_peer_tone_hz(cg_test_endpoint_peer(udp), c->ids[1]) - 880) < 15);
    g_assert_true(fabs(cg_rtc_peer_tone_hz(cg_test_endpoint_peer(tcp), c->ids[0]) - 440) < 15);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/ice_tcp", test_tcp_only_endpoint);
    return g_test_run();
}
