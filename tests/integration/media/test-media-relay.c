/* test-media-relay.c — CgMedia relaying between three in-process CgRtcPeers.
 *
 * The test is the signaling: CgMediaEvents go to the peers, peer events go to
 * CgMedia, all on this thread's main context. Waits are polls of the main
 * context with a deadline, never fixed sleeps.
 */
#include "media-testing.h"
#include "media.h"
#include "rtc_peer.h"

#include <math.h>

#define N_PEERS 3
#define WAIT_US (60 * G_USEC_PER_SEC)

typedef struct Fixture Fixture;

typedef struct {
    Fixture *fx;
    CgEndpointId id;
    CgRtcPeer *peer;
    char label[8];
    guint failed;
    CgMediaError failed_code;
    GPtrArray *closed;    /* pc names */
    GHashTable *pc_label; /* pc -> label of its publisher */
    guint sdps;           /* descriptions consultd sent to this party */
    guint sdps_resilient; /* of which ask for Opus in-band FEC and DTX */
    guint spoke;          /* endpoint_speaking events */
    guint loudest;        /* lowest -dBov reported */
    guint stats;          /* endpoint_stats events */
    CgMediaStats last_stats;
    guint refusals;      /* descriptions of its that consultd refused */
    guint slides_offers; /* sub offers with a screen share m-line */
    guint pub_answers;   /* answers consultd sent on "pub" */
    char *pub_ufrag;     /* the a=ice-ufrag of the last of them */
} Party;

struct Fixture {
    CgMedia *media;
    Party party[N_PEERS];
};

static const guint tones[N_PEERS] = {440, 660, 880};
static const guint32 colors[N_PEERS] = {0xff0000, 0x00ff00, 0x0000ff};

static Party *party_of(Fixture *fx, CgEndpointId id)
{
    for (guint i = 0; i < N_PEERS; i++)
        if (fx->party[i].id == id)
            return &fx->party[i];
    return NULL;
}

/* ---- CgMedia -> peer ---- */
static void m_description(gpointer user, CgEndpointId ep, const char *pc, CgEndpointId publisher,
                          const char *type, const char *sdp)
{
    Party *p = party_of(user, ep);
    Party *from = publisher ? party_of(user, publisher) : NULL;
    if (p) {
        p->sdps++;
        p->sdps_resilient += strstr(sdp, "useinbandfec=1;usedtx=1") != NULL;
        p->slides_offers += g_str_has_prefix(pc, "sub") && strstr(sdp, "a=content:slides") != NULL;
        const char *ufrag = strstr(sdp, "a=ice-ufrag:");
        if (g_strcmp0(pc, "pub") == 0 && ufrag) {
            p->pub_answers++;
            g_free(p->pub_ufrag);
            p->pub_ufrag = g_strndup(ufrag + 12, strcspn(ufrag + 12, "\r\n"));
        }
    }
    if (p && p->peer)
        cg_rtc_peer_remote_description(p->peer, pc, type, sdp, from ? from->label : NULL);
}

static void m_candidate(gpointer user, CgEndpointId ep, const char *pc, guint mline,
                        const char *cand)
{
    Party *p = party_of(user, ep);
    if (p && p->peer)
        cg_rtc_peer_remote_candidate(p->peer, pc, mline, cand);
}

static void m_pc_closed(gpointer user, CgEndpointId ep, const char *pc)
{
    Party *p = party_of(user, ep);
    if (p) {
        g_ptr_array_add(p->closed, g_strdup(pc));
        if (p->peer)
            cg_rtc_peer_close_pc(p->peer, pc);
    }
}

static void m_failed(gpointer user, CgEndpointId ep, CgMediaError code, const char *msg)
{
    (void)msg;
    Party *p = party_of(user, ep);
    if (p) {
        p->failed++;
        p->failed_code = code;
    }
}

static void m_speaking(gpointer user, CgEndpointId ep, guint level_dbov)
{
    Party *p = party_of(user, ep);
    if (p) {
        p->loudest = p->spoke++ ? MIN(p->loudest, level_dbov) : level_dbov;
    }
}

static void m_stats(gpointer user, CgEndpointId ep, const CgMediaStats *stats)
{
    Party *p = party_of(user, ep);
    if (p) {
        p->stats++;
        p->last_stats = *stats;
    }
}

/* ---- peer -> CgMedia ---- */
static void p_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_description(p->fx->media, p->id, pc, type, sdp, &error)) {
        p->refusals++;
        g_test_message("%s %s refused: %s\n%s", p->label, pc, error->message, sdp);
    }
}

