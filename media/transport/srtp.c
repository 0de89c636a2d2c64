/* srtp.c — see srtp.h. RFC 3711 (SRTP), RFC 7714 (AES-GCM for SRTP). */
#include "srtp.h"
#include "srtp-testing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(cg-srtp-error-quark, cg_srtp_error)
/* clang-format on */

#define KEY_LEN 16      /* AES-128 master and session keys, every profile here */
#define AUTH_KEY_LEN 20 /* HMAC-SHA1 session key (RFC 3711 4.3.2) */
#define SHA1_BLOCK 64
#define SHA1_LEN 20
#define CM_SALT_LEN 14
#define GCM_SALT_LEN 12
#define GCM_IV_LEN 12
#define GCM_TAG_LEN 16
#define RTP_HEADER_MIN 12
#define RTCP_HEADER_LEN 8   /* first header word and sender SSRC: never encrypted */
#define SRTCP_TRAILER_LEN 4 /* E flag and 31-bit SRTCP index */
#define SRTCP_E_FLAG 0x80000000u
#define SRTCP_MAX_INDEX 0x7fffffffu
#define WINDOW_WORDS (CG_SRTP_REPLAY_WINDOW / 64)

G_STATIC_ASSERT(CG_SRTP_REPLAY_WINDOW % 64 == 0 && CG_SRTP_REPLAY_WINDOW >= 64);
/* Keeps every cipher length within int (EVP) and an AES-CM keystream within
 * the 16-bit block counter of RFC 3711 4.1.1. */
G_STATIC_ASSERT(CG_SRTP_MAX_PACKET_BYTES < 65536);

/* RFC 3711 4.3.1; the SRTCP labels are the SRTP ones plus 3. */
enum { LABEL_ENC, LABEL_AUTH, LABEL_SALT, LABEL_RTCP = 3 };

typedef struct {
    CgSrtpProfile id;
    const char *cipher; /* OpenSSL algorithm name */
    gboolean aead;      /* GCM: no HMAC, the tag comes from the cipher */
    gsize salt_len;
    gsize rtp_tag_len;
    gsize rtcp_tag_len; /* _32 keeps the 80-bit tag for SRTCP (RFC 5764 4.1.2) */
} ProfileInfo;

static const ProfileInfo profiles[] = {
    {CG_SRTP_PROFILE_AES128_CM_SHA1_80, "AES-128-CTR", FALSE, CM_SALT_LEN, 10, 10},
    {CG_SRTP_PROFILE_AES128_CM_SHA1_32, "AES-128-CTR", FALSE, CM_SALT_LEN, 4, 10},
    {CG_SRTP_PROFILE_AEAD_AES_128_GCM, "AES-128-GCM", TRUE, GCM_SALT_LEN, GCM_TAG_LEN, GCM_TAG_LEN},
};

typedef struct {
    guint64 top;                /* highest index accepted (SRTP: ROC << 16 | SEQ) */
    guint64 seen[WINDOW_WORDS]; /* bit n (word n / 64): index top - n accepted */
    gboolean used;              /* top and seen are valid */
} Window;

typedef struct {
    guint32 ssrc;
    Window rtp;        /* SRTP indices, in both directions */
    Window rtcp;       /* INBOUND: SRTCP indices received */
    guint32 rtcp_next; /* OUTBOUND: SRTCP index of the next packet */
} Stream;

/* One set of session keys (SRTP or SRTCP), in the form packets use them. */
typedef struct {
    EVP_CIPHER_CTX *cipher;   /* keyed once; only the IV is set per packet */
    EVP_MD_CTX *inner;        /* SHA-1 having absorbed k_a ^ ipad (HMAC profiles) */
    EVP_MD_CTX *outer;        /* SHA-1 having absorbed k_a ^ opad */
    guint8 salt[CM_SALT_LEN]; /* k_s; GCM uses the first 12 bytes */
} Keys;

struct _CgSrtp {
    const ProfileInfo *profile;
    CgSrtpDirection direction;
    Keys rtp;
    Keys rtcp;
    EVP_MD_CTX *scratch; /* HMAC work: a copy of inner or outer per packet */
    guint n_streams;
    guint last; /* stream of the previous packet: the next one is most often the same */
    Stream streams[CG_SRTP_MAX_SSRCS];
};

