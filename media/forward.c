/* forward.c — the relay's packet paths (relay-private.h): RTP fan-out,
 * the publisher's RTCP, subscribers' feedback, key frames, receiver reports.
 */
#include "relay-private.h"

#include <string.h>

#define KEYFRAME_RETRY_US ((gint64)CG_MEDIA_KEYFRAME_RETRY_MS * 1000)
#define RTCP_BUF (512u + CG_PEER_CONN_SEND_OVERHEAD)

/* May @sub receive media of @kind now? */
static gboolean sub_open(const CgPc *sub, guint kind, gboolean rtx)
{
    const CgEndpoint *se = sub->ep;
    if (!sub->up || !sub->accepts[kind] || (rtx && !sub->accepts_rtx[kind]))
        return FALSE;
    if (se->bad || se->stopped || (kind != CG_KIND_AUDIO && se->video_paused) ||
        (kind == CG_KIND_AUDIO && se->no_relayed_audio_in))
        return FALSE;
    /* an endpoint whose own publish connection is offered but not verified
     * receives nothing either */
    return !se->offer || se->publish->up;
}

/* ---- key frames --------------------------------------------------------- */

static void send_keyframe_request(CgEndpoint *pub, CgStream *v, gint64 now)
{
    CgPc *pc = pub->publish;
    if (!pc || !pc->up || !v->present || !v->ssrc)
        return; /* asked again when its first video packet arrives */
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, NULL, 0);
    /* PLI unless the publisher only understands FIR */
    if ((v->feedback & CG_SDP_FB_FIR) && !(v->feedback & CG_SDP_FB_PLI))
        n += cg_rtcp_build_fir(buf + n, sizeof buf - n, pc->rtcp_ssrc, v->ssrc, ++v->fir_seq);
    else
        n += cg_rtcp_build_pli(buf + n, sizeof buf - n, pc->rtcp_ssrc, v->ssrc);
    if (cg_peer_conn_send_rtcp(pc->conn, buf, n, sizeof buf)) {
        v->keyframe_asked_us = now;
        pub->keyframe_requests++;
    }
}

static void ask_stream_keyframe(CgEndpoint *pub, CgStream *v, gint64 now)
{
    if (!v->present)
        return;
    v->keyframe_wanted = TRUE;
    if (now - v->keyframe_asked_us >= KEYFRAME_RETRY_US) /* coalesced */
        send_keyframe_request(pub, v, now);
}

void cg_forward_ask_keyframe(CgEndpoint *pub)
{
    gint64 now = cg_relay_now(pub->relay);
    ask_stream_keyframe(pub, &pub->streams[CG_KIND_VIDEO], now);
    ask_stream_keyframe(pub, &pub->streams[CG_KIND_SCREEN], now);
}

/* Each video packet of a publisher while a key frame is wanted: did it come,
 * or is it time to ask again? */
static void keyframe_watch(CgEndpoint *ep, CgStream *v, const CgRtpHeader *h, gboolean rtx)
{
    /* an RTX payload is the original sequence number, then the original
     * payload (RFC 4588 4): a key frame may come back as a retransmission */
    gsize skip = rtx ? 2 : 0;
    if (h->payload_length >= skip &&
        cg_rtp_vp8_is_keyframe_start(h->data + h->payload_offset + skip,
                                     h->payload_length - skip)) {
        v->keyframe_wanted = FALSE;
        return;
    }
    gint64 now = cg_relay_now(ep->relay);
    if (now - v->keyframe_asked_us >= KEYFRAME_RETRY_US)
        send_keyframe_request(ep, v, now);
}

/* ---- fan-out ------------------------------------------------------------ */

/* Sends @packet (RTP, or RTCP if @rtcp) to each of @ep's subscribe
 * connections open to @kind (-1: to either kind). Protect works in place:
 * every receiver but the last gets a copy. */