static void p_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_candidate(p->fx->media, p->id, pc, mline, cand, &error))
        g_test_message("%s %s candidate refused: %s", p->label, pc, error->message);
}

static void setup(Fixture *fx, gconstpointer data)
{
    (void)data;
    static const char *const addrs[] = {"127.0.0.1", NULL};
    /* the test peers are on loopback, which the relay refuses by default */
    static const char *const loopback[] = {"127.0.0.0/8", NULL};
    CgMediaConfig cfg = {.ice_addresses = addrs, .allowed_remote_networks = loopback};
    CgMediaEvents ev = {.description = m_description,
                        .candidate = m_candidate,
                        .pc_closed = m_pc_closed,
                        .endpoint_failed = m_failed,
                        .endpoint_stats = m_stats,
                        .endpoint_speaking = m_speaking};
    g_autoptr(GError) error = NULL;
    fx->media = cg_media_new(&cfg, &ev, fx, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < N_PEERS; i++) {
        Party *p = &fx->party[i];
        p->fx = fx;
        p->id = 100 + i;
        g_snprintf(p->label, sizeof p->label, "p%u", i);
        p->closed = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *tag = g_strdup_printf("[test][ep|%u]", i);
        g_assert_true(cg_media_endpoint_add(fx->media, p->id, tag, &error));
    }
}

static void start_peer(Fixture *fx, guint i, gboolean corrupt)
{
    Party *p = &fx->party[i];
    CgRtcPeerOptions opt = {
        .tone_hz = tones[i], .color_rgb = colors[i], .corrupt_fingerprint = corrupt};
    CgRtcPeerEvents ev = {p_description, p_candidate};
    p->peer = cg_rtc_peer_new(&opt, &ev, p);
    cg_rtc_peer_publish(p->peer);
}

static void teardown(Fixture *fx, gconstpointer data)
{
    (void)data;
    cg_media_free(fx->media);
    for (guint i = 0; i < N_PEERS; i++) {
        cg_rtc_peer_free(fx->party[i].peer);
        g_ptr_array_unref(fx->party[i].closed);
        g_free(fx->party[i].pub_ufrag);
    }
    /* drain hops queued by streaming threads before the objects went away */
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

typedef gboolean (*Cond)(Fixture *fx, gconstpointer arg);

static gboolean wait_for(Fixture *fx, Cond cond, gconstpointer arg, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;
    while (!cond(fx, arg)) {
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        /* may block until an event, but the peers' sources tick steadily */
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return TRUE;
}

static void route_all(Fixture *fx)
{
    for (guint a = 0; a < N_PEERS; a++)
        for (guint b = 0; b < N_PEERS; b++)
            if (a != b) {
                g_autoptr(GError) error = NULL;
                g_assert_true(cg_media_route(fx->media, fx->party[a].id, fx->party[b].id, &error));
            }
}

static gboolean color_close(guint32 got, guint32 want)
{
    for (int shift = 0; shift <= 16; shift += 8) {
        int g = (got >> shift) & 0xff, w = (want >> shift) & 0xff;
        if (ABS(g - w) > 40)
            return FALSE;
    }
    return TRUE;
}

/* every peer decodes the right colour and tone from every other */
static gboolean all_media_ok(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint r = 0; r < N_PEERS; r++)
        for (guint s = 0; s < N_PEERS; s++) {
            if (r == s)
                continue;
            CgRtcPeer *peer = fx->party[r].peer;
            const char *label = fx->party[s].label;
            guint32 rgb = 0;
            if (cg_rtc_peer_video_frames(peer, label) < 5 ||
                !cg_rtc_peer_video_color(peer, label, &rgb) || !color_close(rgb, colors[s]) ||
                fabs(cg_rtc_peer_tone_hz(peer, label) - tones[s]) > 15)
                return FALSE;
        }
    return TRUE;
}

static void report(Fixture *fx)
{
    for (guint r = 0; r < N_PEERS; r++)
        for (guint s = 0; s < N_PEERS; s++) {
            if (r == s)
                continue;
            guint32 rgb = 0;
            cg_rtc_peer_video_color(fx->party[r].peer, fx->party[s].label, &rgb);
            g_test_message("%s <- %s: %u frames, colour %06x, tone %.0f Hz", fx->party[r].label,
                           fx->party[s].label,
                           cg_rtc_peer_video_frames(fx->party[r].peer, fx->party[s].label), rgb,
                           cg_rtc_peer_tone_hz(fx->party[r].peer, fx->party[s].label));
        }
}

/* All three honest parties publish, everyone routed to everyone, until every
 * one decodes every other. */
static void start_call(Fixture *fx)
{
    for (guint i = 0; i < N_PEERS; i++)
        start_peer(fx, i, FALSE);
    route_all(fx);
    g_assert_true(wait_for(fx, all_media_ok, NULL, WAIT_US));
}

static void test_relay(Fixture *fx, gconstpointer data)
{
    (void)data;
    for (guint i = 0; i < N_PEERS; i++)
        start_peer(fx, i, FALSE);
    route_all(fx);
    gboolean ok = wait_for(fx, all_media_ok, NULL, WAIT_US);
    report(fx);
    g_assert_true(ok);
    for (guint i = 0; i < N_PEERS; i++) {
        g_assert_cmpuint(fx->party[i].failed, ==, 0);
        /* every answer and offer consultd sent asks for Opus FEC and DTX */
        g_assert_cmpuint(fx->party[i].sdps, >, 0);
        g_assert_cmpuint(fx->party[i].sdps_resilient, ==, fx->party[i].sdps);
    }
}

static gboolean second_pub_answer(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    return fx->party[0].pub_answers >= 2;
}

static guint frames_base[N_PEERS][N_PEERS];
static void remember_frames(Fixture *fx)
{
    for (guint r = 0; r < N_PEERS; r++)
        for (guint s = 0; s < N_PEERS; s++)
            if (r != s)
                frames_base[r][s] = cg_rtc_peer_video_frames(fx->party[r].peer, fx->party[s].label);
}

/* every receiver decoded 30 more frames from every publisher since remember_frames() */
static gboolean all_moved_on(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint r = 0; r < N_PEERS; r++)
        for (guint s = 0; s < N_PEERS; s++)
            if (r != s && cg_rtc_peer_video_frames(fx->party[r].peer, fx->party[s].label) <
                              frames_base[r][s] + 30)
                return FALSE;
    return TRUE;
}

