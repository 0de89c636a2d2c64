/* srtp-bench.c — what an SRTP packet costs: media/transport/srtp.c against libsrtp2.
 *
 * For each profile and two packet sizes (100-byte audio and 1200-byte video
 * payloads, behind a 12-byte header and the 8-byte header extension browsers
 * send), an outbound and an inbound context protect and unprotect
 * --iterations packets per round, --rounds rounds. Ours and libsrtp2 rounds
 * alternate (which goes first alternates too) and the median round is
 * reported. Packets are filled outside the timed loops, BATCH at a time, so
 * the figures are SRTP work alone, in thread CPU time.
 *
 * Before timing, the two are checked against each other: the same packets
 * protect to the same bytes and each unprotects the other's, RTP and RTCP,
 * across a sequence number wrap. A mismatch exits 1 (so the smoke test is an
 * interop test too).
 *
 * Last, the ways OpenSSL 3 offers to compute HMAC-SHA1 without deprecated
 * APIs, timed on SRTP-sized messages: the reason srtp.c uses precomputed
 * SHA-1 states.
 *
 * Allocations are counted by wrapping glibc's malloc/calloc/realloc (not
 * under sanitizers): calls per packet, inside OpenSSL and NSS included.
 */
#include "srtp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef CG_HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif

#define BUF_SIZE 1536
#define BATCH 256
#define HEADER_LEN 24 /* 12 fixed + 4 extension header + 8 extension data */

/* ---- allocation counting -------------------------------------------------------------------- */

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
static guint64 n_allocs; /* single-threaded tool */

void *malloc(size_t size)
{
    n_allocs++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    n_allocs++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    n_allocs++;
    return __libc_realloc(p, size);
}
#endif

static guint64 allocs(void)
{
#ifdef COUNT_ALLOCS
    return n_allocs;
#else
    return 0;
#endif
}

/* The thread's CPU clock, not wall time: on a shared machine the time this
 * process is descheduled would otherwise dominate the figures. */
static gint64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the two implementations behind one interface ------------------------------------------- */

static const guint8 master_key[16] = {0x8b, 0x1f, 0x20, 0x55, 0x3c, 0x61, 0x0a, 0x7d,
                                      0x94, 0xe2, 0x4b, 0xc0, 0x17, 0x6e, 0x33, 0xa9};
static const guint8 master_salt[14] = {0x51, 0x2c, 0xd4, 0x06, 0x78, 0xee, 0x3b,
                                       0x90, 0x1a, 0xc5, 0x62, 0x0f, 0xb7, 0x44};

typedef gboolean (*PacketFunc)(gpointer ctx, guint8 *buf, gsize len, gsize *out_len);

typedef struct {
    const char *name;
    gpointer (*new_ctx)(CgSrtpProfile profile, gboolean outbound);
    void (*free_ctx)(gpointer ctx);
    PacketFunc protect, unprotect, protect_rtcp, unprotect_rtcp;
} Impl;

static gpointer ours_new(CgSrtpProfile profile, gboolean outbound)
{
    g_autoptr(GError) error = NULL;
    CgSrtp *s = cg_srtp_new(
        profile, outbound ? CG_SRTP_DIRECTION_OUTBOUND : CG_SRTP_DIRECTION_INBOUND, master_key,
        sizeof master_key, master_salt, cg_srtp_profile_salt_len(profile), &error);
    if (!s)
        g_error("cg_srtp_new: %s", error->message);
    return s;
}

static void ours_free(gpointer ctx)
{
    cg_srtp_free(ctx);
}

static gboolean ours_protect(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return cg_srtp_protect(ctx, buf, len, BUF_SIZE, out_len, NULL);
}

static gboolean ours_unprotect(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return cg_srtp_unprotect(ctx, buf, len, out_len, NULL);
}

static gboolean ours_protect_rtcp(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return cg_srtcp_protect(ctx, buf, len, BUF_SIZE, out_len, NULL);
}

static gboolean ours_unprotect_rtcp(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return cg_srtcp_unprotect(ctx, buf, len, out_len, NULL);
}

static const Impl ours = {"ours",         ours_new,          ours_free,          ours_protect,
                          ours_unprotect, ours_protect_rtcp, ours_unprotect_rtcp};

