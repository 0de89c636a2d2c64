/* test-dtls-transport.c — cg_dtls_transport between two in-process peers wired
 * through a queue, and against a plain OpenSSL DTLS-SRTP peer set up here
 * independently of the module (its own context, memory BIOs, and the RFC 5764
 * key layout written out below), which stands in for a third-party stack. */
#include "dtls_transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

#define MAX_DELIVERIES 10000u /* a handshake that needs more is looping */

typedef struct Net Net;
typedef struct Peer Peer;

/* The independent OpenSSL peer. */
typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio;
    BIO *wbio;
    char *fingerprint; /* sha-256 of its certificate, or NULL without one */
    gboolean dead;
    gboolean got_close_notify;
} RawPeer;

struct Peer {
    const char *name;
    Net *net;
    Peer *other;
    CgDtlsIdentity *id;
    CgDtlsTransport *t; /* ours, or NULL when the peer is raw */
    RawPeer *raw;
    guint n_connected;
    guint n_failed;
    guint n_closed;
    GError *error;
    gboolean keys_at_connected;    /* srtp_keys worked from inside connected() */
    GPtrArray *sent;               /* GBytes: every datagram this peer sent */
    guint drop;                    /* lose this many of the next datagrams sent */
    gboolean drop_while_connected; /* lose what it sends once connected, until a timer fires */
    guint n_dropped;
};

struct Net {
    GQueue wire; /* Packet */
    Peer client;
    Peer server;
    GRand *garbage; /* if set, garbage reaches each peer before every real datagram */
};

typedef struct {
    Peer *to;
    GBytes *data;
} Packet;

/* ---- the wire ---- */

static void wire_send(Peer *p, const guint8 *d, gsize len)
{
    g_ptr_array_add(p->sent, g_bytes_new(d, len));
    gboolean connected = p->t && cg_dtls_transport_get_state(p->t) == CG_DTLS_STATE_CONNECTED;
    if (p->drop > 0 || (p->drop_while_connected && connected)) {
        if (p->drop > 0)
            p->drop--;
        p->n_dropped++;
        return;
    }
    Packet *pk = g_new0(Packet, 1);
    pk->to = p->other;
    pk->data = g_bytes_new(d, len);
    g_queue_push_tail(&p->net->wire, pk);
}

static void on_send(gpointer user, const guint8 *d, gsize len)
{
    Peer *p = user;
    g_assert_cmpuint(len, <=, CG_DTLS_MTU);
    g_assert_true(cg_dtls_is_dtls_record(d, len));
    wire_send(p, d, len);
}

static void on_connected(gpointer user)
{
    Peer *p = user;
    p->n_connected++;
    CgDtlsSrtpKeys keys;
    p->keys_at_connected = cg_dtls_transport_srtp_keys(p->t, &keys);
    cg_dtls_srtp_keys_clear(&keys);
}

static void on_failed(gpointer user, const GError *error)
{
    Peer *p = user;
    p->n_failed++;
    g_clear_error(&p->error);
    p->error = g_error_copy(error);
}

static void on_closed(gpointer user)
{
    ((Peer *)user)->n_closed++;
}

static const CgDtlsTransportCallbacks callbacks = {on_send, on_connected, on_failed, on_closed};

/* ---- the raw OpenSSL peer ---- */

static char *hex_colons(const guint8 *d, gsize n)
{
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < n; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", d[i]);
    return g_string_free(s, FALSE);
}

static char *sha256_of_cert(X509 *cert)
{
    guint8 md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    g_assert_cmpint(X509_digest(cert, EVP_sha256(), md, &n), ==, 1);
    return hex_colons(md, n);
}

static int accept_any_certificate(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1; /* self-signed; the test compares fingerprints itself */
}

/* An RSA certificate: our peers may use RSA where Chromium uses ECDSA. */
static void raw_use_rsa_certificate(RawPeer *r)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    g_assert_nonnull(key);
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"raw-peer", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    g_assert_cmpint(X509_sign(x, key, EVP_sha256()), >, 0);
    g_assert_cmpint(SSL_CTX_use_certificate(r->ctx, x), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(r->ctx, key), ==, 1);
    r->fingerprint = sha256_of_cert(x);
    X509_free(x);
    EVP_PKEY_free(key);
}

static RawPeer *raw_new(gboolean server, const char *srtp_profiles, gboolean with_cert)
{
    RawPeer *r = g_new0(RawPeer, 1);
    r->ctx = SSL_CTX_new(DTLS_method());
    g_assert_nonnull(r->ctx);
    g_assert_cmpint(SSL_CTX_set_min_proto_version(r->ctx, DTLS1_2_VERSION), ==, 1);
    if (with_cert)
        raw_use_rsa_certificate(r);
    if (srtp_profiles)
        g_assert_cmpint(SSL_CTX_set_tlsext_use_srtp(r->ctx, srtp_profiles), ==, 0);
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       accept_any_certificate);
    r->ssl = SSL_new(r->ctx);
    r->rbio = BIO_new(BIO_s_mem());
    r->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(r->rbio, -1);
    BIO_set_mem_eof_return(r->wbio, -1);
    SSL_set_bio(r->ssl, r->rbio, r->wbio);
    SSL_set_options(r->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(r->ssl, 1200);
    if (server)
        SSL_set_accept_state(r->ssl);
    else
        SSL_set_connect_state(r->ssl);
    return r;
}