static gboolean fail(GError **error, CgSrtpError code, const char *message)
{
    g_set_error_literal(error, CG_SRTP_ERROR, code, message);
    return FALSE;
}

static gboolean crypto_failed(GError **error)
{
    return fail(error, CG_SRTP_ERROR_CRYPTO, "OpenSSL failed to process an SRTP packet");
}

static guint16 rd16(const guint8 *p)
{
    return (guint16)(p[0] << 8 | p[1]);
}

static guint32 rd32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void wr32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static const ProfileInfo *profile_info(CgSrtpProfile id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++) {
        if (profiles[i].id == id)
            return &profiles[i];
    }
    return NULL;
}

gsize cg_srtp_profile_key_len(CgSrtpProfile profile)
{
    return profile_info(profile) ? KEY_LEN : 0;
}

gsize cg_srtp_profile_salt_len(CgSrtpProfile profile)
{
    const ProfileInfo *info = profile_info(profile);
    return info ? info->salt_len : 0;
}

/* ---- crypto primitives ---------------------------------------------------------------------- */

static EVP_CIPHER_CTX *cipher_new(const char *name, gboolean encrypt, const guint8 *key)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *ctx = cipher ? EVP_CIPHER_CTX_new() : NULL;
    if (ctx && !EVP_CipherInit_ex2(ctx, cipher, key, NULL, encrypt ? 1 : 0, NULL)) {
        EVP_CIPHER_CTX_free(ctx);
        ctx = NULL;
    }
    EVP_CIPHER_free(cipher); /* ctx holds its own reference */
    return ctx;
}

/* AES-CM (RFC 3711 4.1.1): IV = (k_s << 16) ^ (SSRC << 64) ^ (index << 16). */
static void cm_iv(const guint8 *salt, guint32 ssrc, guint64 index, guint8 *iv)
{
    memcpy(iv, salt, CM_SALT_LEN);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (guint8)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (guint8)(index >> (40 - 8 * i));
}

static gboolean cm_crypt(EVP_CIPHER_CTX *ctx, const guint8 *salt, guint32 ssrc, guint64 index,
                         guint8 *data, gsize len)
{
    guint8 iv[16];
    int n;
    cm_iv(salt, ssrc, index, iv);
    if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL))
        return FALSE;
    return len == 0 || EVP_CipherUpdate(ctx, data, &n, data, (int)len);
}

/* AES-GCM (RFC 7714 8.1, 9.1): IV = (0^16 || SSRC || index48) ^ k_s, where the
 * index is ROC || SEQ for SRTP and 0^17 || SRTCP index for SRTCP. */
static void gcm_iv(const guint8 *salt, guint32 ssrc, guint64 index, guint8 *iv)
{
    memcpy(iv, salt, GCM_IV_LEN);
    for (int i = 0; i < 4; i++)
        iv[2 + i] ^= (guint8)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[6 + i] ^= (guint8)(index >> (40 - 8 * i));
}

/* GCM over the associated data @aad (then the 4 bytes @aad2, if any) and
 * @data in place, in the direction the context was keyed for. */
static gboolean gcm_run(EVP_CIPHER_CTX *ctx, const guint8 *iv, const guint8 *aad, gsize aad_len,
                        const guint8 *aad2, guint8 *data, gsize len)
{
    int n;
    return EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL) &&
           EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
           (!aad2 || EVP_CipherUpdate(ctx, NULL, &n, aad2, SRTCP_TRAILER_LEN)) &&
           (len == 0 || EVP_CipherUpdate(ctx, data, &n, data, (int)len));
}

static gboolean gcm_seal(EVP_CIPHER_CTX *ctx, const guint8 *iv, const guint8 *aad, gsize aad_len,
                         const guint8 *aad2, guint8 *data, gsize len, guint8 *tag)
{
    guint8 none[16];
    int n;
    return gcm_run(ctx, iv, aad, aad_len, aad2, data, len) && EVP_CipherFinal_ex(ctx, none, &n) &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, GCM_TAG_LEN, tag) > 0;
}

