/* dtls_transport.c — see dtls_transport.h.
 *
 * Reading: received datagrams go one at a time into a memory BIO, so OpenSSL
 * reads exactly one datagram per record-layer read (DTLS needs the boundary).
 * Writing: a plain memory BIO would glue datagrams together, so the write BIO
 * is a small one of our own that keeps each BIO_write as one datagram; they are
 * handed to send() once OpenSSL has returned.
 */
#include "dtls_transport.h"

#include "dtls_fingerprint.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/time.h>

/* clang-format off */
G_DEFINE_QUARK(cg-dtls-error-quark, cg_dtls_error)
/* clang-format on */

#define DTLS_RECORD_HEADER_BYTES 13u
#define CERT_VALIDITY_DAYS 30
#define SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

/* ECDHE only, AEAD only. ECDSA for Chromium and us; RSA for peers such as
 * older GStreamer/libnice test stacks that still make RSA certificates. */
static const char cipher_list[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
static const char default_srtp_profiles[] = "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";

static const struct {
    CgDtlsSrtpProfile profile;
    const char *name; /* OpenSSL's name, as in use_srtp lists */
    gsize key_len;
    gsize salt_len;
} srtp_profiles[] = {
    {CG_DTLS_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14},
    {CG_DTLS_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14},
    {CG_DTLS_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12}, /* RFC 7714 */
};

struct _CgDtlsIdentity {
    gatomicrefcount refs;
    SSL_CTX *ctx; /* holds the key and the certificate */
    BIO_METHOD *out_method;
    char *pem; /* the certificate, for cg_dtls_fingerprint_of_pem */
    char *fingerprint;
};

typedef enum {
    EVENT_NONE,
    EVENT_FAILED,
    EVENT_CLOSED,
} TerminalEvent;

struct _CgDtlsTransport {
    CgDtlsIdentity *identity;
    CgDtlsRole role;
    CgDtlsState state;
    SSL *ssl;  /* owns both BIOs */
    BIO *rbio; /* memory BIO, one datagram at a time */
    CgDtlsTransportCallbacks cb;
    gpointer user;
    char *hash_func;
    char *fingerprint; /* the peer's, from its SDP */
    char *tag;

    GPtrArray *out;          /* GBytes written by OpenSSL during the current call */
    gboolean out_overflow;   /* CG_DTLS_MAX_FLIGHT_DATAGRAMS exceeded in this call */
    gboolean mismatch;       /* the certificate check refused the peer */
    gboolean in_callback;    /* to catch reentrant use, a programmer error */
    gboolean emit_connected; /* pending events, delivered after the datagrams */
    TerminalEvent emit_terminal;
    GError *error;

    CgDtlsSrtpKeys keys; /* valid in CONNECTED only */
};

gboolean cg_dtls_is_dtls_record(const guint8 *datagram, gsize len)
{
    return datagram && len > 0 && datagram[0] >= 20 && datagram[0] <= 63;
}

void cg_dtls_srtp_keys_clear(CgDtlsSrtpKeys *keys)
{
    if (keys)
        OPENSSL_cleanse(keys, sizeof *keys);
}

/* ---- certificates ---- */

static char *pem_of_x509(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return NULL;
    char *pem = NULL;
    if (PEM_write_bio_X509(bio, cert) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0)
            pem = g_strndup(data, (gsize)n);
    }
    BIO_free(bio);
    return pem;
}

/* The digest of a certificate, in the same form as the SDP, through the one
 * implementation media/ has (dtls_fingerprint.c). */
static gboolean x509_matches_fingerprint(X509 *cert, const char *hash_func, const char *expected)
{
    g_autofree char *pem = cert ? pem_of_x509(cert) : NULL;
    return pem && cg_dtls_fingerprint_matches(hash_func, expected, pem);
}

static X509 *make_certificate(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    guint64 serial = 0;
    gboolean ok = RAND_bytes((unsigned char *)&serial, sizeof serial) == 1;
    /* positive and non-zero, as RFC 5280 asks */
    serial = (serial & G_GUINT64_CONSTANT(0x7fffffffffffffff)) | 1;
    /* a day back: the peer's clock may be behind ours */
    ok = ok && X509_set_version(x, X509_VERSION_3) &&
         ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_VALIDITY_DAYS * 24 * 3600) &&
         X509_set_pubkey(x, key) &&
         X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                    (const unsigned char *)"consultd", -1, -1, 0) &&
         X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Replaces chain validation: a WebRTC peer's certificate is self-signed and
 * trusted only through the fingerprint its (authenticated) SDP carries. Not
 * building a chain also spares us work on whatever chain a peer sends. */