static void raw_free(RawPeer *r)
{
    if (!r)
        return;
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
    g_free(r->fingerprint);
    g_free(r);
}

/* A memory BIO glues datagrams together; OpenSSL writes one record per
 * datagram, so cut at record boundaries (13-byte header, length at 11). */
static void raw_flush(Peer *p)
{
    BIO *w = p->raw->wbio;
    size_t n = BIO_ctrl_pending(w);
    if (n == 0)
        return;
    g_autofree guint8 *buf = g_malloc(n);
    g_assert_cmpint(BIO_read(w, buf, (int)n), ==, (int)n);
    gsize off = 0;
    while (off < n) {
        g_assert_cmpuint(off + 13, <=, n);
        gsize rec = 13 + ((gsize)buf[off + 11] << 8 | buf[off + 12]);
        g_assert_cmpuint(off + rec, <=, n);
        wire_send(p, buf + off, rec);
        off += rec;
    }
}

static void raw_step(Peer *p)
{
    RawPeer *r = p->raw;
    if (r->dead)
        return;
    if (!SSL_is_init_finished(r->ssl)) {
        int rc = SSL_do_handshake(r->ssl);
        if (rc == 1)
            p->n_connected++;
        else if (SSL_get_error(r->ssl, rc) != SSL_ERROR_WANT_READ)
            r->dead = TRUE;
    } else {
        guint8 buf[2048];
        int rc;
        while ((rc = SSL_read(r->ssl, buf, sizeof buf)) > 0)
            continue;
        int e = SSL_get_error(r->ssl, rc);
        if (e == SSL_ERROR_ZERO_RETURN)
            r->got_close_notify = TRUE;
        else if (e != SSL_ERROR_WANT_READ)
            r->dead = TRUE;
    }
    ERR_clear_error();
    raw_flush(p);
}

/* ---- the harness ---- */

static void net_init(Net *net)
{
    memset(net, 0, sizeof *net);
    g_queue_init(&net->wire);
    net->client.name = "client";
    net->server.name = "server";
    net->client.other = &net->server;
    net->server.other = &net->client;
    net->client.net = net->server.net = net;
    net->client.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    net->server.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void packet_free(gpointer data)
{
    Packet *pk = data;
    g_bytes_unref(pk->data);
    g_free(pk);
}

static void peer_clear(Peer *p)
{
    cg_dtls_transport_free(p->t);
    cg_dtls_identity_unref(p->id);
    raw_free(p->raw);
    g_clear_error(&p->error);
    g_ptr_array_unref(p->sent);
}

static void net_clear(Net *net)
{
    g_queue_clear_full(&net->wire, packet_free);
    peer_clear(&net->client);
    peer_clear(&net->server);
    if (net->garbage)
        g_rand_free(net->garbage);
}

static CgDtlsTransport *transport_new(Peer *p, CgDtlsRole role, const char *remote_fp)
{
    g_autoptr(GError) error = NULL;
    CgDtlsTransport *t =
        cg_dtls_transport_new(p->id, role, "sha-256", remote_fp, &callbacks, p, &error);
    g_assert_no_error(error);
    g_assert_nonnull(t);
    g_autofree char *tag = g_strdup_printf("[test][%s]", p->name);
    cg_dtls_transport_set_log_tag(t, tag);
    return t;
}

/* Two of ours, each given the fingerprint it should expect (NULL: the real one). */
static void pair_setup(Net *net, const char *client_expects, const char *server_expects)
{
    net_init(net);
    net->client.id = cg_dtls_identity_new(NULL);
    net->server.id = cg_dtls_identity_new(NULL);
    g_assert_nonnull(net->client.id);
    g_assert_nonnull(net->server.id);
    const char *cfp = cg_dtls_identity_fingerprint(net->client.id);
    const char *sfp = cg_dtls_identity_fingerprint(net->server.id);
    net->client.t =
        transport_new(&net->client, CG_DTLS_ROLE_CLIENT, client_expects ? client_expects : sfp);
    net->server.t =
        transport_new(&net->server, CG_DTLS_ROLE_SERVER, server_expects ? server_expects : cfp);
}

static void feed_garbage(Peer *p, gboolean connected);

static void deliver(Packet *pk)
{
    Peer *to = pk->to;
    if (to->net->garbage && to->t)
        feed_garbage(to, FALSE);
    gsize len = 0;
    const guint8 *d = g_bytes_get_data(pk->data, &len);
    if (to->t) {
        cg_dtls_transport_receive(to->t, d, len);
    } else {
        g_assert_cmpint(BIO_write(to->raw->rbio, d, (int)len), ==, (int)len);
        raw_step(to);
    }
}

static void pump(Net *net)
{
    Packet *pk;
    guint n = 0;
    while ((pk = g_queue_pop_head(&net->wire))) {
        g_assert_cmpuint(++n, <, MAX_DELIVERIES);
        deliver(pk);
        packet_free(pk);
    }
}

static gboolean settled(const Peer *p)
{
    if (p->t) {
        CgDtlsState s = cg_dtls_transport_get_state(p->t);
        return s != CG_DTLS_STATE_NEW && s != CG_DTLS_STATE_CONNECTING;
    }
    return p->raw->dead || SSL_is_init_finished(p->raw->ssl);
}

static gint64 min_timeout(Net *net)
{
    gint64 a = net->client.t ? cg_dtls_transport_timeout_us(net->client.t) : -1;
    gint64 b = net->server.t ? cg_dtls_transport_timeout_us(net->server.t) : -1;
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return MIN(a, b);
}

/* Delivers until both sides settle, sleeping until the next retransmission
 * timer when the wire is idle; gives up after @max_seconds. A timer firing
 * ends simulated loss (drop_while_connected): only the first try is lost. */
static void run(Net *net, double max_seconds)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)(max_seconds * G_USEC_PER_SEC);
    for (;;) {
        pump(net);
        if (settled(&net->client) && settled(&net->server))
            return;
        gint64 wait = min_timeout(net);
        if (wait < 0 || g_get_monotonic_time() + wait > deadline)
            return;
        if (wait > 0)
            g_usleep((gulong)wait);
        net->client.drop_while_connected = net->server.drop_while_connected = FALSE;
        for (Peer *p = &net->client; p; p = p == &net->client ? &net->server : NULL)
            if (p->t)
                cg_dtls_transport_handle_timeout(p->t);
    }
}

