/* test-rtp-packet.c — media/transport/rtp_packet.c against packets built here byte by
 * byte from the RFCs: RTP with CSRCs, one- and two-byte extensions and
 * padding (and every truncation of it), VP8 descriptors, a compound
 * SR + SDES + RR, builders checked against exact bytes and parsed back, the
 * receive statistics, and 100k random buffers through every parser. */
#include "rtp_packet.h"

#include <string.h>

/* RTP ---------------------------------------------------------------------- */

/* V=2 P X CC=2, M PT=111, seq 0xFFFE, ts, SSRC, 2 CSRCs, a 0xBEDE block of 2
 * words (audio level id 1, padding byte, mid id 3 = "abc", 2 padding bytes),
 * 5 payload bytes, 3 padding bytes. The payload bytes are all >= 0xF0 and the
 * padding zeros, so every truncation has an impossible padding count. */
/* clang-format off */
static const guint8 rtp_full[] = {
    0xB2, 0xEF, 0xFF, 0xFE, 0x01, 0x02, 0x03, 0x04, 0xDE, 0xAD, 0xBE, 0xEF, /* fixed */
    0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,                         /* CSRCs */
    0xBE, 0xDE, 0x00, 0x02,                                                 /* ext header */
    0x10, 0x85, 0x00, 0x32, 'a',  'b',  'c',  0x00,                         /* elements */
    0xF0, 0xF1, 0xF2, 0xF3, 0xF4,                                           /* payload */
    0x00, 0x00, 0x03,                                                       /* padding */
};
/* clang-format on */

/* No CSRC, two-byte extension (profile 0x1000): id 1 len 1 (level 127, no
 * voice), a padding byte, id 200 len 3 "xyz", id 5 len 0, pad; 4 payload. */
static const guint8 rtp_two_byte[] = {
    0x90, 0x6F, 0x00, 0x07, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x42, 0x10, 0x00, 0x00, 0x03,
    0x01, 0x01, 0x7F, 0x00, 0xC8, 0x03, 'x',  'y',  'z',  0x05, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
};

static void test_classify(void)
{
    for (guint b = 0; b < 256; b++) {
        guint8 rtp[2] = {(guint8)b, 0x60};
        guint8 rtcp[2] = {(guint8)b, 0xC8};
        CgPacketKind want = CG_PACKET_UNKNOWN;
        if (b <= 3)
            want = CG_PACKET_STUN;
        else if (b >= 20 && b <= 63)
            want = CG_PACKET_DTLS;
        else if (b >= 128 && b <= 191)
            want = CG_PACKET_RTP;
        g_assert_cmpint(cg_packet_classify(rtp, 2), ==, want);
        g_assert_cmpint(cg_packet_classify(rtcp, 2), ==,
                        want == CG_PACKET_RTP ? CG_PACKET_RTCP : want);
    }
    /* RFC 5761: only M + PT in 192..223 is RTCP */
    for (guint b = 0; b < 256; b++) {
        guint8 d[2] = {0x80, (guint8)b};
        g_assert_cmpint(cg_packet_classify(d, 2), ==,
                        b >= 192 && b <= 223 ? CG_PACKET_RTCP : CG_PACKET_RTP);
    }
    guint8 one = 0x80, stun = 0x00, dtls = 0x16;
    g_assert_cmpint(cg_packet_classify(&one, 1), ==, CG_PACKET_UNKNOWN);
    g_assert_cmpint(cg_packet_classify(&stun, 1), ==, CG_PACKET_STUN);
    g_assert_cmpint(cg_packet_classify(&dtls, 1), ==, CG_PACKET_DTLS);
    g_assert_cmpint(cg_packet_classify(NULL, 0), ==, CG_PACKET_UNKNOWN);
}

static void test_rtp_full(void)
{
    CgRtpHeader h;
    g_assert_true(cg_rtp_parse(rtp_full, sizeof rtp_full, &h));
    g_assert_true(h.data == rtp_full);
    g_assert_true(h.padding && h.extension && h.marker);
    g_assert_cmpuint(h.payload_type, ==, 111);
    g_assert_cmpuint(h.sequence, ==, 0xFFFE);
    g_assert_cmphex(h.timestamp, ==, 0x01020304);
    g_assert_cmphex(h.ssrc, ==, 0xDEADBEEF);
    g_assert_cmpuint(h.csrc_count, ==, 2);
    g_assert_cmphex(cg_rtp_csrc(&h, 0), ==, 0x11111111);
    g_assert_cmphex(cg_rtp_csrc(&h, 1), ==, 0x22222222);
    g_assert_cmphex(cg_rtp_csrc(&h, 2), ==, 0);
    g_assert_cmphex(h.ext_profile, ==, 0xBEDE);
    g_assert_cmpuint(h.ext_offset, ==, 24);
    g_assert_cmpuint(h.ext_length, ==, 8);
    g_assert_cmpuint(h.payload_offset, ==, 32);
    g_assert_cmpuint(h.payload_length, ==, 5);
    g_assert_cmpuint(h.padding_length, ==, 3);

    const guint8 *v;
    gsize n;
    g_assert_true(cg_rtp_extension_find(&h, 1, &v, &n));
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmphex(v[0], ==, 0x85);
    g_assert_true(cg_rtp_extension_find(&h, 3, &v, &n));
    g_assert_cmpmem(v, n, "abc", 3);
    g_assert_true(v == rtp_full + 28); /* a view, not a copy */
    g_assert_false(cg_rtp_extension_find(&h, 2, &v, &n));
    g_assert_null(v);
    g_assert_false(cg_rtp_extension_find(&h, 0, &v, &n));
    g_assert_false(cg_rtp_extension_find(&h, 15, &v, &n));
    g_assert_false(cg_rtp_extension_find(&h, 200, &v, &n));
}

static void test_rtp_truncated(void)
{
    CgRtpHeader h;
    for (gsize len = 0; len < sizeof rtp_full; len++) {
        g_autofree guint8 *copy = g_memdup2(rtp_full, len);
        g_assert_false(cg_rtp_parse(copy, len, &h));
        g_assert_cmpuint(h.payload_length, ==, 0); /* zeroed */
    }
    /* Without padding, a cut in the payload is a shorter valid payload; a cut
     * in the header is not. */
    for (gsize len = 0; len <= sizeof rtp_two_byte; len++) {
        g_autofree guint8 *copy = g_memdup2(rtp_two_byte, len);
        gboolean ok = cg_rtp_parse(copy, len, &h);
        g_assert_cmpint(ok, ==, len >= 28);
        if (ok)
            g_assert_cmpuint(h.payload_length, ==, len - 28);
    }
}

