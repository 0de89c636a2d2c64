/* lean_forward.c — the lean relay's packet paths (lean_relay.h): RTP fan-out,
 * the publisher's RTCP, subscribers' feedback, key frames, receiver reports.
 */
#include "lean-relay-private.h"

#include <string.h>

#define KEYFRAME_RETRY_US ((gint64)CG_MEDIA_KEYFRAME_RETRY_MS * 1000)
#define RTCP_BUF (512u + CG_LEAN_CONN_SEND_OVERHEAD)

/* May @sub receive media of @kind now? */
static gboolean sub_open(const LeanPc *sub, guint kind, gboolean rtx)
{
    const LeanEndpoint *se = sub->ep;
    if (!sub->up || !sub->accepts[kind] || (rtx && !sub->accepts_rtx))
        return FALSE;
    if (se->bad || se->stopped || (kind == LEAN_VIDEO && se->video_paused))
        return FALSE;
    /* an endpoint whose own publish connection is offered but not verified
     * receives nothing either */
    return !se->offer || se->pub->up;
}

/* ---- key frames --------------------------------------------------------- */

static void send_keyframe_request(LeanEndpoint *pub, gint64 now)
{
    LeanStream *v = &pub->streams[LEAN_VIDEO];
    LeanPc *pc = pub->pub;
    if (!pc || !pc->up || !v->present || !v->ssrc)
        return; /* asked again when its first video packet arrives */
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, NULL, 0);
    /* PLI unless the publisher only understands FIR */
    if ((v->feedback & CG_LEAN_SDP_FB_FIR) && !(v->feedback & CG_LEAN_SDP_FB_PLI))
        n += cg_rtcp_build_fir(buf + n, sizeof buf - n, pc->rtcp_ssrc, v->ssrc, ++v->fir_seq);
    else
        n += cg_rtcp_build_pli(buf + n, sizeof buf - n, pc->rtcp_ssrc, v->ssrc);
    if (cg_lean_conn_send_rtcp(pc->conn, buf, n, sizeof buf)) {
        pub->keyframe_asked_us = now;
        pub->keyframe_requests++;
    }
}

void cg_lean_forward_ask_keyframe(LeanEndpoint *pub)
{
    gint64 now = g_get_monotonic_time();
    pub->keyframe_wanted = TRUE;
    if (now - pub->keyframe_asked_us >= KEYFRAME_RETRY_US) /* coalesced */
        send_keyframe_request(pub, now);
}

/* Each video packet of a publisher while a key frame is wanted: did it come,
 * or is it time to ask again? */
static void keyframe_watch(LeanEndpoint *ep, const CgRtpHeader *h)
{
    if (cg_rtp_vp8_is_keyframe_start(h->data + h->payload_offset, h->payload_length)) {
        ep->keyframe_wanted = FALSE;
        return;
    }
    gint64 now = g_get_monotonic_time();
    if (now - ep->keyframe_asked_us >= KEYFRAME_RETRY_US)
        send_keyframe_request(ep, now);
}

/* ---- RTP from a publisher ----------------------------------------------- */

static gboolean classify(const LeanEndpoint *ep, guint8 pt, guint *kind, gboolean *rtx)
{
    const LeanStream *a = &ep->streams[LEAN_AUDIO], *v = &ep->streams[LEAN_VIDEO];
    *rtx = FALSE;
    if (a->present && pt == a->pt)
        *kind = LEAN_AUDIO;
    else if (v->present && pt == v->pt)
        *kind = LEAN_VIDEO;
    else if (v->present && v->rtx_pt >= 0 && pt == (guint)v->rtx_pt)
        *kind = LEAN_VIDEO, *rtx = TRUE;
    else
        return FALSE;
    return TRUE;
}

static void account(LeanStream *s, const CgRtpHeader *h)
{
    s->ssrc = h->ssrc;
    s->seen = TRUE;
    guint64 now = (guint64)g_get_monotonic_time();
    guint32 arrival = (guint32)(now * s->clock_rate / G_USEC_PER_SEC);
    cg_rtp_recv_stats_update(&s->stats, h->sequence, h->timestamp, arrival);
}

void cg_lean_forward_pub_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    LeanPc *pc = user;
    LeanEndpoint *ep = pc->ep;
    CgRtpHeader h;
    guint kind;
    gboolean rtx;
    if (ep->bad || ep->stopped || !cg_rtp_parse(packet, len, &h) ||
        !classify(ep, h.payload_type, &kind, &rtx))
        return;
    if (!rtx) {
        account(&ep->streams[kind], &h);
        if (kind == LEAN_VIDEO && ep->keyframe_wanted)
            keyframe_watch(ep, &h);
    }
    if (kind == LEAN_AUDIO && ep->audio_muted)
        return;
    /* Protect works in place: every receiver but the last gets a copy. */
    CgLeanRelay *relay = pc->relay;
    LeanPc *last = NULL;
    for (guint i = 0; i < ep->fanout->len; i++) {
        LeanPc *sub = g_ptr_array_index(ep->fanout, i);
        if (!sub_open(sub, kind, rtx))
            continue;
        if (last) {
            memcpy(relay->scratch, packet, len);
            cg_lean_conn_send_rtp(last->conn, relay->scratch, len, sizeof relay->scratch);
        }
        last = sub;
    }
    if (last)
        cg_lean_conn_send_rtp(last->conn, packet, len, capacity);
}

