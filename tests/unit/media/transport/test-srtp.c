/* test-srtp.c — media/transport/srtp.c against the RFC 3711 and RFC 7714 test vectors,
 * against itself (round trips, tampering, replay, ROC wrap, limits, hostile
 * input) and, when built with libsrtp2, against libsrtp2 in both directions,
 * byte for byte. */
#include "srtp.h"
#include "srtp-testing.h"

#include <string.h>

#ifdef CG_HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif

#define BUF_SIZE 2048

static const CgSrtpProfile all_profiles[] = {
    CG_SRTP_PROFILE_AES128_CM_SHA1_80,
    CG_SRTP_PROFILE_AES128_CM_SHA1_32,
    CG_SRTP_PROFILE_AEAD_AES_128_GCM,
};

static const guint8 master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                      0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const guint8 master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                       0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

/* ---- helpers -------------------------------------------------------------------------------- */

static gsize unhex(const char *hex, guint8 *out, gsize max)
{
    gsize n = 0;
    int hi = -1;
    for (const char *c = hex; *c; c++) {
        if (g_ascii_isspace(*c))
            continue;
        int v = g_ascii_xdigit_value(*c);
        g_assert_cmpint(v, >=, 0);
        if (hi < 0) {
            hi = v;
            continue;
        }
        g_assert_cmpuint(n, <, max);
        out[n++] = (guint8)(hi << 4 | v);
        hi = -1;
    }
    g_assert_cmpint(hi, ==, -1);
    return n;
}

static void assert_hex(const guint8 *data, gsize len, const char *hex)
{
    guint8 want[256];
    gsize n = unhex(hex, want, sizeof want);
    g_assert_cmpmem(data, len, want, n);
}

static gsize rtp_overhead(CgSrtpProfile profile)
{
    switch (profile) {
    case CG_SRTP_PROFILE_AES128_CM_SHA1_80:
        return 10;
    case CG_SRTP_PROFILE_AES128_CM_SHA1_32:
        return 4;
    default:
        return 16;
    }
}

static gsize rtcp_overhead(CgSrtpProfile profile)
{
    return profile == CG_SRTP_PROFILE_AEAD_AES_128_GCM ? 20 : 14;
}

/* An RTP packet: @n_csrc CSRCs, a header extension of @ext_words words (none
 * if negative), @payload_len bytes of a pattern that depends on @seq. */
static gsize make_rtp(guint8 *buf, guint16 seq, guint32 ssrc, guint n_csrc, int ext_words,
                      gsize payload_len)
{
    gsize n = 0;
    buf[n++] = (guint8)(0x80 | (ext_words >= 0 ? 0x10 : 0) | n_csrc);
    buf[n++] = 96 | (seq % 7 == 0 ? 0x80 : 0);
    buf[n++] = (guint8)(seq >> 8);
    buf[n++] = (guint8)seq;
    guint32 ts = 90000u + seq * 3000u;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (guint8)(ts >> (8 * i));
    for (int i = 3; i >= 0; i--)
        buf[n++] = (guint8)(ssrc >> (8 * i));
    for (guint c = 0; c < n_csrc; c++) {
        for (int i = 3; i >= 0; i--)
            buf[n++] = (guint8)((0x1000 + c) >> (8 * i));
    }
    if (ext_words >= 0) {
        buf[n++] = 0xbe;
        buf[n++] = 0xde;
        buf[n++] = 0;
        buf[n++] = (guint8)ext_words;
        for (int i = 0; i < ext_words * 4; i++)
            buf[n++] = (guint8)(0x10 + i);
    }
    for (gsize i = 0; i < payload_len; i++)
        buf[n++] = (guint8)(seq * 31 + i);
    return n;
}

/* A sender report from @ssrc with @extra_words words after the sender info. */
static gsize make_rtcp(guint8 *buf, guint32 ssrc, guint extra_words, guint8 fill)
{
    guint words = 6 + extra_words; /* length field: words minus one */
    gsize n = 0;
    buf[n++] = 0x80;
    buf[n++] = 200;
    buf[n++] = (guint8)(words >> 8);
    buf[n++] = (guint8)words;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (guint8)(ssrc >> (8 * i));
    for (guint i = 0; i < (words - 1) * 4; i++)
        buf[n++] = (guint8)(fill + i);
    return n;
}