static void test_rtp_two_byte(void)
{
    CgRtpHeader h;
    g_assert_true(cg_rtp_parse(rtp_two_byte, sizeof rtp_two_byte, &h));
    g_assert_false(h.padding || h.marker);
    g_assert_cmpuint(h.csrc_count, ==, 0);
    g_assert_cmphex(h.ext_profile, ==, 0x1000);
    g_assert_cmpuint(h.payload_offset, ==, 28);
    g_assert_cmpuint(h.payload_length, ==, 4);
    const guint8 *v;
    gsize n;
    g_assert_true(cg_rtp_extension_find(&h, 200, &v, &n));
    g_assert_cmpmem(v, n, "xyz", 3);
    g_assert_true(cg_rtp_extension_find(&h, 5, &v, &n));
    g_assert_cmpuint(n, ==, 0);
    g_assert_false(cg_rtp_extension_find(&h, 2, &v, &n));
    guint8 level = 0;
    gboolean voice = TRUE;
    g_assert_true(cg_rtp_audio_level(&h, 1, &level, &voice));
    g_assert_cmpuint(level, ==, 127);
    g_assert_false(voice);
    g_assert_false(cg_rtp_audio_level(&h, 5, &level, &voice)); /* empty element */

    /* the app bits (low 4) of the profile do not matter */
    guint8 d[sizeof rtp_two_byte];
    memcpy(d, rtp_two_byte, sizeof d);
    d[13] = 0x0A;
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_true(cg_rtp_extension_find(&h, 200, &v, &n));
    d[12] = 0x20; /* another profile: no elements */
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_false(cg_rtp_extension_find(&h, 200, &v, &n));
    g_assert_false(cg_rtp_audio_level(&h, 1, &level, NULL));
}

static void test_rtp_malformed(void)
{
    CgRtpHeader h;
    guint8 d[sizeof rtp_full];
    const guint8 *v;
    gsize n;

    memcpy(d, rtp_full, sizeof d);
    d[0] = 0x72; /* version 1 */
    g_assert_false(cg_rtp_parse(d, sizeof d, &h));
    memcpy(d, rtp_full, sizeof d);
    d[1] = 0xC8; /* M + PT 72: RTCP SR under rtcp-mux */
    g_assert_false(cg_rtp_parse(d, sizeof d, &h));
    memcpy(d, rtp_full, sizeof d);
    d[sizeof d - 1] = 0; /* padding count 0 */
    g_assert_false(cg_rtp_parse(d, sizeof d, &h));
    d[sizeof d - 1] = 9; /* eats into the extension */
    g_assert_false(cg_rtp_parse(d, sizeof d, &h));
    d[sizeof d - 1] = 8; /* exactly the payload and padding: empty payload */
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_cmpuint(h.payload_length, ==, 0);
    memcpy(d, rtp_full, sizeof d);
    d[0] = 0xBF; /* 15 CSRCs: past the end with the extension */
    g_assert_false(cg_rtp_parse(d, 40, &h));
    memcpy(d, rtp_full, sizeof d);
    d[23] = 0x05; /* extension of 5 words: past the end */
    g_assert_false(cg_rtp_parse(d, sizeof d, &h));

    /* one-byte element whose length runs past the block */
    memcpy(d, rtp_full, sizeof d);
    d[27] = 0x3F; /* id 3, 16 bytes */
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_true(cg_rtp_extension_find(&h, 1, &v, &n));
    g_assert_false(cg_rtp_extension_find(&h, 3, &v, &n));
    /* id 15 stops processing: the mid after it (were its L honoured) is not seen */
    static const guint8 stop[] = {0xF0, 0x00, 0x32, 'a', 'b', 'c', 0x00, 0x00};
    memcpy(d + 24, stop, sizeof stop);
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_false(cg_rtp_extension_find(&h, 3, &v, &n));
    d[24] = 0x00; /* a padding byte instead: now it is */
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_true(cg_rtp_extension_find(&h, 3, &v, &n));
    g_assert_cmpmem(v, n, "abc", 3);
    /* two-byte element past the block */
    memcpy(d, rtp_two_byte, sizeof rtp_two_byte);
    d[21] = 0x09;
    g_assert_true(cg_rtp_parse(d, sizeof rtp_two_byte, &h));
    g_assert_false(cg_rtp_extension_find(&h, 200, &v, &n));
    g_assert_false(cg_rtp_extension_find(&h, 5, &v, &n));
}

static void test_rtp_setters(void)
{
    guint8 d[sizeof rtp_full];
    memcpy(d, rtp_full, sizeof d);
    g_assert_true(cg_rtp_set_ssrc(d, sizeof d, 0x01234567));
    g_assert_true(cg_rtp_set_sequence(d, sizeof d, 0x0102));
    g_assert_true(cg_rtp_set_timestamp(d, sizeof d, 0xA0B0C0D0));
    g_assert_true(cg_rtp_set_payload_type(d, sizeof d, 96));
    CgRtpHeader h;
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_cmphex(h.ssrc, ==, 0x01234567);
    g_assert_cmpuint(h.sequence, ==, 0x0102);
    g_assert_cmphex(h.timestamp, ==, 0xA0B0C0D0);
    g_assert_cmpuint(h.payload_type, ==, 96);
    g_assert_true(h.marker);
    static const guint8 head[] = {0xB2, 0xE0, 0x01, 0x02, 0xA0, 0xB0,
                                  0xC0, 0xD0, 0x01, 0x23, 0x45, 0x67};
    g_assert_cmpmem(d, 12, head, 12);
    g_assert_cmpmem(d + 12, sizeof d - 12, rtp_full + 12, sizeof rtp_full - 12);

    d[1] = 0x6F; /* marker clear stays clear */
    g_assert_true(cg_rtp_set_payload_type(d, sizeof d, 0));
    g_assert_cmphex(d[1], ==, 0x00);

    guint8 shortp[11];
    memcpy(shortp, rtp_full, sizeof shortp);
    g_assert_false(cg_rtp_set_ssrc(shortp, sizeof shortp, 1));
    g_assert_false(cg_rtp_set_sequence(shortp, sizeof shortp, 1));
    g_assert_false(cg_rtp_set_payload_type(shortp, sizeof shortp, 1));
    g_assert_cmpmem(shortp, sizeof shortp, rtp_full, sizeof shortp);
    d[0] = 0x00;
    g_assert_false(cg_rtp_set_timestamp(d, sizeof d, 1));
}