static gboolean gcm_open(EVP_CIPHER_CTX *ctx, const guint8 *iv, const guint8 *aad, gsize aad_len,
                         const guint8 *aad2, guint8 *data, gsize len, guint8 *tag, GError **error)
{
    guint8 none[16];
    int n;
    if (!gcm_run(ctx, iv, aad, aad_len, aad2, data, len) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, GCM_TAG_LEN, tag) <= 0)
        return crypto_failed(error);
    if (EVP_CipherFinal_ex(ctx, none, &n) > 0)
        return TRUE;
    /* OpenSSL decrypts before it checks the tag: run the keystream again (CTR
     * is its own inverse) so that a forged packet is left as it came. */
    gcm_run(ctx, iv, aad, aad_len, aad2, data, len);
    return fail(error, CG_SRTP_ERROR_AUTH_FAILED, "SRTP authentication failed");
}

/* Precomputes HMAC's two key blocks once, so a packet costs copies of SHA-1
 * states rather than hashing the key again (measured fastest of the EVP ways,
 * see tools/srtp-bench). */
static gboolean hmac_init(Keys *k, const guint8 *auth_key)
{
    guint8 pad[SHA1_BLOCK];
    EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    k->inner = EVP_MD_CTX_new();
    k->outer = EVP_MD_CTX_new();
    gboolean ok = sha1 && k->inner && k->outer;

    memset(pad, 0x36, sizeof pad);
    for (int i = 0; i < AUTH_KEY_LEN; i++)
        pad[i] ^= auth_key[i];
    ok = ok && EVP_DigestInit_ex2(k->inner, sha1, NULL) &&
         EVP_DigestUpdate(k->inner, pad, sizeof pad);
    memset(pad, 0x5c, sizeof pad);
    for (int i = 0; i < AUTH_KEY_LEN; i++)
        pad[i] ^= auth_key[i];
    ok = ok && EVP_DigestInit_ex2(k->outer, sha1, NULL) &&
         EVP_DigestUpdate(k->outer, pad, sizeof pad);

    OPENSSL_cleanse(pad, sizeof pad);
    EVP_MD_free(sha1);
    return ok;
}

/* HMAC-SHA1 of @data[0..@len), then the 4-byte @roc if non-NULL (SRTP). */
static gboolean hmac_sha1(CgSrtp *s, const Keys *k, const guint8 *data, gsize len,
                          const guint8 *roc, guint8 *mac)
{
    guint8 inner[SHA1_LEN];
    unsigned int n;
    return EVP_MD_CTX_copy_ex(s->scratch, k->inner) && EVP_DigestUpdate(s->scratch, data, len) &&
           (!roc || EVP_DigestUpdate(s->scratch, roc, 4)) &&
           EVP_DigestFinal_ex(s->scratch, inner, &n) && EVP_MD_CTX_copy_ex(s->scratch, k->outer) &&
           EVP_DigestUpdate(s->scratch, inner, SHA1_LEN) && EVP_DigestFinal_ex(s->scratch, mac, &n);
}

/* ---- keys ----------------------------------------------------------------------------------- */

/* The PRF of RFC 3711 4.3.1 with key derivation rate 0: AES-CM of the master
 * key (@prf) with IV (master_salt ^ label << 48) << 16. GCM's 12-byte salt is
 * zero-padded to 14 (RFC 7714 11). */
static gboolean kdf(EVP_CIPHER_CTX *prf, const guint8 *master_salt, gsize salt_len, guint8 label,
                    guint8 *out, gsize len)
{
    guint8 iv[16] = {0};
    int n;
    memcpy(iv, master_salt, salt_len);
    iv[7] ^= label;
    memset(out, 0, len);
    return EVP_CipherInit_ex2(prf, NULL, NULL, iv, -1, NULL) &&
           EVP_CipherUpdate(prf, out, &n, out, (int)len);
}

static gboolean keys_init(CgSrtp *s, Keys *k, const guint8 *enc_key, const guint8 *salt,
                          const guint8 *auth_key)
{
    /* AES-CM runs the same way both ways; GCM is keyed for its direction */
    gboolean encrypt = !s->profile->aead || s->direction == CG_SRTP_DIRECTION_OUTBOUND;
    k->cipher = cipher_new(s->profile->cipher, encrypt, enc_key);
    memcpy(k->salt, salt, s->profile->salt_len);
    if (!k->cipher)
        return FALSE;
    return s->profile->aead || hmac_init(k, auth_key);
}

