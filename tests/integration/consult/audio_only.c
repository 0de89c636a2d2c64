/* integration-consult-audio_only: an endpoint on a poor link switches to
 * audio only: it stops receiving video (its decoded frames stop) while the
 * others' audio keeps arriving; switching back brings the pictures back at
 * once (a key frame is asked for). The others are not affected. */
#include "consult_fixture.h"

static void send_receive(CgTestEndpoint *ep, gboolean video)
{
    json_t *msg = json_pack("{s:s, s:b}", "type", "receive", "video", video);
    cg_wss_client_send_json(cg_test_endpoint_wss(ep), msg);
    json_decref(msg);
}

static void test_audio_only(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);

    send_receive(b, FALSE);
    /* Frames already on their way may land; then none. Absence has no event
     * to wait for, hence the fixed windows. */
    cg_test_run_for(500);
    CgRtcPeer *bp = cg_test_endpoint_peer(b);
    guint frames = cg_rtc_peer_video_frames(bp, c->ids[0]);
    guint64 audio = cg_rtc_peer_audio_packets(bp, c->ids[0]);
    guint a_frames = cg_rtc_peer_video_frames(cg_test_endpoint_peer(a), c->ids[1]);
    cg_test_run_for(1500);
    g_assert_cmpuint(cg_rtc_peer_video_frames(bp, c->ids[0]), <=, frames + 1);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(bp, c->ids[0]), >, audio + 30);
    /* the other way is untouched */
    g_assert_cmpuint(cg_rtc_peer_video_frames(cg_test_endpoint_peer(a), c->ids[1]), >,
                     a_frames + 10);

    send_receive(b, TRUE);
    cg_fx_wait_frames(b, c->ids[0], frames + 10);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/audio_only", test_audio_only);
    return g_test_run();
}