static int check_peer_certificate(X509_STORE_CTX *store, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    CgDtlsTransport *t = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (t && x509_matches_fingerprint(leaf, t->hash_func, t->fingerprint)) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    if (t)
        t->mismatch = TRUE;
    /* makes OpenSSL send a bad_certificate alert */
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

/* ---- the write BIO: one BIO_write, one datagram ---- */

static int out_write(BIO *bio, const char *data, int len)
{
    CgDtlsTransport *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (!t || len <= 0)
        return 0;
    if (t->out->len >= CG_DTLS_MAX_FLIGHT_DATAGRAMS || (guint)len > CG_DTLS_MAX_DATAGRAM_BYTES) {
        t->out_overflow = TRUE;
        return -1;
    }
    g_ptr_array_add(t->out, g_bytes_new(data, (gsize)len));
    return len;
}

static long out_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU: /* not asked: SSL_OP_NO_QUERY_MTU; answered anyway */
        return CG_DTLS_MTU;
    default: /* WPENDING, PENDING, GET_MTU_OVERHEAD, MTU_EXCEEDED...: 0 */
        return 0;
    }
}

static int out_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static int out_destroy(BIO *bio)
{
    BIO_set_data(bio, NULL); /* borrowed: the transport owns the SSL, not the reverse */
    return 1;
}

/* A BIO type index is a small process-wide number: take one for all
 * identities, so that making identities never runs out of them. */
static int out_bio_type(void)
{
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        int index = BIO_get_new_index();
        /* stored + 1 (g_once needs non-zero); on failure, a plain source/sink */
        g_once_init_leave(&once, (gsize)(index > 0 ? index : 0) + 1);
    }
    return (int)once - 1;
}

static BIO_METHOD *out_method_new(void)
{
    BIO_METHOD *m = BIO_meth_new(out_bio_type() | BIO_TYPE_SOURCE_SINK, "cg-dtls-datagrams");
    if (!m)
        return NULL;
    if (!BIO_meth_set_write(m, out_write) || !BIO_meth_set_ctrl(m, out_ctrl) ||
        !BIO_meth_set_create(m, out_create) || !BIO_meth_set_destroy(m, out_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

/* ---- identity ---- */

static SSL_CTX *make_ctx(EVP_PKEY *key, X509 *cert)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    /* tickets and the session cache off: a resumed handshake shows no certificate */
    gboolean ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
                  SSL_CTX_use_certificate(ctx, cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1 &&
                  SSL_CTX_set_cipher_list(ctx, cipher_list) == 1 &&
                  SSL_CTX_set_tlsext_use_srtp(ctx, default_srtp_profiles) == 0; /* 0 = ok */
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, check_peer_certificate, NULL);
    return ctx;
}

CgDtlsIdentity *cg_dtls_identity_new(GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = key ? make_certificate(key) : NULL;
    CgDtlsIdentity *id = g_new0(CgDtlsIdentity, 1);
    g_atomic_ref_count_init(&id->refs);
    id->ctx = cert ? make_ctx(key, cert) : NULL;
    id->out_method = out_method_new();
    id->pem = cert ? pem_of_x509(cert) : NULL;
    id->fingerprint = id->pem ? cg_dtls_fingerprint_of_pem("sha-256", id->pem) : NULL;
    X509_free(cert); /* the SSL_CTX holds its own references */
    EVP_PKEY_free(key);
    if (!id->ctx || !id->out_method || !id->fingerprint) {
        ERR_clear_error();
        cg_dtls_identity_unref(id);
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_INTERNAL,
                    "could not create the DTLS key and certificate");
        return NULL;
    }
    return id;
}

CgDtlsIdentity *cg_dtls_identity_ref(CgDtlsIdentity *id)
{
    g_return_val_if_fail(id != NULL, NULL);
    g_atomic_ref_count_inc(&id->refs);
    return id;
}

void cg_dtls_identity_unref(CgDtlsIdentity *id)
{
    if (!id || !g_atomic_ref_count_dec(&id->refs))
        return;
    SSL_CTX_free(id->ctx);
    BIO_meth_free(id->out_method);
    g_free(id->pem);
    g_free(id->fingerprint);
    g_free(id);
}

const char *cg_dtls_identity_fingerprint(const CgDtlsIdentity *id)
{
    g_return_val_if_fail(id != NULL, NULL);
    return id->fingerprint;
}

/* ---- transport: creation ---- */

/* The peer's a=fingerprint must be hex pairs with colons, as long as a digest
 * in its hash function: our own certificate's tells the length, and whether
 * dtls_fingerprint.c knows the hash at all. */
static gboolean check_remote_fingerprint(const CgDtlsIdentity *id, const char *hash_func,
                                         const char *value, GError **error)
{
    if (!hash_func || !*hash_func || !value || !*value) {
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_BAD_FINGERPRINT,
                    "no a=fingerprint for the DTLS peer");
        return FALSE;
    }
    g_autofree char *own = cg_dtls_fingerprint_of_pem(hash_func, id->pem);
    if (!own) {
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_BAD_FINGERPRINT,
                    "the a=fingerprint names an unknown hash function");
        return FALSE;
    }
    gsize n = strlen(own);
    gboolean ok = strnlen(value, n + 1) == n;
    for (gsize i = 0; ok && i < n; i++)
        ok = i % 3 == 2 ? value[i] == ':' : g_ascii_isxdigit(value[i]);
    if (!ok)
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_BAD_FINGERPRINT,
                    "the a=fingerprint is not a %s digest", hash_func);
    return ok;
}