static void fan_out(CgEndpoint *ep, guint8 *packet, gsize len, gsize capacity, gboolean rtcp,
                    gint kind, gboolean rtx)
{
    CgMedia *relay = ep->relay;
    CgPc *last = NULL;
    for (guint i = 0; i < ep->fanout->len; i++) {
        CgPc *sub = g_ptr_array_index(ep->fanout, i);
        gboolean open = kind >= 0 ? sub_open(sub, (guint)kind, rtx)
                                  : sub_open(sub, CG_KIND_AUDIO, FALSE) ||
                                        sub_open(sub, CG_KIND_VIDEO, FALSE) ||
                                        sub_open(sub, CG_KIND_SCREEN, FALSE);
        if (!open)
            continue;
        if (last) {
            memcpy(relay->scratch, packet, len);
            if (rtcp)
                cg_peer_conn_send_rtcp(last->conn, relay->scratch, len, sizeof relay->scratch);
            else
                cg_peer_conn_send_rtp(last->conn, relay->scratch, len, sizeof relay->scratch);
        }
        last = sub;
    }
    if (last && rtcp)
        cg_peer_conn_send_rtcp(last->conn, packet, len, capacity);
    else if (last)
        cg_peer_conn_send_rtp(last->conn, packet, len, capacity);
}

/* ---- RTP from a publisher ----------------------------------------------- */

/* Which of the publisher's streams a packet belongs to: by the SSRCs its
 * offer signalled (camera and screen share the VP8 payload type), else by
 * payload type among the streams whose SSRC was not signalled. */
static gboolean classify(const CgEndpoint *ep, const CgRtpHeader *h, guint *kind, gboolean *rtx)
{
    for (guint k = 0; k < CG_N_KINDS; k++) {
        const CgStream *s = &ep->streams[k];
        if (!s->present || !s->ssrc_signalled)
            continue;
        if (h->ssrc == s->ssrc || (s->rtx_ssrc && h->ssrc == s->rtx_ssrc)) {
            *kind = k;
            *rtx = h->ssrc != s->ssrc;
            return *rtx ? s->rtx_pt >= 0 && h->payload_type == (guint)s->rtx_pt
                        : h->payload_type == s->pt;
        }
    }
    for (guint k = 0; k < CG_N_KINDS; k++) {
        const CgStream *s = &ep->streams[k];
        if (!s->present || s->ssrc_signalled)
            continue;
        if (h->payload_type == s->pt || (s->rtx_pt >= 0 && h->payload_type == (guint)s->rtx_pt)) {
            *kind = k;
            *rtx = h->payload_type != s->pt;
            return TRUE;
        }
    }
    return FALSE;
}

static void account(CgStream *s, const CgRtpHeader *h, gint64 now_us)
{
    s->ssrc = h->ssrc;
    s->seen = TRUE;
    guint64 now = (guint64)now_us;
    guint32 arrival = (guint32)(now * s->clock_rate / G_USEC_PER_SEC);
    cg_rtp_recv_stats_update(&s->stats, h->sequence, h->timestamp, arrival);
}

/* Louder than this counts as speech even without the V flag: not every
 * sender runs voice activity detection (GStreamer's level element does not). */
#define SPEECH_MAX_DBOV 50u

/* RFC 6464: the publisher's encoder says how loud a packet is and whether it
 * carries voice. */
static void note_voice(CgEndpoint *ep, const CgRtpHeader *h)
{
    guint id = ep->streams[CG_KIND_AUDIO].audio_level_ext;
    guint8 level;
    gboolean voice;
    if (!id || !cg_rtp_audio_level(h, id, &level, &voice) || (!voice && level > SPEECH_MAX_DBOV))
        return;
    if (!ep->spoke || level < ep->loudest)
        ep->loudest = level;
    ep->spoke = TRUE;
}

void cg_forward_pub_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    CgPc *pc = user;
    CgEndpoint *ep = pc->ep;
    CgRtpHeader h;
    guint kind;
    gboolean rtx;
    if (ep->bad || ep->stopped || !cg_rtp_parse(packet, len, &h) || !classify(ep, &h, &kind, &rtx))
        return;
    CgStream *s = &ep->streams[kind];
    if (!rtx)
        account(s, &h, cg_relay_now(ep->relay));
    if (kind != CG_KIND_AUDIO) {
        if (s->keyframe_wanted)
            keyframe_watch(ep, s, &h, rtx);
    } else {
        note_voice(ep, &h);
        if (ep->audio_muted)
            return;
        /* into the mixes it feeds, before fan_out protects it in place; an
         * endpoint in no mix pays this one test */
        if (ep->mix_path) {
            if (ep->feeds && !rtx)
                cg_mix_route_tap(ep, packet, len);
            if (ep->audio_unrelayed)
                return;
        }
    }
    fan_out(ep, packet, len, capacity, FALSE, (gint)kind, rtx);
}

/* ---- RTCP from a publisher ---------------------------------------------- */