static void test_audio_level(void)
{
    CgRtpHeader h;
    guint8 level = 0;
    gboolean voice = FALSE;
    g_assert_true(cg_rtp_parse(rtp_full, sizeof rtp_full, &h));
    g_assert_true(cg_rtp_audio_level(&h, 1, &level, &voice));
    g_assert_cmpuint(level, ==, 5);
    g_assert_true(voice);
    g_assert_false(cg_rtp_audio_level(&h, 2, &level, &voice)); /* other id negotiated */

    guint8 d[sizeof rtp_full];
    memcpy(d, rtp_full, sizeof d);
    d[25] = 0x7F; /* silence, no voice */
    g_assert_true(cg_rtp_parse(d, sizeof d, &h));
    g_assert_true(cg_rtp_audio_level(&h, 1, &level, &voice));
    g_assert_cmpuint(level, ==, 127);
    g_assert_false(voice);

    /* no extension at all */
    guint8 plain[12] = {0x80, 0x6F, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    g_assert_true(cg_rtp_parse(plain, sizeof plain, &h));
    g_assert_false(cg_rtp_audio_level(&h, 1, &level, &voice));
}

/* VP8 ---------------------------------------------------------------------- */

static void test_vp8(void)
{
    static const guint8 key[] = {0x10, 0x00, 0x9D, 0x01, 0x2A};
    static const guint8 inter[] = {0x10, 0x01};
    static const guint8 not_start[] = {0x00, 0x00};
    static const guint8 pid1[] = {0x11, 0x00};
    static const guint8 pid4[] = {0x14, 0x00};
    g_assert_true(cg_rtp_vp8_is_keyframe_start(key, sizeof key));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(inter, sizeof inter));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(not_start, sizeof not_start));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(pid1, sizeof pid1));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(pid4, sizeof pid4));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(key, 1));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(key, 0));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(NULL, 0));
    /* X with a 7-bit picture id only */
    static const guint8 short_id[] = {0x90, 0x80, 0x05, 0x30};
    g_assert_true(cg_rtp_vp8_is_keyframe_start(short_id, sizeof short_id));
    /* X with a 15-bit picture id, TL0PICIDX and TID: key, then inter */
    static const guint8 ext_key[] = {0x90, 0xe0, 0x81, 0x23, 0x07, 0x05, 0x30};
    static const guint8 ext_inter[] = {0x90, 0xe0, 0x81, 0x23, 0x07, 0x05, 0x31};
    g_assert_true(cg_rtp_vp8_is_keyframe_start(ext_key, sizeof ext_key));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(ext_inter, sizeof ext_inter));

    /* X with I (15-bit picture id, M set), L, T and K. Every byte before the
     * payload header is odd, so a parser that skips a wrong number of fields
     * reads an odd byte (P set) and answers FALSE. */
    guint8 ext[] = {0x90, 0xF0, 0x81, 0x35, 0x05, 0x41, 0x00, 0x9D};
    g_assert_true(cg_rtp_vp8_is_keyframe_start(ext, sizeof ext));
    for (gsize len = 0; len <= 6; len++) {
        g_autofree guint8 *copy = g_memdup2(ext, len);
        g_assert_false(cg_rtp_vp8_is_keyframe_start(copy, len));
    }
    ext[6] = 0x01;
    g_assert_false(cg_rtp_vp8_is_keyframe_start(ext, sizeof ext));

    static const guint8 short_pic[] = {0x90, 0x80, 0x15, 0x00}; /* 7-bit picture id */
    static const guint8 k_only[] = {0x90, 0x10, 0x21, 0x00};
    static const guint8 x_none[] = {0x90, 0x00, 0x00};
    static const guint8 x_cut[] = {0x90};
    g_assert_true(cg_rtp_vp8_is_keyframe_start(short_pic, sizeof short_pic));
    g_assert_true(cg_rtp_vp8_is_keyframe_start(k_only, sizeof k_only));
    g_assert_true(cg_rtp_vp8_is_keyframe_start(x_none, sizeof x_none));
    g_assert_false(cg_rtp_vp8_is_keyframe_start(x_cut, sizeof x_cut));
}

/* RTCP --------------------------------------------------------------------- */

/* clang-format off */
static const guint8 compound[] = {
    /* SR, RC=1, 13 words */
    0x81, 0xC8, 0x00, 0x0C, 0x01, 0x02, 0x03, 0x04, /* SSRC */
    0xE1, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, /* NTP */
    0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x64, /* RTP ts, packets */
    0x00, 0x00, 0x3E, 0x80,                         /* octets */
    0xAA, 0xBB, 0xCC, 0xDD, 0x40, 0xFF, 0xFF, 0xFE, /* block: 25%, lost -2 */
    0x00, 0x01, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x20, /* highest, jitter */
    0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00, /* LSR, DLSR */
    /* SDES, one chunk: CNAME "abcd", end, pad */
    0x81, 0xCA, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04,
    0x01, 0x04, 'a',  'b',  'c',  'd',  0x00, 0x00,
    /* RR, RC=1: 100%, lost 0x7FFFFF, highest 5 */
    0x81, 0xC9, 0x00, 0x07, 0x05, 0x06, 0x07, 0x08,
    0x0A, 0x0B, 0x0C, 0x0D, 0xFF, 0x7F, 0xFF, 0xFF,
    0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

/* The first packet of @d, which must be a valid compound. */
static CgRtcpPacket first_packet(const guint8 *d, gsize len)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    g_assert_true(cg_rtcp_validate(d, len));
    cg_rtcp_iter_init(&it, d, len);
    g_assert_true(cg_rtcp_iter_next(&it, &p));
    return p;
}

static void test_rtcp_compound(void)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    CgRtcpSenderReport sr;
    CgRtcpReceiverReport rr;
    g_assert_cmpint(cg_packet_classify(compound, sizeof compound), ==, CG_PACKET_RTCP);
    g_assert_true(cg_rtcp_validate(compound, sizeof compound));
    cg_rtcp_iter_init(&it, compound, sizeof compound);

    g_assert_true(cg_rtcp_iter_next(&it, &p));
    g_assert_cmpuint(p.type, ==, CG_RTCP_TYPE_SR);
    g_assert_cmpuint(p.count, ==, 1);
    g_assert_cmphex(p.ssrc, ==, 0x01020304);
    g_assert_true(p.packet == compound && p.packet_len == 52);
    g_assert_true(p.body == compound + 4 && p.body_len == 48);
    g_assert_false(cg_rtcp_parse_rr(&p, &rr));
    g_assert_cmpuint(rr.n_blocks, ==, 0);
    g_assert_true(cg_rtcp_parse_sr(&p, &sr));
    g_assert_cmphex(sr.ssrc, ==, 0x01020304);
    g_assert_cmphex(sr.ntp_time, ==, G_GUINT64_CONSTANT(0xE123456789ABCDEF));
    g_assert_cmphex(cg_rtcp_ntp_middle(sr.ntp_time), ==, 0x456789AB);
    g_assert_cmpuint(sr.rtp_time, ==, 4096);
    g_assert_cmpuint(sr.packet_count, ==, 100);
    g_assert_cmpuint(sr.octet_count, ==, 16000);
    g_assert_cmpuint(sr.n_blocks, ==, 1);
    g_assert_cmphex(sr.blocks[0].ssrc, ==, 0xAABBCCDD);
    g_assert_cmpuint(sr.blocks[0].fraction_lost, ==, 64);
    g_assert_cmpint(sr.blocks[0].cumulative_lost, ==, -2);
    g_assert_cmphex(sr.blocks[0].highest_seq, ==, 0x0001FFFF);
    g_assert_cmpuint(sr.blocks[0].jitter, ==, 32);
    g_assert_cmphex(sr.blocks[0].lsr, ==, 0x12345678);
    g_assert_cmphex(sr.blocks[0].dlsr, ==, 0x00010000);

    g_assert_true(cg_rtcp_iter_next(&it, &p));
    g_assert_cmpuint(p.type, ==, CG_RTCP_TYPE_SDES);
    g_assert_cmpuint(p.body_len, ==, 12);
    g_assert_false(cg_rtcp_parse_sr(&p, &sr));
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_NONE);

    g_assert_true(cg_rtcp_iter_next(&it, &p));
    g_assert_cmpuint(p.type, ==, CG_RTCP_TYPE_RR);
    g_assert_true(cg_rtcp_parse_rr(&p, &rr));
    g_assert_cmphex(rr.ssrc, ==, 0x05060708);
    g_assert_cmpuint(rr.n_blocks, ==, 1);
    g_assert_cmphex(rr.blocks[0].ssrc, ==, 0x0A0B0C0D);
    g_assert_cmpuint(rr.blocks[0].fraction_lost, ==, 255);
    g_assert_cmpint(rr.blocks[0].cumulative_lost, ==, 0x7FFFFF);
    g_assert_cmpuint(rr.blocks[0].highest_seq, ==, 5);

    g_assert_false(cg_rtcp_iter_next(&it, &p));
    g_assert_false(cg_rtcp_iter_failed(&it));
}