/* Doubling backoff from our initial value instead of OpenSSL's 1 s: on a lossy
 * partner network one lost datagram would otherwise stall call setup for a
 * second. @previous_us is 0 when a flight's timer starts. */
static unsigned int next_timeout_us(SSL *ssl, unsigned int previous_us)
{
    (void)ssl;
    if (previous_us == 0)
        return CG_DTLS_INITIAL_RTO_US;
    return MIN(previous_us * 2, CG_DTLS_MAX_RTO_US);
}

static gboolean setup_ssl(CgDtlsTransport *t)
{
    t->ssl = SSL_new(t->identity->ctx);
    if (!t->ssl)
        return FALSE;
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(t->identity->out_method);
    if (!rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        return FALSE;
    }
    BIO_set_mem_eof_return(rbio, -1); /* empty means "wait", not end of stream */
    BIO_set_data(wbio, t);
    SSL_set_bio(t->ssl, rbio, wbio);
    t->rbio = rbio;
    SSL_set_app_data(t->ssl, t);
    DTLS_set_timer_cb(t->ssl, next_timeout_us);
    if (SSL_set_mtu(t->ssl, CG_DTLS_MTU) <= 0)
        return FALSE;
    if (t->role == CG_DTLS_ROLE_CLIENT)
        SSL_set_connect_state(t->ssl);
    else
        SSL_set_accept_state(t->ssl);
    return TRUE;
}

CgDtlsTransport *cg_dtls_transport_new(CgDtlsIdentity *id, CgDtlsRole role,
                                       const char *remote_hash_func, const char *remote_fingerprint,
                                       const CgDtlsTransportCallbacks *cb, gpointer user,
                                       GError **error)
{
    g_return_val_if_fail(id != NULL, NULL);
    g_return_val_if_fail(role == CG_DTLS_ROLE_CLIENT || role == CG_DTLS_ROLE_SERVER, NULL);
    g_return_val_if_fail(cb != NULL && cb->send != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!check_remote_fingerprint(id, remote_hash_func, remote_fingerprint, error))
        return NULL;
    CgDtlsTransport *t = g_new0(CgDtlsTransport, 1);
    t->identity = cg_dtls_identity_ref(id);
    t->role = role;
    t->state = CG_DTLS_STATE_NEW;
    t->cb = *cb;
    t->user = user;
    t->hash_func = g_ascii_strdown(remote_hash_func, -1);
    t->fingerprint = g_strdup(remote_fingerprint);
    t->tag = g_strdup("[dtls]");
    t->out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    if (!setup_ssl(t)) {
        ERR_clear_error();
        cg_dtls_transport_free(t);
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_INTERNAL,
                    "could not create the DTLS session");
        return NULL;
    }
    return t;
}

void cg_dtls_transport_free(CgDtlsTransport *t)
{
    if (!t)
        return;
    g_return_if_fail(!t->in_callback);
    SSL_free(t->ssl); /* frees both BIOs */
    cg_dtls_srtp_keys_clear(&t->keys);
    g_clear_error(&t->error);
    g_ptr_array_unref(t->out);
    g_free(t->hash_func);
    g_free(t->fingerprint);
    g_free(t->tag);
    cg_dtls_identity_unref(t->identity);
    g_free(t);
}