/* Its sender reports (with SDES and BYE in the same compound) go to every
 * subscriber: receivers need them for lip sync. */
void cg_forward_pub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    CgPc *pc = user;
    CgEndpoint *ep = pc->ep;
    if (ep->bad || ep->stopped || !cg_rtcp_validate(packet, len))
        return;
    CgRtcpIter it;
    CgRtcpPacket p;
    gboolean has_sr = FALSE;
    cg_rtcp_iter_init(&it, packet, len);
    while (cg_rtcp_iter_next(&it, &p)) {
        CgRtcpSenderReport sr;
        if (p.type != CG_RTCP_TYPE_SR || !cg_rtcp_parse_sr(&p, &sr))
            continue;
        has_sr = TRUE;
        for (guint k = 0; k < CG_N_KINDS; k++)
            if (ep->streams[k].present && ep->streams[k].ssrc == sr.ssrc) {
                ep->streams[k].sr_lsr = cg_rtcp_ntp_middle(sr.ntp_time);
                ep->streams[k].sr_arrival_us = cg_relay_now(ep->relay);
            }
    }
    if (has_sr)
        fan_out(ep, packet, len, capacity, TRUE, -1, FALSE);
}

/* ---- feedback from a subscriber ----------------------------------------- */

/* The video stream of @pub that @media_ssrc names: the screen share's, or
 * the camera's (also for an SSRC we do not know). */
static guint video_kind_of(const CgEndpoint *pub, guint32 media_ssrc)
{
    const CgStream *screen = &pub->streams[CG_KIND_SCREEN];
    return screen->present && media_ssrc && media_ssrc == screen->ssrc ? CG_KIND_SCREEN
                                                                       : CG_KIND_VIDEO;
}

/* A subscriber's PLI or FIR: a key frame of the stream it names. */
static void keyframe_asked_by(CgEndpoint *pub, const CgRtcpPacket *p)
{
    guint32 sender = 0, media_ssrc = 0;
    CgRtcpFir fir;
    if (!cg_rtcp_parse_pli(p, &sender, &media_ssrc)) {
        if (!cg_rtcp_parse_fir(p, &fir) || fir.n_entries == 0)
            return;
        media_ssrc = fir.entries[0].ssrc;
    }
    ask_stream_keyframe(pub, &pub->streams[video_kind_of(pub, media_ssrc)],
                        cg_relay_now(pub->relay));
}

/* A NACK goes to the publisher as it is, behind an empty RR of ours. Only
 * with RTX: a retransmission on the media SSRC would repeat an SRTP index,
 * which the outbound contexts refuse. */
static void forward_nack(CgPc *sub, CgEndpoint *pub, const CgRtcpPacket *p)
{
    CgPc *pc = pub->publish;
    CgRtcpNack nack;
    if (!cg_rtcp_parse_nack(p, &nack))
        return;
    guint kind = video_kind_of(pub, nack.media_ssrc);
    /* only the video streams can be repaired (audio has FEC, no RTX): a NACK
     * for any other SSRC would make the publisher work for nothing */
    if (!pub->streams[kind].ssrc || nack.media_ssrc != pub->streams[kind].ssrc)
        return;
    if (!sub->accepts_rtx[kind] || pub->streams[kind].rtx_pt < 0 || !pc->up ||
        p->packet_len > RTCP_BUF - CG_PEER_CONN_SEND_OVERHEAD - 8)
        return;
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, NULL, 0);
    memcpy(buf + n, p->packet, p->packet_len);
    cg_peer_conn_send_rtcp(pc->conn, buf, n + p->packet_len, sizeof buf);
}

/* One report block of @receiver about @pub's stream: loss, jitter, and the
 * round trip when it answers a sender report we forwarded (RFC 3550 6.4.1:
 * we forwarded it as it arrived, so its arrival time is our send time). */
static void note_report_block(CgEndpoint *receiver, CgEndpoint *pub, const CgRtcpReportBlock *b,
                              gint64 now)
{
    for (guint k = 0; k < CG_N_KINDS; k++) {
        const CgStream *s = &pub->streams[k];
        if (!s->present || !s->seen || s->ssrc != b->ssrc)
            continue;
        receiver->out_loss_sum += b->fraction_lost * 100.0 / 256.0;
        receiver->out_loss_n++;
        receiver->out_jitter_sum_ms += b->jitter * 1000.0 / s->clock_rate;
        receiver->out_jitter_n++;
        if (b->lsr && b->lsr == s->sr_lsr) {
            gint64 rtt = now - s->sr_arrival_us - (gint64)b->dlsr * G_USEC_PER_SEC / 65536;
            if (rtt >= 0) {
                receiver->rtt_sum_ms += rtt / 1000.0;
                receiver->rtt_n++;
            }
        }
    }
}

