/* integration-group-ice-restart: an endpoint whose network blipped restarts
 * ICE on its publish connection; consultd restarts all its connections on
 * the same seat. Media flows again both ways and still does 8 s later (past
 * ICE's nomination timeout), nobody sees it leave or join,
 * and it keeps its participant id and role (no new admission or audit join:
 * signaling sees only a new offer). */
#include <gst/gst.h>

#include "group_common.h"
#include "rtc_peer.h"

typedef struct {
    CgTestEndpoint **ep;
    CgTestConsult *c;
    guint base[3][3];
} Progress;

/* every endpoint decoded 30 more frames from every other since the baseline */
static gboolean moved_on(gpointer data)
{
    Progress *p = data;
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s && cg_test_endpoint_frames_from(p->ep[r], p->c->ids[s]) < p->base[r][s] + 30)
                return FALSE;
    return TRUE;
}

static void test_ice_restart(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    g_autoptr(CgTestConsult) c = group_create_consult(daemon, 3);
    CgRtcPeerOptions media = {.width = 160, .height = 120, .fps = 15};
    CgTestEndpoint *ep[3];
    for (guint i = 0; i < 3; i++)
        ep[i] = group_join(daemon, c, i, &media);
    group_assert_all_media(ep, c, 3);
    g_autofree char *id0 = g_strdup(cg_test_endpoint_id(ep[0]));

    cg_rtc_peer_restart_ice(cg_test_endpoint_peer(ep[0]));
    g_assert_true(
        cg_test_daemon_wait_log(daemon, "ICE restart: the endpoint's connections", 10000));
    Progress p = {.ep = ep, .c = c};
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s)
                p.base[r][s] = cg_test_endpoint_frames_from(ep[r], c->ids[s]);
    g_assert_true(cg_test_wait_until(moved_on, &p, GROUP_MEDIA_TIMEOUT_MS));
    /* And it lasts: a restart whose new pair is never nominated still carries
     * media for a while, then fails (~5 s). Watch past that, then media must
     * still move. */
    cg_test_run_for(8000);
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s)
                p.base[r][s] = cg_test_endpoint_frames_from(ep[r], c->ids[s]);
    g_assert_true(cg_test_wait_until(moved_on, &p, GROUP_MEDIA_TIMEOUT_MS));

    /* the same seat: nobody was told it left, it was refused nothing */
    g_assert_cmpstr(cg_test_endpoint_id(ep[0]), ==, id0);
    for (guint i = 1; i < 3; i++)
        g_assert_null(cg_test_endpoint_left_reason(ep[i], id0));
    g_assert_false(cg_test_endpoint_got_error(ep[0], "media_failed"));
    g_assert_false(cg_test_endpoint_got_error(ep[0], "bad_sdp"));
    for (guint i = 0; i < 3; i++)
        cg_test_endpoint_free(ep[i]);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/group/ice-restart", test_ice_restart);
    return g_test_run();
}
