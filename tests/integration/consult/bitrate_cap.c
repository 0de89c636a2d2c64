/* integration-consult-bitrate_cap: the video bitrate cap as the publisher's
 * RTCP shows it. Two webrtcbin endpoints join a consult of a daemon whose
 * consults.video_bitrate_kbps is 300; the consult sets none of its own. Every
 * REMB consultd sends on an endpoint's publish connection must then ask for
 * at most 300 kbps. The admin API lowers the consult's cap to 150 during the
 * call: the REMB of both endpoints follow at once; null goes back to the
 * config's 300. (webrtcbin receivers send no REMB of their own, so what
 * consultd asks for here is the cap itself.) */
#include "consult_fixture.h"

#define CONFIG_CAP_KBPS 300
#define PATCHED_CAP_KBPS 150
#define REMB_TIMEOUT_MS 10000 /* one REMB a second */

typedef struct {
    CgRtcPeer *peer;
    guint want;
} RembWait;

static gboolean has_rembs(gpointer data)
{
    RembWait *w = data;
    return cg_rtc_peer_rembs(w->peer, NULL) >= w->want;
}

/* Waits for @n REMB on @ep's publish connection; returns the highest kbps
 * asked for. */
static guint wait_rembs(CgTestEndpoint *ep, guint n)
{
    RembWait w = {cg_test_endpoint_peer(ep), n};
    guint max_bps = 0;
    if (!cg_test_wait_until(has_rembs, &w, REMB_TIMEOUT_MS))
        g_error("%s: %u of %u REMB on its publish connection within %d ms", cg_test_endpoint_id(ep),
                cg_rtc_peer_rembs(w.peer, NULL), n, REMB_TIMEOUT_MS);
    cg_rtc_peer_rembs(w.peer, &max_bps);
    return max_bps / 1000;
}

/* What @ep is asked for from now on: one REMB is let go first (it may have
 * left before a change), then three are read. */
static guint next_remb_max(CgTestEndpoint *ep)
{
    cg_rtc_peer_reset_rembs(cg_test_endpoint_peer(ep));
    wait_rembs(ep, 1);
    cg_rtc_peer_reset_rembs(cg_test_endpoint_peer(ep));
    return wait_rembs(ep, 3);
}

static void patch_cap(CgTestDaemon *daemon, const char *consult_id, const char *value)
{
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", consult_id);
    g_autofree char *body = g_strdup_printf("{\"video_bitrate_kbps\":%s}", value);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_test_admin_request(daemon, "PATCH", path, cg_test_daemon_api_key(daemon, 0),
                                        body, &status, &resp, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    json_decref(resp);
}

static void test_bitrate_cap(void)
{
    g_autofree char *extra = g_strdup_printf("video_bitrate_kbps = %d;", CONFIG_CAP_KBPS);
    CgTestDaemonOptions o = {.consults_extra = extra};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&o);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_assert_true(json_is_null(json_object_get(c->response, "video_bitrate_kbps")));
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);

    /* The config default, from admission on: every REMB so far counts. */
    guint a_max = wait_rembs(a, 3), b_max = wait_rembs(b, 3);
    g_assert_cmpuint(a_max, >, 0);
    g_assert_cmpuint(a_max, <=, CONFIG_CAP_KBPS);
    g_assert_cmpuint(b_max, >, 0);
    g_assert_cmpuint(b_max, <=, CONFIG_CAP_KBPS);

    /* Lowered mid-call: both connected publishers are asked for less at once. */
    patch_cap(daemon, c->id, G_STRINGIFY(PATCHED_CAP_KBPS));
    g_assert_cmpuint(next_remb_max(a), <=, PATCHED_CAP_KBPS);
    g_assert_cmpuint(next_remb_max(b), <=, PATCHED_CAP_KBPS);

    /* null: the config default again (asked for above the patched cap). */
    patch_cap(daemon, c->id, "null");
    a_max = next_remb_max(a);
    g_assert_cmpuint(a_max, >, PATCHED_CAP_KBPS);
    g_assert_cmpuint(a_max, <=, CONFIG_CAP_KBPS);

    /* Media still flows both ways under the cap. */
    cg_fx_wait_frames(a, c->ids[1], cg_test_endpoint_frames_from(a, c->ids[1]) + 10);
    cg_fx_wait_frames(b, c->ids[0], cg_test_endpoint_frames_from(b, c->ids[0]) + 10);

    /* A clean exit: under check-asan, a leak on these paths fails it. */
    g_clear_pointer(&a, cg_test_endpoint_free);
    g_clear_pointer(&b, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/bitrate_cap", test_bitrate_cap);
    return g_test_run();
}