static CgSrtp *new_ctx(CgSrtpProfile profile, CgSrtpDirection direction)
{
    g_autoptr(GError) error = NULL;
    CgSrtp *s = cg_srtp_new(profile, direction, master_key, sizeof master_key, master_salt,
                            cg_srtp_profile_salt_len(profile), &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    return s;
}

/* Protects @plain[0..@len) with @tx into @out; returns the SRTP length. */
static gsize protect_ok(CgSrtp *tx, const guint8 *plain, gsize len, guint8 *out)
{
    g_autoptr(GError) error = NULL;
    gsize out_len = 0;
    memcpy(out, plain, len);
    g_assert_true(cg_srtp_protect(tx, out, len, BUF_SIZE, &out_len, &error));
    g_assert_no_error(error);
    return out_len;
}

static void unprotect_ok(CgSrtp *rx, guint8 *srtp, gsize len, const guint8 *plain, gsize plain_len)
{
    g_autoptr(GError) error = NULL;
    gsize out_len = 0;
    g_assert_true(cg_srtp_unprotect(rx, srtp, len, &out_len, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(srtp, out_len, plain, plain_len);
}

/* Unprotects a copy of @srtp and expects @code; @srtp itself stays as it was. */
static void unprotect_fails(CgSrtp *rx, const guint8 *srtp, gsize len, gint code)
{
    g_autoptr(GError) error = NULL;
    guint8 copy[BUF_SIZE];
    gsize out_len = 0;
    memcpy(copy, srtp, len);
    g_assert_false(cg_srtp_unprotect(rx, copy, len, &out_len, &error));
    g_assert_error(error, CG_SRTP_ERROR, code);
    g_assert_cmpmem(copy, len, srtp, len);
}

/* ---- test vectors --------------------------------------------------------------------------- */

/* RFC 3711 B.2: AES-CM keystream; the last three blocks are 0xfeff blocks in,
 * so the 16-bit block counter is exercised too. */
static void test_rfc3711_keystream(void)
{
    guint8 key[16], salt[14];
    unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof key);
    unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof salt);
    gsize len = 0xff02 * 16;
    g_autofree guint8 *ks = g_malloc(len);
    g_assert_true(cg_srtp_testing_keystream(key, salt, 0, 0, ks, len));
    assert_hex(ks, 48,
               "E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
               "41E95B3BB0A2E8DD477901E4FCA894C0");
    assert_hex(ks + 0xfeff * 16, 48,
               "EC8CDF7398607CB0F2D21675EA9EA1E4"
               "362B7C3C6773516318A077D7FC5073AE"
               "6A2CC3787889374FBEB4C81B17BA6C44");
}

/* RFC 3711 B.3: key derivation (the auth key is given to 94 bytes). */
static void test_rfc3711_kdf(void)
{
    guint8 out[94];
    g_assert_true(cg_srtp_testing_derive(master_key, master_salt, 14, 0x00, out, 16));
    assert_hex(out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
    g_assert_true(cg_srtp_testing_derive(master_key, master_salt, 14, 0x02, out, 14));
    assert_hex(out, 14, "30CBBC08863D8C85D49DB34A9AE1");
    g_assert_true(cg_srtp_testing_derive(master_key, master_salt, 14, 0x01, out, 94));
    assert_hex(out, 94,
               "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
               "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
               "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2");
}

#define RFC7714_KEY "000102030405060708090a0b0c0d0e0f"
#define RFC7714_SALT "517569642070726f2071756f"

/* RFC 7714 16.1.1: AEAD_AES_128_GCM, SRTP, session keys given directly. */
static void test_rfc7714_rtp(void)
{
    guint8 key[16], salt[12], buf[BUF_SIZE], plain[128];
    unhex(RFC7714_KEY, key, sizeof key);
    unhex(RFC7714_SALT, salt, sizeof salt);
    gsize len = unhex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
                      "20646976 69736120 696e2070 61727465 73207472 6573",
                      plain, sizeof plain);
    g_autoptr(CgSrtp) tx = cg_srtp_testing_new_with_session_keys(
        CG_SRTP_PROFILE_AEAD_AES_128_GCM, CG_SRTP_DIRECTION_OUTBOUND, key, salt, NULL);
    g_autoptr(CgSrtp) rx = cg_srtp_testing_new_with_session_keys(
        CG_SRTP_PROFILE_AEAD_AES_128_GCM, CG_SRTP_DIRECTION_INBOUND, key, salt, NULL);
    gsize n = protect_ok(tx, plain, len, buf);
    assert_hex(buf, n,
               "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
               "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce");
    unprotect_ok(rx, buf, n, plain, len);
}

/* RFC 7714 17.1: AEAD_AES_128_GCM, SRTCP index 0x5d4. */
static void test_rfc7714_rtcp(void)
{
    g_autoptr(GError) error = NULL;
    guint8 key[16], salt[12], buf[BUF_SIZE], plain[128];
    unhex(RFC7714_KEY, key, sizeof key);
    unhex(RFC7714_SALT, salt, sizeof salt);
    gsize len = unhex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
                      "deadbeef deadbeef deadbeef deadbeef deadbeef",
                      plain, sizeof plain);
    g_autoptr(CgSrtp) tx = cg_srtp_testing_new_with_session_keys(
        CG_SRTP_PROFILE_AEAD_AES_128_GCM, CG_SRTP_DIRECTION_OUTBOUND, key, salt, NULL);
    g_autoptr(CgSrtp) rx = cg_srtp_testing_new_with_session_keys(
        CG_SRTP_PROFILE_AEAD_AES_128_GCM, CG_SRTP_DIRECTION_INBOUND, key, salt, NULL);
    g_assert_true(cg_srtp_testing_seed(tx, 0x4d617273, 0, 0x5d4));
    gsize n = 0;
    memcpy(buf, plain, len);
    g_assert_true(cg_srtcp_protect(tx, buf, len, sizeof buf, &n, &error));
    g_assert_no_error(error);
    assert_hex(buf, n,
               "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
               "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
               "45d9eade 800005d4");
    gsize out = 0;
    g_assert_true(cg_srtcp_unprotect(rx, buf, n, &out, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(buf, out, plain, len);
}

/* ---- SRTP against ourselves ----------------------------------------------------------------- */

static void test_profile_lengths(void)
{
    g_assert_cmpuint(cg_srtp_profile_key_len(CG_SRTP_PROFILE_AES128_CM_SHA1_80), ==, 16);
    g_assert_cmpuint(cg_srtp_profile_salt_len(CG_SRTP_PROFILE_AES128_CM_SHA1_32), ==, 14);
    g_assert_cmpuint(cg_srtp_profile_salt_len(CG_SRTP_PROFILE_AEAD_AES_128_GCM), ==, 12);
    g_assert_cmpuint(cg_srtp_profile_key_len((CgSrtpProfile)8), ==, 0);
    g_assert_cmpuint(cg_srtp_profile_salt_len((CgSrtpProfile)0), ==, 0);
}

static void test_bad_key(void)
{
    g_autoptr(GError) error = NULL;
    CgSrtp *s = cg_srtp_new((CgSrtpProfile)5, CG_SRTP_DIRECTION_INBOUND, master_key, 16,
                            master_salt, 14, &error);
    g_assert_null(s);
    g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_BAD_KEY);
    g_clear_error(&error);
    s = cg_srtp_new(CG_SRTP_PROFILE_AES128_CM_SHA1_80, CG_SRTP_DIRECTION_INBOUND, master_key, 15,
                    master_salt, 14, &error);
    g_assert_null(s);
    g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_BAD_KEY);
    g_clear_error(&error);
    /* a GCM salt for a CM profile, and the other way round */
    s = cg_srtp_new(CG_SRTP_PROFILE_AES128_CM_SHA1_80, CG_SRTP_DIRECTION_INBOUND, master_key, 16,
                    master_salt, 12, &error);
    g_assert_null(s);
    g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_BAD_KEY);
    g_clear_error(&error);
    s = cg_srtp_new(CG_SRTP_PROFILE_AEAD_AES_128_GCM, CG_SRTP_DIRECTION_INBOUND, master_key, 16,
                    master_salt, 14, &error);
    g_assert_null(s);
    g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_BAD_KEY);
    g_clear_error(&error);
    s = cg_srtp_new(CG_SRTP_PROFILE_AES128_CM_SHA1_80, CG_SRTP_DIRECTION_INBOUND, NULL, 16,
                    master_salt, 14, &error);
    g_assert_null(s);
    g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_BAD_KEY);
}

