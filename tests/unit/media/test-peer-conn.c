/* test-peer-conn.c — two connections against each other on 127.0.0.1:
 * a subscribe connection (consultd's offer) and a publish connection (its
 * answer), real ICE, DTLS and SRTP. What one sends the other receives
 * decrypted and unchanged; a tampered a=fingerprint lets nothing through. */
#include "peer_conn.h"

#include <string.h>

static const char *const loopback[] = {"127.0.0.1", NULL};
static const char *const loopback_net[] = {"127.0.0.0/8", NULL};

/* What a publisher offered: the subscribe offer relays its streams. */
static const char publisher_offer[] = "v=0\r\n"
                                      "o=- 1 2 IN IP4 127.0.0.1\r\n"
                                      "s=-\r\n"
                                      "t=0 0\r\n"
                                      "a=group:BUNDLE 0 1\r\n"
                                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                      "c=IN IP4 0.0.0.0\r\n"
                                      "a=ice-ufrag:EsAw\r\n"
                                      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                                      "a=fingerprint:sha-256 "
                                      "5B:0E:3F:1D:9A:62:C4:77:10:AB:8E:F2:33:6D:91:CE:04:58:BB:7A:"
                                      "E1:29:6F:D0:3C:84:1A:F5:72:09:BE:4D\r\n"
                                      "a=setup:actpass\r\n"
                                      "a=mid:0\r\n"
                                      "a=sendonly\r\n"
                                      "a=rtcp-mux\r\n"
                                      "a=rtpmap:111 opus/48000/2\r\n"
                                      "a=ssrc:1111 cname:pub\r\n"
                                      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                      "c=IN IP4 0.0.0.0\r\n"
                                      "a=ice-ufrag:EsAw\r\n"
                                      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                                      "a=fingerprint:sha-256 "
                                      "5B:0E:3F:1D:9A:62:C4:77:10:AB:8E:F2:33:6D:91:CE:04:58:BB:7A:"
                                      "E1:29:6F:D0:3C:84:1A:F5:72:09:BE:4D\r\n"
                                      "a=setup:actpass\r\n"
                                      "a=mid:1\r\n"
                                      "a=sendonly\r\n"
                                      "a=rtcp-mux\r\n"
                                      "a=rtpmap:96 VP8/90000\r\n"
                                      "a=rtcp-fb:96 nack pli\r\n"
                                      "a=ssrc:2222 cname:pub\r\n";

typedef struct _Side Side;
struct _Side {
    const char *name;
    CgPeerConn *conn;
    Side *other;
    gboolean connected;
    guint failed;
    CgMediaError failed_code;
    guint rtp, rtcp;
    GByteArray *last_rtp;
    GByteArray *last_rtcp;
    gboolean end_of_candidates;
};

static void on_candidate(gpointer user, const char *candidate)
{
    Side *s = user;
    if (!*candidate)
        s->end_of_candidates = TRUE;
    /* straight to the other side: some arrive before its description */
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_peer_conn_add_remote_candidate(s->other->conn, candidate, &error));
    g_assert_no_error(error);
}

static void on_connected(gpointer user)
{
    ((Side *)user)->connected = TRUE;
}

static void on_failed(gpointer user, CgMediaError code, const char *message)
{
    Side *s = user;
    g_test_message("%s failed: %s", s->name, message);
    s->failed++;
    s->failed_code = code;
}

static void keep(GByteArray **into, const guint8 *d, gsize len)
{
    if (*into)
        g_byte_array_unref(*into);
    *into = g_byte_array_new();
    g_byte_array_append(*into, d, (guint)len);
}

static void on_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    Side *s = user;
    g_assert_cmpuint(capacity, >=, len + CG_PEER_CONN_SEND_OVERHEAD);
    s->rtp++;
    keep(&s->last_rtp, packet, len);
}

static void on_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    Side *s = user;
    (void)capacity;
    s->rtcp++;
    keep(&s->last_rtcp, packet, len);
}

static const CgPeerConnCallbacks callbacks = {on_candidate, on_connected, on_failed, on_rtp,
                                              on_rtcp};

typedef struct {
    CgAddressPolicy *policy;
    CgIceAgentConfig ice;
    CgDtlsIdentity *id_sub, *id_pub;
    Side sub, pub;
} Pair;

static void pair_init(Pair *p)
{
    memset(p, 0, sizeof *p);
    g_autoptr(GError) error = NULL;
    p->policy = cg_address_policy_new(loopback_net, &error);
    g_assert_no_error(error);
    p->ice.local_addresses = loopback;
    p->ice.policy = p->policy;
    p->id_sub = cg_dtls_identity_new(&error);
    p->id_pub = cg_dtls_identity_new(&error);
    g_assert_no_error(error);
    p->sub = (Side){.name = "sub", .other = &p->pub};
    p->pub = (Side){.name = "pub", .other = &p->sub};
    CgPeerConnConfig cs = {.ice = &p->ice, .identity = p->id_sub, .log_tag = "[test] sub"};
    CgPeerConnConfig cp = {.ice = &p->ice, .identity = p->id_pub, .log_tag = "[test] pub"};
    p->sub.conn = cg_peer_conn_new(&cs, CG_PEER_CONN_SUBSCRIBE, &callbacks, &p->sub, &error);
    g_assert_no_error(error);
    p->pub.conn = cg_peer_conn_new(&cp, CG_PEER_CONN_PUBLISH, &callbacks, &p->pub, &error);
    g_assert_no_error(error);
}