void cg_dtls_transport_set_log_tag(CgDtlsTransport *t, const char *tag)
{
    g_return_if_fail(t != NULL);
    g_free(t->tag);
    t->tag = g_strdup(tag ? tag : "[dtls]");
}

gboolean cg_dtls_transport_set_srtp_profiles(CgDtlsTransport *t, const CgDtlsSrtpProfile *profiles,
                                             guint n, GError **error)
{
    g_return_val_if_fail(t != NULL && t->state == CG_DTLS_STATE_NEW, FALSE);
    g_return_val_if_fail(profiles != NULL && n > 0, FALSE);
    g_autoptr(GString) list = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        const char *name = NULL;
        for (gsize j = 0; j < G_N_ELEMENTS(srtp_profiles); j++)
            if (srtp_profiles[j].profile == profiles[i])
                name = srtp_profiles[j].name;
        g_return_val_if_fail(name != NULL, FALSE);
        g_string_append_printf(list, "%s%s", i ? ":" : "", name);
    }
    if (SSL_set_tlsext_use_srtp(t->ssl, list->str) != 0) { /* 0 = ok */
        ERR_clear_error();
        g_set_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_INTERNAL,
                    "OpenSSL refused the SRTP profiles %s", list->str);
        return FALSE;
    }
    return TRUE;
}

/* ---- transport: state changes ---- */

static void fail(CgDtlsTransport *t, CgDtlsError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void fail(CgDtlsTransport *t, CgDtlsError code, const char *fmt, ...)
{
    if (t->state == CG_DTLS_STATE_FAILED || t->state == CG_DTLS_STATE_CLOSED)
        return;
    t->state = CG_DTLS_STATE_FAILED;
    cg_dtls_srtp_keys_clear(&t->keys);
    va_list ap;
    va_start(ap, fmt);
    g_clear_error(&t->error);
    t->error = g_error_new_valist(CG_DTLS_ERROR, code, fmt, ap);
    va_end(ap);
    t->emit_connected = FALSE;
    t->emit_terminal = EVENT_FAILED;
    g_message("%s DTLS failed: %s", t->tag, t->error->message);
}

/* Why the last OpenSSL call failed, from what we saw and its error queue. */
static void fail_from_openssl(CgDtlsTransport *t, int ssl_error)
{
    unsigned long e = ERR_peek_error();
    int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
    if (t->out_overflow) {
        fail(t, CG_DTLS_ERROR_LIMIT, "a DTLS flight needed more than %u datagrams",
             CG_DTLS_MAX_FLIGHT_DATAGRAMS);
    } else if (t->mismatch) {
        fail(t, CG_DTLS_ERROR_FINGERPRINT_MISMATCH,
             "the peer's DTLS certificate does not match the SDP fingerprint");
    } else if (reason == SSL_R_READ_TIMEOUT_EXPIRED) {
        fail(t, CG_DTLS_ERROR_TIMEOUT, "the DTLS peer stopped answering");
    } else if (reason >= SSL_AD_REASON_OFFSET) { /* how OpenSSL files a received alert */
        const char *alert = SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET);
        fail(t, CG_DTLS_ERROR_PEER_ALERT, "the DTLS peer sent a fatal alert: %s", alert);
    } else {
        const char *why = e ? ERR_reason_error_string(e) : NULL;
        fail(t, CG_DTLS_ERROR_HANDSHAKE, "DTLS error %d: %s", ssl_error,
             why ? why : "unknown reason");
    }
    ERR_clear_error();
}