typedef struct {
    guint n_csrc;
    int ext_words;
    gsize payload;
} Shape;

static const Shape shapes[] = {
    {0, -1, 160}, {3, -1, 100}, {0, 2, 1200}, {15, 0, 33}, {2, 5, 1}, {0, -1, 0}, {1, 1, 0},
};

static void test_roundtrip(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        for (guint i = 0; i < G_N_ELEMENTS(shapes); i++) {
            guint8 plain[BUF_SIZE], buf[BUF_SIZE];
            const Shape *sh = &shapes[i];
            gsize len = make_rtp(plain, (guint16)(1000 + i), 0xcafe0001, sh->n_csrc, sh->ext_words,
                                 sh->payload);
            gsize hdr = len - sh->payload;
            gsize n = protect_ok(tx, plain, len, buf);
            g_assert_cmpuint(n, ==, len + rtp_overhead(all_profiles[p]));
            g_assert_cmpmem(buf, hdr, plain, hdr); /* the header stays in the clear */
            if (sh->payload >= 8)
                g_assert_true(memcmp(buf + hdr, plain + hdr, sh->payload) != 0);
            unprotect_ok(rx, buf, n, plain, len);
        }
    }
}

/* Every single-bit change of a protected packet is refused, leaves the
 * packet as it was and does not disturb the receiver. */
static void test_tamper(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], srtp[BUF_SIZE];
        gsize len = make_rtp(plain, 4242, 0x11223344, 2, 1, 64);
        gsize n = protect_ok(tx, plain, len, srtp);
        gsize tag = rtp_overhead(all_profiles[p]);

        /* named cases: payload, tag, marker bit, timestamp, CSRC, extension */
        const gsize positions[] = {len - 1, len + tag - 1, len, 1, 3, 5, 14, 25};
        for (guint i = 0; i < G_N_ELEMENTS(positions); i++) {
            srtp[positions[i]] ^= 0x01;
            unprotect_fails(rx, srtp, n, CG_SRTP_ERROR_AUTH_FAILED);
            srtp[positions[i]] ^= 0x01;
        }
        for (gsize byte = 0; byte < n; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                g_autoptr(GError) error = NULL;
                guint8 copy[BUF_SIZE];
                gsize out = 0;
                memcpy(copy, srtp, n);
                copy[byte] ^= (guint8)(1 << bit);
                g_assert_false(cg_srtp_unprotect(rx, copy, n, &out, &error));
                g_assert_nonnull(error);
                g_assert_true(g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_AUTH_FAILED) ||
                              g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED));
                copy[byte] ^= (guint8)(1 << bit);
                g_assert_cmpmem(copy, n, srtp, n);
            }
        }
        g_assert_cmpuint(cg_srtp_testing_stream_count(rx), ==, 0);
        unprotect_ok(rx, srtp, n, plain, len);
    }
}

static void test_replay(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], srtp[5][BUF_SIZE], again[BUF_SIZE];
        gsize lens[5];
        for (guint i = 0; i < 5; i++) {
            gsize len = make_rtp(plain, (guint16)(7 + i), 0xabcdef01, 0, -1, 50);
            lens[i] = protect_ok(tx, plain, len, srtp[i]);
        }
        for (guint i = 0; i < 5; i++) {
            memcpy(again, srtp[i], lens[i]);
            gsize out = 0;
            g_assert_true(cg_srtp_unprotect(rx, again, lens[i], &out, NULL));
        }
        unprotect_fails(rx, srtp[2], lens[2], CG_SRTP_ERROR_REPLAYED);
        unprotect_fails(rx, srtp[4], lens[4], CG_SRTP_ERROR_REPLAYED);

        /* the sender refuses to use an index twice: that would reuse keystream */
        g_autoptr(GError) error = NULL;
        gsize len = make_rtp(plain, 9, 0xabcdef01, 0, -1, 50), out = 0;
        g_assert_false(cg_srtp_protect(tx, plain, len, sizeof plain, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_REPLAYED);
    }
}

/* Packets out of order within the window are accepted once each; one that is
 * CG_SRTP_REPLAY_WINDOW behind the highest is refused. */
static void test_reorder(void)
{
    enum { N = 300 };
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        g_autofree guint8 *srtp = g_malloc(N * 256);
        gsize lens[N];
        guint8 plain[BUF_SIZE];
        for (guint i = 0; i < N; i++) {
            gsize len = make_rtp(plain, (guint16)(65400 + i), 0x5eed, 0, -1, 100);
            lens[i] = protect_ok(tx, plain, len, srtp + i * 256);
        }
        /* deliver in blocks of 64, each block reversed: every packet is late
         * but within the window; this also crosses the sequence number wrap */
        for (guint base = 0; base < N; base += 64) {
            guint end = MIN(base + 64, N);
            for (guint i = end; i-- > base;) {
                guint8 copy[256];
                gsize out = 0;
                memcpy(copy, srtp + i * 256, lens[i]);
                g_assert_true(cg_srtp_unprotect(rx, copy, lens[i], &out, NULL));
                unprotect_fails(rx, srtp + i * 256, lens[i], CG_SRTP_ERROR_REPLAYED);
            }
        }
        guint32 roc = 0;
        g_assert_true(cg_srtp_testing_get_roc(rx, 0x5eed, &roc));
        g_assert_cmpuint(roc, ==, 1);

        /* window edge, before the wrap (a new receiver starts at ROC 0): with
         * packet top the highest, top - 127 is accepted, top - 128 too old */
        g_autoptr(CgSrtp) rx2 = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 copy[256];
        gsize out = 0;
        const guint top = 130;
        memcpy(copy, srtp + top * 256, lens[top]);
        g_assert_true(cg_srtp_unprotect(rx2, copy, lens[top], &out, NULL));
        guint edge = top - (CG_SRTP_REPLAY_WINDOW - 1);
        memcpy(copy, srtp + edge * 256, lens[edge]);
        g_assert_true(cg_srtp_unprotect(rx2, copy, lens[edge], &out, NULL));
        unprotect_fails(rx2, srtp + (edge - 1) * 256, lens[edge - 1], CG_SRTP_ERROR_REPLAYED);
    }
}

