/* test-media-mix.c — interpretation mixes in the relay (issue 11): three
 * in-process CgRtcPeers over real ICE/DTLS/SRTP, publishers A (440 Hz) and
 * B (1000 Hz) and a listener L with a "mix" slot; what L decodes from the
 * slot and from the relay path.
 *
 * The test is the signaling (as in test-media-relay.c). rtc_peer answers
 * only connections whose name starts with "sub": the slot "mix" is handed
 * to it as "sub-mix" (recorded under the label "mix") and named back.
 * Waits poll the main context with a deadline, never fixed sleeps.
 */
#include "media-testing.h"
#include "media.h"
#include "rtc_peer.h"

#include <gst/gst.h>
#include <math.h>
#include <string.h>

#define N_PEERS 3
#define WAIT_US (60 * G_USEC_PER_SEC)
#define PEER_MIX_PC "sub-mix"
#define MIX_LABEL "mix"
#define TONE_TOLERANCE_HZ 20.0
/* issue 11: a channel switch is heard within 500 ms */
#define SWITCH_BUDGET_US (500 * 1000)
#define LEVEL_FLOOR 0.1778 /* -15 dB */

enum { A, B, L };

typedef struct Fixture Fixture;

typedef struct {
    Fixture *fx;
    CgEndpointId id;
    CgRtcPeer *peer;
    char label[8];
    guint failed;
    guint sdps;       /* descriptions consultd sent to this party */
    guint mix_offers; /* of which on "mix" */
    char *mix_offer;  /* the last of them */
    gboolean mix_publisher_nonzero;
    guint mix_closed;  /* pc_closed "mix" */
    guint pub_answers; /* answers on "pub" */
} Party;

struct Fixture {
    CgMedia *media;
    Party party[N_PEERS];
};

static const guint tones[N_PEERS] = {440, 1000, 660};
static const guint32 colors[N_PEERS] = {0xff0000, 0x00ff00, 0x0000ff};
static const char *const labels[N_PEERS] = {"A", "B", "L"};

static Party *party_of(Fixture *fx, CgEndpointId id)
{
    for (guint i = 0; i < N_PEERS; i++)
        if (fx->party[i].id == id)
            return &fx->party[i];
    return NULL;
}

static const char *to_peer(const char *pc)
{
    return g_strcmp0(pc, CG_MEDIA_MIX_PC) == 0 ? PEER_MIX_PC : pc;
}

static const char *to_media(const char *pc)
{
    return g_strcmp0(pc, PEER_MIX_PC) == 0 ? CG_MEDIA_MIX_PC : pc;
}

/* ---- CgMedia -> peer ---- */
static void m_description(gpointer user, CgEndpointId ep, const char *pc, CgEndpointId publisher,
                          const char *type, const char *sdp)
{
    Party *p = party_of(user, ep);
    Party *from = publisher ? party_of(user, publisher) : NULL;
    if (!p)
        return;
    p->sdps++;
    p->pub_answers += g_strcmp0(pc, "pub") == 0;
    if (g_strcmp0(pc, CG_MEDIA_MIX_PC) == 0) {
        p->mix_offers++;
        p->mix_publisher_nonzero |= publisher != 0;
        g_free(p->mix_offer);
        p->mix_offer = g_strdup(sdp);
    }
    if (p->peer)
        cg_rtc_peer_remote_description(p->peer, to_peer(pc), type, sdp,
                                       from                                  ? from->label
                                       : g_strcmp0(pc, CG_MEDIA_MIX_PC) == 0 ? MIX_LABEL
                                                                             : NULL);
}

static void m_candidate(gpointer user, CgEndpointId ep, const char *pc, guint mline,
                        const char *cand)
{
    Party *p = party_of(user, ep);
    if (p && p->peer)
        cg_rtc_peer_remote_candidate(p->peer, to_peer(pc), mline, cand);
}

static void m_pc_closed(gpointer user, CgEndpointId ep, const char *pc)
{
    Party *p = party_of(user, ep);
    if (!p)
        return;
    p->mix_closed += g_strcmp0(pc, CG_MEDIA_MIX_PC) == 0;
    if (p->peer)
        cg_rtc_peer_close_pc(p->peer, to_peer(pc));
}

static void m_failed(gpointer user, CgEndpointId ep, CgMediaError code, const char *msg)
{
    (void)code;
    Party *p = party_of(user, ep);
    if (p) {
        p->failed++;
        g_test_message("%s failed: %s", p->label, msg);
    }
}