#ifdef CG_HAVE_LIBSRTP2
static gpointer lib_new(CgSrtpProfile profile, gboolean outbound)
{
    srtp_policy_t policy;
    guint8 key[30];
    gsize salt_len = cg_srtp_profile_salt_len(profile);
    srtp_t session = NULL;
    memset(&policy, 0, sizeof policy);
    /* libsrtp's DTLS-SRTP mapping, as browsers use it (_32 keeps an 80-bit SRTCP tag) */
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile))
        g_error("libsrtp2 does not know profile %d", profile);
    memcpy(key, master_key, 16);
    memcpy(key + 16, master_salt, salt_len);
    policy.key = key;
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.window_size = 128;
    if (srtp_create(&session, &policy) != srtp_err_status_ok)
        g_error("srtp_create failed");
    return session;
}

static void lib_free(gpointer ctx)
{
    srtp_dealloc(ctx);
}

static gboolean lib_run(srtp_err_status_t (*f)(srtp_t, void *, int *), gpointer ctx, guint8 *buf,
                        gsize len, gsize *out_len)
{
    int n = (int)len;
    if (f(ctx, buf, &n) != srtp_err_status_ok)
        return FALSE;
    *out_len = (gsize)n;
    return TRUE;
}

static gboolean lib_protect(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return lib_run(srtp_protect, ctx, buf, len, out_len);
}

static gboolean lib_unprotect(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return lib_run(srtp_unprotect, ctx, buf, len, out_len);
}

static gboolean lib_protect_rtcp(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return lib_run(srtp_protect_rtcp, ctx, buf, len, out_len);
}

static gboolean lib_unprotect_rtcp(gpointer ctx, guint8 *buf, gsize len, gsize *out_len)
{
    return lib_run(srtp_unprotect_rtcp, ctx, buf, len, out_len);
}

static const Impl lib = {"libsrtp2",    lib_new,          lib_free,          lib_protect,
                         lib_unprotect, lib_protect_rtcp, lib_unprotect_rtcp};
#endif

/* ---- packets -------------------------------------------------------------------------------- */

/* Video-like RTP: payload type 96, SSRC 0x1234abcd, abs-send-time and
 * transport-cc in a one-byte-header extension, a payload derived from @seq. */
static gsize make_rtp(guint8 *buf, guint16 seq, gsize payload)
{
    static const guint8 fixed[HEADER_LEN] = {0x90, 0x60, 0,    0,    0x00, 0x01, 0x5f, 0x90,
                                             0x12, 0x34, 0xab, 0xcd, 0xbe, 0xde, 0x00, 0x02,
                                             0x32, 0x0a, 0x1b, 0x2c, 0x51, 0x00, 0x07, 0x00};
    memcpy(buf, fixed, HEADER_LEN);
    buf[2] = (guint8)(seq >> 8);
    buf[3] = (guint8)seq;
    for (gsize i = 0; i < payload; i++)
        buf[HEADER_LEN + i] = (guint8)(seq + i * 7);
    return HEADER_LEN + payload;
}

/* A sender report with one report block and some padding words: 60 bytes. */
static gsize make_rtcp(guint8 *buf, guint i)
{
    gsize n = 0;
    buf[n++] = 0x81;
    buf[n++] = 200;
    buf[n++] = 0;
    buf[n++] = 14;
    for (; n < 60; n++)
        buf[n] = (guint8)(n * 13 + i);
    buf[4] = 0x12, buf[5] = 0x34, buf[6] = 0xab, buf[7] = 0xcd;
    return n;
}

#ifdef CG_HAVE_LIBSRTP2
/* @protect with @tx, then @unprotect with @rx: back to @plain? The protected
 * packet is left in @out. */
static gboolean check_pair(gpointer tx, gpointer rx, PacketFunc protect, PacketFunc unprotect,
                           guint8 *buf, gsize len, const guint8 *plain, guint8 *out, gsize *out_len)
{
    gsize n = 0, m = 0;
    memcpy(buf, plain, len);
    if (!protect(tx, buf, len, &n))
        return FALSE;
    memcpy(out, buf, n);
    *out_len = n;
    return unprotect(rx, buf, n, &m) && m == len && memcmp(buf, plain, len) == 0;
}

/* Same bytes out of both, and each unprotects the other's; RTP across a
 * sequence number wrap, then RTCP. */
