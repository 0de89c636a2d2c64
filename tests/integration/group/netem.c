/* integration-group-netem: a three-party case conference through the real
 * consultd on a poor network. CTest runs it through in-netns.sh, which gives
 * it a network namespace of its own whose loopback delays every packet
 * CG_NETEM_DELAY_MS and loses CG_NETEM_UDP_LOSS_PCT % of the UDP ones (tc
 * netem, or cg-netem-queue where the kernel has no netem). Every packet
 * crosses lo once per hop, so each endpoint's link to consultd is the poor
 * network the issue describes, and a publisher's media reaches a receiver
 * over two such links.
 *
 * The endpoints repair loss as browsers do (CgRtcPeerOptions.repair_loss:
 * NACK + RTX for video, a PLI when a frame cannot be repaired, Opus FEC and
 * concealment), and their encoders make a key frame only every 20 s, so
 * without consultd relaying NACKs and PLIs a receiver's picture would stop at
 * the first packet lost beyond repair until the next periodic key frame. Two
 * endpoints have a jitter buffer long enough for a retransmission (NACK
 * repairs nearly everything they lose); the third keeps webrtcbin's 200 ms,
 * shorter than a retransmission's round trip here, so only key frames (PLI)
 * repair its picture: both paths through consultd are exercised every run.
 *
 * After every endpoint decodes every other, a 10 s window must show, for each
 * receiver and publisher: video frames keep coming (no freeze near the 20 s a
 * lost key frame request would cost) in the right colour; audio keeps being
 * decoded, at the right frequency; and the publishers were asked for
 * retransmissions and key frames, i.e. the repair went through consultd. */
#include <gst/gst.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "group_common.h"

#define N_PARTIES 3
#define FPS 15
#define KEYFRAME_DIST (20 * FPS) /* 20 s */
/* Two hops of 150 ms: a NACK's round trip is 600 ms and more; a second of
 * jitter buffer leaves room for one, as a browser's adaptive one would. The
 * last endpoint keeps webrtcbin's 200 ms: too short for a retransmission. */
#define JITTER_LATENCY_MS 1000
#define SHORT_BUFFER_EP (N_PARTIES - 1)
#define SETTLE_MS 2000
#define WINDOW_SLICES 10
#define SLICE_MS 1000
/* Longest tolerated freeze. Frames are counted as decoded (no clock sync), so
 * a repaired gap shows as a pause of one NACK round trip; an unrepairable loss
 * costs the jitter buffer's wait, a PLI's trip to the publisher and the key
 * frame's back, again if either is lost (seen: at most ~3 s). Without consultd
 * relaying PLIs it lasts until the periodic key frame, 20 s, so most of the
 * window. */
#define MAX_FREEZE_US (6 * G_USEC_PER_SEC)
#define MIN_AUDIO_SHARE 0.8 /* decoded audio (concealment included) / window */
#define COLOUR_TOLERANCE 48
#define TONE_TOLERANCE_HZ 10.0
#define PROBE_PACKETS 200

typedef struct {
    double delay_ms, udp_loss_pct;
    const char *how;
} Netem;

static gboolean netem_from_env(Netem *n)
{
    const char *d = g_getenv("CG_NETEM_DELAY_MS"), *l = g_getenv("CG_NETEM_UDP_LOSS_PCT");
    if (!d || !l)
        return FALSE;
    n->delay_ms = g_ascii_strtod(d, NULL);
    n->udp_loss_pct = g_ascii_strtod(l, NULL);
    n->how = g_getenv("CG_NETEM_HOW") ? g_getenv("CG_NETEM_HOW") : "?";
    return TRUE;
}

/* ---- the namespace really is a poor network -------------------------------- */

/* Sends PROBE_PACKETS datagrams to itself over lo and reads what arrives by a
 * deadline: the test must not pass on an unshaped loopback. */