/* The replay window against a model of it. Packets are sent in order and
 * arrive jittered (up to 150 late, leaving holes that fill later), some twice,
 * some never, across a wrap; each must be accepted exactly when it was not
 * accepted before and is less than CG_SRTP_REPLAY_WINDOW behind the highest
 * accepted so far. */
typedef struct {
    guint when;
    guint packet;
} Arrival;

static int arrival_cmp(gconstpointer a, gconstpointer b)
{
    const Arrival *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return x->packet < y->packet ? -1 : x->packet > y->packet;
}

static void test_window_model(void)
{
    enum { N = 4000, SLOT = 64 };
    g_autoptr(GRand) rand = g_rand_new_with_seed(7714);
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        g_autofree guint8 *srtp = g_malloc(N * SLOT);
        g_autofree gboolean *seen = g_new0(gboolean, N);
        g_autoptr(GArray) arrivals = g_array_new(FALSE, FALSE, sizeof(Arrival));
        gsize lens[N];
        guint8 plain[BUF_SIZE];
        for (guint i = 0; i < N; i++) {
            gsize len = make_rtp(plain, (guint16)(64000 + i), 0x3e3e, 0, -1, 8);
            lens[i] = protect_ok(tx, plain, len, srtp + i * SLOT);
            if (g_rand_int_range(rand, 0, 20) == 0)
                continue; /* lost */
            Arrival a = {i * 4, i};
            if (g_rand_int_range(rand, 0, 3) == 0)
                a.when += (guint)g_rand_int_range(rand, 0, 4 * 150);
            g_array_append_val(arrivals, a);
            if (g_rand_int_range(rand, 0, 5) == 0) {
                a.when += (guint)g_rand_int_range(rand, 0, 4 * 200);
                g_array_append_val(arrivals, a); /* duplicated */
            }
        }
        g_array_sort(arrivals, arrival_cmp);
        int top = -1;
        guint accepted = 0, late = 0, refused = 0;
        for (guint k = 0; k < arrivals->len; k++) {
            int i = (int)g_array_index(arrivals, Arrival, k).packet;
            gboolean want =
                !seen[i] && (top < 0 || i > top || top - i < (int)CG_SRTP_REPLAY_WINDOW);
            guint8 copy[SLOT];
            gsize out = 0;
            g_autoptr(GError) error = NULL;
            memcpy(copy, srtp + i * SLOT, lens[i]);
            gboolean got = cg_srtp_unprotect(rx, copy, lens[i], &out, &error);
            if (want != got)
                g_error("packet %d (highest %d): expected %s, got %s", i, top,
                        want ? "accepted" : "refused", got ? "accepted" : error->message);
            if (got) {
                late += i < top;
                seen[i] = TRUE;
                top = MAX(top, i);
                accepted++;
            } else {
                g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_REPLAYED);
                refused++;
            }
        }
        g_test_message("%u accepted (%u late), %u refused", accepted, late, refused);
        g_assert_cmpuint(late, >, N / 10);
        g_assert_cmpuint(refused, >, N / 10);
    }
}

/* 70000 packets in a row: the ROC goes to 1 on both sides and they agree
 * (the ROC is authenticated, so a disagreement would fail the tag). */
static void test_roc_wrap(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        guint16 seq = 12345;
        for (guint i = 0; i < 70000; i++, seq++) {
            gsize len = make_rtp(plain, seq, 0x0badf00d, 0, -1, 20);
            gsize n = protect_ok(tx, plain, len, buf);
            gsize out = 0;
            g_assert_true(cg_srtp_unprotect(rx, buf, n, &out, NULL));
            g_assert_cmpmem(buf, out, plain, len);
        }
        guint32 tx_roc = 0, rx_roc = 0;
        g_assert_true(cg_srtp_testing_get_roc(tx, 0x0badf00d, &tx_roc));
        g_assert_true(cg_srtp_testing_get_roc(rx, 0x0badf00d, &rx_roc));
        g_assert_cmpuint(tx_roc, ==, 1);
        g_assert_cmpuint(rx_roc, ==, 1);
    }
}

/* Sequence number jumps: forward by up to half the space keeps the ROC, a
 * jump through the wrap bumps it, and late packets from before a wrap still
 * use the old ROC. */
static void test_seq_jumps(void)
{
    static const guint16 seqs[] = {100, 30000, 60000, 10, 65530, 20, 32000};
    /* ROC of the highest index so far: 65530 comes late, from before the wrap */
    static const guint32 rocs[] = {0, 0, 0, 1, 1, 1, 1};
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        for (guint i = 0; i < G_N_ELEMENTS(seqs); i++) {
            gsize len = make_rtp(plain, seqs[i], 0x7777, 0, -1, 40);
            gsize n = protect_ok(tx, plain, len, buf);
            unprotect_ok(rx, buf, n, plain, len);
            guint32 roc = 0;
            g_assert_true(cg_srtp_testing_get_roc(rx, 0x7777, &roc));
            g_assert_cmpuint(roc, ==, rocs[i]);
            g_assert_true(cg_srtp_testing_get_roc(tx, 0x7777, &roc));
            g_assert_cmpuint(roc, ==, rocs[i]);
        }
    }
}