static void note_receiver_report(CgPc *sub, CgEndpoint *pub, const CgRtcpPacket *p)
{
    CgRtcpReceiverReport rr;
    CgRtcpSenderReport sr;
    const CgRtcpReportBlock *blocks = NULL;
    guint n = 0;
    if (p->type == CG_RTCP_TYPE_RR && cg_rtcp_parse_rr(p, &rr))
        blocks = rr.blocks, n = rr.n_blocks;
    else if (p->type == CG_RTCP_TYPE_SR && cg_rtcp_parse_sr(p, &sr))
        blocks = sr.blocks, n = sr.n_blocks;
    gint64 now = cg_relay_now(pub->relay);
    for (guint i = 0; i < n; i++)
        note_report_block(sub->ep, pub, &blocks[i], now);
}

void cg_forward_sub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    (void)capacity;
    CgPc *sub = user;
    CgEndpoint *pub = cg_relay_lookup(sub->relay, sub->publisher);
    if (!pub || !pub->publish || pub->bad || sub->ep->bad || !cg_rtcp_validate(packet, len))
        return;
    CgRtcpIter it;
    CgRtcpPacket p;
    cg_rtcp_iter_init(&it, packet, len);
    while (cg_rtcp_iter_next(&it, &p)) {
        CgRtcpRemb remb;
        switch (cg_rtcp_feedback_kind(&p)) {
        case CG_RTCP_FB_NACK:
            forward_nack(sub, pub, &p);
            break;
        case CG_RTCP_FB_PLI:
        case CG_RTCP_FB_FIR:
            if (!sub->ep->video_paused)
                keyframe_asked_by(pub, &p);
            break;
        case CG_RTCP_FB_REMB:
            /* one receiver's estimate, raised to the floor: however low it
             * says, it cannot pin the publisher below that for the others;
             * one in audio-only mode receives no video, so it has no say */
            if (!sub->ep->video_paused && cg_rtcp_parse_remb(&p, &remb) && remb.bitrate > 0) {
                guint64 bps = MAX(remb.bitrate, (guint64)CG_MEDIA_REMB_FLOOR_KBPS * 1000);
                if (pub->remb_min == 0 || bps < pub->remb_min)
                    pub->remb_min = bps;
            }
            break;
        default:
            if (p.type == CG_RTCP_TYPE_RR || p.type == CG_RTCP_TYPE_SR)
                note_receiver_report(sub, pub, &p);
            break;
        }
    }
}

/* ---- receiver reports and REMB to publishers ---------------------------- */

static void report_to(CgEndpoint *ep, gint64 now)
{
    CgPc *pc = ep->publish;
    if (!pc || !pc->up || ep->bad || ep->stopped)
        return;
    CgRtcpReportBlock blocks[CG_N_KINDS];
    guint32 ssrcs[CG_N_KINDS];
    guint n_blocks = 0;
    for (guint k = 0; k < CG_N_KINDS; k++) {
        CgStream *s = &ep->streams[k];
        if (!s->present || !s->seen)
            continue;
        guint32 dlsr = s->sr_lsr ? cg_rtcp_dlsr_from_us((guint64)(now - s->sr_arrival_us)) : 0;
        cg_rtp_recv_stats_report(&s->stats, s->ssrc, s->sr_lsr, dlsr, &blocks[n_blocks]);
        s->fraction_lost = blocks[n_blocks].fraction_lost;
        s->jitter = blocks[n_blocks].jitter;
        ssrcs[n_blocks++] = s->ssrc;
    }
    if (n_blocks == 0)
        return;
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, blocks, n_blocks);
    /* the slowest subscriber's estimate (never below CG_MEDIA_REMB_FLOOR_KBPS),
     * never above the consult's cap */
    guint64 remb = ep->remb_min;
    guint64 cap = (guint64)ep->video_cap_kbps * 1000;
    if (cap && (!remb || remb > cap))
        remb = cap;
    if (remb > 0)
        n += cg_rtcp_build_remb(buf + n, sizeof buf - n, pc->rtcp_ssrc, remb, ssrcs, n_blocks);
    ep->remb_min = 0;
    cg_peer_conn_send_rtcp(pc->conn, buf, n, sizeof buf);
}