static void start(Net *net)
{
    /* server first: it must be listening when the ClientHello arrives */
    for (Peer *p = &net->server; p; p = p == &net->server ? &net->client : NULL) {
        if (p->t)
            cg_dtls_transport_start(p->t);
        else if (p == &net->client)
            raw_step(p); /* a raw client's ClientHello */
    }
}

static gboolean all_zero(const guint8 *d, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (d[i])
            return FALSE;
    return TRUE;
}

/* Client's local keys are the server's remote ones and vice versa. */
static void assert_keys_cross(Net *net, CgDtlsSrtpProfile profile, gsize salt_len)
{
    CgDtlsSrtpKeys c, s;
    g_assert_true(cg_dtls_transport_srtp_keys(net->client.t, &c));
    g_assert_true(cg_dtls_transport_srtp_keys(net->server.t, &s));
    g_assert_cmpint(c.profile, ==, profile);
    g_assert_cmpint(s.profile, ==, profile);
    g_assert_cmpuint(c.key_len, ==, 16);
    g_assert_cmpuint(s.key_len, ==, 16);
    g_assert_cmpuint(c.salt_len, ==, salt_len);
    g_assert_cmpuint(s.salt_len, ==, salt_len);
    g_assert_cmpmem(c.local_key, c.key_len, s.remote_key, s.key_len);
    g_assert_cmpmem(c.remote_key, c.key_len, s.local_key, s.key_len);
    g_assert_cmpmem(c.local_salt, c.salt_len, s.remote_salt, s.salt_len);
    g_assert_cmpmem(c.remote_salt, c.salt_len, s.local_salt, s.salt_len);
    g_assert_false(memcmp(c.local_key, c.remote_key, c.key_len) == 0);
    g_assert_false(memcmp(c.local_salt, c.remote_salt, c.salt_len) == 0);
    g_assert_false(all_zero(c.local_key, c.key_len));
    g_assert_false(all_zero(c.remote_salt, c.salt_len));
    cg_dtls_srtp_keys_clear(&c);
    cg_dtls_srtp_keys_clear(&s);
}

static void assert_connected_once(const Peer *p)
{
    g_assert_cmpuint(p->n_connected, ==, 1);
    g_assert_cmpuint(p->n_failed, ==, 0);
    g_assert_cmpuint(p->n_closed, ==, 0);
    g_assert_true(p->keys_at_connected);
    g_assert_cmpint(cg_dtls_transport_get_state(p->t), ==, CG_DTLS_STATE_CONNECTED);
}

static void assert_failed_without_keys(const Peer *p, CgDtlsError code)
{
    g_assert_cmpuint(p->n_failed, ==, 1);
    g_assert_cmpuint(p->n_connected, ==, 0);
    g_assert_error(p->error, CG_DTLS_ERROR, (gint)code);
    g_assert_cmpint(cg_dtls_transport_get_state(p->t), ==, CG_DTLS_STATE_FAILED);
    CgDtlsSrtpKeys keys;
    memset(&keys, 0xAA, sizeof keys);
    g_assert_false(cg_dtls_transport_srtp_keys(p->t, &keys));
    g_assert_true(all_zero((const guint8 *)&keys, sizeof keys));
}

/* ---- tests: pure helpers ---- */