static gboolean keys_derive(CgSrtp *s, Keys *k, EVP_CIPHER_CTX *prf, const guint8 *master_salt,
                            guint8 first_label)
{
    guint8 enc[KEY_LEN], auth[AUTH_KEY_LEN] = {0}, salt[CM_SALT_LEN];
    gsize salt_len = s->profile->salt_len;
    gboolean ok = kdf(prf, master_salt, salt_len, first_label + LABEL_ENC, enc, KEY_LEN) &&
                  kdf(prf, master_salt, salt_len, first_label + LABEL_SALT, salt, salt_len) &&
                  (s->profile->aead ||
                   kdf(prf, master_salt, salt_len, first_label + LABEL_AUTH, auth, AUTH_KEY_LEN)) &&
                  keys_init(s, k, enc, salt, auth);
    OPENSSL_cleanse(enc, sizeof enc);
    OPENSSL_cleanse(auth, sizeof auth);
    OPENSSL_cleanse(salt, sizeof salt);
    return ok;
}

static void keys_clear(Keys *k)
{
    EVP_CIPHER_CTX_free(k->cipher); /* providers wipe their key schedules */
    EVP_MD_CTX_free(k->inner);
    EVP_MD_CTX_free(k->outer);
}

static CgSrtp *context_new(const ProfileInfo *profile, CgSrtpDirection direction)
{
    CgSrtp *s = g_new0(CgSrtp, 1);
    s->profile = profile;
    s->direction = direction;
    s->scratch = EVP_MD_CTX_new();
    if (!s->scratch)
        g_clear_pointer(&s, cg_srtp_free);
    return s;
}

CgSrtp *cg_srtp_new(CgSrtpProfile profile, CgSrtpDirection direction, const guint8 *master_key,
                    gsize key_len, const guint8 *master_salt, gsize salt_len, GError **error)
{
    g_return_val_if_fail(
        direction == CG_SRTP_DIRECTION_OUTBOUND || direction == CG_SRTP_DIRECTION_INBOUND, NULL);
    const ProfileInfo *info = profile_info(profile);
    if (!info) {
        fail(error, CG_SRTP_ERROR_BAD_KEY, "unknown SRTP protection profile");
        return NULL;
    }
    if (!master_key || !master_salt || key_len != KEY_LEN || salt_len != info->salt_len) {
        fail(error, CG_SRTP_ERROR_BAD_KEY, "SRTP master key or salt of the wrong length");
        return NULL;
    }
    CgSrtp *s = context_new(info, direction);
    EVP_CIPHER_CTX *prf = cipher_new("AES-128-CTR", TRUE, master_key);
    gboolean ok = s && prf && keys_derive(s, &s->rtp, prf, master_salt, 0) &&
                  keys_derive(s, &s->rtcp, prf, master_salt, LABEL_RTCP);
    EVP_CIPHER_CTX_free(prf);
    if (!ok) {
        cg_srtp_free(s);
        fail(error, CG_SRTP_ERROR_CRYPTO, "OpenSSL failed to set up SRTP keys");
        return NULL;
    }
    return s;
}

void cg_srtp_free(CgSrtp *s)
{
    if (!s)
        return;
    keys_clear(&s->rtp);
    keys_clear(&s->rtcp);
    EVP_MD_CTX_free(s->scratch);
    OPENSSL_cleanse(s, sizeof *s); /* the salts are key material too */
    g_free(s);
}

/* ---- per-SSRC state ------------------------------------------------------------------------- */

static Stream *stream_find(CgSrtp *s, guint32 ssrc)
{
    if (s->n_streams > 0 && s->streams[s->last].ssrc == ssrc)
        return &s->streams[s->last];
    for (guint i = 0; i < s->n_streams; i++) {
        if (s->streams[i].ssrc == ssrc) {
            s->last = i;
            return &s->streams[i];
        }
    }
    return NULL;
}

/* The stream of @ssrc, or else @fresh set up for it: the table only takes it
 * in stream_keep(), once its first packet has passed. */
static Stream *stream_get(CgSrtp *s, guint32 ssrc, Stream *fresh, GError **error)
{
    Stream *st = stream_find(s, ssrc);
    if (st)
        return st;
    if (s->n_streams == CG_SRTP_MAX_SSRCS) {
        fail(error, CG_SRTP_ERROR_LIMIT, "more SSRCs than CG_SRTP_MAX_SSRCS");
        return NULL;
    }
    memset(fresh, 0, sizeof *fresh);
    fresh->ssrc = ssrc;
    return fresh;
}

