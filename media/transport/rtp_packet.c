/* rtp_packet.c — see rtp_packet.h.
 *
 * Every read is preceded by a check against the bytes left, written as
 * "need > len - off" (never "off + need > len") so sizes from the wire
 * cannot overflow the comparison. */
#include "rtp_packet.h"

#include <string.h>

/* RFC 3550 A.1: forward jumps below MAX_DROPOUT are in order; backward ones
 * within MAX_MISORDER are reordering; anything else is a jump. */
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u
#define SEQ_MOD 65536u

static inline guint16 rd16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static inline guint32 rd24(const guint8 *p)
{
    return ((guint32)p[0] << 16) | ((guint32)p[1] << 8) | p[2];
}

static inline guint32 rd32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static inline void wr16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static inline void wr32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static inline gboolean rtcp_second_byte(guint8 b)
{
    return b >= 192 && b <= 223;
}

CgPacketKind cg_packet_classify(const guint8 *d, gsize len)
{
    g_return_val_if_fail(d != NULL || len == 0, CG_PACKET_UNKNOWN);
    if (len == 0)
        return CG_PACKET_UNKNOWN;
    if (d[0] <= 3)
        return CG_PACKET_STUN;
    if (d[0] >= 20 && d[0] <= 63)
        return CG_PACKET_DTLS;
    if (d[0] >= 128 && d[0] <= 191 && len >= 2)
        return rtcp_second_byte(d[1]) ? CG_PACKET_RTCP : CG_PACKET_RTP;
    return CG_PACKET_UNKNOWN;
}

/* RTP ------------------------------------------------------------------------ */

gboolean cg_rtp_parse(const guint8 *d, gsize len, CgRtpHeader *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    memset(out, 0, sizeof *out);
    g_return_val_if_fail(d != NULL || len == 0, FALSE);
    if (len < CG_RTP_HEADER_BYTES || (d[0] >> 6) != 2 || rtcp_second_byte(d[1]))
        return FALSE;

    CgRtpHeader h = {
        .data = d,
        .len = len,
        .padding = (d[0] & 0x20) != 0,
        .extension = (d[0] & 0x10) != 0,
        .csrc_count = d[0] & 0x0f,
        .marker = (d[1] & 0x80) != 0,
        .payload_type = d[1] & 0x7f,
        .sequence = rd16(d + 2),
        .timestamp = rd32(d + 4),
        .ssrc = rd32(d + 8),
    };
    gsize off = CG_RTP_HEADER_BYTES;
    if (4u * h.csrc_count > len - off)
        return FALSE;
    off += 4u * h.csrc_count;
    if (h.extension) {
        if (4 > len - off)
            return FALSE;
        h.ext_profile = rd16(d + off);
        h.ext_length = 4u * (gsize)rd16(d + off + 2);
        off += 4;
        if (h.ext_length > len - off)
            return FALSE;
        h.ext_offset = off;
        off += h.ext_length;
    }
    gsize end = len;
    if (h.padding) {
        /* the count includes itself, so 0 is malformed */
        guint8 pad = d[len - 1];
        if (pad == 0 || pad > len - off)
            return FALSE;
        h.padding_length = pad;
        end -= pad;
    }
    h.payload_offset = off;
    h.payload_length = end - off;
    *out = h;
    return TRUE;
}

guint32 cg_rtp_csrc(const CgRtpHeader *h, guint index)
{
    g_return_val_if_fail(h != NULL, 0);
    if (index >= h->csrc_count)
        return 0;
    return rd32(h->data + CG_RTP_HEADER_BYTES + 4u * index);
}

/* RFC 8285 4.2: ID(4) L(4), L + 1 data bytes; ID 0 is a padding byte; ID 15
 * ends processing of the block. */
static gboolean find_one_byte(const guint8 *p, gsize n, guint id, const guint8 **value,
                              gsize *value_len)
{
    gsize i = 0;
    while (i < n) {
        guint eid = p[i] >> 4;
        gsize elen = (gsize)(p[i] & 0x0f) + 1;
        i++;
        if (eid == 0)
            continue;
        if (eid == 15 || elen > n - i)
            return FALSE;
        if (eid == id) {
            *value = p + i;
            *value_len = elen;
            return TRUE;
        }
        i += elen;
    }
    return FALSE;
}

