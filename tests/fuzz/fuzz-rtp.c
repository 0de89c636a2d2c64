/* fuzz-rtp.c — fuzz target for media/transport/rtp_packet.c.
 *
 * Every input goes through the RTP parser and the RTCP iterator (whatever
 * cg_packet_classify() says), and its bytes drive the receive statistics.
 * Besides "no crash, no over-read, no UB" it checks: a parsed RTP header's
 * regions tile the packet and survive the in-place setters; every RTCP
 * packet lies inside the datagram; each parser that accepts a packet agrees
 * with cg_rtcp_feedback_kind(); and what the builders make of a parsed RR,
 * NACK, PLI, FIR or REMB parses back to the same thing. */
#include "fuzz.h"
#include "rtp_packet.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static CgRtcpPacket reparse(const guint8 *buf, gsize len)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    CHECK(len > 0 && cg_rtcp_validate(buf, len));
    cg_rtcp_iter_init(&it, buf, len);
    CHECK(cg_rtcp_iter_next(&it, &p));
    return p;
}

static void check_rtp(const guint8 *data, gsize size)
{
    CgRtpHeader h;
    if (!cg_rtp_parse(data, size, &h)) {
        CHECK(h.data == NULL && h.payload_length == 0);
        return;
    }
    CHECK(cg_packet_classify(data, size) == CG_PACKET_RTP);
    CHECK(h.payload_offset + h.payload_length + h.padding_length == size);
    CHECK(h.payload_offset >= CG_RTP_HEADER_BYTES + 4u * h.csrc_count);
    CHECK(h.ext_offset + h.ext_length <= h.payload_offset);
    for (guint id = 0; id <= 256; id++) {
        const guint8 *v;
        gsize n;
        if (cg_rtp_extension_find(&h, id, &v, &n))
            CHECK(v >= data + h.ext_offset && v + n <= data + h.ext_offset + h.ext_length);
    }
    guint8 level;
    if (cg_rtp_audio_level(&h, 1, &level, NULL))
        CHECK(level <= 127);
    (void)cg_rtp_csrc(&h, h.csrc_count ? h.csrc_count - 1u : 0);
    (void)cg_rtp_vp8_is_keyframe_start(data + h.payload_offset, h.payload_length);

    /* the setters change the fields and nothing else the parser sees */
    guint8 *copy = g_memdup2(data, size);
    CgRtpHeader after;
    CHECK(cg_rtp_set_ssrc(copy, size, ~h.ssrc) && cg_rtp_set_sequence(copy, size, 7));
    CHECK(cg_rtp_set_timestamp(copy, size, 9) && cg_rtp_set_payload_type(copy, size, 111));
    CHECK(cg_rtp_parse(copy, size, &after));
    CHECK(after.ssrc == ~h.ssrc && after.sequence == 7 && after.timestamp == 9);
    CHECK(after.payload_type == 111 && after.marker == h.marker);
    CHECK(after.payload_offset == h.payload_offset && after.payload_length == h.payload_length);
    CHECK(memcmp(copy + 12, data + 12, size - 12) == 0);
    g_free(copy);
}

static gboolean has_seq(const CgRtcpNack *n, guint16 seq)
{
    for (guint i = 0; i < n->n_seqs; i++)
        if (n->seqs[i] == seq)
            return TRUE;
    return FALSE;
}

static void round_trip_nack(const CgRtcpNack *nack)
{
    guint8 buf[CG_RTCP_NACK_MAX_BYTES];
    CgRtcpNack again;
    if (nack->truncated)
        return;
    gsize n = cg_rtcp_build_nack(buf, sizeof buf, nack->sender_ssrc, nack->media_ssrc, nack->seqs,
                                 nack->n_seqs);
    CgRtcpPacket p = reparse(buf, n);
    CHECK(cg_rtcp_parse_nack(&p, &again) && !again.truncated);
    CHECK(again.sender_ssrc == nack->sender_ssrc && again.media_ssrc == nack->media_ssrc);
    /* the same set of seqs (packing may drop repeats and reorder) */
    for (guint i = 0; i < nack->n_seqs; i++)
        CHECK(has_seq(&again, nack->seqs[i]));
    for (guint i = 0; i < again.n_seqs; i++)
        CHECK(has_seq(nack, again.seqs[i]));
}

static void round_trip_rr(const CgRtcpReceiverReport *rr)
{
    guint8 buf[CG_RTCP_RR_MAX_BYTES];
    CgRtcpReceiverReport again;
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, rr->ssrc, rr->blocks, rr->n_blocks);
    CgRtcpPacket p = reparse(buf, n);
    CHECK(cg_rtcp_parse_rr(&p, &again) && again.ssrc == rr->ssrc);
    CHECK(again.n_blocks == rr->n_blocks);
    for (guint i = 0; i < rr->n_blocks; i++) {
        const CgRtcpReportBlock *a = &rr->blocks[i], *b = &again.blocks[i];
        CHECK(a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost);
        CHECK(a->cumulative_lost == b->cumulative_lost && a->highest_seq == b->highest_seq);
        CHECK(a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr);
    }
}