static void test_demux(void)
{
    guint8 b[1] = {0};
    for (guint v = 0; v < 256; v++) {
        b[0] = (guint8)v;
        g_assert_cmpint(cg_dtls_is_dtls_record(b, 1), ==, v >= 20 && v <= 63);
    }
    b[0] = 22;
    g_assert_false(cg_dtls_is_dtls_record(b, 0));
    g_assert_false(cg_dtls_is_dtls_record(NULL, 0));
}

static gboolean is_sdp_fingerprint(const char *fp, gsize bytes)
{
    if (strlen(fp) != bytes * 3 - 1)
        return FALSE;
    for (gsize i = 0; fp[i]; i++) {
        gboolean ok =
            i % 3 == 2 ? fp[i] == ':' : g_ascii_isdigit(fp[i]) || (fp[i] >= 'A' && fp[i] <= 'F');
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static void test_identity(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgDtlsIdentity) a = cg_dtls_identity_new(&error);
    g_assert_no_error(error);
    g_autoptr(CgDtlsIdentity) b = cg_dtls_identity_new(&error);
    g_assert_no_error(error);
    g_assert_true(is_sdp_fingerprint(cg_dtls_identity_fingerprint(a), 32));
    g_assert_cmpstr(cg_dtls_identity_fingerprint(a), !=, cg_dtls_identity_fingerprint(b));
    CgDtlsIdentity *again = cg_dtls_identity_ref(a);
    g_assert_true(again == a);
    cg_dtls_identity_unref(again);
    g_assert_true(is_sdp_fingerprint(cg_dtls_identity_fingerprint(a), 32));
}

static void test_bad_fingerprint(void)
{
    g_autoptr(CgDtlsIdentity) id = cg_dtls_identity_new(NULL);
    const char *fp = cg_dtls_identity_fingerprint(id);
    g_autofree char *short_fp = g_strndup(fp, strlen(fp) - 1);
    g_autofree char *long_fp = g_strconcat(fp, ":00", NULL);
    g_autofree char *not_hex = g_strdup(fp);
    not_hex[3] = 'G';
    g_autofree char *spaces = g_strdelimit(g_strdup(fp), ":", ' ');
    const struct {
        const char *hash;
        const char *value;
    } refused[] = {
        {NULL, fp},
        {"", fp},
        {"sha-256", NULL},
        {"sha-256", ""},
        {"md5", fp},
        {"sha-1", fp},
        {"sha-256", short_fp},
        {"sha-256", long_fp},
        {"sha-256", not_hex},
        {"sha-256", spaces},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GError) error = NULL;
        g_test_message("case %" G_GSIZE_FORMAT, i);
        CgDtlsTransport *t = cg_dtls_transport_new(id, CG_DTLS_ROLE_CLIENT, refused[i].hash,
                                                   refused[i].value, &callbacks, NULL, &error);
        g_assert_null(t);
        g_assert_error(error, CG_DTLS_ERROR, CG_DTLS_ERROR_BAD_FINGERPRINT);
    }
    /* the SDP may spell both in lower case */
    g_autoptr(GError) error = NULL;
    g_autofree char *lower = g_ascii_strdown(fp, -1);
    CgDtlsTransport *t =
        cg_dtls_transport_new(id, CG_DTLS_ROLE_SERVER, "SHA-256", lower, &callbacks, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(cg_dtls_transport_get_state(t), ==, CG_DTLS_STATE_NEW);
    g_assert_cmpint(cg_dtls_transport_timeout_us(t), ==, -1);
    cg_dtls_transport_free(t);
}

/* ---- tests: two of ours ---- */

static void test_handshake(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    g_assert_cmpint(cg_dtls_transport_get_state(net.client.t), ==, CG_DTLS_STATE_NEW);
    start(&net);
    g_assert_cmpint(cg_dtls_transport_get_state(net.client.t), ==, CG_DTLS_STATE_CONNECTING);
    g_assert_cmpuint(net.server.sent->len, ==, 0); /* the server waits */
    g_assert_cmpuint(net.client.sent->len, ==, 1); /* the ClientHello */
    run(&net, 10);
    assert_connected_once(&net.client);
    assert_connected_once(&net.server);
    assert_keys_cross(&net, CG_DTLS_SRTP_AES128_CM_SHA1_80, 14);
    g_assert_cmpint(cg_dtls_transport_timeout_us(net.client.t), ==, -1);
    net_clear(&net);
}

static void test_profiles(void)
{
    static const CgDtlsSrtpProfile gcm[] = {CG_DTLS_SRTP_AEAD_AES_128_GCM};
    static const CgDtlsSrtpProfile short_tag_first[] = {CG_DTLS_SRTP_AES128_CM_SHA1_32,
                                                        CG_DTLS_SRTP_AES128_CM_SHA1_80};
    Net net;
    pair_setup(&net, NULL, NULL);
    g_assert_true(cg_dtls_transport_set_srtp_profiles(net.client.t, gcm, 1, NULL));
    g_assert_true(cg_dtls_transport_set_srtp_profiles(net.server.t, gcm, 1, NULL));
    start(&net);
    run(&net, 10);
    assert_connected_once(&net.client);
    assert_keys_cross(&net, CG_DTLS_SRTP_AEAD_AES_128_GCM, 12);
    net_clear(&net);

    /* the server's preference decides; the client offers 80 then 32 by default */
    pair_setup(&net, NULL, NULL);
    g_assert_true(cg_dtls_transport_set_srtp_profiles(net.server.t, short_tag_first, 2, NULL));
    start(&net);
    run(&net, 10);
    assert_keys_cross(&net, CG_DTLS_SRTP_AES128_CM_SHA1_32, 14);
    net_clear(&net);
}

static void test_mismatch(gconstpointer data)
{
    gboolean client_is_wrong = GPOINTER_TO_INT(data);
    g_autoptr(CgDtlsIdentity) stranger = cg_dtls_identity_new(NULL);
    const char *wrong = cg_dtls_identity_fingerprint(stranger);
    Net net;
    pair_setup(&net, client_is_wrong ? wrong : NULL, client_is_wrong ? NULL : wrong);
    start(&net);
    run(&net, 10);
    Peer *checker = client_is_wrong ? &net.client : &net.server;
    assert_failed_without_keys(checker, CG_DTLS_ERROR_FINGERPRINT_MISMATCH);
    /* the other side hears a bad_certificate alert and gets no keys either */
    assert_failed_without_keys(checker->other, CG_DTLS_ERROR_PEER_ALERT);
    net_clear(&net);
}

/* Sleeps until @t's retransmission timer is due (bounded), then handles it. */
static void fire_timer(CgDtlsTransport *t)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    gint64 wait;
    while ((wait = cg_dtls_transport_timeout_us(t)) > 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep((gulong)wait);
    }
    g_assert_cmpint(wait, ==, 0);
    cg_dtls_transport_handle_timeout(t);
}

