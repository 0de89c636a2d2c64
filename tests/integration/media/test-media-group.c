/* test-media-group.c — CgMedia with up to four in-process CgRtcPeers: late
 * joiners and key frame requests, consent/liveness expiry on an injected
 * clock.
 *
 * The test is the signaling (as in test-media-relay.c): CgMediaEvents go to
 * the peers, peer events go to CgMedia, all on this thread's main context.
 * Waits poll the main context with a deadline.
 */
#include "media-testing.h"
#include "media.h"
#include "rtc_peer.h"

#include <math.h>

#define MAX_PEERS 4
#define WAIT_US (60 * G_USEC_PER_SEC)
/* Long enough that only a key frame request explains a fast first frame:
 * 300 frames at 15 fps is a key frame every 20 s. */
#define LONG_KEYFRAME_DIST 300
#define LATE_JOIN_BUDGET_US (1 * G_USEC_PER_SEC)
/* issue 4: a join or leave interrupts nobody else's media for longer */
#define MAX_FRAME_GAP_US (200 * 1000)

typedef struct Fixture Fixture;

typedef struct {
    Fixture *fx;
    CgEndpointId id;
    CgRtcPeer *peer;
    char label[8];
    guint failed;
    CgMediaError failed_code;
    char *failed_message;
} Party;

struct Fixture {
    CgMedia *media;
    Party party[MAX_PEERS];
    gint64 fake_now; /* the injected clock, µs */
};

static const guint tones[MAX_PEERS] = {440, 660, 880, 1100};
static const guint32 colors[MAX_PEERS] = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00};

static Party *party_of(Fixture *fx, CgEndpointId id)
{
    for (guint i = 0; i < MAX_PEERS; i++)
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
    if (p && p->peer)
        cg_rtc_peer_close_pc(p->peer, pc);
}

static void m_failed(gpointer user, CgEndpointId ep, CgMediaError code, const char *msg)
{
    Party *p = party_of(user, ep);
    if (p) {
        p->failed++;
        p->failed_code = code;
        g_free(p->failed_message);
        p->failed_message = g_strdup(msg);
    }
}

/* ---- peer -> CgMedia ---- */
static void p_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_description(p->fx->media, p->id, pc, type, sdp, &error))
        g_test_message("%s %s refused: %s", p->label, pc, error->message);
}

static void p_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_candidate(p->fx->media, p->id, pc, mline, cand, &error))
        g_test_message("%s %s candidate refused: %s", p->label, pc, error->message);
}

static gint64 fake_clock(gpointer user)
{
    return ((Fixture *)user)->fake_now;
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
                        .endpoint_failed = m_failed};
    g_autoptr(GError) error = NULL;
    fx->media = cg_media_new(&cfg, &ev, fx, &error);
    g_assert_no_error(error);
    fx->fake_now = 1000 * G_USEC_PER_SEC;
    for (guint i = 0; i < MAX_PEERS; i++) {
        Party *p = &fx->party[i];
        p->fx = fx;
        p->id = 100 + i;
        g_snprintf(p->label, sizeof p->label, "p%u", i);
    }
}