/* p0 restarts ICE: consultd answers with new credentials, restarts p0's
 * subscribe connections with new offers, and media flows again both ways on
 * the same endpoint, nobody failed. */
static void test_ice_restart(Fixture *fx, gconstpointer data)
{
    (void)data;
    start_call(fx);
    g_assert_cmpuint(fx->party[0].pub_answers, ==, 1);
    g_autofree char *first_ufrag = g_strdup(fx->party[0].pub_ufrag);
    guint sdps_before = fx->party[0].sdps;
    cg_rtc_peer_restart_ice(fx->party[0].peer);
    g_assert_true(wait_for(fx, second_pub_answer, NULL, WAIT_US));
    g_assert_cmpstr(fx->party[0].pub_ufrag, !=, first_ufrag);
    remember_frames(fx);
    g_assert_true(wait_for(fx, all_moved_on, NULL, WAIT_US));
    /* the answer and one new offer per subscribe connection, nothing else */
    g_assert_cmpuint(fx->party[0].sdps, ==, sdps_before + 1 + (N_PEERS - 1));
    for (guint i = 0; i < N_PEERS; i++)
        g_assert_cmpuint(fx->party[i].failed, ==, 0);
}

/* everyone got a second statistics report (the first may precede any RR) */
static gboolean stats_seen(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint i = 0; i < N_PEERS; i++)
        if (fx->party[i].stats < 2 || fx->party[i].last_stats.rtt_ms < 0)
            return FALSE;
    return TRUE;
}

static gboolean stats_moved(Fixture *fx, gconstpointer arg)
{
    return fx->party[0].stats >= GPOINTER_TO_UINT(arg);
}

/* Statistics every 2 s per endpoint: what it sends and receives, loss,
 * jitter, and the round trip from its receiver reports; who speaks, from the
 * audio level extension. */