/* RFC 8285 4.3: ID(8) L(8), L data bytes; ID 0 is a padding byte. */
static gboolean find_two_byte(const guint8 *p, gsize n, guint id, const guint8 **value,
                              gsize *value_len)
{
    gsize i = 0;
    while (i < n) {
        guint eid = p[i];
        if (eid == 0) {
            i++;
            continue;
        }
        if (2 > n - i)
            return FALSE;
        gsize elen = p[i + 1];
        i += 2;
        if (elen > n - i)
            return FALSE;
        if (eid == id) {
            *value = p + i;
            *value_len = elen;
            return TRUE;
        }
        i += elen;
    }
    return FALSE;
}

gboolean cg_rtp_extension_find(const CgRtpHeader *h, guint id, const guint8 **value,
                               gsize *value_len)
{
    g_return_val_if_fail(h != NULL && value != NULL && value_len != NULL, FALSE);
    *value = NULL;
    *value_len = 0;
    if (!h->extension || id == 0)
        return FALSE;
    const guint8 *p = h->data + h->ext_offset;
    if (h->ext_profile == CG_RTP_EXT_PROFILE_ONE_BYTE)
        return id <= CG_RTP_EXT_ONE_BYTE_MAX_ID &&
               find_one_byte(p, h->ext_length, id, value, value_len);
    if ((h->ext_profile & 0xfff0) == CG_RTP_EXT_PROFILE_TWO_BYTE)
        return id <= CG_RTP_EXT_TWO_BYTE_MAX_ID &&
               find_two_byte(p, h->ext_length, id, value, value_len);
    return FALSE;
}

gboolean cg_rtp_audio_level(const CgRtpHeader *h, guint ext_id, guint8 *level, gboolean *voice)
{
    g_return_val_if_fail(h != NULL && level != NULL, FALSE);
    const guint8 *v;
    gsize n;
    if (!cg_rtp_extension_find(h, ext_id, &v, &n) || n < 1)
        return FALSE;
    /* RFC 6464 3: V(1) level(7); senders may pad the element, byte 0 counts */
    *level = v[0] & 0x7f;
    if (voice)
        *voice = (v[0] & 0x80) != 0;
    return TRUE;
}

static inline gboolean settable(const guint8 *d, gsize len)
{
    return d != NULL && len >= CG_RTP_HEADER_BYTES && (d[0] >> 6) == 2;
}

gboolean cg_rtp_set_ssrc(guint8 *d, gsize len, guint32 ssrc)
{
    if (!settable(d, len))
        return FALSE;
    wr32(d + 8, ssrc);
    return TRUE;
}

gboolean cg_rtp_set_sequence(guint8 *d, gsize len, guint16 seq)
{
    if (!settable(d, len))
        return FALSE;
    wr16(d + 2, seq);
    return TRUE;
}

gboolean cg_rtp_set_timestamp(guint8 *d, gsize len, guint32 timestamp)
{
    if (!settable(d, len))
        return FALSE;
    wr32(d + 4, timestamp);
    return TRUE;
}

gboolean cg_rtp_set_payload_type(guint8 *d, gsize len, guint8 pt)
{
    g_return_val_if_fail(pt < 64 || (pt > 95 && pt < 128), FALSE);
    if (!settable(d, len))
        return FALSE;
    d[1] = (guint8)((d[1] & 0x80) | pt);
    return TRUE;
}

gboolean cg_rtp_vp8_is_keyframe_start(const guint8 *p, gsize len)
{
    g_return_val_if_fail(p != NULL || len == 0, FALSE);
    /* descriptor byte 0: X R N S R PID(3) */
    if (len < 1 || !(p[0] & 0x10) || (p[0] & 0x07) != 0)
        return FALSE;
    gsize off = 1;
    if (p[0] & 0x80) {
        if (len < 2)
            return FALSE;
        guint8 x = p[1]; /* I L T K RSV(4) */
        off = 2;
        if (x & 0x80) {
            if (off >= len)
                return FALSE;
            off += (p[off] & 0x80) ? 2 : 1; /* M: 15-bit picture id */
        }
        if (x & 0x40)
            off++; /* TL0PICIDX */
        if (x & 0x30)
            off++; /* TID Y KEYIDX: one byte for T and/or K */
    }
    /* VP8 payload header byte 0: Size0(3) H VER(3) P; P is "inverse key frame" */
    return off < len && (p[off] & 0x01) == 0;
}