static void test_malformed(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        gsize tag = rtp_overhead(all_profiles[p]);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        gsize len = make_rtp(plain, 1, 0x1234, 2, 3, 40), out = 0;

        /* every truncation of a valid packet */
        gsize n = protect_ok(tx, plain, len, buf);
        for (gsize cut = 0; cut < n; cut++) {
            g_autoptr(GError) error = NULL;
            guint8 copy[BUF_SIZE];
            memcpy(copy, buf, cut);
            g_assert_false(cg_srtp_unprotect(rx, copy, cut, &out, &error));
            g_assert_true(g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_AUTH_FAILED) ||
                          g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED));
        }
        unprotect_ok(rx, buf, n, plain, len);

        struct {
            const char *what;
            guint8 b0;
            gsize len;
        } cases[] = {
            {"shorter than the fixed header", 0x80, 11},
            {"version 1", 0x40, 200},
            {"15 CSRCs in 60 bytes", 0x8f, 60},
            {"extension header past the end", 0x90, 12 + 3},
            {"extension words past the end", 0x90, 12 + 4 + 8},
        };
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autoptr(GError) error = NULL;
            memset(buf, 0, sizeof buf);
            buf[0] = cases[i].b0;
            buf[12 + 3] = 3; /* extension length 3 words, when there is one */
            g_test_message("case: %s", cases[i].what);
            /* exact-size copies, so that ASan sees any read past the end */
            g_autofree guint8 *exact = g_memdup2(buf, cases[i].len);
            g_assert_false(cg_srtp_protect(tx, exact, cases[i].len, cases[i].len, &out, &error));
            g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
            g_clear_error(&error);
            g_autofree guint8 *exact_srtp = g_memdup2(buf, cases[i].len + tag);
            g_assert_false(cg_srtp_unprotect(rx, exact_srtp, cases[i].len + tag, &out, &error));
            g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        }

        g_autoptr(GError) error = NULL;
        g_autofree guint8 *huge = g_malloc0(CG_SRTP_MAX_PACKET_BYTES + 64);
        gsize huge_len = make_rtp(huge, 2, 0x1234, 0, -1, CG_SRTP_MAX_PACKET_BYTES - 11);
        g_assert_false(
            cg_srtp_protect(tx, huge, huge_len, CG_SRTP_MAX_PACKET_BYTES + 64, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        g_clear_error(&error);
        g_assert_false(cg_srtp_unprotect(rx, huge, huge_len, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        g_clear_error(&error);
        /* the longest accepted packet goes through */
        huge_len = make_rtp(huge, 2, 0x1234, 0, -1, CG_SRTP_MAX_PACKET_BYTES - 12);
        g_assert_true(
            cg_srtp_protect(tx, huge, huge_len, CG_SRTP_MAX_PACKET_BYTES + 64, &out, &error));
        g_assert_no_error(error);
    }
}

/* Random bytes of random lengths never pass, never crash (run under ASan),
 * and never create a stream. */
static void test_garbage(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240501);
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        for (guint i = 0; i < 20000; i++) {
            gsize len = (gsize)g_rand_int_range(rand, 0, 1500);
            g_autofree guint8 *buf = g_malloc(MAX(len, 1)); /* exact size: ASan sees overreads */
            for (gsize j = 0; j < len; j++)
                buf[j] = (guint8)g_rand_int(rand);
            if (len > 0 && g_rand_boolean(rand))
                buf[0] = (guint8)((buf[0] & 0x3f) | 0x80); /* often version 2 */
            gsize out = 0;
            if (i % 2)
                g_assert_false(cg_srtp_unprotect(rx, buf, len, &out, NULL));
            else
                g_assert_false(cg_srtcp_unprotect(rx, buf, len, &out, NULL));
        }
        g_assert_cmpuint(cg_srtp_testing_stream_count(rx), ==, 0);
    }
}

static void test_no_room(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        gsize len = make_rtp(plain, 1, 0x1234, 0, -1, 40), out = 0;
        gsize tag = rtp_overhead(all_profiles[p]);
        memcpy(buf, plain, len);
        for (gsize cap = 0; cap < len + tag; cap++) {
            g_autoptr(GError) error = NULL;
            g_assert_false(cg_srtp_protect(tx, buf, len, cap, &out, &error));
            g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_NO_ROOM);
            g_assert_cmpmem(buf, len, plain, len);
        }
        g_assert_true(cg_srtp_protect(tx, buf, len, len + tag, &out, NULL));
        g_assert_cmpuint(out, ==, len + tag);

        len = make_rtcp(plain, 0x1234, 3, 9);
        memcpy(buf, plain, len);
        for (gsize cap = 0; cap < len + rtcp_overhead(all_profiles[p]); cap++) {
            g_autoptr(GError) error = NULL;
            g_assert_false(cg_srtcp_protect(tx, buf, len, cap, &out, &error));
            g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_NO_ROOM);
            g_assert_cmpmem(buf, len, plain, len);
        }
    }
}