void cg_forward_reports(CgMedia *relay)
{
    gint64 now = cg_relay_now(relay);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        report_to(value, now);
}

/* ---- speech and statistics for the caller ------------------------------- */

void cg_forward_speech(CgMedia *relay)
{
    GArray *spoke = g_array_new(FALSE, FALSE, sizeof(CgEndpointId));
    GArray *levels = g_array_new(FALSE, FALSE, sizeof(guint));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *ep = value;
        if (ep->spoke && !ep->audio_muted && !ep->bad && !ep->stopped) {
            guint level = ep->loudest;
            g_array_append_val(spoke, ep->id);
            g_array_append_val(levels, level);
        }
        ep->spoke = FALSE;
    }
    /* events last: a handler may remove endpoints */
    for (guint i = 0; i < spoke->len && relay->events.endpoint_speaking; i++)
        relay->events.endpoint_speaking(relay->user, g_array_index(spoke, CgEndpointId, i),
                                        g_array_index(levels, guint, i));
    g_array_unref(spoke);
    g_array_unref(levels);
}

static double mean_or_unknown(double sum, guint n)
{
    return n ? sum / n : -1.0;
}

static gboolean endpoint_stats(CgEndpoint *ep, gint64 now, CgMediaStats *out)
{
    CgPeerConnCounters c;
    guint64 in = 0, out_bytes = 0;
    gboolean up = ep->publish && ep->publish->up;
    if (ep->publish) {
        cg_peer_conn_counters(ep->publish->conn, &c);
        in = c.bytes_in;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ep->subs);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPc *sub = value;
        cg_peer_conn_counters(sub->conn, &c);
        out_bytes += c.bytes_out;
        up |= sub->up;
    }
    double seconds = ep->stats_at_us ? (now - ep->stats_at_us) / (double)G_USEC_PER_SEC : 0;
    gboolean report = up && seconds > 0 && !ep->bad && !ep->stopped;
    if (report) {
        const CgStream *a = &ep->streams[CG_KIND_AUDIO], *v = &ep->streams[CG_KIND_VIDEO];
        const CgStream *j = a->present && a->seen ? a : v;
        guint n = (a->present && a->seen) + (v->present && v->seen);
        *out = (CgMediaStats){
            .in_kbps = (in - ep->stats_bytes_in) * 8.0 / 1000.0 / seconds,
            .in_loss_pct =
                n ? ((a->seen ? a->fraction_lost : 0) + (v->seen ? v->fraction_lost : 0)) * 100.0 /
                        256.0 / n
                  : -1.0,
            .in_jitter_ms = j->present && j->seen ? j->jitter * 1000.0 / j->clock_rate : -1.0,
            .out_kbps = (out_bytes - ep->stats_bytes_out) * 8.0 / 1000.0 / seconds,
            .out_loss_pct = mean_or_unknown(ep->out_loss_sum, ep->out_loss_n),
            .out_jitter_ms = mean_or_unknown(ep->out_jitter_sum_ms, ep->out_jitter_n),
            .rtt_ms = mean_or_unknown(ep->rtt_sum_ms, ep->rtt_n),
        };
    }
    ep->stats_bytes_in = in;
    ep->stats_bytes_out = out_bytes;
    ep->stats_at_us = now;
    ep->out_loss_sum = ep->out_jitter_sum_ms = ep->rtt_sum_ms = 0;
    ep->out_loss_n = ep->out_jitter_n = ep->rtt_n = 0;
    return report;
}

typedef struct {
    CgEndpointId ep;
    CgMediaStats stats;
} CgStatsOut;

void cg_forward_stats(CgMedia *relay)
{
    gint64 now = cg_relay_now(relay);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(CgStatsOut));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgStatsOut s = {.ep = ((CgEndpoint *)value)->id};
        if (endpoint_stats(value, now, &s.stats))
            g_array_append_val(out, s);
    }
    for (guint i = 0; i < out->len && relay->events.endpoint_stats; i++) {
        CgStatsOut *s = &g_array_index(out, CgStatsOut, i);
        relay->events.endpoint_stats(relay->user, s->ep, &s->stats);
    }
    g_array_unref(out);
}