static gboolean verify_interop(CgSrtpProfile profile)
{
    gpointer our_tx = ours.new_ctx(profile, TRUE), our_rx = ours.new_ctx(profile, FALSE);
    gpointer lib_tx = lib.new_ctx(profile, TRUE), lib_rx = lib.new_ctx(profile, FALSE);
    guint8 plain[BUF_SIZE], buf[BUF_SIZE], a[BUF_SIZE], b[BUF_SIZE];
    gsize na = 0, nb = 0;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < 40; i++) {
        gsize len = make_rtp(plain, (guint16)(65516 + i), (i * 211) % 1200);
        ok = check_pair(our_tx, lib_rx, ours_protect, lib_unprotect, buf, len, plain, a, &na) &&
             check_pair(lib_tx, our_rx, lib_protect, ours_unprotect, buf, len, plain, b, &nb) &&
             na == nb && memcmp(a, b, na) == 0;
    }
    for (guint i = 0; ok && i < 10; i++) {
        gsize len = make_rtcp(plain, i);
        ok = check_pair(our_tx, lib_rx, ours_protect_rtcp, lib_unprotect_rtcp, buf, len, plain, a,
                        &na) &&
             check_pair(lib_tx, our_rx, lib_protect_rtcp, ours_unprotect_rtcp, buf, len, plain, b,
                        &nb);
    }
    ours.free_ctx(our_tx);
    ours.free_ctx(our_rx);
    lib.free_ctx(lib_tx);
    lib.free_ctx(lib_rx);
    return ok;
}
#endif

/* ---- timing --------------------------------------------------------------------------------- */

typedef struct {
    double protect_us, unprotect_us;         /* per packet */
    double protect_allocs, unprotect_allocs; /* per packet */
} Round;

typedef struct {
    guint8 buf[BATCH][BUF_SIZE];
    gsize len[BATCH];
} Batch;

static gboolean run_round(const Impl *impl, gpointer tx, gpointer rx, gsize payload, guint16 *seq,
                          guint packets, Batch *b, Round *r)
{
    gint64 t_protect = 0, t_unprotect = 0;
    guint64 a_protect = 0, a_unprotect = 0;
    guint8 check[BUF_SIZE];
    for (guint done = 0; done < packets; done += BATCH) {
        guint n = MIN(BATCH, packets - done);
        guint16 first = *seq;
        for (guint i = 0; i < n; i++)
            b->len[i] = make_rtp(b->buf[i], (*seq)++, payload);

        guint64 a0 = allocs();
        gint64 t0 = now_ns();
        for (guint i = 0; i < n; i++) {
            if (!impl->protect(tx, b->buf[i], b->len[i], &b->len[i]))
                return FALSE;
        }
        gint64 t1 = now_ns();
        guint64 a1 = allocs();
        for (guint i = 0; i < n; i++) {
            if (!impl->unprotect(rx, b->buf[i], b->len[i], &b->len[i]))
                return FALSE;
        }
        gint64 t2 = now_ns();
        guint64 a2 = allocs();
        t_protect += t1 - t0;
        t_unprotect += t2 - t1;
        a_protect += a1 - a0;
        a_unprotect += a2 - a1;

        gsize len = make_rtp(check, first, payload);
        if (b->len[0] != len || memcmp(b->buf[0], check, len) != 0)
            return FALSE;
    }
    r->protect_us = (double)t_protect / 1e3 / packets;
    r->unprotect_us = (double)t_unprotect / 1e3 / packets;
    r->protect_allocs = (double)a_protect / packets;
    r->unprotect_allocs = (double)a_unprotect / packets;
    return TRUE;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, guint n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
    const Impl *impl;
    gpointer tx, rx;
    guint16 seq;
    double *protect_us, *unprotect_us;
    double protect_allocs, unprotect_allocs;
} Contender;

static const char *profile_name(CgSrtpProfile profile)
{
    switch (profile) {
    case CG_SRTP_PROFILE_AES128_CM_SHA1_80:
        return "AES128_CM_SHA1_80";
    case CG_SRTP_PROFILE_AES128_CM_SHA1_32:
        return "AES128_CM_SHA1_32";
    case CG_SRTP_PROFILE_AEAD_AES_128_GCM:
        return "AEAD_AES_128_GCM";
    }
    return "?";
}

static void print_row(CgSrtpProfile profile, gsize payload, const Contender *c, guint rounds)
{
    double p = median(c->protect_us, rounds), u = median(c->unprotect_us, rounds);
    printf("%-18s %5zu B  %-9s %8.3f %8.3f %12.0f %12.0f", profile_name(profile), payload,
           c->impl->name, p, u, 1e6 / p, 1e6 / u);
#ifdef COUNT_ALLOCS
    printf("   %4.1f / %4.1f\n", c->protect_allocs, c->unprotect_allocs);
#else
    printf("   n/a\n");
#endif
}