static void test_lost_client_hello(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    net.client.drop = 1;
    start(&net);
    pump(&net);
    g_assert_cmpuint(net.client.n_dropped, ==, 1);
    g_assert_cmpuint(net.server.sent->len, ==, 0);
    g_assert_cmpint(cg_dtls_transport_timeout_us(net.server.t), ==, -1); /* nothing to repeat */
    gint64 first = cg_dtls_transport_timeout_us(net.client.t);
    g_assert_cmpint(first, >, 0);
    g_assert_cmpint(first, <=, CG_DTLS_INITIAL_RTO_US); /* not OpenSSL's 1 s */
    fire_timer(net.client.t);
    g_assert_cmpuint(net.client.sent->len, ==, 2); /* the ClientHello again */
    gint64 second = cg_dtls_transport_timeout_us(net.client.t);
    g_assert_cmpint(second, >, 0);
    g_assert_cmpint(second, <=, 2 * CG_DTLS_INITIAL_RTO_US);
    run(&net, 10);
    assert_connected_once(&net.client);
    assert_connected_once(&net.server);
    assert_keys_cross(&net, CG_DTLS_SRTP_AES128_CM_SHA1_80, 14);
    net_clear(&net);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost after it
 * considers itself connected: the client's retransmission must make the
 * connected server repeat it. */
static void test_lost_last_flight(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    net.server.drop_while_connected = TRUE;
    start(&net);
    pump(&net);
    g_assert_cmpuint(net.server.n_connected, ==, 1);
    g_assert_cmpuint(net.client.n_connected, ==, 0);
    g_assert_cmpuint(net.server.n_dropped, >, 0);
    g_assert_cmpint(cg_dtls_transport_timeout_us(net.client.t), >=, 0);
    run(&net, 10);
    assert_connected_once(&net.client);
    assert_connected_once(&net.server);
    assert_keys_cross(&net, CG_DTLS_SRTP_AES128_CM_SHA1_80, 14);
    net_clear(&net);
}

static void feed(Peer *p, const guint8 *d, gsize len)
{
    cg_dtls_transport_receive(p->t, d, len);
}

static void feed_garbage(Peer *p, gboolean connected)
{
    GRand *rand = p->net->garbage;
    guint8 buf[CG_DTLS_MAX_DATAGRAM_BYTES + 64];
    for (guint i = 0; i < 8; i++) { /* random bytes, half of them past the demux */
        gsize len = (gsize)g_rand_int_range(rand, 1, 1500);
        for (gsize j = 0; j < len; j++)
            buf[j] = (guint8)g_rand_int(rand);
        if (i % 2)
            buf[0] = (guint8)g_rand_int_range(rand, 20, 64);
        if (len > 1 && buf[1] == 0xfe)
            buf[1] = 0; /* not a DTLS version: random bytes, not a forged record */
        feed(p, buf, len);
    }
    /* truncated copies of a real record the peer sent */
    Peer *o = p->other;
    if (o->sent->len > 0) {
        gsize len = 0;
        const guint8 *real = g_bytes_get_data(o->sent->pdata[o->sent->len - 1], &len);
        const gsize cuts[] = {1, 12, 13, 14, len / 2, len - 1};
        for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++)
            if (cuts[i] > 0 && cuts[i] < len)
                feed(p, real, cuts[i]);
    }
    /* a 20-byte handshake record that claims 65535 bytes */
    static const guint8 huge[20] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0,
                                    9,  0xff, 0xff, 1, 0, 0, 0, 0, 0, 0};
    feed(p, huge, sizeof huge);
    /* epoch-1 application data that cannot authenticate */
    memset(buf, 0x5a, 200);
    memcpy(buf, (const guint8[]){23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 3, 0, 187}, 13);
    feed(p, buf, 200);
    /* oversize, with a valid-looking header */
    memcpy(buf, huge, sizeof huge);
    feed(p, buf, CG_DTLS_MAX_DATAGRAM_BYTES + 1);
    feed(p, buf, 0);
    feed(p, NULL, 0);
    if (connected) {
        /* a forged plaintext fatal alert: epoch 0 is over once connected */
        static const guint8 alert[15] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 50, 0, 2, 2, 40};
        feed(p, alert, sizeof alert);
    }
}