static void probe_shaping(const Netem *n)
{
    int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(tx, >=, 0);
    g_assert_cmpint(rx, >=, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    g_assert_cmpint(bind(rx, (struct sockaddr *)&a, sizeof a), ==, 0);
    g_assert_cmpint(getsockname(rx, (struct sockaddr *)&a, &alen), ==, 0);
    for (guint i = 0; i < PROBE_PACKETS; i++) {
        gint64 now = g_get_monotonic_time();
        g_assert_cmpint(sendto(tx, &now, sizeof now, 0, (struct sockaddr *)&a, sizeof a), ==,
                        sizeof now);
    }
    guint got = 0;
    gint64 min_us = G_MAXINT64, max_us = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64)(n->delay_ms * 1000) + G_USEC_PER_SEC;
    for (gint64 now; got < PROBE_PACKETS && (now = g_get_monotonic_time()) < deadline;) {
        struct pollfd p = {.fd = rx, .events = POLLIN};
        if (poll(&p, 1, (int)((deadline - now) / 1000) + 1) <= 0)
            continue;
        gint64 sent = 0;
        if (recv(rx, &sent, sizeof sent, 0) != sizeof sent)
            continue;
        gint64 d = g_get_monotonic_time() - sent;
        min_us = MIN(min_us, d);
        max_us = MAX(max_us, d);
        got++;
    }
    close(tx);
    close(rx);
    g_test_message("shaping (%s): %u of %u UDP datagrams over lo arrived (%.1f %% lost), after "
                   "%.1f to %.1f ms",
                   n->how, got, PROBE_PACKETS, 100.0 * (PROBE_PACKETS - got) / PROBE_PACKETS,
                   min_us / 1000.0, max_us / 1000.0);
    g_assert_cmpuint(got, >, PROBE_PACKETS / 2);
    g_assert_cmpfloat(min_us / 1000.0, >=, 0.8 * n->delay_ms);
    if (n->udp_loss_pct >= 1) /* P(nothing lost of 200 at 1 %) = 13 %: only from 1 % */
        g_assert_cmpuint(got, <, PROBE_PACKETS);
}

/* ---- the window ------------------------------------------------------------ */

typedef struct {
    guint frames;
    guint64 audio_packets, audio_samples, audio_concealed;
    CgRtcPeerReceiveRepair video;
} PairSnapshot;

typedef struct {
    guint kf_requests;
    CgRtcPeerSendRepair repair;
} PubSnapshot;

typedef struct {
    PairSnapshot start[N_PARTIES][N_PARTIES]; /* [receiver][publisher] */
    PubSnapshot pub_start[N_PARTIES];
    guint slices_without_frames[N_PARTIES][N_PARTIES];
    guint slices_without_audio[N_PARTIES][N_PARTIES];
    guint wrong_colour[N_PARTIES][N_PARTIES];
    guint wrong_tone[N_PARTIES][N_PARTIES];
    double tone_seen[N_PARTIES][N_PARTIES];
    guint32 colour_seen[N_PARTIES][N_PARTIES];
} Window;

static void snapshot_pair(CgTestEndpoint *rx, const char *from, PairSnapshot *s)
{
    CgRtcPeer *p = cg_test_endpoint_peer(rx);
    s->frames = cg_rtc_peer_video_frames(p, from);
    s->audio_packets = cg_rtc_peer_audio_packets(p, from);
    s->audio_samples = cg_rtc_peer_audio_samples(p, from);
    s->audio_concealed = cg_rtc_peer_audio_concealed(p, from);
    cg_rtc_peer_receive_repair(p, from, TRUE, &s->video);
}

static void snapshot_pub(CgTestEndpoint *pub, PubSnapshot *s)
{
    CgRtcPeer *p = cg_test_endpoint_peer(pub);
    s->kf_requests = cg_rtc_peer_keyframe_requests(p);
    cg_rtc_peer_send_repair(p, &s->repair);
}

static gboolean colour_close(guint32 a, guint32 b)
{
    for (int shift = 0; shift <= 16; shift += 8) {
        int ca = (int)((a >> shift) & 0xff), cb = (int)((b >> shift) & 0xff);
        if (ABS(ca - cb) > COLOUR_TOLERANCE)
            return FALSE;
    }
    return TRUE;
}

/* One slice of the window: what each receiver got from each publisher. */
static void run_slice(CgTestEndpoint **ep, CgTestConsult *c, Window *w,
                      PairSnapshot prev[][N_PARTIES])
{
    cg_test_run_for(SLICE_MS);
    for (guint r = 0; r < N_PARTIES; r++)
        for (guint s = 0; s < N_PARTIES; s++) {
            if (r == s)
                continue;
            CgRtcPeer *p = cg_test_endpoint_peer(ep[r]);
            guint frames = cg_rtc_peer_video_frames(p, c->ids[s]);
            guint64 audio = cg_rtc_peer_audio_packets(p, c->ids[s]);
            if (frames == prev[r][s].frames)
                w->slices_without_frames[r][s]++;
            if (audio == prev[r][s].audio_packets)
                w->slices_without_audio[r][s]++;
            prev[r][s].frames = frames;
            prev[r][s].audio_packets = audio;
            guint32 rgb = 0;
            if (!cg_rtc_peer_video_color(p, c->ids[s], &rgb) ||
                !colour_close(rgb, group_colours[s]))
                w->wrong_colour[r][s]++;
            double hz = cg_rtc_peer_tone_hz(p, c->ids[s]);
            if (fabs(hz - group_tones[s]) > TONE_TOLERANCE_HZ)
                w->wrong_tone[r][s]++;
            w->colour_seen[r][s] = rgb;
            w->tone_seen[r][s] = hz;
        }
}