static void round_trip_psfb(const CgRtcpPacket *p)
{
    guint8 buf[CG_RTCP_REMB_MAX_BYTES];
    guint32 sender, media, s2, m2;
    CgRtcpFir fir, fir2;
    CgRtcpRemb remb, remb2;
    CgRtcpPacket q;
    if (cg_rtcp_parse_pli(p, &sender, &media)) {
        CHECK(cg_rtcp_feedback_kind(p) == CG_RTCP_FB_PLI);
        q = reparse(buf, cg_rtcp_build_pli(buf, sizeof buf, sender, media));
        CHECK(cg_rtcp_parse_pli(&q, &s2, &m2) && s2 == sender && m2 == media);
    }
    if (cg_rtcp_parse_fir(p, &fir)) {
        CHECK(cg_rtcp_feedback_kind(p) == CG_RTCP_FB_FIR && fir.n_entries > 0);
        const CgRtcpFirEntry *e = &fir.entries[0];
        q = reparse(buf, cg_rtcp_build_fir(buf, sizeof buf, fir.sender_ssrc, e->ssrc, e->seq_nr));
        CHECK(cg_rtcp_parse_fir(&q, &fir2) && fir2.n_entries == 1);
        CHECK(fir2.entries[0].ssrc == e->ssrc && fir2.entries[0].seq_nr == e->seq_nr);
    }
    if (cg_rtcp_parse_remb(p, &remb)) {
        CHECK(cg_rtcp_feedback_kind(p) == CG_RTCP_FB_REMB);
        CHECK(remb.n_ssrcs <= CG_RTCP_MAX_REMB_SSRCS);
        if (remb.truncated || remb.bitrate == G_MAXUINT64)
            return; /* saturated: not representable again */
        q = reparse(buf, cg_rtcp_build_remb(buf, sizeof buf, remb.sender_ssrc, remb.bitrate,
                                            remb.ssrcs, remb.n_ssrcs));
        CHECK(cg_rtcp_parse_remb(&q, &remb2) && remb2.bitrate == remb.bitrate);
        CHECK(remb2.n_ssrcs == remb.n_ssrcs && remb2.sender_ssrc == remb.sender_ssrc);
        CHECK(memcmp(remb2.ssrcs, remb.ssrcs, remb.n_ssrcs * sizeof(guint32)) == 0);
    }
}

static void check_rtcp_packet(const CgRtcpPacket *p)
{
    CgRtcpSenderReport sr;
    CgRtcpReceiverReport rr;
    CgRtcpBye bye;
    CgRtcpNack nack;
    if (cg_rtcp_parse_sr(p, &sr))
        CHECK(sr.n_blocks <= CG_RTCP_MAX_REPORT_BLOCKS && sr.ssrc == p->ssrc);
    if (cg_rtcp_parse_rr(p, &rr))
        round_trip_rr(&rr);
    if (cg_rtcp_parse_bye(p, &bye)) {
        CHECK(bye.n_ssrcs <= CG_RTCP_MAX_BYE_SSRCS);
        CHECK(!bye.reason || bye.reason + bye.reason_len <= p->body + p->body_len);
    }
    if (cg_rtcp_parse_nack(p, &nack)) {
        CHECK(cg_rtcp_feedback_kind(p) == CG_RTCP_FB_NACK && nack.n_seqs > 0);
        round_trip_nack(&nack);
    }
    round_trip_psfb(p);
}

static void check_rtcp(const guint8 *data, gsize size)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    guint n = 0;
    cg_rtcp_iter_init(&it, data, size);
    while (cg_rtcp_iter_next(&it, &p)) {
        CHECK(p.packet >= data && p.packet + p.packet_len <= data + size);
        CHECK(p.body == p.packet + 4 && p.body + p.body_len <= p.packet + p.packet_len);
        CHECK(p.type >= 192 && p.type <= 223);
        check_rtcp_packet(&p);
        n++;
    }
    CHECK(!cg_rtcp_iter_next(&it, &p)); /* stays over */
    CHECK(cg_rtcp_validate(data, size) == (n > 0 && !cg_rtcp_iter_failed(&it)));
    if (n > 0)
        CHECK(cg_packet_classify(data, size) == CG_PACKET_RTCP);
}

/* The input as (seq, ts, arrival) records through the receive statistics. */
static void check_stats(const guint8 *data, gsize size)
{
    CgRtpRecvStats s = {0};
    CgRtcpReportBlock b;
    for (gsize off = 0; size - off >= 10; off += 10) {
        const guint8 *r = data + off;
        guint32 ts = ((guint32)r[2] << 24) | ((guint32)r[3] << 16) | ((guint32)r[4] << 8) | r[5];
        guint32 at = ((guint32)r[6] << 24) | ((guint32)r[7] << 16) | ((guint32)r[8] << 8) | r[9];
        cg_rtp_recv_stats_update(&s, (guint16)((r[0] << 8) | r[1]), ts, at);
        if (r[9] & 1) {
            cg_rtp_recv_stats_report(&s, 1, 0, 0, &b);
            CHECK(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7fffff);
            CHECK(b.highest_seq == cg_rtp_recv_stats_extended_max(&s));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    (void)cg_packet_classify(data, size);
    (void)cg_rtp_vp8_is_keyframe_start(data, size);
    check_rtp(data, size);
    check_rtcp(data, size);
    check_stats(data, size);
    return 0;
}