static void test_stats(Fixture *fx, gconstpointer data)
{
    (void)data;
    start_call(fx);
    g_assert_true(wait_for(fx, stats_seen, NULL, WAIT_US));
    for (guint i = 0; i < N_PEERS; i++) {
        const CgMediaStats *s = &fx->party[i].last_stats;
        g_test_message("%s: in %.0f kbps loss %.1f %% jitter %.1f ms; out %.0f kbps loss %.1f %% "
                       "jitter %.1f ms; rtt %.1f ms",
                       fx->party[i].label, s->in_kbps, s->in_loss_pct, s->in_jitter_ms, s->out_kbps,
                       s->out_loss_pct, s->out_jitter_ms, s->rtt_ms);
        /* one publisher's audio + video in, two publishers' out */
        g_assert_cmpfloat(s->in_kbps, >, 20);
        g_assert_cmpfloat(s->out_kbps, >, 1.5 * s->in_kbps);
        g_assert_cmpfloat(s->in_loss_pct, >=, 0);
        g_assert_cmpfloat(s->in_loss_pct, <, 5); /* loopback */
        g_assert_cmpfloat(s->out_loss_pct, >=, 0);
        g_assert_cmpfloat(s->out_loss_pct, <, 5);
        g_assert_cmpfloat(s->in_jitter_ms, >=, 0);
        g_assert_cmpfloat(s->rtt_ms, >=, 0);
        g_assert_cmpfloat(s->rtt_ms, <, 500);
        /* every party plays a loud tone: heard as speech (RFC 6464 levels) */
        g_test_message("%s: speaking reported %u times, loudest %u -dBov", fx->party[i].label,
                       fx->party[i].spoke, fx->party[i].loudest);
        g_assert_cmpuint(fx->party[i].spoke, >, 2);
        g_assert_cmpuint(fx->party[i].loudest, <, 30);
    }
    /* a muted endpoint is not reported as speaking */
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_set_audio_muted(fx->media, fx->party[1].id, TRUE, &error));
    guint stats_then = fx->party[0].stats;
    g_assert_true(wait_for(fx, stats_moved, GUINT_TO_POINTER(stats_then + 1), WAIT_US));
    guint spoke_then = fx->party[1].spoke;
    g_assert_true(wait_for(fx, stats_moved, GUINT_TO_POINTER(stats_then + 2), WAIT_US));
    g_assert_cmpuint(fx->party[1].spoke, ==, spoke_then);
    g_assert_cmpuint(fx->party[0].spoke, >, 0);
}

typedef struct {
    guint receiver;
    char label[16];
    guint frames;
} FramesAt;

static gboolean frames_reach(Fixture *fx, gconstpointer arg)
{
    const FramesAt *f = arg;
    return cg_rtc_peer_video_frames(fx->party[f->receiver].peer, f->label) >= f->frames;
}

/* @receiver decodes @n more frames of @label than now */
static gboolean wait_more_frames(Fixture *fx, guint receiver, const char *label, guint n)
{
    FramesAt f = {.receiver = receiver,
                  .frames = cg_rtc_peer_video_frames(fx->party[receiver].peer, label) + n};
    g_strlcpy(f.label, label, sizeof f.label);
    return wait_for(fx, frames_reach, &f, WAIT_US);
}

static gboolean refused(Fixture *fx, gconstpointer arg)
{
    return fx->party[GPOINTER_TO_UINT(arg)].refusals > 0;
}

/* A clinician (p0) shares a screen: the others receive it as a separate
 * stream ("p0/screen", on an a=content:slides m-line) while the camera goes
 * on; when it stops, it stops everywhere. p1 is not allowed to share (a
 * patient): its offer is refused and nobody receives anything of it. */
static void test_screen_share(Fixture *fx, gconstpointer data)
{
    (void)data;
    start_call(fx);
    g_autoptr(GError) error = NULL;
    g_assert_true(
        cg_media_endpoint_set_screen_share_allowed(fx->media, fx->party[0].id, TRUE, &error));
    cg_rtc_peer_start_screen(fx->party[0].peer, 0xffff00);
    for (guint r = 1; r < N_PEERS; r++) {
        if (!wait_more_frames(fx, r, "p0/screen", 10)) {
            g_autofree char *d = cg_rtc_peer_describe_label(fx->party[r].peer, "p0");
            g_error("p%u decodes no screen share from p0: %s", r, d);
        }
        guint32 rgb = 0;
        g_assert_true(cg_rtc_peer_video_color(fx->party[r].peer, "p0/screen", &rgb));
        g_assert_true(color_close(rgb, 0xffff00));
        g_assert_true(cg_rtc_peer_video_color(fx->party[r].peer, "p0", &rgb));
        g_assert_true(color_close(rgb, colors[0])); /* the camera, unchanged */
        g_assert_true(wait_more_frames(fx, r, "p0", 10));
        g_assert_cmpuint(fx->party[r].slides_offers, >=, 1);
    }
    g_assert_cmpuint(fx->party[0].refusals, ==, 0);

    /* not allowed */
    cg_rtc_peer_start_screen(fx->party[1].peer, 0x00ffff);
    g_assert_true(wait_for(fx, refused, GUINT_TO_POINTER(1), WAIT_US));
    g_assert_true(wait_more_frames(fx, 0, "p1", 15));
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[0].peer, "p1/screen"), ==, 0);
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[2].peer, "p1/screen"), ==, 0);

    /* stop: the screen stops at every receiver, the camera goes on */
    guint offers_before = fx->party[2].slides_offers;
    cg_rtc_peer_stop_screen(fx->party[0].peer);
    g_assert_true(wait_more_frames(fx, 2, "p0", 15));               /* the renegotiation settles */
    g_assert_cmpuint(fx->party[2].slides_offers, >, offers_before); /* inactive slot */
    guint screen_then = cg_rtc_peer_video_frames(fx->party[2].peer, "p0/screen");
    g_assert_true(wait_more_frames(fx, 2, "p0", 15));
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[2].peer, "p0/screen"), ==, screen_then);
    for (guint i = 0; i < N_PEERS; i++)
        g_assert_cmpuint(fx->party[i].failed, ==, 0);
}