/* Receive statistics ----------------------------------------------------------- */

static void stats_restart(CgRtpRecvStats *s, guint16 seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1; /* matches no 16-bit seq */
    s->cycles = 0;
    s->received = 0;
    s->expected_prior = 0;
    s->received_prior = 0;
    s->started = 1;
}

static void stats_jitter(CgRtpRecvStats *s, guint32 rtp_ts, guint32 arrival)
{
    guint32 transit = arrival - rtp_ts;
    if (s->have_transit) {
        gint64 d = (gint32)(transit - s->transit);
        guint64 ad = (guint64)(d < 0 ? -d : d);
        /* J += (|D| - J) / 16, J kept scaled by 16; 64 bits so a wild D cannot wrap */
        guint64 j = (guint64)s->jitter + ad - (((guint64)s->jitter + 8) >> 4);
        s->jitter = (guint32)MIN(j, (guint64)G_MAXUINT32);
    }
    s->transit = transit;
    s->have_transit = 1;
}

gboolean cg_rtp_recv_stats_update(CgRtpRecvStats *s, guint16 seq, guint32 rtp_ts, guint32 arrival)
{
    g_return_val_if_fail(s != NULL, FALSE);
    if (!s->started) {
        stats_restart(s, seq);
    } else {
        guint16 udelta = (guint16)(seq - s->max_seq);
        if (udelta < MAX_DROPOUT) {
            if (seq < s->max_seq)
                s->cycles += SEQ_MOD; /* wrapped */
            s->max_seq = seq;
        } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
            if (seq != s->bad_seq) {
                s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
                return FALSE;
            }
            stats_restart(s, seq); /* two in a row: the sender restarted */
        }
        /* else: duplicate or reordered, counted but not a new maximum */
    }
    s->received++;
    stats_jitter(s, rtp_ts, arrival);
    return TRUE;
}

guint32 cg_rtp_recv_stats_extended_max(const CgRtpRecvStats *s)
{
    g_return_val_if_fail(s != NULL, 0);
    return s->cycles + s->max_seq;
}