static void test_limits(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) tx2 = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        gsize len, n, out;

        for (guint32 ssrc = 1; ssrc <= CG_SRTP_MAX_SSRCS; ssrc++) {
            len = make_rtp(plain, 1, ssrc, 0, -1, 10);
            n = protect_ok(tx, plain, len, buf);
            unprotect_ok(rx, buf, n, plain, len);
        }
        g_autoptr(GError) error = NULL;
        len = make_rtp(plain, 1, 1000, 0, -1, 10);
        memcpy(buf, plain, len);
        g_assert_false(cg_srtp_protect(tx, buf, len, sizeof buf, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_LIMIT);
        g_clear_error(&error);
        len = make_rtcp(plain, 1000, 0, 1);
        g_assert_false(cg_srtcp_protect(tx, plain, len, sizeof plain, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_LIMIT);
        g_clear_error(&error);
        /* an authentic 65th stream at the receiver, from another sender context */
        len = make_rtp(plain, 1, 1000, 0, -1, 10);
        n = protect_ok(tx2, plain, len, buf);
        unprotect_fails(rx, buf, n, CG_SRTP_ERROR_LIMIT);
        /* known streams still work */
        len = make_rtp(plain, 2, 64, 0, -1, 10);
        n = protect_ok(tx, plain, len, buf);
        unprotect_ok(rx, buf, n, plain, len);

        /* the 48-bit index space: ROC 2^32-1 at SEQ 65535 is the last packet */
        g_autoptr(CgSrtp) tx3 = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_assert_true(cg_srtp_testing_seed(tx3, 5, G_GUINT64_CONSTANT(0xfffffffffffe), 0x7fffffff));
        len = make_rtp(plain, 0xffff, 5, 0, -1, 10);
        protect_ok(tx3, plain, len, buf);
        len = make_rtp(plain, 0, 5, 0, -1, 10);
        memcpy(buf, plain, len);
        g_assert_false(cg_srtp_protect(tx3, buf, len, sizeof buf, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_LIMIT);
        g_clear_error(&error);
        /* the 31-bit SRTCP index space: 0x7fffffff is the last one */
        len = make_rtcp(plain, 5, 2, 3);
        memcpy(buf, plain, len);
        g_assert_true(cg_srtcp_protect(tx3, buf, len, sizeof buf, &out, &error));
        g_assert_no_error(error);
        memcpy(buf, plain, len);
        g_assert_false(cg_srtcp_protect(tx3, buf, len, sizeof buf, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_LIMIT);
    }
}

/* Using a context in the wrong direction is a programmer error. */
static void test_wrong_direction(void)
{
    g_autoptr(CgSrtp) rx = new_ctx(CG_SRTP_PROFILE_AES128_CM_SHA1_80, CG_SRTP_DIRECTION_INBOUND);
    guint8 buf[BUF_SIZE];
    gsize len = make_rtp(buf, 1, 1, 0, -1, 10), out = 0;
    g_test_expect_message("cg-media", G_LOG_LEVEL_CRITICAL, "*OUTBOUND*");
    g_assert_false(cg_srtp_protect(rx, buf, len, sizeof buf, &out, NULL));
    g_test_assert_expected_messages();
}

/* ---- SRTCP against ourselves ---------------------------------------------------------------- */

/* Protects four sender reports (index 0..3) from one SSRC into @srtcp. */
static void protect_four_rtcp(CgSrtp *tx, CgSrtpProfile profile, guint8 (*srtcp)[BUF_SIZE],
                              gsize *lens)
{
    guint8 plain[BUF_SIZE];
    for (guint i = 0; i < 4; i++) {
        g_autoptr(GError) error = NULL;
        gsize len = make_rtcp(plain, 0xfeedbeef, i * 5, (guint8)i);
        memcpy(srtcp[i], plain, len);
        g_assert_true(cg_srtcp_protect(tx, srtcp[i], len, BUF_SIZE, &lens[i], &error));
        g_assert_no_error(error);
        g_assert_cmpuint(lens[i], ==, len + rtcp_overhead(profile));
        g_assert_cmpmem(srtcp[i], 8, plain, 8); /* header and sender SSRC in the clear */
        if (len > 8)
            g_assert_true(memcmp(srtcp[i] + 8, plain + 8, len - 8) != 0);
        /* E flag and the index: 0, 1, 2, ... */
        gsize trailer = len + (profile == CG_SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 0);
        guint8 want[4] = {0x80, 0, 0, (guint8)i};
        g_assert_cmpmem(srtcp[i] + trailer, 4, want, 4);
    }
}

static void test_srtcp_roundtrip_replay(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 plain[BUF_SIZE], srtcp[4][BUF_SIZE], copy[BUF_SIZE];
        gsize lens[4], out = 0;
        protect_four_rtcp(tx, all_profiles[p], srtcp, lens);

        /* deliver 1, 3, 0, 2: out of order is fine, each once */
        static const guint order[] = {1, 3, 0, 2};
        for (guint k = 0; k < 4; k++) {
            guint i = order[k];
            g_autoptr(GError) error = NULL;
            gsize len = make_rtcp(plain, 0xfeedbeef, i * 5, (guint8)i);
            memcpy(copy, srtcp[i], lens[i]);
            g_assert_true(cg_srtcp_unprotect(rx, copy, lens[i], &out, &error));
            g_assert_no_error(error);
            g_assert_cmpmem(copy, out, plain, len);

            memcpy(copy, srtcp[i], lens[i]);
            g_assert_false(cg_srtcp_unprotect(rx, copy, lens[i], &out, &error));
            g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_REPLAYED);
            g_assert_cmpmem(copy, lens[i], srtcp[i], lens[i]);
        }
    }
}

/* Every single-bit change and every truncation is refused and leaves the
 * packet as it was; the packet itself still passes afterwards. */
static void test_srtcp_tamper(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        g_autoptr(CgSrtp) tx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(all_profiles[p], CG_SRTP_DIRECTION_INBOUND);
        guint8 srtcp[4][BUF_SIZE], copy[BUF_SIZE];
        gsize lens[4], out = 0;
        protect_four_rtcp(tx, all_profiles[p], srtcp, lens);

        gsize n = lens[3];
        for (gsize byte = 0; byte < n; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                g_autoptr(GError) error = NULL;
                memcpy(copy, srtcp[3], n);
                copy[byte] ^= (guint8)(1 << bit);
                g_assert_false(cg_srtcp_unprotect(rx, copy, n, &out, &error));
                /* the E flag is MALFORMED, every other bit AUTH_FAILED */
                g_assert_true(g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_AUTH_FAILED) ||
                              g_error_matches(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED));
                copy[byte] ^= (guint8)(1 << bit);
                g_assert_cmpmem(copy, n, srtcp[3], n);
            }
        }
        for (gsize cut = 0; cut < n; cut++) {
            g_autofree guint8 *exact = g_memdup2(srtcp[3], MAX(cut, 1));
            g_assert_false(cg_srtcp_unprotect(rx, exact, cut, &out, NULL));
        }
        g_assert_cmpuint(cg_srtp_testing_stream_count(rx), ==, 0);
        memcpy(copy, srtcp[3], n);
        g_assert_true(cg_srtcp_unprotect(rx, copy, n, &out, NULL));
    }
}