static void test_rtcp_truncated(void)
{
    for (gsize len = 0; len < sizeof compound; len++) {
        g_autofree guint8 *copy = g_memdup2(compound, len);
        CgRtcpIter it;
        CgRtcpPacket p;
        guint n = 0;
        cg_rtcp_iter_init(&it, copy, len);
        while (cg_rtcp_iter_next(&it, &p)) {
            g_assert_true(p.body + p.body_len <= copy + len);
            n++;
        }
        /* a cut at a packet boundary is a shorter compound; any other is not */
        gboolean boundary = len == 52 || len == 68;
        g_assert_cmpint(cg_rtcp_validate(copy, len), ==, boundary);
        g_assert_cmpint(cg_rtcp_iter_failed(&it), ==, len != 0 && !boundary);
        g_assert_cmpuint(n, ==, len >= 68 ? 2 : len >= 52 ? 1 : 0);
    }
}

static void test_rtcp_malformed(void)
{
    guint8 d[sizeof compound];
    CgRtcpIter it;
    CgRtcpPacket p;

    memcpy(d, compound, sizeof d);
    d[3] = 0x0D; /* SR one word too long: the next header is mid-SDES */
    g_assert_false(cg_rtcp_validate(d, sizeof d));
    d[2] = 0xFF; /* far past the datagram */
    cg_rtcp_iter_init(&it, d, sizeof d);
    g_assert_false(cg_rtcp_iter_next(&it, &p));
    g_assert_true(cg_rtcp_iter_failed(&it));
    g_assert_false(cg_rtcp_iter_next(&it, &p)); /* stays over */

    memcpy(d, compound, sizeof d);
    d[52] = 0x41; /* SDES version 1 */
    cg_rtcp_iter_init(&it, d, sizeof d);
    g_assert_true(cg_rtcp_iter_next(&it, &p)); /* the SR before it is fine */
    g_assert_false(cg_rtcp_iter_next(&it, &p));
    g_assert_true(cg_rtcp_iter_failed(&it));

    memcpy(d, compound, sizeof d);
    d[53] = 0x60; /* an RTP-range type inside the compound */
    g_assert_false(cg_rtcp_validate(d, sizeof d));

    memcpy(d, compound, sizeof d);
    d[0] |= 0x20; /* padding on the first of three packets, with a valid count */
    d[51] = 4;
    g_assert_false(cg_rtcp_validate(d, sizeof d));
    g_assert_true(cg_rtcp_validate(d, 52)); /* the same packet alone may be padded */

    memcpy(d, compound, sizeof d);
    d[0] = 0x9F; /* SR claiming 31 blocks in 48 bytes */
    g_assert_true(cg_rtcp_validate(d, sizeof d));
    CgRtcpSenderReport sr;
    p = first_packet(d, sizeof d);
    g_assert_false(cg_rtcp_parse_sr(&p, &sr));
    g_assert_cmpuint(sr.n_blocks, ==, 0);
}

static void test_rtcp_padding(void)
{
    guint8 d[sizeof compound];
    CgRtcpIter it;
    CgRtcpPacket p;

    /* padding on the last packet: 4 bytes, removed from the body */
    memcpy(d, compound, sizeof d);
    d[68] |= 0x20;
    d[71] = 0x07;
    d[99] = 0x04;
    cg_rtcp_iter_init(&it, d, sizeof d);
    g_assert_true(cg_rtcp_iter_next(&it, &p) && cg_rtcp_iter_next(&it, &p));
    g_assert_true(cg_rtcp_iter_next(&it, &p));
    g_assert_true(p.padding);
    g_assert_cmpuint(p.body_len, ==, 24);
    CgRtcpReceiverReport rr;
    g_assert_false(cg_rtcp_parse_rr(&p, &rr)); /* the block lost its last 4 bytes */
    d[99] = 0x00;
    g_assert_false(cg_rtcp_validate(d, sizeof d));
    d[99] = 29; /* more than the body */
    g_assert_false(cg_rtcp_validate(d, sizeof d));

    static const guint8 tiny[] = {0x80, 0xC9, 0x00};
    g_assert_false(cg_rtcp_validate(tiny, sizeof tiny));
    g_assert_false(cg_rtcp_validate(NULL, 0));
    /* a 4-byte packet has no SSRC */
    static const guint8 bare[] = {0x80, 0xCB, 0x00, 0x00};
    p = first_packet(bare, sizeof bare);
    g_assert_cmpuint(p.body_len, ==, 0);
    g_assert_cmphex(p.ssrc, ==, 0);
}

static void test_rtcp_bye(void)
{
    static const guint8 bye[] = {0x82, 0xCB, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04,
                                 0x05, 0x06, 0x07, 0x08, 0x03, 'b',  'y',  'e'};
    CgRtcpBye b;
    CgRtcpPacket p = first_packet(bye, sizeof bye);
    g_assert_true(cg_rtcp_parse_bye(&p, &b));
    g_assert_cmpuint(b.n_ssrcs, ==, 2);
    g_assert_cmphex(b.ssrcs[0], ==, 0x01020304);
    g_assert_cmphex(b.ssrcs[1], ==, 0x05060708);
    g_assert_cmpmem(b.reason, b.reason_len, "bye", 3);

    guint8 d[sizeof bye];
    memcpy(d, bye, sizeof d);
    d[12] = 0x04; /* reason past the packet */
    p = first_packet(d, sizeof d);
    g_assert_false(cg_rtcp_parse_bye(&p, &b));
    g_assert_cmpuint(b.n_ssrcs, ==, 0);
    d[0] = 0x85; /* five SSRCs in three words */
    p = first_packet(d, sizeof d);
    g_assert_false(cg_rtcp_parse_bye(&p, &b));
    d[0] = 0x83; /* three SSRCs, no reason */
    p = first_packet(d, sizeof d);
    g_assert_true(cg_rtcp_parse_bye(&p, &b));
    g_assert_cmpuint(b.n_ssrcs, ==, 3);
    g_assert_null(b.reason);
}

static void test_nack_round_trip(void)
{
    /* 20 seqs across the wrap: PID 65530 covers up to 10 (65530 + 16) */
    static const guint16 seqs[] = {65530, 65531, 65533, 65535, 0,  1,  5,  10, 11,   12,
                                   13,    14,    15,    27,    28, 29, 44, 45, 1000, 999};
    static const guint8 want[] = {
        0x81, 0xCD, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44,
        0x55, 0x66, 0x77, 0x88, 0xFF, 0xFA, 0x84, 0x75, /* 65530: +1 +3 +5 +6 +7 +11 +16 */
        0x00, 0x0B, 0x80, 0x0F,                         /* 11: +1 +2 +3 +4 +16 */
        0x00, 0x1C, 0x80, 0x01,                         /* 28: +1 +16 */
        0x00, 0x2D, 0x00, 0x00,                         /* 45 */
        0x03, 0xE8, 0x00, 0x00,                         /* 1000 */
        0x03, 0xE7, 0x00, 0x00, /* 999: earlier than the current PID, a new entry */
    };
    guint8 buf[CG_RTCP_NACK_MAX_BYTES];
    gsize n = cg_rtcp_build_nack(buf, sizeof buf, 0x11223344, 0x55667788, seqs, G_N_ELEMENTS(seqs));
    g_assert_cmpmem(buf, n, want, sizeof want);

    CgRtcpPacket p = first_packet(buf, n);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_NACK);
    CgRtcpNack nack;
    g_assert_true(cg_rtcp_parse_nack(&p, &nack));
    g_assert_cmphex(nack.sender_ssrc, ==, 0x11223344);
    g_assert_cmphex(nack.media_ssrc, ==, 0x55667788);
    g_assert_false(nack.truncated);
    g_assert_cmpmem(nack.seqs, nack.n_seqs * sizeof(guint16), seqs, sizeof seqs);

    /* 17 consecutive seqs fill one entry; the 18th starts another */
    guint16 run[18];
    for (guint i = 0; i < G_N_ELEMENTS(run); i++)
        run[i] = (guint16)(65530 + i);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, run, 17), ==, 16);
    static const guint8 full[] = {0xFF, 0xFA, 0xFF, 0xFF};
    g_assert_cmpmem(buf + 12, 4, full, 4);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, run, 18), ==, 20);
    static const guint8 second[] = {0x00, 0x0B, 0x00, 0x00};
    g_assert_cmpmem(buf + 16, 4, second, 4);
    p = first_packet(buf, 20);
    g_assert_true(cg_rtcp_parse_nack(&p, &nack));
    g_assert_cmpmem(nack.seqs, nack.n_seqs * sizeof(guint16), run, sizeof run);

    /* duplicates are packed away */
    static const guint16 dup[] = {7, 7, 8, 7};
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, dup, 4), ==, 16);
}