static void teardown(Fixture *fx, gconstpointer data)
{
    (void)data;
    cg_media_free(fx->media);
    for (guint i = 0; i < MAX_PEERS; i++) {
        cg_rtc_peer_free(fx->party[i].peer);
        g_free(fx->party[i].failed_message);
    }
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Adds endpoint @i, routes it both ways with every endpoint already in, and
 * starts its peer. */
static void join(Fixture *fx, guint i)
{
    Party *p = &fx->party[i];
    g_autoptr(GError) error = NULL;
    g_autofree char *tag = g_strdup_printf("[test][ep|%u]", i);
    g_assert_true(cg_media_endpoint_add(fx->media, p->id, tag, &error));
    for (guint j = 0; j < MAX_PEERS; j++) {
        if (j == i || !fx->party[j].peer)
            continue;
        g_assert_true(cg_media_route(fx->media, fx->party[j].id, p->id, &error));
        g_assert_true(cg_media_route(fx->media, p->id, fx->party[j].id, &error));
    }
    CgRtcPeerOptions opt = {
        .tone_hz = tones[i], .color_rgb = colors[i], .keyframe_max_dist = LONG_KEYFRAME_DIST};
    CgRtcPeerEvents ev = {p_description, p_candidate};
    p->peer = cg_rtc_peer_new(&opt, &ev, p);
    cg_rtc_peer_publish(p->peer);
}

typedef gboolean (*Cond)(Fixture *fx, gconstpointer arg);

static gboolean wait_for(Fixture *fx, Cond cond, gconstpointer arg, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;
    while (!cond(fx, arg)) {
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return TRUE;
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

/* every one of the first @n peers decodes the right colour and tone from
 * every other */
static gboolean media_ok(Fixture *fx, gconstpointer arg)
{
    guint n = GPOINTER_TO_UINT(arg);
    for (guint r = 0; r < n; r++)
        for (guint s = 0; s < n; s++) {
            if (r == s)
                continue;
            CgRtcPeer *peer = fx->party[r].peer;
            const char *label = fx->party[s].label;
            guint32 rgb = 0;
            if (cg_rtc_peer_video_frames(peer, label) < 3 ||
                !cg_rtc_peer_video_color(peer, label, &rgb) || !color_close(rgb, colors[s]) ||
                fabs(cg_rtc_peer_tone_hz(peer, label) - tones[s]) > 15)
                return FALSE;
        }
    return TRUE;
}

/* the late joiner (party 3) decoded a frame from each of the others */
static gboolean late_has_all(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint s = 0; s < 3; s++)
        if (cg_rtc_peer_video_frames(fx->party[3].peer, fx->party[s].label) == 0)
            return FALSE;
    return TRUE;
}

/* The longest inter-frame gap any of the first three parties saw from another
 * since the gaps were reset; asserted under MAX_FRAME_GAP_US (reported only
 * under sanitizers, where every frame is slow). */
static void assert_no_gap(Fixture *fx, const char *during)
{
    gint64 worst = 0;
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s)
                worst =
                    MAX(worst, cg_rtc_peer_max_frame_gap_us(fx->party[r].peer, fx->party[s].label));
    g_test_message("longest inter-frame gap at existing receivers during the %s: %.0f ms", during,
                   worst / 1000.0);
    g_assert_cmpint(worst, >, 0); /* frames were measured */
    if (g_strcmp0(g_getenv("CG_TEST_SANITIZED"), "1") != 0)
        g_assert_cmpint(worst, <, MAX_FRAME_GAP_US);
}

static guint frames_base[3][3];
static void remember_frames(Fixture *fx)
{
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s)
                frames_base[r][s] = cg_rtc_peer_video_frames(fx->party[r].peer, fx->party[s].label);
}

/* the first three decoded 30 more frames from each other since remember_frames() */
static gboolean three_moved_on(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint r = 0; r < 3; r++)
        for (guint s = 0; s < 3; s++)
            if (r != s && cg_rtc_peer_video_frames(fx->party[r].peer, fx->party[s].label) <
                              frames_base[r][s] + 30)
                return FALSE;
    return TRUE;
}

static void test_late_joiner(Fixture *fx, gconstpointer data)
{
    (void)data;
    for (guint i = 0; i < 3; i++)
        join(fx, i);
    g_assert_true(wait_for(fx, media_ok, GUINT_TO_POINTER(3), WAIT_US));
    /* let the start-up requests settle, then count only the join's */
    guint before[3];
    for (guint s = 0; s < 3; s++) {
        before[s] = cg_rtc_peer_keyframe_requests(fx->party[s].peer);
        cg_rtc_peer_reset_frame_gaps(fx->party[s].peer);
    }
    gint64 t_join = g_get_monotonic_time();
    join(fx, 3);
    gboolean ok = wait_for(fx, late_has_all, NULL, WAIT_US);
    gint64 t_all = g_get_monotonic_time();
    for (guint s = 0; s < 3; s++) {
        CgRtcPeer *late = fx->party[3].peer;
        const char *label = fx->party[s].label;
        gint64 first = cg_rtc_peer_first_frame_time(late, label);
        gint64 up = cg_rtc_peer_connected_time(late, label);
        g_test_message("late joiner <- %s: join -> first frame %.0f ms, connected -> first "
                       "frame %.0f ms; %s saw %u key frame requests during the join",
                       label, first ? (first - t_join) / 1000.0 : -1.0,
                       first && up ? (first - up) / 1000.0 : -1.0, label,
                       cg_rtc_peer_keyframe_requests(fx->party[s].peer) - before[s]);
    }
    g_assert_true(ok);
    for (guint s = 0; s < 3; s++) {
        CgRtcPeer *late = fx->party[3].peer;
        const char *label = fx->party[s].label;
        gint64 up = cg_rtc_peer_connected_time(late, label);
        g_assert_cmpint(up, >, 0);
        /* a time budget means nothing under ASan (CG_TEST_SANITIZED=1) */
        if (g_strcmp0(g_getenv("CG_TEST_SANITIZED"), "1") != 0)
            g_assert_cmpint(cg_rtc_peer_first_frame_time(late, label) - up, <, LATE_JOIN_BUDGET_US);
        /* coalesced: at most one request per 300 ms interval while waiting,
         * whatever the number of asking receivers (+2: the first and one in
         * flight when the key frame arrived) */
        guint asked = cg_rtc_peer_keyframe_requests(fx->party[s].peer) - before[s];
        g_assert_cmpuint(asked, >=, 1);
        g_assert_cmpuint(asked, <=, 2 + (guint)((t_all - t_join) / 300000));
    }
    /* the existing receivers' media: the longest inter-frame gap during the join */
    assert_no_gap(fx, "join");
    g_assert_true(wait_for(fx, media_ok, GUINT_TO_POINTER(4), WAIT_US));
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(fx->party[i].failed, ==, 0);

    /* the late joiner leaves: the others' media does not stop either */
    for (guint s = 0; s < 3; s++)
        cg_rtc_peer_reset_frame_gaps(fx->party[s].peer);
    cg_media_endpoint_remove(fx->media, fx->party[3].id);
    remember_frames(fx);
    g_assert_true(wait_for(fx, three_moved_on, NULL, WAIT_US));
    assert_no_gap(fx, "leave");
}