static void test_srtcp_malformed(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) tx = new_ctx(profile, CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(profile, CG_SRTP_DIRECTION_INBOUND);
        g_autoptr(GError) error = NULL;
        guint8 srtcp[4][BUF_SIZE], copy[BUF_SIZE];
        gsize lens[4], out = 0;
        protect_four_rtcp(tx, profile, srtcp, lens);

        /* E flag clear (unencrypted SRTCP): refused, even though authentic */
        gsize trailer = lens[2] - 4 - (profile == CG_SRTP_PROFILE_AEAD_AES_128_GCM ? 0 : 10);
        memcpy(copy, srtcp[2], lens[2]);
        copy[trailer] &= 0x7f;
        g_assert_false(cg_srtcp_unprotect(rx, copy, lens[2], &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        g_clear_error(&error);

        /* not RTCP version 2, or shorter than header and sender SSRC */
        memset(copy, 0, 8);
        copy[0] = 0x40;
        g_assert_false(cg_srtcp_protect(tx, copy, 8, sizeof copy, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        g_clear_error(&error);
        copy[0] = 0x80;
        g_assert_false(cg_srtcp_protect(tx, copy, 7, sizeof copy, &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
        g_clear_error(&error);
        memcpy(copy, srtcp[1], lens[1]);
        copy[0] = 0x40;
        g_assert_false(cg_srtcp_unprotect(rx, copy, lens[1], &out, &error));
        g_assert_error(error, CG_SRTP_ERROR, CG_SRTP_ERROR_MALFORMED);
    }
}

/* ---- interop with libsrtp2 ------------------------------------------------------------------ */

#ifdef CG_HAVE_LIBSRTP2

static srtp_t lib_session(CgSrtpProfile profile, gboolean outbound, guint32 ssrc)
{
    srtp_policy_t policy;
    guint8 key[30];
    gsize salt_len = cg_srtp_profile_salt_len(profile);
    memset(&policy, 0, sizeof policy);
    /* the mapping libsrtp applies for DTLS-SRTP, as browsers use it */
    g_assert_cmpint(
        srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile), ==,
        srtp_err_status_ok);
    g_assert_cmpint(
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile), ==,
        srtp_err_status_ok);
    memcpy(key, master_key, 16);
    memcpy(key + 16, master_salt, salt_len);
    policy.key = key;
    policy.ssrc.type = ssrc ? ssrc_specific : (outbound ? ssrc_any_outbound : ssrc_any_inbound);
    policy.ssrc.value = ssrc;
    policy.window_size = 128;
    srtp_t session = NULL;
    g_assert_cmpint(srtp_create(&session, &policy), ==, srtp_err_status_ok);
    return session;
}

/* Ours protects, libsrtp2 unprotects; and both protect the same packets to
 * the same bytes. Crosses a sequence number wrap with every header shape. */
static void test_interop_rtp_to_libsrtp(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) tx = new_ctx(profile, CG_SRTP_DIRECTION_OUTBOUND);
        srtp_t lib_rx = lib_session(profile, FALSE, 0);
        srtp_t lib_tx = lib_session(profile, TRUE, 0);
        guint16 seq = 65500;
        for (guint i = 0; i < 100; i++, seq++) {
            const Shape *sh = &shapes[i % G_N_ELEMENTS(shapes)];
            guint8 plain[BUF_SIZE], ours[BUF_SIZE], theirs[BUF_SIZE];
            guint32 ssrc = 0x100 + i % 3;
            gsize len = make_rtp(plain, seq, ssrc, sh->n_csrc, sh->ext_words, sh->payload);
            gsize n = protect_ok(tx, plain, len, ours);

            memcpy(theirs, plain, len);
            int lib_len = (int)len;
            g_assert_cmpint(srtp_protect(lib_tx, theirs, &lib_len), ==, srtp_err_status_ok);
            g_assert_cmpmem(ours, n, theirs, (gsize)lib_len);

            lib_len = (int)n;
            g_assert_cmpint(srtp_unprotect(lib_rx, ours, &lib_len), ==, srtp_err_status_ok);
            g_assert_cmpmem(ours, (gsize)lib_len, plain, len);
        }
        guint32 roc = 0, lib_roc = 0;
        g_assert_true(cg_srtp_testing_get_roc(tx, 0x100, &roc));
        g_assert_cmpint(srtp_get_stream_roc(lib_rx, 0x100, &lib_roc), ==, srtp_err_status_ok);
        g_assert_cmpuint(roc, ==, 1);
        g_assert_cmpuint(lib_roc, ==, roc);
        srtp_dealloc(lib_rx);
        srtp_dealloc(lib_tx);
    }
}

/* libsrtp2 protects, ours unprotects, in an order with reordering and a wrap. */
static void test_interop_rtp_from_libsrtp(void)
{
    enum { N = 200 };
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) rx = new_ctx(profile, CG_SRTP_DIRECTION_INBOUND);
        srtp_t lib_tx = lib_session(profile, TRUE, 0);
        g_autofree guint8 *srtp = g_malloc(N * BUF_SIZE);
        g_autofree guint8 *plain = g_malloc(N * BUF_SIZE);
        gsize plain_lens[N], lens[N];
        for (guint i = 0; i < N; i++) {
            const Shape *sh = &shapes[i % G_N_ELEMENTS(shapes)];
            plain_lens[i] = make_rtp(plain + i * BUF_SIZE, (guint16)(65400 + i), 0xd00d, sh->n_csrc,
                                     sh->ext_words, sh->payload);
            memcpy(srtp + i * BUF_SIZE, plain + i * BUF_SIZE, plain_lens[i]);
            int lib_len = (int)plain_lens[i];
            g_assert_cmpint(srtp_protect(lib_tx, srtp + i * BUF_SIZE, &lib_len), ==,
                            srtp_err_status_ok);
            lens[i] = (gsize)lib_len;
        }
        /* swap neighbours: 1 0 3 2 5 4 ... */
        for (guint k = 0; k < N; k++) {
            guint i = k ^ 1;
            unprotect_ok(rx, srtp + i * BUF_SIZE, lens[i], plain + i * BUF_SIZE, plain_lens[i]);
        }
        guint32 roc = 0, lib_roc = 0;
        g_assert_true(cg_srtp_testing_get_roc(rx, 0xd00d, &roc));
        g_assert_cmpint(srtp_get_stream_roc(lib_tx, 0xd00d, &lib_roc), ==, srtp_err_status_ok);
        g_assert_cmpuint(roc, ==, 1);
        g_assert_cmpuint(roc, ==, lib_roc);
        srtp_dealloc(lib_tx);
    }
}

/* A stream that starts at a high ROC (as after renegotiation with ROC kept):
 * libsrtp2 is told the ROC, ours is seeded with it. */