static void test_nack_limits(void)
{
    guint8 buf[CG_RTCP_NACK_MAX_BYTES + 4];
    guint16 seqs[CG_RTCP_MAX_NACK_SEQS + 1];
    for (guint i = 0; i < G_N_ELEMENTS(seqs); i++)
        seqs[i] = (guint16)(i * 100); /* one entry each */
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, seqs, 0), ==, 0);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, seqs, G_N_ELEMENTS(seqs)), ==, 0);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, sizeof buf, 1, 2, seqs, CG_RTCP_MAX_NACK_SEQS), ==,
                     CG_RTCP_NACK_MAX_BYTES);
    g_assert_cmpuint(
        cg_rtcp_build_nack(buf, CG_RTCP_NACK_MAX_BYTES - 1, 1, 2, seqs, CG_RTCP_MAX_NACK_SEQS), ==,
        0);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, 15, 1, 2, seqs, 1), ==, 0);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, 16, 1, 2, seqs, 1), ==, 16);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, 19, 1, 2, seqs, 3), ==, 0); /* full mid-way */
    g_assert_cmpuint(cg_rtcp_build_nack(buf, 23, 1, 2, seqs, 3), ==, 0);
    g_assert_cmpuint(cg_rtcp_build_nack(buf, 24, 1, 2, seqs, 3), ==, 24);

    /* a parsed NACK naming more than the limit keeps the first ones */
    guint8 many[12 + 4 * 10];
    memset(many, 0xFF, sizeof many);
    many[0] = 0x81;
    many[1] = 0xCD;
    many[2] = 0x00;
    many[3] = 12;
    for (guint i = 0; i < 10; i++) {
        many[12 + 4 * i] = 0x00;
        many[13 + 4 * i] = (guint8)(17 * i); /* 10 x 17 = 170 seqs */
    }
    CgRtcpNack nack;
    CgRtcpPacket p = first_packet(many, sizeof many);
    g_assert_true(cg_rtcp_parse_nack(&p, &nack));
    g_assert_true(nack.truncated);
    g_assert_cmpuint(nack.n_seqs, ==, CG_RTCP_MAX_NACK_SEQS);
    for (guint i = 0; i < nack.n_seqs; i++)
        g_assert_cmpuint(nack.seqs[i], ==, i);

    /* no FCI at all */
    static const guint8 empty[] = {0x81, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    p = first_packet(empty, sizeof empty);
    g_assert_false(cg_rtcp_parse_nack(&p, &nack));
    /* FMT 15 is transport-cc: recognised, not a NACK */
    static const guint8 twcc[] = {0x8F, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    p = first_packet(twcc, sizeof twcc);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_TWCC);
    g_assert_false(cg_rtcp_parse_nack(&p, &nack));
}

static void test_pli(void)
{
    static const guint8 want[] = {0x81, 0xCE, 0x00, 0x02, 0x11, 0x22,
                                  0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    guint8 buf[CG_RTCP_PLI_BYTES];
    g_assert_cmpuint(cg_rtcp_build_pli(buf, sizeof buf - 1, 1, 2), ==, 0);
    gsize n = cg_rtcp_build_pli(buf, sizeof buf, 0x11223344, 0x55667788);
    g_assert_cmpmem(buf, n, want, sizeof want);
    CgRtcpPacket p = first_packet(buf, n);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_PLI);
    guint32 sender = 0, media = 0;
    g_assert_true(cg_rtcp_parse_pli(&p, &sender, &media));
    g_assert_cmphex(sender, ==, 0x11223344);
    g_assert_cmphex(media, ==, 0x55667788);
    CgRtcpFir fir;
    g_assert_false(cg_rtcp_parse_fir(&p, &fir));
    static const guint8 cut[] = {0x81, 0xCE, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    p = first_packet(cut, sizeof cut);
    g_assert_false(cg_rtcp_parse_pli(&p, &sender, &media));
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_NONE);
}

static void test_fir(void)
{
    static const guint8 want[] = {0x84, 0xCE, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
                                  0x00, 0x00, 0x55, 0x66, 0x77, 0x88, 0x07, 0x00, 0x00, 0x00};
    guint8 buf[CG_RTCP_FIR_BYTES];
    g_assert_cmpuint(cg_rtcp_build_fir(buf, sizeof buf - 1, 1, 2, 3), ==, 0);
    gsize n = cg_rtcp_build_fir(buf, sizeof buf, 0x11223344, 0x55667788, 7);
    g_assert_cmpmem(buf, n, want, sizeof want);
    CgRtcpPacket p = first_packet(buf, n);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_FIR);
    CgRtcpFir fir;
    g_assert_true(cg_rtcp_parse_fir(&p, &fir));
    g_assert_cmphex(fir.sender_ssrc, ==, 0x11223344);
    g_assert_cmpuint(fir.n_entries, ==, 1);
    g_assert_false(fir.truncated);
    g_assert_cmphex(fir.entries[0].ssrc, ==, 0x55667788);
    g_assert_cmpuint(fir.entries[0].seq_nr, ==, 7);

    /* FCI not a multiple of 8 */
    guint8 odd[24];
    memcpy(odd, want, sizeof want);
    memset(odd + 20, 0, 4);
    odd[3] = 0x05;
    p = first_packet(odd, sizeof odd);
    g_assert_false(cg_rtcp_parse_fir(&p, &fir));
    /* more entries than kept */
    guint8 many[12 + 8 * (CG_RTCP_MAX_FIR_ENTRIES + 2)];
    memset(many, 0, sizeof many);
    memcpy(many, want, 12);
    many[3] = (guint8)(sizeof many / 4 - 1);
    for (guint i = 0; i < CG_RTCP_MAX_FIR_ENTRIES + 2; i++)
        many[12 + 8 * i + 4] = (guint8)i;
    p = first_packet(many, sizeof many);
    g_assert_true(cg_rtcp_parse_fir(&p, &fir));
    g_assert_true(fir.truncated);
    g_assert_cmpuint(fir.n_entries, ==, CG_RTCP_MAX_FIR_ENTRIES);
    g_assert_cmpuint(fir.entries[CG_RTCP_MAX_FIR_ENTRIES - 1].seq_nr, ==,
                     CG_RTCP_MAX_FIR_ENTRIES - 1);
}

