/* integration-negotiation-queued_offer: a change while a subscribe
 * connection's offer awaits its answer waits, and goes out as one fresh
 * offer once the answer is in (issue 9, finding 4). A specialist and a
 * provider are in a call; a patient joins and holds its answers to the
 * server's subscribe offers (a slow device). Meanwhile the specialist starts
 * and stops a screen share, and the patient's own network changes (ICE
 * restart of its publish connection, which restarts its subscribe
 * connections too). Then the patient answers: it is never sent an error,
 * stays in the consult and receives both others' media, without the share
 * (the final state). Before, each re-offer on an unanswered connection
 * failed the patient's media (media_failed). */
#include "negotiation_common.h"

typedef struct {
    CgTestEndpoint *ep;
    guint n;
} HeldWait;

static gboolean has_held(gpointer data)
{
    HeldWait *w = data;
    CgRtcPeer *peer = cg_test_endpoint_peer(w->ep);
    return peer && cg_rtc_peer_held_answers(peer) >= w->n;
}

typedef struct {
    CgRtcPeer *peer;
    const char *label; /* NULL: offers sent by @peer */
    guint n;
} CountWait;

static gboolean has_count(gpointer data)
{
    CountWait *w = data;
    guint n =
        w->label ? cg_rtc_peer_screen_offers(w->peer, w->label) : cg_rtc_peer_offers_sent(w->peer);
    return n >= w->n;
}

static void wait_count(CgRtcPeer *peer, const char *label, guint n, const char *what)
{
    CountWait w = {peer, label, n};
    if (!cg_test_wait_until(has_count, &w, CG_FX_MEDIA_TIMEOUT_MS))
        g_error("%s: not within %d ms", what, CG_FX_MEDIA_TIMEOUT_MS);
}

static void test_queued_offer(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);

    CgTestEndpointOptions o = {
        .media = {.tone_hz = 880, .color_rgb = 0x00ff00, .hold_answers = TRUE}};
    g_autoptr(CgTestEndpoint) p = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), c->tokens[2], &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(p, CG_FX_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    HeldWait held = {p, 2}; /* its answers for the specialist's and the provider's media */
    g_assert_true(cg_test_wait_until(has_held, &held, CG_FX_MEDIA_TIMEOUT_MS));
    cg_fx_wait_frames(a, c->ids[2], 5); /* its publish connection is up */

    /* the specialist shares a screen and stops, the provider sees both */
    CgRtcPeer *bp = cg_test_endpoint_peer(b);
    cg_rtc_peer_start_screen(cg_test_endpoint_peer(a), 0xffff00);
    g_autofree char *screen = g_strdup_printf("%s/screen", c->ids[0]);
    cg_fx_wait_frames(b, screen, 5);
    cg_rtc_peer_stop_screen(cg_test_endpoint_peer(a));
    wait_count(bp, c->ids[0], 2, "the provider's offer for the share's stop");
    /* the patient's network changes: its subscribe connections restart too
     * (the server takes the messages of one socket in order: the restart
     * before the answers released below) */
    CgRtcPeer *pp = cg_test_endpoint_peer(p);
    cg_rtc_peer_restart_ice(pp);
    wait_count(pp, NULL, 2, "the patient's ICE restart offer");
    nt_assert_unharmed(a, c->ids[2]);

    /* the slow answers go out now; the fresh offers after them are answered */
    g_assert_cmpuint(cg_rtc_peer_held_answers(pp), ==, 2);
    cg_rtc_peer_hold_answers(pp, FALSE);
    nt_assert_unharmed(p, c->ids[0]);
    nt_assert_unharmed(p, c->ids[1]);
    g_assert_cmpuint(cg_rtc_peer_video_frames(pp, screen), ==, 0); /* the final state */
    nt_assert_unharmed(a, c->ids[2]);
    nt_assert_unharmed(b, c->ids[2]);

    g_clear_pointer(&p, cg_test_endpoint_free);
    g_clear_pointer(&a, cg_test_endpoint_free);
    g_clear_pointer(&b, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/negotiation/queued_offer", test_queued_offer);
    return g_test_run();
}