/* Times every contender on one profile and payload size; FALSE if a packet
 * failed (which would be a bug: the timed packets are all valid). */
static gboolean bench_config(CgSrtpProfile profile, gsize payload, const Impl *const *impls,
                             guint n_impls, guint iterations, guint rounds, Batch *b)
{
    Contender c[2];
    gboolean ok = TRUE;
    for (guint k = 0; k < n_impls; k++) {
        c[k] = (Contender){impls[k],
                           impls[k]->new_ctx(profile, TRUE),
                           impls[k]->new_ctx(profile, FALSE),
                           1000,
                           g_new0(double, rounds),
                           g_new0(double, rounds),
                           0,
                           0};
        /* warm up: caches, lazy init, and the first-packet path out of the way */
        Round r;
        ok = ok && run_round(impls[k], c[k].tx, c[k].rx, payload, &c[k].seq, BATCH, b, &r);
    }
    for (guint round = 0; ok && round < rounds; round++) {
        for (guint j = 0; ok && j < n_impls; j++) {
            Contender *x = &c[(j + round) % n_impls];
            Round r;
            ok = run_round(x->impl, x->tx, x->rx, payload, &x->seq, iterations, b, &r);
            x->protect_us[round] = r.protect_us;
            x->unprotect_us[round] = r.unprotect_us;
            x->protect_allocs = r.protect_allocs;
            x->unprotect_allocs = r.unprotect_allocs;
        }
    }
    for (guint k = 0; k < n_impls; k++) {
        if (ok)
            print_row(profile, payload, &c[k], rounds);
        c[k].impl->free_ctx(c[k].tx);
        c[k].impl->free_ctx(c[k].rx);
        g_free(c[k].protect_us);
        g_free(c[k].unprotect_us);
    }
    return ok;
}

/* ---- HMAC-SHA1 in OpenSSL 3 without deprecated APIs ----------------------------------------- */

typedef struct {
    EVP_MAC_CTX *mac;   /* HMAC keyed once, then reused */
    EVP_MAC_CTX *keyed; /* HMAC keyed once and never used: what dup copies */
    EVP_MD *sha1;
    EVP_MD_CTX *inner, *outer, *work;
    guint8 ipad[64], opad[64];
} Hmacs;

static void hmacs_init(Hmacs *h, const guint8 *key)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                           OSSL_PARAM_construct_end()};
    h->mac = EVP_MAC_CTX_new(mac);
    h->keyed = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    h->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    h->inner = EVP_MD_CTX_new();
    h->outer = EVP_MD_CTX_new();
    h->work = EVP_MD_CTX_new();
    if (!h->mac || !h->keyed || !h->sha1 || !h->inner || !h->outer || !h->work ||
        !EVP_MAC_init(h->mac, key, 20, params) || !EVP_MAC_init(h->keyed, key, 20, params))
        g_error("OpenSSL HMAC setup failed");
    memset(h->ipad, 0x36, 64);
    memset(h->opad, 0x5c, 64);
    for (int i = 0; i < 20; i++) {
        h->ipad[i] ^= key[i];
        h->opad[i] ^= key[i];
    }
    EVP_DigestInit_ex2(h->inner, h->sha1, NULL);
    EVP_DigestUpdate(h->inner, h->ipad, 64);
    EVP_DigestInit_ex2(h->outer, h->sha1, NULL);
    EVP_DigestUpdate(h->outer, h->opad, 64);
}

static void hmacs_clear(Hmacs *h)
{
    EVP_MAC_CTX_free(h->mac);
    EVP_MAC_CTX_free(h->keyed);
    EVP_MD_free(h->sha1);
    EVP_MD_CTX_free(h->inner);
    EVP_MD_CTX_free(h->outer);
    EVP_MD_CTX_free(h->work);
}

/* EVP_MAC_init() without a key reuses the one set before. */
static void hmac_mac_rekey(Hmacs *h, const guint8 *msg, gsize len, guint8 *out)
{
    size_t n;
    EVP_MAC_init(h->mac, NULL, 0, NULL);
    EVP_MAC_update(h->mac, msg, len);
    EVP_MAC_final(h->mac, out, &n, 20);
}

static void hmac_mac_dup(Hmacs *h, const guint8 *msg, gsize len, guint8 *out)
{
    size_t n;
    EVP_MAC_CTX *d = EVP_MAC_CTX_dup(h->keyed);
    EVP_MAC_update(d, msg, len);
    EVP_MAC_final(d, out, &n, 20);
    EVP_MAC_CTX_free(d);
}