/* ---- peer -> CgMedia ---- */
static void p_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_description(p->fx->media, p->id, to_media(pc), type, sdp, &error))
        g_test_message("%s %s refused: %s", p->label, pc, error->message);
}

static void p_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    Party *p = user;
    g_autoptr(GError) error = NULL;
    if (!cg_media_remote_candidate(p->fx->media, p->id, to_media(pc), mline, cand, &error))
        g_test_message("%s %s candidate refused: %s", p->label, pc, error->message);
}

static void setup(Fixture *fx, gconstpointer data)
{
    (void)data;
    static const char *const addrs[] = {"127.0.0.1", NULL};
    static const char *const loopback[] = {"127.0.0.0/8", NULL};
    CgMediaConfig cfg = {.ice_addresses = addrs, .allowed_remote_networks = loopback};
    CgMediaEvents ev = {.description = m_description,
                        .candidate = m_candidate,
                        .pc_closed = m_pc_closed,
                        .endpoint_failed = m_failed};
    g_autoptr(GError) error = NULL;
    fx->media = cg_media_new(&cfg, &ev, fx, &error);
    g_assert_no_error(error);
    for (guint i = 0; i < N_PEERS; i++) {
        Party *p = &fx->party[i];
        p->fx = fx;
        p->id = 100 + i;
        g_strlcpy(p->label, labels[i], sizeof p->label);
        g_autofree char *tag = g_strdup_printf("[test][%s]", labels[i]);
        g_assert_true(cg_media_endpoint_add(fx->media, p->id, tag, &error));
    }
}

static void teardown(Fixture *fx, gconstpointer data)
{
    (void)data;
    cg_media_free(fx->media);
    for (guint i = 0; i < N_PEERS; i++) {
        cg_rtc_peer_free(fx->party[i].peer);
        g_free(fx->party[i].mix_offer);
    }
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
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return TRUE;
}

static gboolean near(double hz, guint want)
{
    return fabs(hz - want) < TONE_TOLERANCE_HZ;
}

/* everyone decodes every other's picture and tone on the relay path */
static gboolean relay_ok(Fixture *fx, gconstpointer arg)
{
    (void)arg;
    for (guint r = 0; r < N_PEERS; r++)
        for (guint s = 0; s < N_PEERS; s++)
            if (r != s && (cg_rtc_peer_video_frames(fx->party[r].peer, labels[s]) < 5 ||
                           !near(cg_rtc_peer_tone_hz(fx->party[r].peer, labels[s]), tones[s])))
                return FALSE;
    return TRUE;
}

/* The call, and L's mix slot offered. */
static void start(Fixture *fx)
{
    g_autoptr(GError) error = NULL;
    for (guint i = 0; i < N_PEERS; i++) {
        Party *p = &fx->party[i];
        CgRtcPeerOptions opt = {.tone_hz = tones[i], .color_rgb = colors[i]};
        CgRtcPeerEvents ev = {p_description, p_candidate};
        p->peer = cg_rtc_peer_new(&opt, &ev, p);
        cg_rtc_peer_publish(p->peer);
    }
    for (guint a = 0; a < N_PEERS; a++)
        for (guint b = 0; b < N_PEERS; b++)
            if (a != b)
                g_assert_true(cg_media_route(fx->media, fx->party[a].id, fx->party[b].id, &error));
    g_assert_true(cg_media_endpoint_set_mix_slot(fx->media, fx->party[L].id, TRUE, &error));
    g_assert_true(wait_for(fx, relay_ok, NULL, WAIT_US));
}

static void set_mix(Fixture *fx, CgMixId mix, double gain_a, double gain_b)
{
    g_autoptr(GError) error = NULL;
    CgMediaMixInput in[2];
    guint n = 0;
    if (gain_a >= 0)
        in[n++] = (CgMediaMixInput){fx->party[A].id, gain_a};
    if (gain_b >= 0)
        in[n++] = (CgMediaMixInput){fx->party[B].id, gain_b};
    g_assert_true(cg_media_mix_set(fx->media, mix, in, n, &error));
}

static void listen(Fixture *fx, CgMixId mix)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_listen(fx->media, fx->party[L].id, mix, &error));
}

typedef struct {
    guint party;
    const char *label;
    guint hz;
} ToneAt;

static gboolean tone_is(Fixture *fx, gconstpointer arg)
{
    const ToneAt *t = arg;
    return near(cg_rtc_peer_tone_hz(fx->party[t->party].peer, t->label), t->hz);
}