/* Longest time @rx saw no frame from @from in the window ending @end. */
static gint64 longest_freeze(CgTestEndpoint *rx, const char *from, gint64 start, gint64 end)
{
    CgRtcPeer *p = cg_test_endpoint_peer(rx);
    gint64 last = cg_rtc_peer_last_frame_time(p, from);
    gint64 gap = cg_rtc_peer_max_frame_gap_us(p, from);
    return MAX(gap, end - (last ? last : start));
}

/* A problem found in the window: the test fails once every figure is out. */
#define PROBLEM(...) g_test_fail_printf(__VA_ARGS__)

static void check_pair(CgTestEndpoint **ep, CgTestConsult *c, const Window *w, guint r, guint s,
                       gint64 start, gint64 end)
{
    const char *rid = c->ids[r], *sid = c->ids[s];
    PairSnapshot now;
    snapshot_pair(ep[r], sid, &now);
    const PairSnapshot *then = &w->start[r][s];
    double secs = (end - start) / 1e6;
    guint frames = now.frames - then->frames;
    guint64 audio = now.audio_packets - then->audio_packets;
    double audio_ms = (now.audio_samples - then->audio_samples) / 48.0;
    double concealed_ms = (now.audio_concealed - then->audio_concealed) / 48.0;
    gint64 freeze = longest_freeze(ep[r], sid, start, end);
    guint64 lost = now.video.lost - then->video.lost;
    guint64 asked = now.video.rtx_requests - then->video.rtx_requests;
    guint64 repaired = now.video.rtx_repaired - then->video.rtx_repaired;
    g_test_message("%s <- %s (%s buffer) over %.1f s: %u video frames (%.1f fps), longest "
                   "freeze %.0f ms, video packets lost %" G_GUINT64_FORMAT
                   ", retransmissions asked %" G_GUINT64_FORMAT " / repaired %" G_GUINT64_FORMAT
                   "; %" G_GUINT64_FORMAT " audio packets, %.0f ms of audio decoded (%.0f ms "
                   "concealed); last tone %.0f Hz, colour %06x; slices without frames %u",
                   rid, sid, r == SHORT_BUFFER_EP ? "short" : "long", secs, frames, frames / secs,
                   freeze / 1000.0, lost, asked, repaired, audio, audio_ms, concealed_ms,
                   w->tone_seen[r][s], w->colour_seen[r][s], w->slices_without_frames[r][s]);
    printf("netem_pair: rx=%s from=%s frames=%u fps=%.1f freeze_ms=%.0f lost=%" G_GUINT64_FORMAT
           " rtx_asked=%" G_GUINT64_FORMAT " rtx_repaired=%" G_GUINT64_FORMAT
           " audio_packets=%" G_GUINT64_FORMAT " audio_ms=%.0f concealed_ms=%.0f\n",
           rid, sid, frames, frames / secs, freeze / 1000.0, lost, asked, repaired, audio, audio_ms,
           concealed_ms);
    /* video keeps coming, in the right colour, repaired by retransmissions
     * where the buffer leaves time for them */
    if (frames == 0 || freeze >= MAX_FREEZE_US)
        PROBLEM("%s <- %s: the picture froze for %.1f s (%u frames in %.1f s): loss was not "
                "repaired",
                rid, sid, freeze / 1e6, frames, secs);
    if (w->wrong_colour[r][s])
        PROBLEM("%s <- %s: wrong or no colour in %u of %u slices", rid, sid, w->wrong_colour[r][s],
                WINDOW_SLICES);
    if (r != SHORT_BUFFER_EP && repaired == 0)
        PROBLEM("%s <- %s: no retransmission arrived in time (%" G_GUINT64_FORMAT " asked)", rid,
                sid, asked);
    /* audio keeps being decoded, at the right frequency */
    if (w->slices_without_audio[r][s])
        PROBLEM("%s <- %s: no audio packet in %u of %u slices", rid, sid,
                w->slices_without_audio[r][s], WINDOW_SLICES);
    if (audio_ms < MIN_AUDIO_SHARE * secs * 1000)
        PROBLEM("%s <- %s: %.0f ms of audio decoded in %.1f s", rid, sid, audio_ms, secs);
    if (w->wrong_tone[r][s])
        PROBLEM("%s <- %s: wrong or no tone in %u of %u slices (want %u Hz)", rid, sid,
                w->wrong_tone[r][s], WINDOW_SLICES, group_tones[s]);
}