static void stream_keep(CgSrtp *s, const Stream *st, const Stream *fresh)
{
    if (st != fresh)
        return;
    s->last = s->n_streams;
    s->streams[s->n_streams++] = *fresh;
}

/* RFC 3711 3.3.1 and Appendix A: the index of @seq is the one closest to the
 * highest so far. Before any packet, and below ROC 0, the ROC is 0 (as
 * libsrtp does). Fails if the ROC would need more than 32 bits. */
static gboolean rtp_index_guess(const Window *w, guint16 seq, guint64 *index, GError **error)
{
    if (!w->used) {
        *index = seq;
        return TRUE;
    }
    guint64 roc = w->top >> 16;
    guint32 s_l = (guint32)(w->top & 0xffff);
    guint64 v = roc;
    if (s_l < 32768) {
        if (seq > s_l + 32768 && roc > 0)
            v = roc - 1;
    } else if (seq < s_l - 32768) {
        v = roc + 1;
    }
    if (v > G_MAXUINT32)
        return fail(error, CG_SRTP_ERROR_LIMIT, "SRTP index space of the key used up");
    *index = v << 16 | seq;
    return TRUE;
}

static gboolean window_check(const Window *w, guint64 index, GError **error)
{
    if (!w->used || index > w->top)
        return TRUE;
    guint64 age = w->top - index;
    if (age >= CG_SRTP_REPLAY_WINDOW)
        return fail(error, CG_SRTP_ERROR_REPLAYED, "index older than the replay window");
    if (w->seen[age / 64] & G_GUINT64_CONSTANT(1) << (age % 64))
        return fail(error, CG_SRTP_ERROR_REPLAYED, "index already used");
    return TRUE;
}

/* Ages every entry by @by: a left shift of the whole bitmap, word 0 lowest. */
static void window_shift(Window *w, guint64 by)
{
    if (by >= CG_SRTP_REPLAY_WINDOW) {
        memset(w->seen, 0, sizeof w->seen);
        return;
    }
    guint words = (guint)(by / 64), bits = (guint)(by % 64);
    for (guint i = WINDOW_WORDS; i-- > 0;) {
        guint64 v = i >= words ? w->seen[i - words] << bits : 0;
        if (bits && i >= words + 1)
            v |= w->seen[i - words - 1] >> (64 - bits);
        w->seen[i] = v;
    }
}

static void window_commit(Window *w, guint64 index)
{
    if (!w->used) {
        memset(w, 0, sizeof *w);
        w->used = TRUE;
        w->top = index;
    } else if (index > w->top) {
        window_shift(w, index - w->top);
        w->top = index;
    }
    guint64 age = w->top - index;
    w->seen[age / 64] |= G_GUINT64_CONSTANT(1) << (age % 64);
}

/* ---- packets -------------------------------------------------------------------------------- */

static gboolean check_size(gsize len, GError **error)
{
    if (len > CG_SRTP_MAX_PACKET_BYTES)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "packet longer than CG_SRTP_MAX_PACKET_BYTES");
    return TRUE;
}

/* Length of the RTP header of @p[0..@len): fixed part, CSRCs, extension. */
static gboolean rtp_header_len(const guint8 *p, gsize len, gsize *hdr, GError **error)
{
    if (len < RTP_HEADER_MIN)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "RTP packet shorter than its fixed header");
    if (p[0] >> 6 != 2)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "not an RTP version 2 packet");
    gsize h = RTP_HEADER_MIN + 4u * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (h + 4 > len)
            return fail(error, CG_SRTP_ERROR_MALFORMED, "RTP header extension past the packet");
        h += 4 + 4u * rd16(p + h + 2);
    }
    if (h > len)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "RTP header longer than the packet");
    *hdr = h;
    return TRUE;
}

static gboolean rtcp_header_check(const guint8 *p, gsize len, GError **error)
{
    if (len < RTCP_HEADER_LEN)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "RTCP packet shorter than its header");
    if (p[0] >> 6 != 2)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "not an RTCP version 2 packet");
    return TRUE;
}

