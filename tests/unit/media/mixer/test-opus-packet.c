/* test-opus-packet.c — RTP payload and Opus framing checks
 * (media/mixer/opus_packet.h). */
#include "opus_packet.h"

static gboolean valid(const guint8 *data, gsize len, guint *samples)
{
    return cg_opus_packet_valid(data, len, samples);
}

static void test_codes(void)
{
    guint8 p[1600] = {0};
    guint samples = 0;
    /* code 0: CELT FB 20 ms (config 31), one frame */
    p[0] = 31 << 3;
    g_assert_true(valid(p, 60, &samples));
    g_assert_cmpuint(samples, ==, 960);
    g_assert_true(valid(p, 1, &samples)); /* an empty frame (DTX) */
    g_assert_false(valid(p, 0, NULL));
    g_assert_false(valid(p, 1277, NULL)); /* a frame over 1275 bytes */
    /* SILK 60 ms (config 3) */
    p[0] = 3 << 3;
    g_assert_true(valid(p, 40, &samples));
    g_assert_cmpuint(samples, ==, 2880);
    /* code 1: two equal frames */
    p[0] = 31 << 3 | 1;
    g_assert_true(valid(p, 61, &samples));
    g_assert_cmpuint(samples, ==, 1920);
    g_assert_false(valid(p, 60, NULL)); /* odd payload */
    /* code 2: first length coded */
    p[0] = 31 << 3 | 2;
    p[1] = 20;
    g_assert_true(valid(p, 50, NULL));
    g_assert_false(valid(p, 20, NULL)); /* first frame longer than the packet */
    p[1] = 252;
    p[2] = 1; /* 256 bytes */
    g_assert_true(valid(p, 300, NULL));
    g_assert_false(valid(p, 200, NULL));
    g_assert_false(valid(p, 2, NULL)); /* second length byte missing */
    /* code 3 CBR: 3 frames of 20 ms */
    p[0] = 31 << 3 | 3;
    p[1] = 3;
    g_assert_true(valid(p, 2 + 30, &samples));
    g_assert_cmpuint(samples, ==, 2880);
    g_assert_false(valid(p, 2 + 31, NULL)); /* not a multiple of 3 */
    p[1] = 0;
    g_assert_false(valid(p, 10, NULL)); /* no frames */
    p[1] = 7;                           /* 140 ms */
    g_assert_false(valid(p, 2 + 70, NULL));
    p[0] = 3 << 3 | 3; /* SILK 60 ms x 2 = 120 ms: the most allowed */
    p[1] = 2;
    g_assert_true(valid(p, 2 + 20, &samples));
    g_assert_cmpuint(samples, ==, 5760);
    p[1] = 3;
    g_assert_false(valid(p, 2 + 30, NULL));
    /* code 3 VBR with padding */
    p[0] = 31 << 3 | 3;
    p[1] = 0x80 | 0x40 | 2;
    p[2] = 255; /* 254 + */
    p[3] = 6;   /* 6 bytes of padding */
    p[4] = 10;  /* first frame 10 bytes */
    g_assert_true(valid(p, 5 + 10 + 7 + 260, NULL));
    g_assert_false(valid(p, 5 + 100, NULL)); /* padding beyond the packet */
    p[4] = 252;
    p[5] = 200; /* 1052 bytes, more than is left */
    g_assert_false(valid(p, 6 + 260 + 100, NULL));
    p[1] = 0x40 | 1;
    p[2] = 255; /* padding never ends */
    g_assert_false(valid(p, 3, NULL));
}

static void test_rtp(void)
{
    guint8 r[64] = {0x80, 111};
    const guint8 *payload;
    gsize len;
    g_assert_true(cg_rtp_payload(r, 20, &payload, &len));
    g_assert_true(payload == r + 12);
    g_assert_cmpuint(len, ==, 8);
    g_assert_false(cg_rtp_payload(r, 11, &payload, &len));
    r[0] = 0x40;
    g_assert_false(cg_rtp_payload(r, 20, &payload, &len));
    /* two CSRCs and a one-word extension */
    r[0] = 0x80 | 0x10 | 2;
    r[22] = 0;
    r[23] = 1;
    g_assert_true(cg_rtp_payload(r, 40, &payload, &len));
    g_assert_true(payload == r + 12 + 8 + 8);
    g_assert_cmpuint(len, ==, 12);
    g_assert_false(cg_rtp_payload(r, 27, &payload, &len));
    /* padding */
    r[0] = 0x80 | 0x20;
    r[39] = 4;
    g_assert_true(cg_rtp_payload(r, 40, &payload, &len));
    g_assert_cmpuint(len, ==, 24);
    r[39] = 0;
    g_assert_false(cg_rtp_payload(r, 40, &payload, &len));
    r[39] = 41;
    g_assert_false(cg_rtp_payload(r, 40, &payload, &len));
    r[39] = 30; /* padding eating into the header */
    g_assert_false(cg_rtp_payload(r, 40, &payload, &len));
}

/* Random bytes: never a read out of bounds (ASan), and most refused. */
static void test_random(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(5);
    guint accepted = 0;
    for (guint i = 0; i < 200000; i++) {
        gsize len = g_rand_int_range(rand, 0, 64);
        guint8 *p = g_malloc(MAX(len, 1));
        for (gsize j = 0; j < len; j++)
            p[j] = (guint8)g_rand_int(rand);
        const guint8 *payload;
        gsize plen;
        if (cg_rtp_payload(p, len, &payload, &plen))
            g_assert_true(payload >= p && payload + plen <= p + len);
        guint samples = 0;
        if (cg_opus_packet_valid(p, len, &samples)) {
            accepted++;
            g_assert_cmpuint(samples, >=, 120);
            g_assert_cmpuint(samples, <=, 5760);
        }
        g_free(p);
    }
    g_test_message("random packets taken for Opus: %u of 200000", accepted);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opus-packet/codes", test_codes);
    g_test_add_func("/opus-packet/rtp", test_rtp);
    g_test_add_func("/opus-packet/random", test_random);
    return g_test_run();
}