static gboolean failed_seen(Fixture *fx, gconstpointer arg)
{
    return fx->party[GPOINTER_TO_UINT(arg)].failed > 0;
}

static gboolean pair_flowing(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    return cg_rtc_peer_video_frames(fx->party[0].peer, fx->party[1].label) >= 10 &&
           cg_rtc_peer_video_frames(fx->party[1].peer, fx->party[0].label) >= 10;
}

static void test_fingerprint(Fixture *fx, gconstpointer data)
{
    (void)data;
    start_peer(fx, 0, FALSE);
    start_peer(fx, 1, FALSE);
    start_peer(fx, 2, TRUE); /* p2 lies about its certificate */
    route_all(fx);
    g_assert_true(wait_for(fx, failed_seen, GUINT_TO_POINTER(2), WAIT_US));
    g_assert_cmpint(fx->party[2].failed_code, ==, CG_MEDIA_ERROR_FINGERPRINT_MISMATCH);
    /* the honest pair flows, so p2 had every chance to leak */
    g_assert_true(wait_for(fx, pair_flowing, NULL, WAIT_US));
    /* let any hop or late event land, then check once more */
    for (int i = 0; i < 50; i++)
        g_main_context_iteration(NULL, FALSE);
    report(fx);
    g_assert_cmpuint(fx->party[2].failed, ==, 1);
    g_assert_cmpuint(fx->party[0].failed + fx->party[1].failed, ==, 0);
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[0].peer, "p2"), ==, 0);
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[1].peer, "p2"), ==, 0);
    g_assert_cmpfloat(cg_rtc_peer_tone_hz(fx->party[0].peer, "p2"), ==, 0);
    g_assert_cmpuint(cg_rtc_peer_packets_received(fx->party[2].peer), ==, 0);
}

static void test_remove(Fixture *fx, gconstpointer data)
{
    (void)data;
    guint empty = cg_media_connection_count(fx->media); /* three idle pub conns */
    start_call(fx);
    guint full = cg_media_connection_count(fx->media);
    g_assert_cmpuint(full, >, empty);
    /* p0 leaves: p1 and p2 each lose the sub carrying p0 */
    cg_media_endpoint_remove(fx->media, fx->party[0].id);
    g_assert_cmpuint(fx->party[1].closed->len, ==, 1);
    g_assert_cmpuint(fx->party[2].closed->len, ==, 1);
    g_assert_cmpuint(fx->party[0].closed->len, ==, 0);
    cg_media_endpoint_remove(fx->media, fx->party[1].id);
    cg_media_endpoint_remove(fx->media, fx->party[2].id);
    g_assert_cmpuint(fx->party[2].closed->len, ==, 2);
    g_assert_cmpuint(cg_media_connection_count(fx->media), ==, 0);
    /* removing again is a no-op */
    cg_media_endpoint_remove(fx->media, fx->party[0].id);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* GStreamer and the relay's audit line use g_warning; keep criticals fatal */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add("/media/relay", Fixture, NULL, setup, test_relay, teardown);
    g_test_add("/media/fingerprint", Fixture, NULL, setup, test_fingerprint, teardown);
    g_test_add("/media/remove", Fixture, NULL, setup, test_remove, teardown);
    g_test_add("/media/ice-restart", Fixture, NULL, setup, test_ice_restart, teardown);
    g_test_add("/media/stats", Fixture, NULL, setup, test_stats, teardown);
    g_test_add("/media/screen-share", Fixture, NULL, setup, test_screen_share, teardown);
    return g_test_run();
}