static gboolean rtp_seal(CgSrtp *s, guint32 ssrc, guint64 index, guint8 *p, gsize hdr, gsize len)
{
    const Keys *k = &s->rtp;
    if (s->profile->aead) {
        guint8 iv[GCM_IV_LEN];
        gcm_iv(k->salt, ssrc, index, iv);
        return gcm_seal(k->cipher, iv, p, hdr, NULL, p + hdr, len - hdr, p + len);
    }
    guint8 roc[4], mac[SHA1_LEN];
    wr32(roc, (guint32)(index >> 16));
    if (!cm_crypt(k->cipher, k->salt, ssrc, index, p + hdr, len - hdr) ||
        !hmac_sha1(s, k, p, len, roc, mac))
        return FALSE;
    memcpy(p + len, mac, s->profile->rtp_tag_len);
    return TRUE;
}

/* Authenticates @p[0..@len) against the tag that follows it, then decrypts. */
static gboolean rtp_open(CgSrtp *s, guint32 ssrc, guint64 index, guint8 *p, gsize hdr, gsize len,
                         GError **error)
{
    const Keys *k = &s->rtp;
    if (s->profile->aead) {
        guint8 iv[GCM_IV_LEN];
        gcm_iv(k->salt, ssrc, index, iv);
        return gcm_open(k->cipher, iv, p, hdr, NULL, p + hdr, len - hdr, p + len, error);
    }
    guint8 roc[4], mac[SHA1_LEN];
    wr32(roc, (guint32)(index >> 16));
    if (!hmac_sha1(s, k, p, len, roc, mac))
        return crypto_failed(error);
    if (CRYPTO_memcmp(mac, p + len, s->profile->rtp_tag_len) != 0)
        return fail(error, CG_SRTP_ERROR_AUTH_FAILED, "SRTP authentication failed");
    if (!cm_crypt(k->cipher, k->salt, ssrc, index, p + hdr, len - hdr))
        return crypto_failed(error);
    return TRUE;
}

gboolean cg_srtp_protect(CgSrtp *s, guint8 *packet, gsize len, gsize capacity, gsize *out_len,
                         GError **error)
{
    g_return_val_if_fail(s != NULL && packet != NULL && out_len != NULL, FALSE);
    g_return_val_if_fail(s->direction == CG_SRTP_DIRECTION_OUTBOUND, FALSE);
    gsize hdr, tag = s->profile->rtp_tag_len;
    guint64 index;
    Stream fresh;

    if (!check_size(len, error) || !rtp_header_len(packet, len, &hdr, error))
        return FALSE;
    if (capacity < len || capacity - len < tag)
        return fail(error, CG_SRTP_ERROR_NO_ROOM, "no room for the SRTP tag");
    Stream *st = stream_get(s, rd32(packet + 8), &fresh, error);
    if (!st || !rtp_index_guess(&st->rtp, rd16(packet + 2), &index, error) ||
        !window_check(&st->rtp, index, error))
        return FALSE;
    if (!rtp_seal(s, st->ssrc, index, packet, hdr, len))
        return crypto_failed(error);
    window_commit(&st->rtp, index);
    stream_keep(s, st, &fresh);
    *out_len = len + tag;
    return TRUE;
}

gboolean cg_srtp_unprotect(CgSrtp *s, guint8 *packet, gsize len, gsize *out_len, GError **error)
{
    g_return_val_if_fail(s != NULL && packet != NULL && out_len != NULL, FALSE);
    g_return_val_if_fail(s->direction == CG_SRTP_DIRECTION_INBOUND, FALSE);
    gsize hdr, tag = s->profile->rtp_tag_len;
    guint64 index;
    Stream fresh;

    if (!check_size(len, error))
        return FALSE;
    if (len < tag)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "SRTP packet shorter than its tag");
    gsize body = len - tag;
    if (!rtp_header_len(packet, body, &hdr, error))
        return FALSE;
    /* index and replay first: cheap, and RFC 3711 3.3 orders it so */
    Stream *st = stream_get(s, rd32(packet + 8), &fresh, error);
    if (!st || !rtp_index_guess(&st->rtp, rd16(packet + 2), &index, error) ||
        !window_check(&st->rtp, index, error) ||
        !rtp_open(s, st->ssrc, index, packet, hdr, body, error))
        return FALSE;
    window_commit(&st->rtp, index);
    stream_keep(s, st, &fresh);
    *out_len = body;
    return TRUE;
}