static void test_garbage(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    net.garbage = g_rand_new_with_seed(0xd715);
    feed_garbage(&net.client, FALSE); /* before start: dropped unseen */
    feed_garbage(&net.server, FALSE);
    g_assert_cmpint(cg_dtls_transport_get_state(net.client.t), ==, CG_DTLS_STATE_NEW);
    g_assert_cmpint(cg_dtls_transport_get_state(net.server.t), ==, CG_DTLS_STATE_NEW);
    start(&net);
    feed_garbage(&net.server, FALSE); /* truncated ClientHellos among it */
    run(&net, 10);                    /* and garbage before every datagram */
    assert_connected_once(&net.client);
    assert_connected_once(&net.server);
    CgDtlsSrtpKeys before_c, before_s, after;
    g_assert_true(cg_dtls_transport_srtp_keys(net.client.t, &before_c));
    g_assert_true(cg_dtls_transport_srtp_keys(net.server.t, &before_s));

    guint sent_c = net.client.sent->len, sent_s = net.server.sent->len;
    for (guint round = 0; round < 4; round++) {
        feed_garbage(&net.client, TRUE);
        feed_garbage(&net.server, TRUE);
    }
    g_assert_cmpuint(net.client.sent->len, ==, sent_c); /* no answer to garbage */
    g_assert_cmpuint(net.server.sent->len, ==, sent_s);
    assert_connected_once(&net.client);
    assert_connected_once(&net.server);
    g_assert_true(cg_dtls_transport_srtp_keys(net.client.t, &after));
    g_assert_cmpmem(&after, sizeof after, &before_c, sizeof before_c);
    g_assert_true(cg_dtls_transport_srtp_keys(net.server.t, &after));
    g_assert_cmpmem(&after, sizeof after, &before_s, sizeof before_s);
    assert_keys_cross(&net, CG_DTLS_SRTP_AES128_CM_SHA1_80, 14);

    /* still a working session: close_notify gets through */
    g_rand_free(g_steal_pointer(&net.garbage));
    cg_dtls_transport_close(net.client.t);
    pump(&net);
    g_assert_cmpuint(net.server.n_closed, ==, 1);
    cg_dtls_srtp_keys_clear(&before_c);
    cg_dtls_srtp_keys_clear(&before_s);
    cg_dtls_srtp_keys_clear(&after);
    net_clear(&net);
}

static void test_close(gconstpointer data)
{
    gboolean client_closes = GPOINTER_TO_INT(data);
    Net net;
    pair_setup(&net, NULL, NULL);
    start(&net);
    run(&net, 10);
    Peer *closer = client_closes ? &net.client : &net.server;
    Peer *other = closer->other;
    guint sent = closer->sent->len;
    cg_dtls_transport_close(closer->t);
    g_assert_cmpuint(closer->sent->len, ==, sent + 1); /* the close_notify */
    g_assert_cmpint(cg_dtls_transport_get_state(closer->t), ==, CG_DTLS_STATE_CLOSED);
    CgDtlsSrtpKeys keys;
    g_assert_false(cg_dtls_transport_srtp_keys(closer->t, &keys));
    pump(&net);
    g_assert_cmpuint(other->n_closed, ==, 1);
    g_assert_cmpuint(other->n_failed, ==, 0);
    g_assert_cmpint(cg_dtls_transport_get_state(other->t), ==, CG_DTLS_STATE_CLOSED);
    g_assert_false(cg_dtls_transport_srtp_keys(other->t, &keys));
    g_assert_cmpuint(other->sent->len, >, 0); /* it answered with its own */
    /* our own close raises no callback, and the answer is dropped */
    g_assert_cmpuint(closer->n_closed, ==, 0);
    g_assert_cmpuint(closer->n_failed, ==, 0);
    cg_dtls_transport_close(closer->t); /* twice: nothing more */
    g_assert_cmpuint(closer->sent->len, ==, sent + 1);
    net_clear(&net);
}