static gboolean export_keys(CgDtlsTransport *t, const SRTP_PROTECTION_PROFILE *p)
{
    gsize k = 0, s = 0;
    CgDtlsSrtpKeys *keys = &t->keys;
    for (gsize i = 0; i < G_N_ELEMENTS(srtp_profiles); i++) {
        if ((unsigned long)srtp_profiles[i].profile == p->id) {
            keys->profile = srtp_profiles[i].profile;
            k = srtp_profiles[i].key_len;
            s = srtp_profiles[i].salt_len;
        }
    }
    if (k == 0)
        return FALSE; /* we never offer others */
    /* RFC 5764 4.2: client key, server key, client salt, server salt */
    guint8 m[2 * (CG_DTLS_SRTP_MAX_KEY_LEN + CG_DTLS_SRTP_MAX_SALT_LEN)];
    if (SSL_export_keying_material(t->ssl, m, 2 * (k + s), SRTP_EXPORTER_LABEL,
                                   strlen(SRTP_EXPORTER_LABEL), NULL, 0, 0) != 1)
        return FALSE;
    gboolean client = t->role == CG_DTLS_ROLE_CLIENT;
    memcpy(keys->local_key, m + (client ? 0 : k), k);
    memcpy(keys->remote_key, m + (client ? k : 0), k);
    memcpy(keys->local_salt, m + 2 * k + (client ? 0 : s), s);
    memcpy(keys->remote_salt, m + 2 * k + (client ? s : 0), s);
    keys->key_len = k;
    keys->salt_len = s;
    OPENSSL_cleanse(m, sizeof m);
    return TRUE;
}

/* The handshake completed: check the certificate once more (the callback
 * may not have been the one that ran, e.g. if OpenSSL's behaviour changes),
 * then and only then export the keys. */
static void handshake_done(CgDtlsTransport *t)
{
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    if (!peer || !x509_matches_fingerprint(peer, t->hash_func, t->fingerprint)) {
        fail(t, CG_DTLS_ERROR_FINGERPRINT_MISMATCH,
             "the peer's DTLS certificate does not match the SDP fingerprint");
        return;
    }
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(t->ssl);
    if (!p) {
        fail(t, CG_DTLS_ERROR_NO_SRTP, "the DTLS peer agreed no SRTP profile");
        return;
    }
    if (!export_keys(t, p)) {
        ERR_clear_error();
        fail(t, CG_DTLS_ERROR_INTERNAL, "could not export the SRTP keys");
        return;
    }
    t->state = CG_DTLS_STATE_CONNECTED;
    t->emit_connected = TRUE;
    g_info("%s DTLS connected (%s, %s)", t->tag, SSL_get_cipher_name(t->ssl), p->name);
}

static void peer_closed(CgDtlsTransport *t)
{
    SSL_shutdown(t->ssl); /* answers with our close_notify */
    ERR_clear_error();
    t->state = CG_DTLS_STATE_CLOSED;
    cg_dtls_srtp_keys_clear(&t->keys);
    t->emit_terminal = EVENT_CLOSED;
    g_info("%s DTLS closed by the peer", t->tag);
}

static void advance_handshake(CgDtlsTransport *t)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        if (t->out_overflow)
            fail_from_openssl(t, SSL_ERROR_SYSCALL);
        else
            handshake_done(t);
        return;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN)
        peer_closed(t);
    else if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || t->out_overflow)
        fail_from_openssl(t, e);
    ERR_clear_error();
}

/* Connected: records are alerts, retransmitted handshake messages (OpenSSL
 * answers a repeated Finished by repeating its last flight) or application
 * data, which this path has no use for. */
static void read_records(CgDtlsTransport *t)
{
    guint8 sink[2048];
    guint64 dropped = 0;
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(t->ssl, sink, sizeof sink);
        if (r > 0) {
            dropped += (guint64)r;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN)
            peer_closed(t);
        else if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || t->out_overflow)
            fail_from_openssl(t, e);
        break;
    }
    ERR_clear_error();
    OPENSSL_cleanse(sink, sizeof sink);
    if (dropped)
        g_debug("%s dropped %" G_GUINT64_FORMAT " bytes of DTLS application data", t->tag, dropped);
}

/* After every OpenSSL call: the datagrams it wrote, then the state change. */
static void dispatch(CgDtlsTransport *t)
{
    /* callbacks cannot re-enter (in_callback), so t->out stays still meanwhile */
    t->in_callback = TRUE;
    for (guint i = 0; i < t->out->len; i++) {
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(t->out->pdata[i], &len);
        t->cb.send(t->user, data, len);
    }
    g_ptr_array_set_size(t->out, 0);
    t->out_overflow = FALSE;
    if (t->emit_connected && t->cb.connected)
        t->cb.connected(t->user);
    if (t->emit_terminal == EVENT_FAILED && t->cb.failed)
        t->cb.failed(t->user, t->error);
    if (t->emit_terminal == EVENT_CLOSED && t->cb.closed)
        t->cb.closed(t->user);
    t->in_callback = FALSE;
    t->emit_connected = FALSE;
    t->emit_terminal = EVENT_NONE;
}