void cg_rtp_recv_stats_report(CgRtpRecvStats *s, guint32 ssrc, guint32 lsr, guint32 dlsr,
                              CgRtcpReportBlock *out)
{
    g_return_if_fail(s != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->ssrc = ssrc;
    out->lsr = lsr;
    out->dlsr = dlsr;
    out->jitter = s->jitter >> 4;
    if (!s->started)
        return;
    guint32 ext_max = cg_rtp_recv_stats_extended_max(s);
    guint32 expected = ext_max - s->base_seq + 1;
    gint64 lost = (gint64)expected - s->received; /* negative with duplicates */
    out->cumulative_lost = (gint32)CLAMP(lost, -0x800000, 0x7fffff);
    out->highest_seq = ext_max;

    guint32 expected_interval = expected - s->expected_prior;
    guint32 received_interval = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    gint64 lost_interval = (gint64)expected_interval - received_interval;
    if (expected_interval != 0 && lost_interval > 0)
        /* A.3's formula gives 256 when all were lost: keep it in 8 bits */
        out->fraction_lost = (guint8)MIN((lost_interval << 8) / expected_interval, 255);
}

guint32 cg_rtcp_ntp_middle(guint64 ntp_time)
{
    return (guint32)(ntp_time >> 16);
}

guint32 cg_rtcp_dlsr_from_us(guint64 delay_us)
{
    if (delay_us > (G_MAXUINT64 >> 16))
        return G_MAXUINT32;
    return (guint32)MIN((delay_us << 16) / G_USEC_PER_SEC, (guint64)G_MAXUINT32);
}

/* RTCP: iterating ---------------------------------------------------------------- */

void cg_rtcp_iter_init(CgRtcpIter *it, const guint8 *d, gsize len)
{
    g_return_if_fail(it != NULL);
    it->data = d;
    it->len = d != NULL ? len : 0;
    it->offset = 0;
    it->failed = FALSE;
    g_return_if_fail(d != NULL || len == 0);
}

gboolean cg_rtcp_iter_next(CgRtcpIter *it, CgRtcpPacket *out)
{
    g_return_val_if_fail(it != NULL && out != NULL, FALSE);
    memset(out, 0, sizeof *out);
    if (it->failed || it->offset >= it->len)
        return FALSE;
    const guint8 *p = it->data + it->offset;
    gsize rem = it->len - it->offset;
    if (rem < CG_RTCP_HEADER_BYTES || (p[0] >> 6) != 2 || !rtcp_second_byte(p[1]))
        goto malformed;
    gsize plen = 4u * ((gsize)rd16(p + 2) + 1);
    if (plen > rem)
        goto malformed;
    gsize body_len = plen - CG_RTCP_HEADER_BYTES;
    gboolean padding = (p[0] & 0x20) != 0;
    if (padding) {
        /* RFC 3550 6.4.1: only the last packet of a compound is padded */
        guint8 pad = p[plen - 1];
        if (plen != rem || pad == 0 || pad > body_len)
            goto malformed;
        body_len -= pad;
    }
    out->type = p[1];
    out->count = p[0] & 0x1f;
    out->padding = padding;
    out->body = p + CG_RTCP_HEADER_BYTES;
    out->body_len = body_len;
    out->ssrc = body_len >= 4 ? rd32(out->body) : 0;
    out->packet = p;
    out->packet_len = plen;
    it->offset += plen;
    return TRUE;

malformed:
    it->failed = TRUE;
    return FALSE;
}

gboolean cg_rtcp_iter_failed(const CgRtcpIter *it)
{
    g_return_val_if_fail(it != NULL, TRUE);
    return it->failed;
}

gboolean cg_rtcp_validate(const guint8 *d, gsize len)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    guint n = 0;
    cg_rtcp_iter_init(&it, d, len);
    while (cg_rtcp_iter_next(&it, &p))
        n++;
    return n > 0 && !it.failed;
}

/* RTCP: parsers -------------------------------------------------------------------- */

static void read_report_block(const guint8 *p, CgRtcpReportBlock *b)
{
    guint32 lost = rd24(p + 5);
    b->ssrc = rd32(p);
    b->fraction_lost = p[4];
    /* 24-bit two's complement */
    b->cumulative_lost = (lost & 0x800000) ? (gint32)lost - 0x1000000 : (gint32)lost;
    b->highest_seq = rd32(p + 8);
    b->jitter = rd32(p + 12);
    b->lsr = rd32(p + 16);
    b->dlsr = rd32(p + 20);
}

/* @n blocks at @p, which has @avail bytes; extra bytes are profile extensions */
static gboolean read_report_blocks(const guint8 *p, gsize avail, guint n, CgRtcpReportBlock *blocks)
{
    if (24u * n > avail)
        return FALSE;
    for (guint i = 0; i < n; i++)
        read_report_block(p + 24u * i, &blocks[i]);
    return TRUE;
}

gboolean cg_rtcp_parse_sr(const CgRtcpPacket *p, CgRtcpSenderReport *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_blocks = 0;
    if (p->type != CG_RTCP_TYPE_SR || p->body_len < 24)
        return FALSE;
    const guint8 *b = p->body;
    if (!read_report_blocks(b + 24, p->body_len - 24, p->count, out->blocks))
        return FALSE;
    out->ssrc = rd32(b);
    out->ntp_time = ((guint64)rd32(b + 4) << 32) | rd32(b + 8);
    out->rtp_time = rd32(b + 12);
    out->packet_count = rd32(b + 16);
    out->octet_count = rd32(b + 20);
    out->n_blocks = p->count;
    return TRUE;
}