/* REMB from 0x11223344 for 0x55667788: 1,000,000 bit/s = 250000 (0x3D090) << 2 */
static const guint8 remb_1mbps[] = {0x8F, 0xCE, 0x00, 0x05, 0x11, 0x22, 0x33, 0x44,
                                    0x00, 0x00, 0x00, 0x00, 'R',  'E',  'M',  'B',
                                    0x01, 0x0B, 0xD0, 0x90, 0x55, 0x66, 0x77, 0x88};

static void test_remb(void)
{
    const guint32 ssrc = 0x55667788;
    guint8 buf[CG_RTCP_REMB_MAX_BYTES];
    g_assert_cmpuint(cg_rtcp_build_remb(buf, 23, 0x11223344, 1000000, &ssrc, 1), ==, 0);
    gsize n = cg_rtcp_build_remb(buf, sizeof buf, 0x11223344, 1000000, &ssrc, 1);
    g_assert_cmpmem(buf, n, remb_1mbps, sizeof remb_1mbps);
    CgRtcpPacket p = first_packet(buf, n);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_REMB);
    CgRtcpRemb remb;
    g_assert_true(cg_rtcp_parse_remb(&p, &remb));
    g_assert_cmphex(remb.sender_ssrc, ==, 0x11223344);
    g_assert_cmpuint(remb.bitrate, ==, 1000000);
    g_assert_cmpuint(remb.n_ssrcs, ==, 1);
    g_assert_cmphex(remb.ssrcs[0], ==, ssrc);

    /* exact below 2^18, rounded down above; the maximum still encodes */
    const guint32 two[] = {1, 2};
    const guint64 rates[] = {0, 262143, 262145, G_GUINT64_CONSTANT(123456789012), G_MAXUINT64};
    const guint64 decoded[] = {0, 262143, 262144, G_GUINT64_CONSTANT(123456716800),
                               G_GUINT64_CONSTANT(0x3FFFF) << 46};
    for (guint i = 0; i < G_N_ELEMENTS(rates); i++) {
        n = cg_rtcp_build_remb(buf, sizeof buf, 9, rates[i], two, 2);
        g_assert_cmpuint(n, ==, 28);
        p = first_packet(buf, n);
        g_assert_true(cg_rtcp_parse_remb(&p, &remb));
        g_assert_cmpuint(remb.bitrate, ==, decoded[i]);
        g_assert_cmpuint(remb.n_ssrcs, ==, 2);
        g_assert_cmphex(remb.ssrcs[1], ==, 2);
    }
}

static void test_remb_limits(void)
{
    guint8 buf[CG_RTCP_REMB_MAX_BYTES];
    CgRtcpRemb remb;
    CgRtcpPacket p;
    guint32 too_many[CG_RTCP_MAX_REMB_SSRCS + 1] = {0};
    g_assert_cmpuint(cg_rtcp_build_remb(buf, sizeof buf, 9, 1, too_many, G_N_ELEMENTS(too_many)),
                     ==, 0);

    guint8 d[sizeof remb_1mbps];
    memcpy(d, remb_1mbps, sizeof d);
    d[17] = 0xFF; /* exponent 63: saturates instead of overflowing */
    p = first_packet(d, sizeof d);
    g_assert_true(cg_rtcp_parse_remb(&p, &remb));
    g_assert_cmpuint(remb.bitrate, ==, G_MAXUINT64);
    d[16] = 0x02; /* two SSRCs in room for one */
    p = first_packet(d, sizeof d);
    g_assert_false(cg_rtcp_parse_remb(&p, &remb));
    memcpy(d, remb_1mbps, sizeof d);
    d[12] = 'X'; /* another application's AFB */
    p = first_packet(d, sizeof d);
    g_assert_cmpint(cg_rtcp_feedback_kind(&p), ==, CG_RTCP_FB_OTHER);
    g_assert_false(cg_rtcp_parse_remb(&p, &remb));

    /* more SSRCs than kept */
    guint8 many[20 + 4 * (CG_RTCP_MAX_REMB_SSRCS + 1)];
    memset(many, 0, sizeof many);
    memcpy(many, remb_1mbps, 20);
    many[3] = (guint8)(sizeof many / 4 - 1);
    many[16] = CG_RTCP_MAX_REMB_SSRCS + 1;
    p = first_packet(many, sizeof many);
    g_assert_true(cg_rtcp_parse_remb(&p, &remb));
    g_assert_true(remb.truncated);
    g_assert_cmpuint(remb.n_ssrcs, ==, CG_RTCP_MAX_REMB_SSRCS);
}

static void assert_block_equal(const CgRtcpReportBlock *a, const CgRtcpReportBlock *b)
{
    g_assert_cmphex(a->ssrc, ==, b->ssrc);
    g_assert_cmpuint(a->fraction_lost, ==, b->fraction_lost);
    g_assert_cmpint(a->cumulative_lost, ==, b->cumulative_lost);
    g_assert_cmphex(a->highest_seq, ==, b->highest_seq);
    g_assert_cmpuint(a->jitter, ==, b->jitter);
    g_assert_cmphex(a->lsr, ==, b->lsr);
    g_assert_cmphex(a->dlsr, ==, b->dlsr);
}