/* A datagram over the limit is dropped whole, even when it starts with a
 * valid record (OpenSSL alone would act on that record). */
static void test_oversize_dropped(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    start(&net);
    run(&net, 10);
    net.client.drop = 1;
    cg_dtls_transport_close(net.client.t);
    gsize len = 0;
    const guint8 *notify = g_bytes_get_data(net.client.sent->pdata[net.client.sent->len - 1], &len);
    g_autofree guint8 *padded = g_malloc0(CG_DTLS_MAX_DATAGRAM_BYTES + 1);
    memcpy(padded, notify, len);
    cg_dtls_transport_receive(net.server.t, padded, CG_DTLS_MAX_DATAGRAM_BYTES + 1);
    g_assert_cmpuint(net.server.n_closed, ==, 0);
    assert_connected_once(&net.server);
    cg_dtls_transport_receive(net.server.t, padded, CG_DTLS_MAX_DATAGRAM_BYTES);
    g_assert_cmpuint(net.server.n_closed, ==, 1);
    net_clear(&net);
}

static void test_close_during_handshake(void)
{
    Net net;
    pair_setup(&net, NULL, NULL);
    start(&net);
    cg_dtls_transport_close(net.client.t);
    g_assert_cmpint(cg_dtls_transport_get_state(net.client.t), ==, CG_DTLS_STATE_CLOSED);
    g_assert_cmpint(cg_dtls_transport_timeout_us(net.client.t), ==, -1);
    pump(&net); /* the server answers the ClientHello; the client ignores it */
    g_assert_cmpuint(net.client.sent->len, ==, 1);
    g_assert_cmpuint(net.client.n_connected + net.client.n_failed + net.client.n_closed, ==, 0);
    net_clear(&net);
}

/* ---- tests: against the raw OpenSSL peer ---- */

typedef struct {
    CgDtlsRole our_role;
    const char *raw_profiles;              /* the raw peer's use_srtp list */
    const CgDtlsSrtpProfile *our_profiles; /* NULL: the default */
    guint n_our_profiles;
    CgDtlsSrtpProfile expected;
} InteropCase;

/* The raw peer's keys, laid out as RFC 5764 4.2 says: client write key, server
 * write key, client salt, server salt. */
typedef struct {
    guint8 client_key[16];
    guint8 server_key[16];
    guint8 client_salt[14];
    guint8 server_salt[14];
    gsize salt_len;
} RawKeys;

static void raw_export(SSL *ssl, RawKeys *k)
{
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(ssl);
    g_assert_nonnull(p);
    k->salt_len = p->id == SRTP_AEAD_AES_128_GCM ? 12 : 14;
    gsize total = 2 * (16 + k->salt_len);
    guint8 m[60];
    g_assert_cmpint(
        SSL_export_keying_material(ssl, m, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0), ==, 1);
    memcpy(k->client_key, m, 16);
    memcpy(k->server_key, m + 16, 16);
    memcpy(k->client_salt, m + 32, k->salt_len);
    memcpy(k->server_salt, m + 32 + k->salt_len, k->salt_len);
}

static void interop_setup(Net *net, CgDtlsRole our_role, const char *raw_profiles,
                          gboolean raw_has_cert)
{
    net_init(net);
    Peer *ours = our_role == CG_DTLS_ROLE_CLIENT ? &net->client : &net->server;
    Peer *raw = ours->other;
    raw->raw = raw_new(our_role == CG_DTLS_ROLE_CLIENT, raw_profiles, raw_has_cert);
    ours->id = cg_dtls_identity_new(NULL);
    g_assert_nonnull(ours->id);
    /* without a certificate, expect any valid-looking one: the handshake must
     * still fail, on the missing certificate */
    const char *expect =
        raw->raw->fingerprint ? raw->raw->fingerprint : cg_dtls_identity_fingerprint(ours->id);
    ours->t = transport_new(ours, our_role, expect);
}