/* ---- liveness on the injected clock ---- */

static gboolean nobody_failed(Fixture *fx)
{
    for (guint i = 0; i < MAX_PEERS; i++)
        if (fx->party[i].failed)
            return FALSE;
    return TRUE;
}

/* Advances the fake clock by 1 s, runs the check, lets ~50 ms of real time
 * pass (real traffic from the live peers). */
static void tick(Fixture *fx)
{
    fx->fake_now += G_USEC_PER_SEC;
    cg_media_check_liveness(fx->media);
    gint64 until = g_get_monotonic_time() + 50000;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

static void test_liveness(Fixture *fx, gconstpointer data)
{
    (void)data;
    /* The relay's one clock: key frame retries and reports run on it too. */
    cg_media_set_clock(fx->media, fake_clock, fx);
    for (guint i = 0; i < 3; i++)
        join(fx, i);
    g_assert_true(wait_for(fx, media_ok, GUINT_TO_POINTER(3), WAIT_US));
    /* a live call survives far longer than the limit on the fake clock */
    for (guint s = 0; s < 40; s++)
        tick(fx);
    g_assert_true(nobody_failed(fx));

    /* p2 freezes: nothing more from it, not even RTCP or ICE */
    cg_rtc_peer_freeze(fx->party[2].peer);
    gint64 frozen_at = fx->fake_now;
    while (nobody_failed(fx) && fx->fake_now - frozen_at < 40 * G_USEC_PER_SEC)
        tick(fx);
    gint64 after = fx->fake_now - frozen_at;
    g_test_message("frozen endpoint failed %.0f s (fake clock) after it froze",
                   after / (double)G_USEC_PER_SEC);
    g_assert_cmpuint(fx->party[2].failed, ==, 1);
    g_assert_cmpint(fx->party[2].failed_code, ==, CG_MEDIA_ERROR_FAILED);
    g_assert_cmpstr(fx->party[2].failed_message, ==,
                    "no media or consent from the endpoint for 30 s");
    /* not before the limit; within two check periods after it (a packet in
     * flight at the freeze may count as the last sign of life) */
    g_assert_cmpint(after, >=, 30 * G_USEC_PER_SEC);
    g_assert_cmpint(after, <=, 33 * G_USEC_PER_SEC);
    g_assert_cmpuint(fx->party[0].failed + fx->party[1].failed, ==, 0);
    /* the caller removes it; the others go on */
    cg_media_endpoint_remove(fx->media, fx->party[2].id);
    guint f = cg_rtc_peer_video_frames(fx->party[0].peer, "p1");
    for (guint s = 0; s < 5; s++)
        tick(fx);
    g_assert_cmpuint(fx->party[0].failed + fx->party[1].failed, ==, 0);
    g_assert_cmpuint(cg_rtc_peer_video_frames(fx->party[0].peer, "p1"), >, f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add("/media/late-joiner", Fixture, NULL, setup, test_late_joiner, teardown);
    g_test_add("/media/liveness", Fixture, NULL, setup, test_liveness, teardown);
    return g_test_run();
}
