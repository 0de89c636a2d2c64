/* fuzz-srtp.c — differential fuzz target: media/transport/srtp.c against Debian's
 * libsrtp2, same keys, same packets, both directions.
 *
 * The input is a program. Byte 0 picks the profile; then each op is a byte
 * and its operands (read while the input lasts):
 *   0 send RTP   ssrc(1) seq(2) shape(1) payload(1): both senders protect the
 *                same packet; same verdict and, for RTP, the same bytes
 *   1 send RTCP  ssrc(1) words(1) fill(1)
 *   2 deliver    slot(1): a protected packet again, in any order (replays,
 *                reordering, sequence jumps and ROC rollover come from seq)
 *   3 tamper     slot(1) pos(2) xor(1)
 *   4 truncate   slot(1) len(2)
 *   5 raw        len(1) bytes: from no sender at all
 * Each protected packet is delivered to a pair of receivers (ours and
 * libsrtp2's) for each sender: what ours sent, and what libsrtp2 sent. Both
 * receivers of a pair must give the same verdict and the same plaintext, and
 * an accepted packet is the one that was sent. */
#include "fuzz.h"
#include "srtp.h"

#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF 2048
#define SLOTS 8

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-srtp: %s (line %d)\n", #cond, __LINE__);                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const CgSrtpProfile profiles[] = {
    CG_SRTP_PROFILE_AES128_CM_SHA1_80,
    CG_SRTP_PROFILE_AES128_CM_SHA1_32,
    CG_SRTP_PROFILE_AEAD_AES_128_GCM,
};
static const guint8 master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                      0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const guint8 master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                       0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

typedef struct {
    gboolean rtcp;
    guint8 plain[BUF], ours[BUF], lib[BUF];
    gsize plain_len, ours_len, lib_len;
} Slot;

typedef struct {
    CgSrtp *tx, *rx[2]; /* rx[0] hears ours, rx[1] hears libsrtp2 */
    srtp_t lib_tx, lib_rx[2];
    Slot slots[SLOTS];
    guint next_slot;
    const guint8 *in, *end;
} Run;

static srtp_t lib_session(CgSrtpProfile profile, gboolean outbound)
{
    srtp_policy_t policy;
    guint8 key[30];
    memset(&policy, 0, sizeof policy);
    CHECK(srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) ==
          srtp_err_status_ok);
    CHECK(srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile) ==
          srtp_err_status_ok);
    memcpy(key, master_key, 16);
    memcpy(key + 16, master_salt, cg_srtp_profile_salt_len(profile));
    policy.key = key;
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = CG_SRTP_REPLAY_WINDOW;
    srtp_t session = NULL;
    CHECK(srtp_create(&session, &policy) == srtp_err_status_ok);
    return session;
}

static CgSrtp *our_ctx(CgSrtpProfile profile, CgSrtpDirection direction)
{
    CgSrtp *s = cg_srtp_new(profile, direction, master_key, sizeof master_key, master_salt,
                            cg_srtp_profile_salt_len(profile), NULL);
    CHECK(s);
    return s;
}

static guint take(Run *r, guint n_bytes)
{
    guint v = 0;
    for (guint i = 0; i < n_bytes; i++)
        v = v << 8 | (r->in < r->end ? *r->in++ : 0);
    return v;
}

static gsize make_rtp(guint8 *buf, guint32 ssrc, guint16 seq, guint shape, guint payload)
{
    gsize n = 0;
    guint n_csrc = shape & 3, ext_words = (shape >> 2) & 3;
    gboolean ext = shape & 0x10;
    buf[n++] = (guint8)(0x80 | (ext ? 0x10 : 0) | n_csrc);
    buf[n++] = (guint8)(96 | (shape & 0x80));
    buf[n++] = (guint8)(seq >> 8);
    buf[n++] = (guint8)seq;
    for (int i = 0; i < 4; i++)
        buf[n++] = (guint8)(seq * 7u + (guint)i);
    for (int i = 3; i >= 0; i--)
        buf[n++] = (guint8)(ssrc >> (8 * i));
    for (guint i = 0; i < 4 * n_csrc; i++)
        buf[n++] = (guint8)i;
    if (ext) {
        const guint8 h[4] = {0xbe, 0xde, 0, (guint8)ext_words};
        memcpy(buf + n, h, 4);
        n += 4;
        for (guint i = 0; i < 4 * ext_words; i++)
            buf[n++] = (guint8)(0x10 + i);
    }
    for (guint i = 0; i < payload * 4; i++)
        buf[n++] = (guint8)(seq * 31u + i);
    return n;
}

static gsize make_rtcp(guint8 *buf, guint32 ssrc, guint extra_words, guint8 fill)
{
    guint words = 6 + extra_words;
    gsize n = 0;
    const guint8 h[4] = {0x80, 200, (guint8)(words >> 8), (guint8)words};
    memcpy(buf, h, 4);
    n += 4;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (guint8)(ssrc >> (8 * i));
    for (guint i = 0; i < (words - 1) * 4; i++)
        buf[n++] = (guint8)(fill + i);
    return n;
}