static void side_clear(Side *s)
{
    cg_peer_conn_free(s->conn);
    if (s->last_rtp)
        g_byte_array_unref(s->last_rtp);
    if (s->last_rtcp)
        g_byte_array_unref(s->last_rtcp);
}

static void pair_clear(Pair *p)
{
    side_clear(&p->sub);
    side_clear(&p->pub);
    cg_dtls_identity_unref(p->id_sub);
    cg_dtls_identity_unref(p->id_pub);
    cg_address_policy_free(p->policy);
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static CgSdp *parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    CgSdp *sdp = cg_sdp_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    return sdp;
}

/* Offer (sub) -> answer (pub) -> accept (sub). @tamper changes one hex digit
 * of the offer's fingerprint on its way to the publish side. */
static void negotiate(Pair *p, gboolean tamper)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgSdp) publisher = parse(publisher_offer);
    CgSdpRelay relay = {.stream_id = "cg-7", .audio_track_id = "a", .video_track_id = "v"};
    g_autofree char *offer = cg_peer_conn_offer(p->sub.conn, publisher, &relay, &error);
    g_assert_no_error(error);
    const CgSdp *own = cg_peer_conn_own_offer(p->sub.conn);
    g_assert_nonnull(own);
    g_assert_cmpuint(own->n_media, ==, 2);
    if (tamper) { /* every copy (one per m-line), or the policy refuses the SDP */
        const char *fp = strstr(offer, "a=fingerprint:sha-256 ");
        g_assert_nonnull(fp);
        g_autofree char *value = g_strndup(fp, strcspn(fp, "\r\n"));
        g_autofree char *changed = g_strdup(value);
        char *hex = changed + strlen("a=fingerprint:sha-256 ");
        hex[0] = hex[0] == 'A' ? 'B' : 'A';
        g_autoptr(GString) s = g_string_new(offer);
        g_assert_cmpuint(g_string_replace(s, value, changed, 0), >=, 1);
        g_free(offer);
        offer = g_strdup(s->str);
    }
    g_autoptr(CgSdp) offer_sdp = parse(offer);
    g_autofree char *answer = cg_peer_conn_answer(p->pub.conn, offer_sdp, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(answer, "a=setup:passive"));
    /* a second offer on the same connection is refused */
    g_assert_null(cg_peer_conn_answer(p->pub.conn, offer_sdp, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    g_clear_error(&error);
    g_autoptr(CgSdp) answer_sdp = parse(answer);
    CgSdpAccepted accepted[CG_MEDIA_MAX_MLINES];
    g_assert_true(cg_peer_conn_accept_answer(p->sub.conn, answer_sdp, accepted, &error));
    g_assert_no_error(error);
    g_assert_true(accepted[0].active && accepted[1].active);
    g_assert_cmpuint(accepted[0].pt, ==, 111);
    g_assert_cmpuint(accepted[1].pt, ==, 96);
}

typedef gboolean (*Cond)(Pair *p);

static gboolean deadline_reached(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main context until @cond holds or @ms have passed. */
static gboolean run_until(Pair *p, Cond cond, guint ms)
{
    gboolean late = FALSE;
    GSource *timer = g_timeout_source_new(ms);
    g_source_set_callback(timer, deadline_reached, &late, NULL);
    g_source_attach(timer, NULL);
    while (!cond(p) && !late)
        g_main_context_iteration(NULL, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    return cond(p);
}

static gboolean both_up(Pair *p)
{
    return cg_peer_conn_is_up(p->sub.conn) && cg_peer_conn_is_up(p->pub.conn);
}

static gsize make_rtp(guint8 *buf, guint8 pt, guint32 ssrc, guint16 seq, gsize payload)
{
    buf[0] = 0x80;
    buf[1] = pt;
    buf[2] = (guint8)(seq >> 8);
    buf[3] = (guint8)seq;
    memset(buf + 4, 0, 4); /* timestamp */
    buf[8] = (guint8)(ssrc >> 24);
    buf[9] = (guint8)(ssrc >> 16);
    buf[10] = (guint8)(ssrc >> 8);
    buf[11] = (guint8)ssrc;
    for (gsize i = 0; i < payload; i++)
        buf[12 + i] = (guint8)(i * 7 + seq);
    return 12 + payload;
}

static guint wanted_rtp;
static gboolean pub_got_rtp(Pair *p)
{
    return p->pub.rtp >= wanted_rtp;
}

static gboolean sub_got_rtcp(Pair *p)
{
    return p->sub.rtcp >= 1;
}

static void test_media_flows(void)
{
    Pair p;
    pair_init(&p);
    negotiate(&p, FALSE);
    g_assert_true(run_until(&p, both_up, 10000));
    g_assert_true(p.sub.connected && p.pub.connected);
    g_assert_cmpuint(p.sub.failed + p.pub.failed, ==, 0);
    g_assert_cmpint(cg_peer_conn_last_authenticated_us(p.pub.conn), ==, 0);

    /* RTP from the subscribe side (consultd forwarding) arrives decrypted,
     * byte for byte */
    guint8 buf[CG_PEER_CONN_MAX_PACKET + CG_PEER_CONN_SEND_OVERHEAD];
    guint8 plain[CG_PEER_CONN_MAX_PACKET];
    gsize len = 0;
    for (guint i = 0; i < 20; i++) {
        len = make_rtp(buf, 96, 2222, (guint16)(1000 + i), 900);
        memcpy(plain, buf, len);
        g_assert_true(cg_peer_conn_send_rtp(p.sub.conn, buf, len, sizeof buf));
    }
    wanted_rtp = 20;
    g_assert_true(run_until(&p, pub_got_rtp, 5000));
    g_assert_cmpuint(p.pub.last_rtp->len, ==, len);
    g_assert_cmpmem(p.pub.last_rtp->data, len, plain, len);
    g_assert_cmpint(cg_peer_conn_last_authenticated_us(p.pub.conn), >, 0);

    /* the same packet again is an SRTP index reuse: refused, not sent */
    memcpy(buf, plain, len);
    g_assert_false(cg_peer_conn_send_rtp(p.sub.conn, buf, len, sizeof buf));
    /* a buffer without room for the tag is refused */
    memcpy(buf, plain, len);
    g_assert_false(cg_peer_conn_send_rtp(p.sub.conn, buf, len, len + 4));

    /* RTCP the other way: a compound RR + PLI */
    static const guint8 rr_pli[] = {0x80, 201, 0, 1, 0, 0, 0, 9, 0x81, 206,
                                    0,    2,   0, 0, 0, 9, 0, 0, 0x08, 0xae};
    memcpy(buf, rr_pli, sizeof rr_pli);
    g_assert_true(cg_peer_conn_send_rtcp(p.pub.conn, buf, sizeof rr_pli, sizeof buf));
    g_assert_true(run_until(&p, sub_got_rtcp, 5000));
    g_assert_cmpmem(p.sub.last_rtcp->data, p.sub.last_rtcp->len, rr_pli, sizeof rr_pli);

    CgPeerConnCounters c;
    cg_peer_conn_counters(p.sub.conn, &c);
    g_assert_cmpuint(c.rtp_out, ==, 20);
    g_assert_cmpuint(c.rtcp_in, ==, 1);
    cg_peer_conn_counters(p.pub.conn, &c);
    g_assert_cmpuint(c.rtp_in, ==, 20);
    g_assert_cmpuint(c.rtcp_out, ==, 1);
    g_assert_cmpuint(p.sub.failed + p.pub.failed, ==, 0);
    pair_clear(&p);
}

static gboolean pub_failed(Pair *p)
{
    return p->pub.failed > 0;
}

static void test_fingerprint_mismatch(void)
{
    Pair p;
    pair_init(&p);
    negotiate(&p, TRUE);
    g_assert_true(run_until(&p, pub_failed, 10000));
    g_assert_cmpuint(p.pub.failed, ==, 1);
    g_assert_cmpint(p.pub.failed_code, ==, CG_MEDIA_ERROR_FINGERPRINT_MISMATCH);
    g_assert_false(p.pub.connected);
    g_assert_false(cg_peer_conn_is_up(p.pub.conn));
    /* nothing can be sent either way, nothing was received */
    guint8 buf[256];
    gsize len = make_rtp(buf, 96, 2222, 1, 100);
    g_assert_false(cg_peer_conn_send_rtp(p.pub.conn, buf, len, sizeof buf));
    if (!cg_peer_conn_is_up(p.sub.conn))
        g_assert_false(cg_peer_conn_send_rtp(p.sub.conn, buf, len, sizeof buf));
    g_assert_cmpuint(p.pub.rtp + p.pub.rtcp, ==, 0);
    pair_clear(&p);
}

/* Candidates beyond the limit before the description are refused with LIMIT. */
static void test_early_candidate_limit(void)
{
    Pair p;
    pair_init(&p);
    g_autoptr(GError) error = NULL;
    for (guint i = 0; i < CG_MEDIA_MAX_REMOTE_CANDIDATES; i++) {
        g_autofree char *c =
            g_strdup_printf("candidate:%u 1 UDP 2122252543 127.0.0.1 %u typ host", i, 40000 + i);
        g_assert_true(cg_peer_conn_add_remote_candidate(p.pub.conn, c, &error));
        g_assert_no_error(error);
    }
    g_assert_false(cg_peer_conn_add_remote_candidate(
        p.pub.conn, "candidate:99 1 UDP 2122252543 127.0.0.1 41000 typ host", &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT);
    pair_clear(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/peer-conn/media-flows", test_media_flows);
    g_test_add_func("/peer-conn/fingerprint-mismatch", test_fingerprint_mismatch);
    g_test_add_func("/peer-conn/early-candidate-limit", test_early_candidate_limit);
    return g_test_run();
}