/* ---- transport: the caller's entry points ---- */

void cg_dtls_transport_start(CgDtlsTransport *t)
{
    g_return_if_fail(t != NULL && !t->in_callback);
    if (t->state != CG_DTLS_STATE_NEW)
        return;
    t->state = CG_DTLS_STATE_CONNECTING;
    g_debug("%s DTLS started as %s", t->tag, t->role == CG_DTLS_ROLE_CLIENT ? "client" : "server");
    if (t->role == CG_DTLS_ROLE_CLIENT)
        advance_handshake(t); /* the ClientHello */
    dispatch(t);
}

void cg_dtls_transport_receive(CgDtlsTransport *t, const guint8 *datagram, gsize len)
{
    g_return_if_fail(t != NULL && !t->in_callback);
    if (t->state != CG_DTLS_STATE_CONNECTING && t->state != CG_DTLS_STATE_CONNECTED)
        return;
    if (!datagram || len < DTLS_RECORD_HEADER_BYTES || len > CG_DTLS_MAX_DATAGRAM_BYTES ||
        !cg_dtls_is_dtls_record(datagram, len)) {
        g_debug("%s dropped a %" G_GSIZE_FORMAT "-byte datagram (not DTLS, or out of bounds)",
                t->tag, len);
        return;
    }
    /* exactly this datagram in the BIO: whatever OpenSSL left unread is stale */
    (void)BIO_reset(t->rbio);
    if (BIO_write(t->rbio, datagram, (int)len) != (int)len) {
        (void)BIO_reset(t->rbio);
        return;
    }
    if (t->state == CG_DTLS_STATE_CONNECTING)
        advance_handshake(t);
    if (t->state == CG_DTLS_STATE_CONNECTED)
        read_records(t); /* also what followed the Finished in the same datagram */
    (void)BIO_reset(t->rbio);
    dispatch(t);
}

gint64 cg_dtls_transport_timeout_us(CgDtlsTransport *t)
{
    g_return_val_if_fail(t != NULL, -1);
    if (t->state != CG_DTLS_STATE_CONNECTING && t->state != CG_DTLS_STATE_CONNECTED)
        return -1;
    struct timeval tv = {0, 0};
    if (DTLSv1_get_timeout(t->ssl, &tv) != 1)
        return -1;
    return (gint64)tv.tv_sec * G_USEC_PER_SEC + tv.tv_usec;
}

void cg_dtls_transport_handle_timeout(CgDtlsTransport *t)
{
    g_return_if_fail(t != NULL && !t->in_callback);
    if (t->state != CG_DTLS_STATE_CONNECTING && t->state != CG_DTLS_STATE_CONNECTED)
        return;
    ERR_clear_error();
    int r = (int)DTLSv1_handle_timeout(t->ssl);
    if (r < 0 || t->out_overflow)
        fail_from_openssl(t, SSL_get_error(t->ssl, r));
    else if (r > 0)
        g_debug("%s DTLS flight retransmitted", t->tag);
    ERR_clear_error();
    dispatch(t);
}

void cg_dtls_transport_close(CgDtlsTransport *t)
{
    g_return_if_fail(t != NULL && !t->in_callback);
    if (t->state == CG_DTLS_STATE_CLOSED || t->state == CG_DTLS_STATE_FAILED)
        return;
    if (t->state == CG_DTLS_STATE_CONNECTED) {
        ERR_clear_error();
        SSL_shutdown(t->ssl);
        ERR_clear_error();
    }
    t->state = CG_DTLS_STATE_CLOSED;
    cg_dtls_srtp_keys_clear(&t->keys);
    g_debug("%s DTLS closed", t->tag);
    /* only the close_notify: a terminal state has no event of our own making */
    t->emit_connected = FALSE;
    t->emit_terminal = EVENT_NONE;
    dispatch(t);
}

CgDtlsState cg_dtls_transport_get_state(const CgDtlsTransport *t)
{
    g_return_val_if_fail(t != NULL, CG_DTLS_STATE_FAILED);
    return t->state;
}

gboolean cg_dtls_transport_srtp_keys(const CgDtlsTransport *t, CgDtlsSrtpKeys *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    cg_dtls_srtp_keys_clear(out);
    g_return_val_if_fail(t != NULL, FALSE);
    if (t->state != CG_DTLS_STATE_CONNECTED)
        return FALSE;
    *out = t->keys;
    return TRUE;
}