static gboolean rtcp_seal(CgSrtp *s, guint32 ssrc, guint32 index, guint8 *p, gsize len)
{
    const Keys *k = &s->rtcp;
    guint8 trailer[SRTCP_TRAILER_LEN];
    wr32(trailer, SRTCP_E_FLAG | index);
    if (s->profile->aead) {
        /* RFC 7714 9: header | ciphertext | tag | E+index; the AAD is header and E+index */
        guint8 iv[GCM_IV_LEN];
        gcm_iv(k->salt, ssrc, index, iv);
        if (!gcm_seal(k->cipher, iv, p, RTCP_HEADER_LEN, trailer, p + RTCP_HEADER_LEN,
                      len - RTCP_HEADER_LEN, p + len))
            return FALSE;
        memcpy(p + len + GCM_TAG_LEN, trailer, SRTCP_TRAILER_LEN);
        return TRUE;
    }
    /* RFC 3711 3.4: header | ciphertext | E+index | tag, all but the tag authenticated */
    guint8 mac[SHA1_LEN];
    if (!cm_crypt(k->cipher, k->salt, ssrc, index, p + RTCP_HEADER_LEN, len - RTCP_HEADER_LEN))
        return FALSE;
    memcpy(p + len, trailer, SRTCP_TRAILER_LEN);
    if (!hmac_sha1(s, k, p, len + SRTCP_TRAILER_LEN, NULL, mac))
        return FALSE;
    memcpy(p + len + SRTCP_TRAILER_LEN, mac, s->profile->rtcp_tag_len);
    return TRUE;
}

/* @body: the RTCP packet's length within @p, trailer and tag excluded. */
static gboolean rtcp_open(CgSrtp *s, guint32 ssrc, guint32 index, guint8 *p, gsize body,
                          GError **error)
{
    const Keys *k = &s->rtcp;
    if (s->profile->aead) {
        guint8 iv[GCM_IV_LEN];
        gcm_iv(k->salt, ssrc, index, iv);
        return gcm_open(k->cipher, iv, p, RTCP_HEADER_LEN, p + body + GCM_TAG_LEN,
                        p + RTCP_HEADER_LEN, body - RTCP_HEADER_LEN, p + body, error);
    }
    guint8 mac[SHA1_LEN];
    if (!hmac_sha1(s, k, p, body + SRTCP_TRAILER_LEN, NULL, mac))
        return crypto_failed(error);
    if (CRYPTO_memcmp(mac, p + body + SRTCP_TRAILER_LEN, s->profile->rtcp_tag_len) != 0)
        return fail(error, CG_SRTP_ERROR_AUTH_FAILED, "SRTCP authentication failed");
    if (!cm_crypt(k->cipher, k->salt, ssrc, index, p + RTCP_HEADER_LEN, body - RTCP_HEADER_LEN))
        return crypto_failed(error);
    return TRUE;
}

gboolean cg_srtcp_protect(CgSrtp *s, guint8 *packet, gsize len, gsize capacity, gsize *out_len,
                          GError **error)
{
    g_return_val_if_fail(s != NULL && packet != NULL && out_len != NULL, FALSE);
    g_return_val_if_fail(s->direction == CG_SRTP_DIRECTION_OUTBOUND, FALSE);
    gsize extra = SRTCP_TRAILER_LEN + s->profile->rtcp_tag_len;
    Stream fresh;

    if (!check_size(len, error) || !rtcp_header_check(packet, len, error))
        return FALSE;
    if (capacity < len || capacity - len < extra)
        return fail(error, CG_SRTP_ERROR_NO_ROOM, "no room for the SRTCP trailer");
    Stream *st = stream_get(s, rd32(packet + 4), &fresh, error);
    if (!st)
        return FALSE;
    if (st->rtcp_next > SRTCP_MAX_INDEX)
        return fail(error, CG_SRTP_ERROR_LIMIT, "SRTCP index space of the key used up");
    if (!rtcp_seal(s, st->ssrc, st->rtcp_next, packet, len))
        return crypto_failed(error);
    st->rtcp_next++;
    stream_keep(s, st, &fresh);
    *out_len = len + extra;
    return TRUE;
}