/* ---- RTCP from a publisher ---------------------------------------------- */

/* Its sender reports (with SDES and BYE in the same compound) go to every
 * subscriber: receivers need them for lip sync. */
void cg_lean_forward_pub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    LeanPc *pc = user;
    LeanEndpoint *ep = pc->ep;
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
        for (guint k = 0; k < LEAN_N_KINDS; k++)
            if (ep->streams[k].present && ep->streams[k].ssrc == sr.ssrc) {
                ep->streams[k].sr_lsr = cg_rtcp_ntp_middle(sr.ntp_time);
                ep->streams[k].sr_arrival_us = g_get_monotonic_time();
            }
    }
    if (!has_sr)
        return;
    CgLeanRelay *relay = pc->relay;
    LeanPc *last = NULL;
    for (guint i = 0; i < ep->fanout->len; i++) {
        LeanPc *sub = g_ptr_array_index(ep->fanout, i);
        if (!sub_open(sub, LEAN_AUDIO, FALSE) && !sub_open(sub, LEAN_VIDEO, FALSE))
            continue;
        if (last) {
            memcpy(relay->scratch, packet, len);
            cg_lean_conn_send_rtcp(last->conn, relay->scratch, len, sizeof relay->scratch);
        }
        last = sub;
    }
    if (last)
        cg_lean_conn_send_rtcp(last->conn, packet, len, capacity);
}

/* ---- feedback from a subscriber ----------------------------------------- */

/* A NACK goes to the publisher as it is, behind an empty RR of ours. Only
 * with RTX: a retransmission on the media SSRC would repeat an SRTP index,
 * which the outbound contexts refuse. */
static void forward_nack(LeanPc *sub, LeanEndpoint *pub, const CgRtcpPacket *p)
{
    LeanPc *pc = pub->pub;
    if (!sub->accepts_rtx || pub->streams[LEAN_VIDEO].rtx_pt < 0 || !pc->up ||
        p->packet_len > RTCP_BUF - CG_LEAN_CONN_SEND_OVERHEAD - 8)
        return;
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, NULL, 0);
    memcpy(buf + n, p->packet, p->packet_len);
    cg_lean_conn_send_rtcp(pc->conn, buf, n + p->packet_len, sizeof buf);
}

void cg_lean_forward_sub_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    (void)capacity;
    LeanPc *sub = user;
    LeanEndpoint *pub = cg_lean_relay_lookup(sub->relay, sub->publisher);
    if (!pub || !pub->pub || pub->bad || sub->ep->bad || !cg_rtcp_validate(packet, len))
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
                cg_lean_forward_ask_keyframe(pub);
            break;
        case CG_RTCP_FB_REMB:
            if (cg_rtcp_parse_remb(&p, &remb) && remb.bitrate > 0 &&
                (pub->remb_min == 0 || remb.bitrate < pub->remb_min))
                pub->remb_min = remb.bitrate;
            break;
        default:
            break;
        }
    }
}

/* ---- receiver reports and REMB to publishers ---------------------------- */

static void report_to(LeanEndpoint *ep, gint64 now)
{
    LeanPc *pc = ep->pub;
    if (!pc || !pc->up || ep->bad || ep->stopped)
        return;
    CgRtcpReportBlock blocks[LEAN_N_KINDS];
    guint32 ssrcs[LEAN_N_KINDS];
    guint n_blocks = 0;
    for (guint k = 0; k < LEAN_N_KINDS; k++) {
        LeanStream *s = &ep->streams[k];
        if (!s->present || !s->seen)
            continue;
        guint32 dlsr = s->sr_lsr ? cg_rtcp_dlsr_from_us((guint64)(now - s->sr_arrival_us)) : 0;
        cg_rtp_recv_stats_report(&s->stats, s->ssrc, s->sr_lsr, dlsr, &blocks[n_blocks]);
        ssrcs[n_blocks++] = s->ssrc;
    }
    if (n_blocks == 0)
        return;
    guint8 buf[RTCP_BUF];
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, pc->rtcp_ssrc, blocks, n_blocks);
    if (ep->remb_min > 0) /* the slowest subscriber's estimate */
        n += cg_rtcp_build_remb(buf + n, sizeof buf - n, pc->rtcp_ssrc, ep->remb_min, ssrcs,
                                n_blocks);
    ep->remb_min = 0;
    cg_lean_conn_send_rtcp(pc->conn, buf, n, sizeof buf);
}

void cg_lean_forward_reports(CgLeanRelay *relay)
{
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        report_to(value, now);
}