static void test_interop(gconstpointer data)
{
    const InteropCase *c = data;
    Net net;
    interop_setup(&net, c->our_role, c->raw_profiles, TRUE);
    Peer *ours = c->our_role == CG_DTLS_ROLE_CLIENT ? &net.client : &net.server;
    Peer *raw = ours->other;
    if (c->our_profiles)
        g_assert_true(
            cg_dtls_transport_set_srtp_profiles(ours->t, c->our_profiles, c->n_our_profiles, NULL));
    start(&net);
    run(&net, 20);
    assert_connected_once(ours);
    g_assert_true(SSL_is_init_finished(raw->raw->ssl));
    g_assert_false(raw->raw->dead);

    /* the raw peer saw the certificate our SDP fingerprint names */
    g_autofree char *seen = sha256_of_cert(SSL_get0_peer_certificate(raw->raw->ssl));
    g_assert_cmpstr(seen, ==, cg_dtls_identity_fingerprint(ours->id));

    RawKeys rk;
    raw_export(raw->raw->ssl, &rk);
    CgDtlsSrtpKeys k;
    g_assert_true(cg_dtls_transport_srtp_keys(ours->t, &k));
    g_assert_cmpint(k.profile, ==, c->expected);
    g_assert_cmpint(SSL_get_selected_srtp_profile(raw->raw->ssl)->id, ==,
                    (unsigned long)c->expected);
    g_assert_cmpuint(k.key_len, ==, 16);
    g_assert_cmpuint(k.salt_len, ==, rk.salt_len);
    gboolean client = c->our_role == CG_DTLS_ROLE_CLIENT;
    g_assert_cmpmem(k.local_key, 16, client ? rk.client_key : rk.server_key, 16);
    g_assert_cmpmem(k.remote_key, 16, client ? rk.server_key : rk.client_key, 16);
    g_assert_cmpmem(k.local_salt, k.salt_len, client ? rk.client_salt : rk.server_salt,
                    rk.salt_len);
    g_assert_cmpmem(k.remote_salt, k.salt_len, client ? rk.server_salt : rk.client_salt,
                    rk.salt_len);
    cg_dtls_srtp_keys_clear(&k);

    /* and its close_notify reaches us */
    g_assert_cmpint(SSL_shutdown(raw->raw->ssl), ==, 0);
    raw_flush(raw);
    pump(&net);
    g_assert_cmpuint(ours->n_closed, ==, 1);
    net_clear(&net);
}

static void test_raw_client_without_certificate(void)
{
    Net net;
    interop_setup(&net, CG_DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_80", FALSE);
    start(&net);
    run(&net, 20);
    assert_failed_without_keys(&net.server, CG_DTLS_ERROR_HANDSHAKE);
    g_assert_true(net.client.raw->dead);
    net_clear(&net);
}

static void test_raw_peer_without_srtp(void)
{
    Net net;
    interop_setup(&net, CG_DTLS_ROLE_CLIENT, NULL, TRUE);
    start(&net);
    run(&net, 20);
    assert_failed_without_keys(&net.client, CG_DTLS_ERROR_NO_SRTP);
    net_clear(&net);
}

static const CgDtlsSrtpProfile gcm_first[] = {CG_DTLS_SRTP_AEAD_AES_128_GCM,
                                              CG_DTLS_SRTP_AES128_CM_SHA1_80};
static const InteropCase interop_cases[] = {
    {CG_DTLS_ROLE_CLIENT, "SRTP_AES128_CM_SHA1_80", NULL, 0, CG_DTLS_SRTP_AES128_CM_SHA1_80},
    {CG_DTLS_ROLE_CLIENT, "SRTP_AES128_CM_SHA1_32", NULL, 0, CG_DTLS_SRTP_AES128_CM_SHA1_32},
    /* as server, our preference wins over the client's order */
    {CG_DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80", NULL, 0,
     CG_DTLS_SRTP_AES128_CM_SHA1_80},
    {CG_DTLS_ROLE_SERVER, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", gcm_first, 2,
     CG_DTLS_SRTP_AEAD_AES_128_GCM},
    {CG_DTLS_ROLE_CLIENT, "SRTP_AEAD_AES_128_GCM", gcm_first, 2, CG_DTLS_SRTP_AEAD_AES_128_GCM},
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dtls-transport/demux", test_demux);
    g_test_add_func("/dtls-transport/identity", test_identity);
    g_test_add_func("/dtls-transport/bad-fingerprint", test_bad_fingerprint);
    g_test_add_func("/dtls-transport/handshake", test_handshake);
    g_test_add_func("/dtls-transport/profiles", test_profiles);
    g_test_add_data_func("/dtls-transport/mismatch/client", GINT_TO_POINTER(TRUE), test_mismatch);
    g_test_add_data_func("/dtls-transport/mismatch/server", GINT_TO_POINTER(FALSE), test_mismatch);
    g_test_add_func("/dtls-transport/lost-client-hello", test_lost_client_hello);
    g_test_add_func("/dtls-transport/lost-last-flight", test_lost_last_flight);
    g_test_add_func("/dtls-transport/garbage", test_garbage);
    g_test_add_data_func("/dtls-transport/close/by-client", GINT_TO_POINTER(TRUE), test_close);
    g_test_add_data_func("/dtls-transport/close/by-server", GINT_TO_POINTER(FALSE), test_close);
    g_test_add_func("/dtls-transport/close-during-handshake", test_close_during_handshake);
    g_test_add_func("/dtls-transport/oversize-dropped", test_oversize_dropped);
    static const char *const names[] = {"client-cm80", "client-cm32", "server-preference",
                                        "server-gcm", "client-gcm"};
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == G_N_ELEMENTS(interop_cases));
    for (gsize i = 0; i < G_N_ELEMENTS(interop_cases); i++) {
        g_autofree char *path = g_strdup_printf("/dtls-transport/interop/%s", names[i]);
        g_test_add_data_func(path, &interop_cases[i], test_interop);
    }
    g_test_add_func("/dtls-transport/interop/no-client-certificate",
                    test_raw_client_without_certificate);
    g_test_add_func("/dtls-transport/interop/no-srtp", test_raw_peer_without_srtp);
    return g_test_run();
}
