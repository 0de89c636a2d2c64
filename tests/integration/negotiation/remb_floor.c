/* integration-negotiation-remb_floor: one receiver cannot pin a publisher's
 * bitrate for everyone (issue 9, finding 10). The provider's client lies in
 * every RTCP packet of its subscribe connections: REMB 1 bps. What consultd
 * asks of the specialist (REMB on its publish connection) never goes below
 * CG_MEDIA_REMB_FLOOR_KBPS (100 kbps), and the lie is seen (it asks for
 * exactly the floor, below the 1000 kbps default cap). Once the liar goes
 * audio-only (it receives no video) its estimate counts no more: the cap
 * again. The liar still receives the specialist's video. */
#include "negotiation_common.h"

#define FLOOR_BPS 100000u /* media.h CG_MEDIA_REMB_FLOOR_KBPS */
#define CAP_BPS 1000000u  /* consults.video_bitrate_kbps default */
#define N_REMB 5          /* one a second */

typedef struct {
    CgRtcPeer *peer;
    guint want;
} RembWait;

static gboolean has_rembs(gpointer data)
{
    RembWait *w = data;
    return cg_rtc_peer_rembs(w->peer, NULL) >= w->want;
}

/* The lowest and highest bitrate of @n REMB on @ep's publish connection,
 * after letting one go (it may predate a change). */
static void next_rembs(CgTestEndpoint *ep, guint n, guint *min_bps, guint *max_bps)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    RembWait w = {peer, 1};
    cg_rtc_peer_reset_rembs(peer);
    g_assert_true(cg_test_wait_until(has_rembs, &w, 10000));
    cg_rtc_peer_reset_rembs(peer);
    w.want = n;
    if (!cg_test_wait_until(has_rembs, &w, 3000 * n))
        g_error("%u of %u REMB", cg_rtc_peer_rembs(peer, NULL), n);
    cg_rtc_peer_rembs(peer, max_bps);
    *min_bps = cg_rtc_peer_remb_min(peer);
}

static void test_remb_floor(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    CgTestEndpointOptions o = {.media = {.tone_hz = 660, .color_rgb = 0x0000ff, .lie_remb_bps = 1},
                               .admit_waiting = TRUE};
    g_autoptr(CgTestEndpoint) liar = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), c->tokens[1], &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(liar, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(liar, c->ids[0], 10);

    guint min_bps = 0, max_bps = 0;
    next_rembs(a, N_REMB, &min_bps, &max_bps);
    g_test_message("with the liar: REMB %u..%u bps", min_bps, max_bps);
    g_assert_cmpuint(min_bps, >=, FLOOR_BPS);
    g_assert_cmpuint(min_bps, ==, FLOOR_BPS); /* the lie arrived, and was floored */
    cg_fx_wait_frames(liar, c->ids[0], cg_test_endpoint_frames_from(liar, c->ids[0]) + 10);

    /* audio-only: it receives no video, its estimate has no say */
    json_t *msg = json_pack("{s:s, s:b}", "type", "receive", "video", 0);
    cg_wss_client_send_json(cg_test_endpoint_wss(liar), msg);
    json_decref(msg);
    next_rembs(a, N_REMB, &min_bps, &max_bps);
    g_test_message("the liar audio-only: REMB %u..%u bps", min_bps, max_bps);
    g_assert_cmpuint(min_bps, ==, CAP_BPS);

    g_clear_pointer(&liar, cg_test_endpoint_free);
    g_clear_pointer(&a, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/negotiation/remb_floor", test_remb_floor);
    return g_test_run();
}