static void wait_tone(Fixture *fx, guint party, const char *label, guint hz)
{
    ToneAt t = {party, label, hz};
    if (!wait_for(fx, tone_is, &t, WAIT_US)) {
        g_autofree char *d = cg_rtc_peer_describe_label(fx->party[party].peer, label);
        g_error("%s hears %.0f Hz from %s, not %u Hz: %s", fx->party[party].label,
                cg_rtc_peer_tone_hz(fx->party[party].peer, label), label, hz, d);
    }
}

typedef struct {
    guint party;
    const char *label;
    guint frames;
} FramesAt;

static gboolean frames_reach(Fixture *fx, gconstpointer arg)
{
    const FramesAt *f = arg;
    return cg_rtc_peer_video_frames(fx->party[f->party].peer, f->label) >= f->frames;
}

/* @party decodes @n more video frames from @label: time passes, media flows */
static void more_frames(Fixture *fx, guint party, const char *label, guint n)
{
    FramesAt f = {party, label, cg_rtc_peer_video_frames(fx->party[party].peer, label) + n};
    g_assert_true(wait_for(fx, frames_reach, &f, WAIT_US));
}

static guint64 audio_packets(Fixture *fx, guint party, const char *label)
{
    return cg_rtc_peer_audio_packets(fx->party[party].peer, label);
}

/* No more audio from @label reaches @party's decoder: after what was in
 * flight (10 frames' time), the count stands still for 15 frames (1 s). */
static void audio_stopped(Fixture *fx, guint party, const char *label, const char *video_label)
{
    more_frames(fx, party, video_label, 10);
    guint64 then = audio_packets(fx, party, label);
    more_frames(fx, party, video_label, 15);
    g_assert_cmpuint(audio_packets(fx, party, label), ==, then);
}

static void audio_flows(Fixture *fx, guint party, const char *label, const char *video_label)
{
    guint64 then = audio_packets(fx, party, label);
    more_frames(fx, party, video_label, 15);
    g_assert_cmpuint(audio_packets(fx, party, label), >, then + 20);
}

static void no_failures(Fixture *fx)
{
    for (guint i = 0; i < N_PEERS; i++)
        g_assert_cmpuint(fx->party[i].failed, ==, 0);
}

/* L listening to {A: 1.0, B: -15 dB} hears A on top; the same mix with the
 * gains swapped (one step, no renegotiation) puts B on top: both feed it.
 * The slot's offer is one sendonly Opus m-line of consultd's own. */
static void test_hear(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    Party *l = &fx->party[L];
    g_assert_cmpuint(l->mix_offers, ==, 1);
    g_assert_false(l->mix_publisher_nonzero);
    g_assert_nonnull(strstr(l->mix_offer, "a=rtpmap:111 opus/48000/2\r\n"));
    g_assert_nonnull(strstr(l->mix_offer, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
    g_assert_nonnull(strstr(l->mix_offer, "a=sendonly\r\n"));
    g_assert_nonnull(strstr(l->mix_offer, "a=group:BUNDLE 0\r\n"));
    g_assert_null(strstr(l->mix_offer, "a=extmap"));
    g_assert_cmpuint(fx->party[A].mix_offers + fx->party[B].mix_offers, ==, 0);

    set_mix(fx, 1, 1.0, LEVEL_FLOOR);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 440);
    guint sdps = l->sdps;
    set_mix(fx, 1, LEVEL_FLOOR, 1.0);
    wait_tone(fx, L, MIX_LABEL, 1000);
    g_assert_cmpuint(l->sdps, ==, sdps);
    /* the relay path is untouched meanwhile */
    wait_tone(fx, L, "A", 440);
    wait_tone(fx, L, "B", 1000);
    no_failures(fx);
}

/* receive_relayed_audio FALSE: A's and B's individual audio stop reaching
 * L, their video goes on, the mix goes on; TRUE brings the audio back. */
static void test_receive_relayed_audio(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    set_mix(fx, 1, 1.0, -1);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 440);
    g_autoptr(GError) error = NULL;
    g_assert_true(
        cg_media_endpoint_set_receive_relayed_audio(fx->media, fx->party[L].id, FALSE, &error));
    audio_stopped(fx, L, "A", "A");
    audio_stopped(fx, L, "B", "B");
    audio_flows(fx, L, MIX_LABEL, "A");
    audio_flows(fx, B, "A", "A"); /* others still hear A */
    g_assert_true(
        cg_media_endpoint_set_receive_relayed_audio(fx->media, fx->party[L].id, TRUE, &error));
    audio_flows(fx, L, "A", "A");
    no_failures(fx);
}