/* Both receivers of pair @pair get @pkt; @sent: what was protected, or NULL. */
static void deliver(Run *r, guint pair, gboolean rtcp, const guint8 *pkt, gsize len,
                    const Slot *sent)
{
    guint8 a[BUF], b[BUF];
    gsize a_len = 0;
    CHECK(len <= BUF);
    memcpy(a, pkt, len);
    memcpy(b, pkt, len);
    gboolean ours_ok = rtcp ? cg_srtcp_unprotect(r->rx[pair], a, len, &a_len, NULL)
                            : cg_srtp_unprotect(r->rx[pair], a, len, &a_len, NULL);
    int b_len = (int)len;
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(r->lib_rx[pair], b, &b_len)
                                : srtp_unprotect(r->lib_rx[pair], b, &b_len);
    if (ours_ok != (st == srtp_err_status_ok))
        fprintf(stderr, "fuzz-srtp: %s, pair %u, len %zu: ours %s, libsrtp2 status %d\n",
                rtcp ? "SRTCP" : "SRTP", pair, len, ours_ok ? "accepts" : "refuses", st);
    CHECK(ours_ok == (st == srtp_err_status_ok));
    if (!ours_ok)
        return;
    CHECK(a_len == (gsize)b_len && memcmp(a, b, a_len) == 0);
    if (sent)
        CHECK(a_len == sent->plain_len && memcmp(a, sent->plain, a_len) == 0);
}

static void deliver_slot(Run *r, const Slot *s, guint pos, guint8 xor, gsize cut)
{
    guint8 pkt[BUF];
    const guint8 *src[2] = {s->ours, s->lib};
    const gsize lens[2] = {s->ours_len, s->lib_len};
    for (guint pair = 0; pair < 2; pair++) {
        if (!lens[pair])
            continue;
        gsize len = MIN(lens[pair], cut);
        memcpy(pkt, src[pair], len);
        if (len && xor)
            pkt[pos % len] ^= xor;
        deliver(r, pair, s->rtcp, pkt, len, xor || len < lens[pair] ? NULL : s);
    }
}

static void send(Run *r, gboolean rtcp)
{
    Slot *s = &r->slots[r->next_slot++ % SLOTS];
    guint32 ssrc = 0x1000 + (take(r, 1) & 3);
    memset(s, 0, sizeof *s);
    s->rtcp = rtcp;
    if (rtcp) {
        guint words = take(r, 1) & 63;
        s->plain_len = make_rtcp(s->plain, ssrc, words, (guint8)take(r, 1));
    } else {
        guint16 seq = (guint16)take(r, 2);
        guint shape = take(r, 1);
        s->plain_len = make_rtp(s->plain, ssrc, seq, shape, take(r, 1));
    }
    memcpy(s->ours, s->plain, s->plain_len);
    memcpy(s->lib, s->plain, s->plain_len);
    gboolean ours_ok = rtcp
                           ? cg_srtcp_protect(r->tx, s->ours, s->plain_len, BUF, &s->ours_len, NULL)
                           : cg_srtp_protect(r->tx, s->ours, s->plain_len, BUF, &s->ours_len, NULL);
    int lib_len = (int)s->plain_len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp(r->lib_tx, s->lib, &lib_len)
                                : srtp_protect(r->lib_tx, s->lib, &lib_len);
    if (ours_ok != (st == srtp_err_status_ok))
        fprintf(stderr, "fuzz-srtp: protect %s: ours %s, libsrtp2 status %d\n",
                rtcp ? "SRTCP" : "SRTP", ours_ok ? "accepts" : "refuses", st);
    CHECK(ours_ok == (st == srtp_err_status_ok));
    if (!ours_ok) {
        s->ours_len = 0;
        return;
    }
    s->lib_len = (gsize)lib_len;
    /* SRTCP bytes differ: ours sends index 0 first (RFC 3711 3.4), libsrtp2
     * 1; the receivers check both. */
    if (!rtcp)
        CHECK(s->ours_len == s->lib_len && memcmp(s->ours, s->lib, s->ours_len) == 0);
    deliver_slot(r, s, 0, 0, BUF);
}

static void step(Run *r)
{
    guint op = take(r, 1) % 6;
    if (op <= 1) {
        send(r, op == 1);
        return;
    }
    if (op == 5) {
        guint8 raw[256];
        gsize want = take(r, 1); /* not inside MIN(): it would be read twice */
        gsize len = MIN(want, (gsize)(r->end - r->in));
        memcpy(raw, r->in, len);
        r->in += len;
        for (guint pair = 0; pair < 2; pair++)
            deliver(r, pair, len && (raw[len - 1] & 1), raw, len, NULL);
        return;
    }
    const Slot *s = &r->slots[take(r, 1) % SLOTS];
    if (!s->ours_len)
        return;
    if (op == 2)
        deliver_slot(r, s, 0, 0, BUF);
    else if (op == 3)
        deliver_slot(r, s, take(r, 2), (guint8)take(r, 1), BUF);
    else
        deliver_slot(r, s, 0, 0, take(r, 2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    static gboolean initialised;
    if (!initialised) {
        CHECK(srtp_init() == srtp_err_status_ok);
        initialised = TRUE;
    }
    if (size == 0)
        return 0;
    CgSrtpProfile profile = profiles[data[0] % G_N_ELEMENTS(profiles)];
    Run *r = g_new0(Run, 1);
    r->in = data + 1;
    r->end = data + size;
    r->tx = our_ctx(profile, CG_SRTP_DIRECTION_OUTBOUND);
    r->lib_tx = lib_session(profile, TRUE);
    for (guint pair = 0; pair < 2; pair++) {
        r->rx[pair] = our_ctx(profile, CG_SRTP_DIRECTION_INBOUND);
        r->lib_rx[pair] = lib_session(profile, FALSE);
    }
    while (r->in < r->end)
        step(r);
    cg_srtp_free(r->tx);
    srtp_dealloc(r->lib_tx);
    for (guint pair = 0; pair < 2; pair++) {
        cg_srtp_free(r->rx[pair]);
        srtp_dealloc(r->lib_rx[pair]);
    }
    g_free(r);
    return 0;
}