/* @s's publisher was repaired through consultd: NACKs reached it and it
 * retransmitted; if the short-buffer endpoint receives it, key frame requests
 * reached it too. */
static void check_publisher(CgTestEndpoint **ep, CgTestConsult *c, const Window *w, guint s)
{
    PubSnapshot now;
    snapshot_pub(ep[s], &now);
    const PubSnapshot *then = &w->pub_start[s];
    guint kf = now.kf_requests - then->kf_requests;
    guint64 nacks = now.repair.nacks - then->repair.nacks;
    guint64 asked = now.repair.rtx_requests - then->repair.rtx_requests;
    guint64 sent = now.repair.rtx_sent - then->repair.rtx_sent;
    g_test_message("publisher %s in the window: %u key frame requests, %" G_GUINT64_FORMAT
                   " NACKs received asking for %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
                   " retransmitted",
                   c->ids[s], kf, nacks, asked, sent);
    printf("netem_publisher: id=%s keyframe_requests=%u nacks=%" G_GUINT64_FORMAT
           " rtx_requests=%" G_GUINT64_FORMAT " rtx_sent=%" G_GUINT64_FORMAT "\n",
           c->ids[s], kf, nacks, asked, sent);
    if (asked == 0 || sent == 0)
        PROBLEM("publisher %s: %" G_GUINT64_FORMAT " packets asked for by NACK, %" G_GUINT64_FORMAT
                " retransmitted: NACKs do not reach it",
                c->ids[s], asked, sent);
    if (s != SHORT_BUFFER_EP && kf == 0)
        PROBLEM("publisher %s: no key frame request, though %s repairs only by key frames",
                c->ids[s], c->ids[SHORT_BUFFER_EP]);
}

static void test_poor_network(void)
{
    if (cg_fx_sanitized()) {
        /* repair works against the clock (a retransmission must beat the
         * jitter buffer): 3 encoders and 6 decoders under ASan on two cores
         * cannot keep real time, as in the 8-party test */
        g_test_skip("loss repair needs real time; run it with make check");
        return;
    }
    Netem n;
    g_assert_true(netem_from_env(&n));
    probe_shaping(&n);

    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    g_autoptr(CgTestConsult) c = group_create_consult(daemon, N_PARTIES);
    CgRtcPeerOptions media = {.keyframe_max_dist = KEYFRAME_DIST,
                              .fps = FPS,
                              .width = 320,
                              .height = 240,
                              .repair_loss = TRUE};
    CgTestEndpoint *ep[N_PARTIES] = {0};
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < N_PARTIES; i++) {
        media.jitter_latency_ms = i == SHORT_BUFFER_EP ? 0 : JITTER_LATENCY_MS;
        ep[i] = group_join(daemon, c, i, &media);
    }
    group_assert_all_media(ep, c, N_PARTIES);
    g_test_message("all %u endpoints decode each other %.1f s after the first join", N_PARTIES,
                   (g_get_monotonic_time() - t0) / 1e6);

    /* the last joiner's decode branches drain what queued while they were
     * linked (seen: up to 3 s of audio at once): measure after that */
    cg_test_run_for(SETTLE_MS);

    static Window w;
    memset(&w, 0, sizeof w);
    PairSnapshot prev[N_PARTIES][N_PARTIES];
    for (guint r = 0; r < N_PARTIES; r++) {
        snapshot_pub(ep[r], &w.pub_start[r]);
        cg_rtc_peer_reset_frame_gaps(cg_test_endpoint_peer(ep[r]));
        for (guint s = 0; s < N_PARTIES; s++)
            if (r != s)
                snapshot_pair(ep[r], c->ids[s], &w.start[r][s]);
    }
    memcpy(prev, w.start, sizeof prev);
    gint64 start = g_get_monotonic_time();
    for (guint i = 0; i < WINDOW_SLICES; i++)
        run_slice(ep, c, &w, prev);
    gint64 end = g_get_monotonic_time();

    for (guint r = 0; r < N_PARTIES; r++)
        for (guint s = 0; s < N_PARTIES; s++)
            if (r != s)
                check_pair(ep, c, &w, r, s, start, end);
    for (guint s = 0; s < N_PARTIES; s++)
        check_publisher(ep, c, &w, s);
    for (guint i = 0; i < N_PARTIES; i++)
        cg_test_endpoint_free(ep[i]);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    Netem n;
    if (!netem_from_env(&n)) {
        /* GLib reports a g_test_skip() as success; CTest's skip code is 77 */
        fprintf(stderr, "SKIP: not in a shaped network namespace (CTest runs this test through "
                        "tests/integration/group/in-netns.sh)\n");
        return 77;
    }
    g_test_add_func("/group/netem", test_poor_network);
    return g_test_run();
}