gboolean cg_rtcp_parse_rr(const CgRtcpPacket *p, CgRtcpReceiverReport *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_blocks = 0;
    if (p->type != CG_RTCP_TYPE_RR || p->body_len < 4)
        return FALSE;
    if (!read_report_blocks(p->body + 4, p->body_len - 4, p->count, out->blocks))
        return FALSE;
    out->ssrc = rd32(p->body);
    out->n_blocks = p->count;
    return TRUE;
}

gboolean cg_rtcp_parse_bye(const CgRtcpPacket *p, CgRtcpBye *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_ssrcs = 0;
    out->reason = NULL;
    out->reason_len = 0;
    gsize list = 4u * p->count;
    if (p->type != CG_RTCP_TYPE_BYE || list > p->body_len)
        return FALSE;
    if (p->body_len > list) {
        /* optional reason: length(8) text, then zero padding to a word */
        gsize rlen = p->body[list];
        if (rlen > p->body_len - list - 1)
            return FALSE;
        out->reason = rlen ? p->body + list + 1 : NULL;
        out->reason_len = rlen;
    }
    for (guint i = 0; i < p->count; i++)
        out->ssrcs[i] = rd32(p->body + 4u * i);
    out->n_ssrcs = p->count;
    return TRUE;
}

/* Feedback (RFC 4585 6.1): sender SSRC, media SSRC, then the FCI. */
static gboolean is_feedback(const CgRtcpPacket *p, guint8 type, guint8 fmt, gsize min_fci)
{
    return p->type == type && p->count == fmt && p->body_len >= 8 + min_fci;
}

static gboolean nack_add(CgRtcpNack *out, guint16 seq)
{
    if (out->n_seqs == CG_RTCP_MAX_NACK_SEQS) {
        out->truncated = TRUE;
        return FALSE;
    }
    out->seqs[out->n_seqs++] = seq;
    return TRUE;
}

static gboolean nack_add_entry(CgRtcpNack *out, guint16 pid, guint16 blp)
{
    if (!nack_add(out, pid))
        return FALSE;
    for (guint bit = 0; bit < 16; bit++)
        if ((blp & (1u << bit)) && !nack_add(out, (guint16)(pid + bit + 1)))
            return FALSE;
    return TRUE;
}

gboolean cg_rtcp_parse_nack(const CgRtcpPacket *p, CgRtcpNack *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_seqs = 0;
    out->truncated = FALSE;
    if (!is_feedback(p, CG_RTCP_TYPE_RTPFB, CG_RTCP_RTPFB_NACK, 4) || (p->body_len - 8) % 4)
        return FALSE;
    out->sender_ssrc = rd32(p->body);
    out->media_ssrc = rd32(p->body + 4);
    for (gsize off = 8; off < p->body_len; off += 4)
        if (!nack_add_entry(out, rd16(p->body + off), rd16(p->body + off + 2)))
            break;
    return TRUE;
}

gboolean cg_rtcp_parse_pli(const CgRtcpPacket *p, guint32 *sender_ssrc, guint32 *media_ssrc)
{
    g_return_val_if_fail(p != NULL && sender_ssrc != NULL && media_ssrc != NULL, FALSE);
    if (!is_feedback(p, CG_RTCP_TYPE_PSFB, CG_RTCP_PSFB_PLI, 0))
        return FALSE;
    *sender_ssrc = rd32(p->body);
    *media_ssrc = rd32(p->body + 4);
    return TRUE;
}

gboolean cg_rtcp_parse_fir(const CgRtcpPacket *p, CgRtcpFir *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_entries = 0;
    out->truncated = FALSE;
    /* FCI entries: SSRC(32) seq nr(8) reserved(24) */
    if (!is_feedback(p, CG_RTCP_TYPE_PSFB, CG_RTCP_PSFB_FIR, 8) || (p->body_len - 8) % 8)
        return FALSE;
    out->sender_ssrc = rd32(p->body);
    for (gsize off = 8; off < p->body_len; off += 8) {
        if (out->n_entries == CG_RTCP_MAX_FIR_ENTRIES) {
            out->truncated = TRUE;
            break;
        }
        CgRtcpFirEntry *e = &out->entries[out->n_entries++];
        e->ssrc = rd32(p->body + off);
        e->seq_nr = p->body[off + 4];
    }
    return TRUE;
}