static void test_rr_build(void)
{
    const CgRtcpReportBlock block = {
        .ssrc = 0x0A0B0C0D,
        .fraction_lost = 48,
        .cumulative_lost = -3,
        .highest_seq = 0x00010009,
        .jitter = 19,
        .lsr = 0x89ABCDEF,
        .dlsr = 0x00008000,
    };
    static const guint8 want[] = {0x81, 0xC9, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C,
                                  0x0D, 0x30, 0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00,
                                  0x00, 0x13, 0x89, 0xAB, 0xCD, 0xEF, 0x00, 0x00, 0x80, 0x00};
    guint8 buf[CG_RTCP_RR_MAX_BYTES];
    g_assert_cmpuint(cg_rtcp_build_rr(buf, 31, 0x01020304, &block, 1), ==, 0);
    gsize n = cg_rtcp_build_rr(buf, sizeof buf, 0x01020304, &block, 1);
    g_assert_cmpmem(buf, n, want, sizeof want);
    CgRtcpReceiverReport rr;
    CgRtcpPacket p = first_packet(buf, n);
    g_assert_true(cg_rtcp_parse_rr(&p, &rr));
    g_assert_cmpuint(rr.n_blocks, ==, 1);
    assert_block_equal(&rr.blocks[0], &block);

    static const guint8 empty[] = {0x80, 0xC9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
    n = cg_rtcp_build_rr(buf, sizeof buf, 0x01020304, NULL, 0);
    g_assert_cmpmem(buf, n, empty, sizeof empty);

    /* cumulative lost beyond 24 bits is clamped, both ways */
    CgRtcpReportBlock blocks[CG_RTCP_MAX_REPORT_BLOCKS + 1] = {{0}};
    blocks[0].cumulative_lost = 10000000;
    blocks[1].cumulative_lost = -10000000;
    n = cg_rtcp_build_rr(buf, sizeof buf, 1, blocks, CG_RTCP_MAX_REPORT_BLOCKS);
    g_assert_cmpuint(n, ==, CG_RTCP_RR_MAX_BYTES);
    p = first_packet(buf, n);
    g_assert_true(cg_rtcp_parse_rr(&p, &rr));
    g_assert_cmpuint(rr.n_blocks, ==, CG_RTCP_MAX_REPORT_BLOCKS);
    g_assert_cmpint(rr.blocks[0].cumulative_lost, ==, 0x7FFFFF);
    g_assert_cmpint(rr.blocks[1].cumulative_lost, ==, -0x800000);
    g_assert_cmpuint(cg_rtcp_build_rr(buf, sizeof buf, 1, blocks, G_N_ELEMENTS(blocks)), ==, 0);
}

/* Receive statistics -------------------------------------------------------- */

static void feed(CgRtpRecvStats *s, guint16 seq)
{
    /* constant transit: no jitter */
    g_assert_true(cg_rtp_recv_stats_update(s, seq, seq * 960u, seq * 960u + 5000));
}

static void test_stats_loss(void)
{
    CgRtpRecvStats s = {0};
    CgRtcpReportBlock b;
    cg_rtp_recv_stats_report(&s, 42, 0, 0, &b); /* nothing received yet */
    g_assert_cmpuint(b.ssrc, ==, 42);
    g_assert_cmpuint(b.highest_seq, ==, 0);
    g_assert_cmpint(b.cumulative_lost, ==, 0);

    /* 65530..9 across the wrap, 65533, 2 and 3 lost: 13 of 16 */
    for (guint i = 0; i < 16; i++) {
        guint16 seq = (guint16)(65530 + i);
        if (seq != 65533 && seq != 2 && seq != 3)
            feed(&s, seq);
    }
    cg_rtp_recv_stats_report(&s, 42, 0x1234, 0x5678, &b);
    g_assert_cmphex(b.highest_seq, ==, 65536 + 9);
    g_assert_cmpint(b.cumulative_lost, ==, 3);
    g_assert_cmpuint(b.fraction_lost, ==, 3 * 256 / 16);
    g_assert_cmpuint(b.jitter, ==, 0);
    g_assert_cmphex(b.lsr, ==, 0x1234);
    g_assert_cmphex(b.dlsr, ==, 0x5678);

    /* 10..19 and a duplicate: more received than expected this interval */
    for (guint16 seq = 10; seq < 20; seq++)
        feed(&s, seq);
    feed(&s, 15);
    cg_rtp_recv_stats_report(&s, 42, 0, 0, &b);
    g_assert_cmpuint(b.fraction_lost, ==, 0);
    g_assert_cmpint(b.cumulative_lost, ==, 2);

    cg_rtp_recv_stats_report(&s, 42, 0, 0, &b); /* an empty interval */
    g_assert_cmpuint(b.fraction_lost, ==, 0);
    g_assert_cmpint(b.cumulative_lost, ==, 2);

    feed(&s, 30); /* 20..29 lost: 10 of 11 */
    cg_rtp_recv_stats_report(&s, 42, 0, 0, &b);
    g_assert_cmpuint(b.fraction_lost, ==, 10 * 256 / 11);
    g_assert_cmpint(b.cumulative_lost, ==, 12);
    g_assert_cmphex(b.highest_seq, ==, 65536 + 30);

    feed(&s, 25); /* late: counted, not a new maximum */
    cg_rtp_recv_stats_report(&s, 42, 0, 0, &b);
    g_assert_cmpint(b.cumulative_lost, ==, 11);
    g_assert_cmphex(b.highest_seq, ==, 65536 + 30);
    g_assert_cmphex(cg_rtp_recv_stats_extended_max(&s), ==, 65536 + 30);

    g_assert_cmpuint(cg_rtcp_dlsr_from_us(G_USEC_PER_SEC), ==, 65536);
    g_assert_cmpuint(cg_rtcp_dlsr_from_us(500000), ==, 32768);
    g_assert_cmpuint(cg_rtcp_dlsr_from_us(G_MAXUINT64), ==, G_MAXUINT32);
}

static void test_stats_jitter(void)
{
    CgRtpRecvStats s = {0};
    CgRtcpReportBlock b;
    for (guint16 seq = 0; seq < 5; seq++)
        g_assert_true(cg_rtp_recv_stats_update(&s, seq, seq * 960u, seq * 960u + 1000));
    /* 160 late, then back on time: J = 160, then 160 + 160 - (160 + 8) / 16 = 310 (x16) */
    g_assert_true(cg_rtp_recv_stats_update(&s, 5, 5 * 960u, 5 * 960u + 1160));
    cg_rtp_recv_stats_report(&s, 1, 0, 0, &b);
    g_assert_cmpuint(b.jitter, ==, 160 >> 4);
    g_assert_true(cg_rtp_recv_stats_update(&s, 6, 6 * 960u, 6 * 960u + 1000));
    cg_rtp_recv_stats_report(&s, 1, 0, 0, &b);
    g_assert_cmpuint(b.jitter, ==, 310 >> 4);

    /* transit differences of 2^31 neither wrap nor overflow the estimate */
    CgRtpRecvStats wild = {0};
    for (guint i = 0; i < 1000; i++)
        cg_rtp_recv_stats_update(&wild, (guint16)i, 0, (i & 1) ? 0x80000000u : 0);
    cg_rtp_recv_stats_report(&wild, 1, 0, 0, &b);
    g_assert_cmpuint(b.jitter, >, 0x07000000u);
}

static void test_stats_restart(void)
{
    CgRtpRecvStats s = {0};
    CgRtcpReportBlock b;
    feed(&s, 100);
    feed(&s, 101);
    /* a stray jump is not counted; the stream goes on */
    g_assert_false(cg_rtp_recv_stats_update(&s, 20000, 0, 0));
    feed(&s, 102);
    g_assert_cmpuint(cg_rtp_recv_stats_extended_max(&s), ==, 102);
    /* two consecutive packets after a jump: the sender restarted */
    g_assert_false(cg_rtp_recv_stats_update(&s, 30000, 0, 0));
    g_assert_true(cg_rtp_recv_stats_update(&s, 30001, 0, 0));
    cg_rtp_recv_stats_report(&s, 1, 0, 0, &b);
    g_assert_cmpuint(b.highest_seq, ==, 30001);
    g_assert_cmpint(b.cumulative_lost, ==, 0);
    g_assert_cmpuint(b.fraction_lost, ==, 0);
}

/* Random input --------------------------------------------------------------- */

static void random_rtp_shape(guint8 *d, gsize len)
{
    if (len < 16)
        return;
    d[0] = (guint8)(0x80 | (d[0] & 0x3F));
    d[1] &= 0xBF; /* keep it out of the RTCP range */
    guint cc = d[0] & 0x0F;
    gsize off = 12 + 4u * cc;
    if ((d[0] & 0x10) && off + 4 <= len) {
        d[off] = g_test_rand_bit() ? 0xBE : 0x10;
        d[off + 1] = d[off] == 0xBE ? 0xDE : (guint8)g_test_rand_int_range(0, 16);
        d[off + 2] = 0;
        d[off + 3] = (guint8)g_test_rand_int_range(0, (gint)((len - off) / 4 + 2));
    }
}

/* Chains RTCP headers whose lengths mostly fit, so the parsers are reached. */
static void random_rtcp_shape(guint8 *d, gsize len)
{
    gsize off = 0;
    while (len - off >= 4) {
        gsize words = (len - off) / 4;
        guint16 l = (guint16)g_test_rand_int_range(0, (gint)MIN(words + 1, 40));
        d[off] = (guint8)(0x80 | (d[off] & 0x3F));
        d[off + 1] = (guint8)(g_test_rand_bit() ? g_test_rand_int_range(200, 207)
                                                : g_test_rand_int_range(192, 224));
        d[off + 2] = (guint8)(l >> 8);
        d[off + 3] = (guint8)l;
        if (g_test_rand_int_range(0, 8) == 0 && off + 20 <= len) {
            d[off] = 0x8F; /* PSFB AFB "REMB" with a few SSRCs */
            d[off + 1] = CG_RTCP_TYPE_PSFB;
            memcpy(d + off + 12, "REMB", 4);
            d[off + 16] = (guint8)g_test_rand_int_range(0, 4);
        }
        off += 4u * ((gsize)l + 1);
        if (off > len)
            return;
    }
}

static void exercise_rtp(guint8 *d, gsize len, CgRtpRecvStats *stats)
{
    CgRtpHeader h;
    if (!cg_rtp_parse(d, len, &h))
        return;
    CgRtcpReportBlock block;
    cg_rtp_recv_stats_update(stats, h.sequence, h.timestamp, g_test_rand_int());
    if (g_test_rand_int_range(0, 16) == 0)
        cg_rtp_recv_stats_report(stats, h.ssrc, 0, 0, &block);
    g_assert_cmpint(cg_packet_classify(d, len), ==, CG_PACKET_RTP);
    g_assert_cmpuint(h.payload_offset + h.payload_length + h.padding_length, ==, len);
    g_assert_cmpuint(h.ext_offset + h.ext_length, <=, h.payload_offset);
    for (guint id = 0; id <= 16; id++) {
        const guint8 *v;
        gsize n;
        if (cg_rtp_extension_find(&h, id, &v, &n))
            g_assert_true(v >= d + h.ext_offset && v + n <= d + h.ext_offset + h.ext_length);
    }
    guint8 level;
    gboolean voice;
    if (cg_rtp_audio_level(&h, 1, &level, &voice))
        g_assert_cmpuint(level, <=, 127);
    (void)cg_rtp_csrc(&h, (guint)g_test_rand_int_range(0, 16));
    (void)cg_rtp_vp8_is_keyframe_start(d + h.payload_offset, h.payload_length);
    g_assert_true(cg_rtp_set_ssrc(d, len, 1) && cg_rtp_set_sequence(d, len, 2));
    g_assert_true(cg_rtp_set_payload_type(d, len, 100) && cg_rtp_set_timestamp(d, len, 3));
}

static void exercise_rtcp(const guint8 *d, gsize len)
{
    CgRtcpIter it;
    CgRtcpPacket p;
    CgRtcpSenderReport sr;
    CgRtcpReceiverReport rr;
    CgRtcpBye bye;
    CgRtcpNack nack;
    CgRtcpFir fir;
    CgRtcpRemb remb;
    guint32 a, b;
    cg_rtcp_iter_init(&it, d, len);
    while (cg_rtcp_iter_next(&it, &p)) {
        g_assert_true(p.packet >= d && p.packet + p.packet_len <= d + len);
        g_assert_true(p.body + p.body_len <= p.packet + p.packet_len);
        if (cg_rtcp_parse_sr(&p, &sr))
            g_assert_cmpuint(sr.n_blocks, <=, CG_RTCP_MAX_REPORT_BLOCKS);
        if (cg_rtcp_parse_rr(&p, &rr))
            g_assert_cmpuint(rr.n_blocks, <=, CG_RTCP_MAX_REPORT_BLOCKS);
        if (cg_rtcp_parse_bye(&p, &bye) && bye.reason)
            g_assert_true(bye.reason + bye.reason_len <= p.body + p.body_len);
        if (cg_rtcp_parse_nack(&p, &nack))
            g_assert_cmpuint(nack.n_seqs, <=, CG_RTCP_MAX_NACK_SEQS);
        if (cg_rtcp_parse_fir(&p, &fir))
            g_assert_cmpuint(fir.n_entries, <=, CG_RTCP_MAX_FIR_ENTRIES);
        if (cg_rtcp_parse_remb(&p, &remb))
            g_assert_cmpuint(remb.n_ssrcs, <=, CG_RTCP_MAX_REMB_SSRCS);
        (void)cg_rtcp_parse_pli(&p, &a, &b);
        (void)cg_rtcp_feedback_kind(&p);
    }
    g_assert_cmpint(cg_rtcp_validate(d, len), ==, !cg_rtcp_iter_failed(&it) && len > 0);
}

static void test_random(void)
{
    guint n = g_test_slow() ? 1000000 : 100000;
    CgRtpRecvStats stats = {0};
    for (guint i = 0; i < n; i++) {
        gsize len = (gsize)g_test_rand_int_range(0, 300);
        g_autofree guint8 *d = g_malloc(len + 1); /* exact size for ASan (+1: len 0) */
        for (gsize j = 0; j < len; j++)
            d[j] = (guint8)g_test_rand_int();
        switch (i % 3) {
        case 0:
            random_rtp_shape(d, len);
            break;
        case 1:
            random_rtcp_shape(d, len);
            break;
        default:
            break; /* raw bytes */
        }
        (void)cg_packet_classify(d, len);
        (void)cg_rtp_vp8_is_keyframe_start(d, len);
        exercise_rtcp(d, len);
        exercise_rtp(d, len, &stats);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtp-packet/classify", test_classify);
    g_test_add_func("/rtp-packet/rtp/full", test_rtp_full);
    g_test_add_func("/rtp-packet/rtp/truncated", test_rtp_truncated);
    g_test_add_func("/rtp-packet/rtp/two-byte-extension", test_rtp_two_byte);
    g_test_add_func("/rtp-packet/rtp/malformed", test_rtp_malformed);
    g_test_add_func("/rtp-packet/rtp/setters", test_rtp_setters);
    g_test_add_func("/rtp-packet/rtp/audio-level", test_audio_level);
    g_test_add_func("/rtp-packet/vp8/keyframe", test_vp8);
    g_test_add_func("/rtp-packet/rtcp/compound", test_rtcp_compound);
    g_test_add_func("/rtp-packet/rtcp/truncated", test_rtcp_truncated);
    g_test_add_func("/rtp-packet/rtcp/malformed", test_rtcp_malformed);
    g_test_add_func("/rtp-packet/rtcp/padding", test_rtcp_padding);
    g_test_add_func("/rtp-packet/rtcp/bye", test_rtcp_bye);
    g_test_add_func("/rtp-packet/rtcp/nack-round-trip", test_nack_round_trip);
    g_test_add_func("/rtp-packet/rtcp/nack-limits", test_nack_limits);
    g_test_add_func("/rtp-packet/rtcp/pli", test_pli);
    g_test_add_func("/rtp-packet/rtcp/fir", test_fir);
    g_test_add_func("/rtp-packet/rtcp/remb", test_remb);
    g_test_add_func("/rtp-packet/rtcp/remb-limits", test_remb_limits);
    g_test_add_func("/rtp-packet/rtcp/rr-build", test_rr_build);
    g_test_add_func("/rtp-packet/stats/loss", test_stats_loss);
    g_test_add_func("/rtp-packet/stats/jitter", test_stats_jitter);
    g_test_add_func("/rtp-packet/stats/restart", test_stats_restart);
    g_test_add_func("/rtp-packet/random", test_random);
    return g_test_run();
}