/* What srtp.c does. */
static void hmac_md_copy(Hmacs *h, const guint8 *msg, gsize len, guint8 *out)
{
    guint8 inner[20];
    unsigned int n;
    EVP_MD_CTX_copy_ex(h->work, h->inner);
    EVP_DigestUpdate(h->work, msg, len);
    EVP_DigestFinal_ex(h->work, inner, &n);
    EVP_MD_CTX_copy_ex(h->work, h->outer);
    EVP_DigestUpdate(h->work, inner, 20);
    EVP_DigestFinal_ex(h->work, out, &n);
}

/* Hash both key blocks again every time: two more SHA-1 blocks, no copies. */
static void hmac_md_rehash(Hmacs *h, const guint8 *msg, gsize len, guint8 *out)
{
    guint8 inner[20];
    unsigned int n;
    EVP_DigestInit_ex2(h->work, h->sha1, NULL);
    EVP_DigestUpdate(h->work, h->ipad, 64);
    EVP_DigestUpdate(h->work, msg, len);
    EVP_DigestFinal_ex(h->work, inner, &n);
    EVP_DigestInit_ex2(h->work, h->sha1, NULL);
    EVP_DigestUpdate(h->work, h->opad, 64);
    EVP_DigestUpdate(h->work, inner, 20);
    EVP_DigestFinal_ex(h->work, out, &n);
}

static gboolean bench_hmacs(guint iterations, guint rounds)
{
    static const struct {
        const char *name;
        void (*f)(Hmacs *, const guint8 *, gsize, guint8 *);
    } ways[] = {
        {"EVP_MAC_init(NULL key) per packet", hmac_mac_rekey},
        {"EVP_MAC_CTX_dup per packet", hmac_mac_dup},
        {"SHA-1 states + EVP_MD_CTX_copy_ex *", hmac_md_copy},
        {"EVP_DigestInit_ex2 + ipad/opad", hmac_md_rehash},
    };
    static const gsize sizes[] = {HEADER_LEN + 100 + 4, HEADER_LEN + 1200 + 4};
    guint8 key[20], msg[BUF_SIZE], ref[20], out[20];
    Hmacs h;
    gboolean same = TRUE;
    for (guint i = 0; i < sizeof key; i++)
        key[i] = (guint8)(i * 29 + 3);
    for (guint i = 0; i < sizeof msg; i++)
        msg[i] = (guint8)i;
    hmacs_init(&h, key);
    g_autofree double *us = g_new0(double, rounds);

    printf("\nHMAC-SHA1, OpenSSL 3 EVP (* = what media/transport/srtp.c uses); µs per message, "
           "allocations per message\n");
    printf("%-37s %12s %12s\n", "", "128 B", "1228 B");
    for (guint w = 0; w < G_N_ELEMENTS(ways); w++) {
        printf("%-37s", ways[w].name);
        for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
            hmac_mac_rekey(&h, msg, sizes[s], ref);
            guint64 a0 = 0, a1 = 0;
            for (guint r = 0; r < rounds; r++) {
                a0 = allocs();
                gint64 t0 = now_ns();
                for (guint i = 0; i < iterations; i++)
                    ways[w].f(&h, msg, sizes[s], out);
                us[r] = (double)(now_ns() - t0) / 1e3 / iterations;
                a1 = allocs();
            }
            same = same && memcmp(out, ref, sizeof out) == 0;
#ifdef COUNT_ALLOCS
            printf("  %6.3f (%4.1f)", median(us, rounds), (double)(a1 - a0) / iterations);
#else
            (void)a0, (void)a1;
            printf("  %6.3f (n/a) ", median(us, rounds));
#endif
        }
        printf("\n");
    }
    hmacs_clear(&h);
    return same;
}

/* ---- main ----------------------------------------------------------------------------------- */

static void print_machine(int argc, char **argv)
{
    g_autofree char *cpuinfo = NULL, *loadavg = NULL;
    g_autofree char *model = g_strdup("unknown CPU");
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        const char *line = strstr(cpuinfo, "model name");
        const char *colon = line ? strchr(line, ':') : NULL;
        if (colon) {
            g_free(model);
            model = g_strstrip(g_strndup(colon + 1, strcspn(colon + 1, "\n")));
        }
    }
    g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);
    printf("command: ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    printf("\nmachine: nproc %ld, %s, load %s", sysconf(_SC_NPROCESSORS_ONLN), model,
           loadavg ? g_strstrip(loadavg) : "?");
    printf("\nbuild: %s; %s", CG_BUILD_TYPE, OpenSSL_version(OPENSSL_VERSION));
