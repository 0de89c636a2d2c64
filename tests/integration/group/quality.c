/* integration-group-quality: what consultd tells each client about the
 * call besides media: its link statistics every 2 s (with a quality word
 * for the indicator) and who the active speaker is, from the audio levels
 * the endpoints send (RFC 6464). */
#include <gst/gst.h>
#include <string.h>

#include "group_common.h"

typedef struct {
    CgTestEndpoint **ep;
    guint n;
} Group;

static double number(json_t *obj, const char *path_a, const char *path_b)
{
    json_t *v = json_object_get(obj, path_a);
    if (path_b)
        v = json_object_get(v, path_b);
    return json_is_number(v) ? json_number_value(v) : -1.0;
}

/* every endpoint has had two statistics messages, the last with a round trip */
static gboolean stats_in(gpointer data)
{
    Group *g = data;
    for (guint i = 0; i < g->n; i++) {
        guint n = 0;
        json_t *s = cg_test_endpoint_last_stats(g->ep[i], &n);
        if (n < 2 || number(s, "rtt_ms", NULL) < 0)
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    Group *g;
    const char *want; /* NULL: any but @not */
    const char * not ;
} SpeakerWait;

static gboolean everyone_sees_speaker(gpointer data)
{
    SpeakerWait *w = data;
    const char *first = cg_test_endpoint_active_speaker(w->g->ep[0]);
    for (guint i = 0; i < w->g->n; i++) {
        const char *s = cg_test_endpoint_active_speaker(w->g->ep[i]);
        if (!s || g_strcmp0(s, first) != 0)
            return FALSE;
    }
    return w->want ? g_strcmp0(first, w->want) == 0 : g_strcmp0(first, w->not ) != 0;
}

static void send_control(CgTestEndpoint *ep, const char *type, const char *participant)
{
    json_t *m = json_pack("{s:s, s:s}", "type", type, "participant", participant);
    cg_wss_client_send_json(cg_test_endpoint_wss(ep), m);
    json_decref(m);
}

static void test_quality(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    g_autoptr(CgTestConsult) c = group_create_consult(daemon, 4);
    CgRtcPeerOptions media = {.width = 160, .height = 120, .fps = 15};
    CgTestEndpoint *ep[4];
    for (guint i = 0; i < 3; i++)
        ep[i] = group_join(daemon, c, i, &media);
    /* the specialist (0) mutes the others: only its voice reaches anyone */
    send_control(ep[0], "mute", c->ids[1]);
    send_control(ep[0], "mute", c->ids[2]);
    Group g = {ep, 3};
    g_assert_true(cg_test_wait_until(stats_in, &g, GROUP_MEDIA_TIMEOUT_MS));
    for (guint i = 0; i < 3; i++) {
        json_t *s = cg_test_endpoint_last_stats(ep[i], NULL);
        g_autofree char *text = json_dumps(s, JSON_COMPACT | JSON_REAL_PRECISION(6));
        g_test_message("%s: %s", c->ids[i], text);
        g_assert_cmpint(json_integer_value(json_object_get(s, "interval_ms")), ==, 2000);
        g_assert_cmpstr(json_string_value(json_object_get(s, "quality")), ==, "good");
        g_assert_cmpfloat(number(s, "sent", "kbps"), >, 20);
        g_assert_cmpfloat(number(s, "received", "kbps"), >, 20);
        g_assert_cmpfloat(number(s, "sent", "loss_pct"), <, 5);
        g_assert_cmpfloat(number(s, "received", "loss_pct"), <, 5);
        g_assert_cmpfloat(number(s, "rtt_ms", NULL), <, 500);
    }
    /* the only unmuted voice is the active speaker, for everyone */
    SpeakerWait first = {&g, c->ids[0], NULL};
    g_assert_true(cg_test_wait_until(everyone_sees_speaker, &first, 10000));
    /* a latecomer is told who has the floor when it joins, not at the next
     * change (the specialist keeps it: it speaks on, nobody is louder) */
    ep[3] = group_join(daemon, c, 3, &media);
    Group late = {ep + 3, 1};
    SpeakerWait told = {&late, c->ids[0], NULL};
    g_assert_true(cg_test_wait_until(everyone_sees_speaker, &told, 10000));
    /* they unmute, the specialist leaves: one of the others takes the floor */
    send_control(ep[0], "unmute", c->ids[1]);
    send_control(ep[0], "unmute", c->ids[2]);
    cg_test_endpoint_leave(ep[0]);
    g_assert_true(cg_test_endpoint_wait_left(ep[1], c->ids[0], 5000));
    Group rest = {ep + 1, 2};
    SpeakerWait next = {&rest, NULL, c->ids[0]};
    g_assert_true(cg_test_wait_until(everyone_sees_speaker, &next, 10000));
    g_test_message("after the specialist left: %s speaks", cg_test_endpoint_active_speaker(ep[1]));
    for (guint i = 0; i < 4; i++)
        cg_test_endpoint_free(ep[i]);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/group/quality", test_quality);
    return g_test_run();
}