static void test_interop_high_roc(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) tx = new_ctx(profile, CG_SRTP_DIRECTION_OUTBOUND);
        srtp_t lib_rx = lib_session(profile, FALSE, 0xaaaa);
        guint32 roc = 0x12345678;
        g_assert_true(cg_srtp_testing_seed(tx, 0xaaaa, (guint64)roc << 16 | 999, 0));
        g_assert_cmpint(srtp_set_stream_roc(lib_rx, 0xaaaa, roc), ==, srtp_err_status_ok);
        for (guint16 seq = 1000; seq < 1010; seq++) {
            guint8 plain[BUF_SIZE], buf[BUF_SIZE];
            gsize len = make_rtp(plain, seq, 0xaaaa, 1, 1, 300);
            gsize n = protect_ok(tx, plain, len, buf);
            int lib_len = (int)n;
            g_assert_cmpint(srtp_unprotect(lib_rx, buf, &lib_len), ==, srtp_err_status_ok);
            g_assert_cmpmem(buf, (gsize)lib_len, plain, len);
        }
        srtp_dealloc(lib_rx);
    }
}

static void test_interop_rtcp(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) tx = new_ctx(profile, CG_SRTP_DIRECTION_OUTBOUND);
        g_autoptr(CgSrtp) rx = new_ctx(profile, CG_SRTP_DIRECTION_INBOUND);
        srtp_t lib_tx = lib_session(profile, TRUE, 0);
        srtp_t lib_rx = lib_session(profile, FALSE, 0);
        for (guint i = 0; i < 20; i++) {
            guint8 plain[BUF_SIZE], buf[BUF_SIZE];
            gsize len = make_rtcp(plain, 0x4000 + i % 2, i * 3, (guint8)(i * 11)), n = 0;

            /* ours → libsrtp2 */
            memcpy(buf, plain, len);
            g_assert_true(cg_srtcp_protect(tx, buf, len, sizeof buf, &n, NULL));
            int lib_len = (int)n;
            g_assert_cmpint(srtp_unprotect_rtcp(lib_rx, buf, &lib_len), ==, srtp_err_status_ok);
            g_assert_cmpmem(buf, (gsize)lib_len, plain, len);

            /* libsrtp2 → ours */
            memcpy(buf, plain, len);
            lib_len = (int)len;
            g_assert_cmpint(srtp_protect_rtcp(lib_tx, buf, &lib_len), ==, srtp_err_status_ok);
            g_autoptr(GError) error = NULL;
            g_assert_true(cg_srtcp_unprotect(rx, buf, (gsize)lib_len, &n, &error));
            g_assert_no_error(error);
            g_assert_cmpmem(buf, n, plain, len);
        }
        srtp_dealloc(lib_tx);
        srtp_dealloc(lib_rx);
    }
}

/* What libsrtp2 refuses, we refuse: a packet tampered after libsrtp2 protected it. */
static void test_interop_tamper(void)
{
    for (guint p = 0; p < G_N_ELEMENTS(all_profiles); p++) {
        CgSrtpProfile profile = all_profiles[p];
        g_autoptr(CgSrtp) rx = new_ctx(profile, CG_SRTP_DIRECTION_INBOUND);
        srtp_t lib_tx = lib_session(profile, TRUE, 0);
        guint8 plain[BUF_SIZE], buf[BUF_SIZE];
        gsize len = make_rtp(plain, 77, 0x999, 0, -1, 120);
        memcpy(buf, plain, len);
        int lib_len = (int)len;
        g_assert_cmpint(srtp_protect(lib_tx, buf, &lib_len), ==, srtp_err_status_ok);
        buf[30] ^= 0x40;
        unprotect_fails(rx, buf, (gsize)lib_len, CG_SRTP_ERROR_AUTH_FAILED);
        buf[30] ^= 0x40;
        unprotect_ok(rx, buf, (gsize)lib_len, plain, len);
        srtp_dealloc(lib_tx);
    }
}

#endif /* CG_HAVE_LIBSRTP2 */

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/srtp/rfc3711/keystream", test_rfc3711_keystream);
    g_test_add_func("/srtp/rfc3711/kdf", test_rfc3711_kdf);
    g_test_add_func("/srtp/rfc7714/rtp", test_rfc7714_rtp);
    g_test_add_func("/srtp/rfc7714/rtcp", test_rfc7714_rtcp);
    g_test_add_func("/srtp/profile-lengths", test_profile_lengths);
    g_test_add_func("/srtp/bad-key", test_bad_key);
    g_test_add_func("/srtp/roundtrip", test_roundtrip);
    g_test_add_func("/srtp/tamper", test_tamper);
    g_test_add_func("/srtp/replay", test_replay);
    g_test_add_func("/srtp/reorder", test_reorder);
    g_test_add_func("/srtp/window-model", test_window_model);
    g_test_add_func("/srtp/roc-wrap", test_roc_wrap);
    g_test_add_func("/srtp/seq-jumps", test_seq_jumps);
    g_test_add_func("/srtp/malformed", test_malformed);
    g_test_add_func("/srtp/garbage", test_garbage);
    g_test_add_func("/srtp/no-room", test_no_room);
    g_test_add_func("/srtp/limits", test_limits);
    g_test_add_func("/srtp/wrong-direction", test_wrong_direction);
    g_test_add_func("/srtcp/roundtrip-replay", test_srtcp_roundtrip_replay);
    g_test_add_func("/srtcp/tamper", test_srtcp_tamper);
    g_test_add_func("/srtcp/malformed", test_srtcp_malformed);
#ifdef CG_HAVE_LIBSRTP2
    g_assert_cmpint(srtp_init(), ==, srtp_err_status_ok);
    g_test_add_func("/srtp/libsrtp2/rtp-to-libsrtp2", test_interop_rtp_to_libsrtp);
    g_test_add_func("/srtp/libsrtp2/rtp-from-libsrtp2", test_interop_rtp_from_libsrtp);
    g_test_add_func("/srtp/libsrtp2/high-roc", test_interop_high_roc);
    g_test_add_func("/srtp/libsrtp2/rtcp-both-ways", test_interop_rtcp);
    g_test_add_func("/srtp/libsrtp2/tamper", test_interop_tamper);
#else
    g_test_message("libsrtp2 not found at build time: interop tests not built");
#endif
    int rc = g_test_run();
#ifdef CG_HAVE_LIBSRTP2
    srtp_shutdown();
#endif
    return rc;
}