/* audio_relayed(B) FALSE: nobody receives B's audio on the relay path, its
 * video goes on, and the mix still carries it. */
static void test_audio_relayed(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    set_mix(fx, 1, LEVEL_FLOOR, 1.0);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 1000);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_set_audio_relayed(fx->media, fx->party[B].id, FALSE, &error));
    audio_stopped(fx, A, "B", "B");
    audio_stopped(fx, L, "B", "B");
    audio_flows(fx, L, MIX_LABEL, "B");
    g_assert_true(near(cg_rtc_peer_tone_hz(fx->party[L].peer, MIX_LABEL), 1000));
    audio_flows(fx, B, "A", "A"); /* B still hears the others */
    no_failures(fx);
}

static gboolean sanitized(void)
{
    return g_strcmp0(g_getenv("CG_TEST_SANITIZED"), "1") == 0;
}

/* mix 1 {A} to mix 2 {B}: L's slot carries B's tone within 500 ms, with no
 * new offer, on the same stream (no new SSRC, no sequence jump). */
static void test_switch(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    set_mix(fx, 1, 1.0, -1);
    set_mix(fx, 2, -1, 1.0);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 440);
    more_frames(fx, L, "A", 15); /* settled */
    Party *l = &fx->party[L];
    guint sdps = l->sdps;
    CgRtcPeerReceived before, after;
    cg_rtc_peer_received(l->peer, &before);
    for (guint round = 0; round < 2; round++) {
        gint64 t0 = g_get_monotonic_time();
        listen(fx, round == 0 ? 2 : 1);
        wait_tone(fx, L, MIX_LABEL, round == 0 ? 1000 : 440);
        gint64 took = g_get_monotonic_time() - t0;
        g_test_message("switch %u heard after %" G_GINT64_FORMAT " ms", round, took / 1000);
        if (!sanitized())
            g_assert_cmpint(took, <=, SWITCH_BUDGET_US);
        more_frames(fx, L, "A", 15);
    }
    g_assert_cmpuint(l->sdps, ==, sdps);
    cg_rtc_peer_received(l->peer, &after);
    g_assert_cmpuint(after.n_streams, ==, before.n_streams);
    /* sequence numbers went on: nothing "lost" beyond a packet or two */
    guint64 lost_before = before.expected - MIN(before.expected, before.received);
    guint64 lost_after = after.expected - MIN(after.expected, after.received);
    g_assert_cmpuint(lost_after, <=, lost_before + 5);
    no_failures(fx);
}

/* mix_remove: the slot carries nothing, listen 0 too; the slot can be taken
 * away (pc_closed "mix") and given again (a new offer). */
static void test_remove(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    set_mix(fx, 1, 1.0, -1);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 440);
    cg_media_mix_remove(fx->media, 1);
    audio_stopped(fx, L, MIX_LABEL, "A");
    listen(fx, 0);
    cg_media_mix_remove(fx->media, 1); /* no-op */
    /* a new mix under another id, heard; then listen 0: nothing */
    set_mix(fx, 3, -1, 1.0);
    listen(fx, 3);
    wait_tone(fx, L, MIX_LABEL, 1000);
    listen(fx, 0);
    audio_stopped(fx, L, MIX_LABEL, "A");
    /* the slot away and back */
    guint conns = cg_media_connection_count(fx->media);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_set_mix_slot(fx->media, fx->party[L].id, FALSE, &error));
    g_assert_cmpuint(fx->party[L].mix_closed, ==, 1);
    g_assert_cmpuint(cg_media_connection_count(fx->media), ==, conns - 1);
    g_assert_true(cg_media_endpoint_set_mix_slot(fx->media, fx->party[L].id, FALSE, &error));
    g_assert_cmpuint(fx->party[L].mix_closed, ==, 1);
    g_assert_true(cg_media_endpoint_set_mix_slot(fx->media, fx->party[L].id, TRUE, &error));
    g_assert_cmpuint(cg_media_connection_count(fx->media), ==, conns);
    cg_media_mix_remove(fx->media, 3);
    no_failures(fx);
}

typedef struct {
    guint party;
    guint64 packets;
} PacketsAt;