gboolean cg_srtcp_unprotect(CgSrtp *s, guint8 *packet, gsize len, gsize *out_len, GError **error)
{
    g_return_val_if_fail(s != NULL && packet != NULL && out_len != NULL, FALSE);
    g_return_val_if_fail(s->direction == CG_SRTP_DIRECTION_INBOUND, FALSE);
    gsize tag = s->profile->rtcp_tag_len, extra = SRTCP_TRAILER_LEN + tag;
    Stream fresh;

    if (!check_size(len, error))
        return FALSE;
    if (len < RTCP_HEADER_LEN + extra)
        return fail(error, CG_SRTP_ERROR_MALFORMED, "SRTCP packet shorter than its trailer");
    gsize body = len - extra;
    if (!rtcp_header_check(packet, body, error))
        return FALSE;
    guint32 e_index = rd32(packet + body + (s->profile->aead ? tag : 0));
    if (!(e_index & SRTCP_E_FLAG))
        return fail(error, CG_SRTP_ERROR_MALFORMED, "unencrypted SRTCP is not accepted");
    guint32 index = e_index & SRTCP_MAX_INDEX;
    Stream *st = stream_get(s, rd32(packet + 4), &fresh, error);
    if (!st || !window_check(&st->rtcp, index, error) ||
        !rtcp_open(s, st->ssrc, index, packet, body, error))
        return FALSE;
    window_commit(&st->rtcp, index);
    stream_keep(s, st, &fresh);
    *out_len = body;
    return TRUE;
}

/* ---- srtp-testing.h ------------------------------------------------------------------------- */

gboolean cg_srtp_testing_keystream(const guint8 *key, const guint8 *salt, guint32 ssrc,
                                   guint64 index, guint8 *out, gsize len)
{
    EVP_CIPHER_CTX *ctx = cipher_new("AES-128-CTR", TRUE, key);
    memset(out, 0, len);
    gboolean ok = ctx && cm_crypt(ctx, salt, ssrc, index, out, len);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

gboolean cg_srtp_testing_derive(const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                                guint8 label, guint8 *out, gsize len)
{
    g_return_val_if_fail(salt_len == CM_SALT_LEN || salt_len == GCM_SALT_LEN, FALSE);
    EVP_CIPHER_CTX *prf = cipher_new("AES-128-CTR", TRUE, master_key);
    gboolean ok = prf && kdf(prf, master_salt, salt_len, label, out, len);
    EVP_CIPHER_CTX_free(prf);
    return ok;
}

CgSrtp *cg_srtp_testing_new_with_session_keys(CgSrtpProfile profile, CgSrtpDirection direction,
                                              const guint8 *key, const guint8 *salt,
                                              const guint8 *auth_key)
{
    const ProfileInfo *info = profile_info(profile);
    CgSrtp *s = info ? context_new(info, direction) : NULL;
    if (s && !(keys_init(s, &s->rtp, key, salt, auth_key) &&
               keys_init(s, &s->rtcp, key, salt, auth_key)))
        g_clear_pointer(&s, cg_srtp_free);
    return s;
}

gboolean cg_srtp_testing_seed(CgSrtp *s, guint32 ssrc, guint64 rtp_index, guint32 rtcp_index)
{
    Stream fresh;
    Stream *st = stream_get(s, ssrc, &fresh, NULL);
    if (!st)
        return FALSE;
    memset(&st->rtp, 0, sizeof st->rtp);
    window_commit(&st->rtp, rtp_index);
    memset(&st->rtcp, 0, sizeof st->rtcp);
    if (s->direction == CG_SRTP_DIRECTION_OUTBOUND)
        st->rtcp_next = rtcp_index;
    else
        window_commit(&st->rtcp, rtcp_index);
    stream_keep(s, st, &fresh);
    return TRUE;
}

guint cg_srtp_testing_stream_count(CgSrtp *s)
{
    return s->n_streams;
}

gboolean cg_srtp_testing_get_roc(CgSrtp *s, guint32 ssrc, guint32 *roc)
{
    Stream *st = stream_find(s, ssrc);
    if (!st || !st->rtp.used)
        return FALSE;
    *roc = (guint32)(st->rtp.top >> 16);
    return TRUE;
}