static gboolean is_remb(const CgRtcpPacket *p)
{
    return is_feedback(p, CG_RTCP_TYPE_PSFB, CG_RTCP_PSFB_AFB, 8) &&
           memcmp(p->body + 8, "REMB", 4) == 0;
}

gboolean cg_rtcp_parse_remb(const CgRtcpPacket *p, CgRtcpRemb *out)
{
    g_return_val_if_fail(p != NULL && out != NULL, FALSE);
    out->n_ssrcs = 0;
    out->truncated = FALSE;
    /* after "REMB": num SSRC(8) exp(6) mantissa(18), then the SSRCs */
    if (!is_remb(p))
        return FALSE;
    const guint8 *b = p->body;
    guint num = b[12];
    if (4u * num > p->body_len - 16)
        return FALSE;
    guint exp = b[13] >> 2;
    guint64 mantissa = ((guint64)(b[13] & 0x03) << 16) | rd16(b + 14);
    out->sender_ssrc = rd32(b);
    out->bitrate = mantissa > (G_MAXUINT64 >> exp) ? G_MAXUINT64 : mantissa << exp;
    out->truncated = num > CG_RTCP_MAX_REMB_SSRCS;
    out->n_ssrcs = MIN(num, CG_RTCP_MAX_REMB_SSRCS);
    for (guint i = 0; i < out->n_ssrcs; i++)
        out->ssrcs[i] = rd32(b + 16 + 4u * i);
    return TRUE;
}

CgRtcpFeedback cg_rtcp_feedback_kind(const CgRtcpPacket *p)
{
    g_return_val_if_fail(p != NULL, CG_RTCP_FB_NONE);
    if ((p->type != CG_RTCP_TYPE_RTPFB && p->type != CG_RTCP_TYPE_PSFB) || p->body_len < 8)
        return CG_RTCP_FB_NONE;
    if (p->type == CG_RTCP_TYPE_RTPFB) {
        if (p->count == CG_RTCP_RTPFB_NACK)
            return CG_RTCP_FB_NACK;
        return p->count == CG_RTCP_RTPFB_TWCC ? CG_RTCP_FB_TWCC : CG_RTCP_FB_OTHER;
    }
    if (p->count == CG_RTCP_PSFB_PLI)
        return CG_RTCP_FB_PLI;
    if (p->count == CG_RTCP_PSFB_FIR)
        return CG_RTCP_FB_FIR;
    return is_remb(p) ? CG_RTCP_FB_REMB : CG_RTCP_FB_OTHER;
}

/* RTCP: builders ---------------------------------------------------------------------- */

/* Common header of a @len-byte packet (a multiple of 4). */
static void put_header(guint8 *buf, guint8 count, guint8 type, gsize len)
{
    buf[0] = (guint8)(0x80 | count);
    buf[1] = type;
    wr16(buf + 2, (guint16)(len / 4 - 1));
}

static void put_feedback(guint8 *buf, guint8 fmt, guint8 type, gsize len, guint32 sender_ssrc,
                         guint32 media_ssrc)
{
    put_header(buf, fmt, type, len);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, media_ssrc);
}

gsize cg_rtcp_build_pli(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc)
{
    g_return_val_if_fail(buf != NULL, 0);
    if (cap < CG_RTCP_PLI_BYTES)
        return 0;
    put_feedback(buf, CG_RTCP_PSFB_PLI, CG_RTCP_TYPE_PSFB, CG_RTCP_PLI_BYTES, sender_ssrc,
                 media_ssrc);
    return CG_RTCP_PLI_BYTES;
}

gsize cg_rtcp_build_fir(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                        guint8 seq_nr)
{
    g_return_val_if_fail(buf != NULL, 0);
    if (cap < CG_RTCP_FIR_BYTES)
        return 0;
    /* RFC 5104 4.3.1.2: the header's media SSRC is 0, the target is in the FCI */
    put_feedback(buf, CG_RTCP_PSFB_FIR, CG_RTCP_TYPE_PSFB, CG_RTCP_FIR_BYTES, sender_ssrc, 0);
    wr32(buf + 12, media_ssrc);
    wr32(buf + 16, (guint32)seq_nr << 24);
    return CG_RTCP_FIR_BYTES;
}