static gboolean mix_packets_reach(Fixture *fx, gconstpointer arg)
{
    const PacketsAt *p = arg;
    return audio_packets(fx, p->party, MIX_LABEL) >= p->packets;
}

/* @party's slot brings 50 more packets (1 s of the mix) */
static void mix_goes_on(Fixture *fx, guint party)
{
    PacketsAt p = {party, audio_packets(fx, party, MIX_LABEL) + 50};
    g_assert_true(wait_for(fx, mix_packets_reach, &p, WAIT_US));
}

/* An input leaves: the mix goes on with the others. A listener leaves: the
 * mix goes on for the other listener (A, with a slot too). */
static void test_endpoint_removed(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_set_mix_slot(fx->media, fx->party[A].id, TRUE, &error));
    set_mix(fx, 1, LEVEL_FLOOR, 1.0);
    listen(fx, 1);
    g_assert_true(cg_media_endpoint_listen(fx->media, fx->party[A].id, 1, &error));
    wait_tone(fx, L, MIX_LABEL, 1000);
    wait_tone(fx, A, MIX_LABEL, 1000);
    cg_media_endpoint_remove(fx->media, fx->party[B].id);
    wait_tone(fx, L, MIX_LABEL, 440); /* A alone, at its level */
    cg_media_endpoint_remove(fx->media, fx->party[L].id);
    mix_goes_on(fx, A);
    /* set again naming the gone ones: kept as inputs, harmless */
    set_mix(fx, 1, 1.0, 1.0);
    mix_goes_on(fx, A);
    cg_media_endpoint_remove(fx->media, fx->party[A].id);
    cg_media_mix_remove(fx->media, 1);
    g_assert_cmpuint(cg_media_connection_count(fx->media), ==, 0);
    g_assert_cmpuint(fx->party[A].failed, ==, 0);
}

/* A muted input feeds no mix (and nobody on the relay path); unmuted, it
 * is back. An input named before its endpoint publishes is fed once it does. */
static void test_muted(Fixture *fx, gconstpointer data)
{
    (void)data;
    /* mix set before anyone publishes: fed later */
    set_mix(fx, 1, LEVEL_FLOOR, 1.0);
    start(fx);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 1000);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_media_endpoint_set_audio_muted(fx->media, fx->party[B].id, TRUE, &error));
    wait_tone(fx, L, MIX_LABEL, 440);
    audio_stopped(fx, L, "B", "B");
    g_assert_true(cg_media_endpoint_set_audio_muted(fx->media, fx->party[B].id, FALSE, &error));
    wait_tone(fx, L, MIX_LABEL, 1000);
    no_failures(fx);
}

/* L restarts ICE: its slot gets a new offer like every subscribe
 * connection, and the mix comes back on it. */
static void test_ice_restart(Fixture *fx, gconstpointer data)
{
    (void)data;
    start(fx);
    set_mix(fx, 1, 1.0, -1);
    listen(fx, 1);
    wait_tone(fx, L, MIX_LABEL, 440);
    Party *l = &fx->party[L];
    guint offers = l->mix_offers;
    guint answers = l->pub_answers;
    cg_rtc_peer_restart_ice(l->peer);
    more_frames(fx, L, "A", 30);
    g_assert_cmpuint(l->pub_answers, ==, answers + 1);
    g_assert_cmpuint(l->mix_offers, ==, offers + 1);
    audio_flows(fx, L, MIX_LABEL, "A");
    wait_tone(fx, L, MIX_LABEL, 440);
    no_failures(fx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    gst_init(&argc, &argv); /* as consultd does: a mix may be made before any peer */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add("/media-mix/hear", Fixture, NULL, setup, test_hear, teardown);
    g_test_add("/media-mix/receive-relayed-audio", Fixture, NULL, setup, test_receive_relayed_audio,
               teardown);
    g_test_add("/media-mix/audio-relayed", Fixture, NULL, setup, test_audio_relayed, teardown);
    g_test_add("/media-mix/switch", Fixture, NULL, setup, test_switch, teardown);
    g_test_add("/media-mix/remove", Fixture, NULL, setup, test_remove, teardown);
    g_test_add("/media-mix/endpoint-removed", Fixture, NULL, setup, test_endpoint_removed,
               teardown);
    g_test_add("/media-mix/muted", Fixture, NULL, setup, test_muted, teardown);
    g_test_add("/media-mix/ice-restart", Fixture, NULL, setup, test_ice_restart, teardown);
    return g_test_run();
}