#ifdef CG_HAVE_LIBSRTP2
    printf("; %s", srtp_get_version_string());
#else
    printf("; libsrtp2 not built in");
#endif
#ifndef COUNT_ALLOCS
    printf("; allocation counting off (sanitizer build)");
#endif
    printf("\n");
}

static const CgSrtpProfile profiles[] = {CG_SRTP_PROFILE_AES128_CM_SHA1_80,
                                         CG_SRTP_PROFILE_AES128_CM_SHA1_32,
                                         CG_SRTP_PROFILE_AEAD_AES_128_GCM};
static const gsize payloads[] = {100, 1200};
#ifdef CG_HAVE_LIBSRTP2
static const Impl *const impls[] = {&ours, &lib};
#else
static const Impl *const impls[] = {&ours};
#endif

/* Fills *@iterations and *@rounds from the command line; FALSE (reported) on
 * a bad one. */
static gboolean parse_options(char **argv, gint *iterations, gint *rounds)
{
    GOptionEntry entries[] = {
        {"iterations", 'n', 0, G_OPTION_ARG_INT, iterations,
         "Packets per round, per implementation and configuration (default 25000)", "N"},
        {"rounds", 'r', 0, G_OPTION_ARG_INT, rounds, "Rounds; the median is reported (default 5)",
         "R"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) options = g_option_context_new("- SRTP protect/unprotect cost");
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) args = g_strdupv(argv); /* _parse_strv frees what it removes */
    g_option_context_add_main_entries(options, entries, NULL);
    if (!g_option_context_parse_strv(options, &args, &error)) {
        fprintf(stderr, "srtp-bench: %s\n", error->message);
        return FALSE;
    }
    if (g_strv_length(args) > 1) {
        fprintf(stderr, "srtp-bench: unexpected argument %s\n", args[1]);
        return FALSE;
    }
    if (*iterations < 1 || *rounds < 1) {
        fprintf(stderr, "srtp-bench: --iterations and --rounds must be positive\n");
        return FALSE;
    }
    return TRUE;
}

/* Checked before anything is timed: a fast implementation that is wrong is
 * worth nothing. */
static gboolean verify_all(void)
{
#ifdef CG_HAVE_LIBSRTP2
    for (guint p = 0; p < G_N_ELEMENTS(profiles); p++) {
        if (!verify_interop(profiles[p])) {
            fprintf(stderr, "srtp-bench: %s: media/transport/srtp.c and libsrtp2 disagree\n",
                    profile_name(profiles[p]));
            return FALSE;
        }
    }
    printf("interop: ours and libsrtp2 protect to identical bytes and unprotect each other "
           "(RTP across a wrap, RTCP), all profiles\n");
#endif
    return TRUE;
}

int main(int argc, char **argv)
{
    gint iterations = 25000, rounds = 5;
    if (!parse_options(argv, &iterations, &rounds))
        return 2;
    print_machine(argc, argv);
#ifdef CG_HAVE_LIBSRTP2
    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp-bench: srtp_init failed\n");
        return 1;
    }
#endif
    if (!verify_all())
        return 1;
    printf("method: %d rounds x %d packets per row, ours and libsrtp2 interleaved, median "
           "round, thread CPU time; header %d B (with extension) + payload\n\n",
           rounds, iterations, HEADER_LEN);
    printf("%-18s %7s  %-9s %8s %8s %12s %12s   %s\n", "profile", "payload", "impl", "prot µs",
           "unpr µs", "prot pkt/s", "unpr pkt/s", "allocs/pkt (prot / unpr)");

    g_autofree Batch *batch = g_new0(Batch, 1);
    for (guint p = 0; p < G_N_ELEMENTS(profiles); p++) {
        for (guint s = 0; s < G_N_ELEMENTS(payloads); s++) {
            if (!bench_config(profiles[p], payloads[s], impls, G_N_ELEMENTS(impls),
                              (guint)iterations, (guint)rounds, batch)) {
                fprintf(stderr, "srtp-bench: a valid packet failed to protect or unprotect\n");
                return 1;
            }
        }
    }
    if (!bench_hmacs((guint)MAX(iterations / 2, 1), (guint)rounds)) {
        fprintf(stderr, "srtp-bench: HMAC ways disagree\n");
        return 1;
    }
#ifdef CG_HAVE_LIBSRTP2
    srtp_shutdown();
#endif
    return 0;
}