static gboolean put_nack_entry(guint8 *buf, gsize cap, gsize *off, guint16 pid, guint16 blp)
{
    if (4 > cap - *off)
        return FALSE;
    wr16(buf + *off, pid);
    wr16(buf + *off + 2, blp);
    *off += 4;
    return TRUE;
}

gsize cg_rtcp_build_nack(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                         const guint16 *seqs, guint n_seqs)
{
    g_return_val_if_fail(buf != NULL, 0);
    g_return_val_if_fail(seqs != NULL || n_seqs == 0, 0);
    if (n_seqs == 0 || n_seqs > CG_RTCP_MAX_NACK_SEQS || cap < 12)
        return 0;
    gsize off = 12;
    guint16 pid = seqs[0], blp = 0;
    for (guint i = 1; i < n_seqs; i++) {
        /* modulo 2^16, so an entry's 17 seqs may span the wrap */
        guint16 d = (guint16)(seqs[i] - pid);
        if (d == 0)
            continue;
        if (d <= 16) {
            blp |= (guint16)(1u << (d - 1));
            continue;
        }
        if (!put_nack_entry(buf, cap, &off, pid, blp))
            return 0;
        pid = seqs[i];
        blp = 0;
    }
    if (!put_nack_entry(buf, cap, &off, pid, blp))
        return 0;
    put_feedback(buf, CG_RTCP_RTPFB_NACK, CG_RTCP_TYPE_RTPFB, off, sender_ssrc, media_ssrc);
    return off;
}

gsize cg_rtcp_build_remb(guint8 *buf, gsize cap, guint32 sender_ssrc, guint64 bitrate,
                         const guint32 *ssrcs, guint n_ssrcs)
{
    g_return_val_if_fail(buf != NULL, 0);
    g_return_val_if_fail(ssrcs != NULL || n_ssrcs == 0, 0);
    gsize len = 20 + 4u * (gsize)n_ssrcs;
    if (n_ssrcs > CG_RTCP_MAX_REMB_SSRCS || cap < len)
        return 0;
    guint exp = 0;
    while ((bitrate >> exp) > 0x3ffff)
        exp++; /* at most 46 */
    guint32 mantissa = (guint32)(bitrate >> exp);
    put_feedback(buf, CG_RTCP_PSFB_AFB, CG_RTCP_TYPE_PSFB, len, sender_ssrc, 0);
    memcpy(buf + 12, "REMB", 4);
    wr32(buf + 16, ((guint32)n_ssrcs << 24) | (exp << 18) | mantissa);
    for (guint i = 0; i < n_ssrcs; i++)
        wr32(buf + 20 + 4u * i, ssrcs[i]);
    return len;
}

static void put_report_block(guint8 *p, const CgRtcpReportBlock *b)
{
    gint32 lost = CLAMP(b->cumulative_lost, -0x800000, 0x7fffff);
    wr32(p, b->ssrc);
    wr32(p + 4, ((guint32)b->fraction_lost << 24) | ((guint32)lost & 0xffffff));
    wr32(p + 8, b->highest_seq);
    wr32(p + 12, b->jitter);
    wr32(p + 16, b->lsr);
    wr32(p + 20, b->dlsr);
}

gsize cg_rtcp_build_rr(guint8 *buf, gsize cap, guint32 ssrc, const CgRtcpReportBlock *blocks,
                       guint n_blocks)
{
    g_return_val_if_fail(buf != NULL, 0);
    g_return_val_if_fail(blocks != NULL || n_blocks == 0, 0);
    gsize len = 8 + 24u * (gsize)n_blocks;
    if (n_blocks > CG_RTCP_MAX_REPORT_BLOCKS || cap < len)
        return 0;
    put_header(buf, (guint8)n_blocks, CG_RTCP_TYPE_RR, len);
    wr32(buf + 4, ssrc);
    for (guint i = 0; i < n_blocks; i++)
        put_report_block(buf + 8 + 24u * i, &blocks[i]);
    return len;
}
