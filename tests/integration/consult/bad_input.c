/* integration-consult-bad_input: while a two-party call runs, a third socket
 * sends what a hostile or broken client would. Each gets the documented
 * error (and close, where the protocol says so); the call is not disturbed
 * and the daemon keeps answering. */
#include <gst/gst.h>
#include <string.h>

#include "consult_fixture.h"

#define REPLY_TIMEOUT_MS 5000

typedef struct {
    CgTestDaemon *daemon;
    CgTestConsult *consult;
} Ctx;

static CgWssClient *open_socket(Ctx *x)
{
    CgWssClient *wss = cg_wss_client_new(cg_test_daemon_port(x->daemon), "/ws",
                                         cg_test_daemon_certificate(x->daemon));
    g_autoptr(GError) error = NULL;
    cg_wss_client_wait_open(wss, REPLY_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    return wss;
}

/* Sends @text and expects error @code with the socket left open. */
static void expect_error_open(CgWssClient *wss, const char *what, const char *text, gssize len,
                              const char *code)
{
    cg_wss_client_send_text(wss, text, len);
    json_t *err = cg_wss_client_wait_type(wss, "error", REPLY_TIMEOUT_MS);
    if (!err)
        g_error("%s: no error reply (closed %u \"%s\")", what, cg_wss_client_close_status(wss),
                cg_wss_client_close_reason(wss));
    g_assert_cmpstr(json_string_value(json_object_get(err, "code")), ==, code);
    g_assert_true(json_is_string(json_object_get(err, "message")));
    json_decref(err);
    g_assert_false(cg_wss_client_is_closed(wss));
}

static void third_socket_messages(Ctx *x)
{
    g_autoptr(CgWssClient) wss = open_socket(x);
    expect_error_open(wss, "malformed JSON", "{\"type\": \"join\", \"token\": ", -1,
                      "malformed_message");
    expect_error_open(wss, "JSON array", "[\"join\", 1]", -1, "malformed_message");
    expect_error_open(wss, "no type", "{\"token\": \"x\"}", -1, "malformed_message");
    expect_error_open(wss, "type not a string", "{\"type\": 7}", -1, "malformed_message");
    expect_error_open(wss, "offer before join",
                      "{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\r\\n\"}", -1,
                      "not_joined");
    expect_error_open(wss, "deep nesting",
                      "{\"type\":\"join\",\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", -1,
                      "malformed_message");

    /* Now join (as the patient, who publishes nothing) and misbehave. */
    g_autofree char *join =
        g_strdup_printf("{\"type\":\"join\",\"token\":\"%s\"}", x->consult->tokens[2]);
    cg_wss_client_send_text(wss, join, -1);
    json_t *joined = cg_wss_client_wait_type(wss, "joined", REPLY_TIMEOUT_MS);
    g_assert_nonnull(joined);
    json_decref(joined);
    expect_error_open(wss, "second join", join, -1, "already_joined");
    expect_error_open(wss, "unknown type", "{\"type\":\"dance\"}", -1, "unknown_type");
    expect_error_open(wss, "candidate for unknown pc",
                      "{\"type\":\"candidate\",\"pc\":\"sub-999\",\"sdpMLineIndex\":0,"
                      "\"candidate\":\"\"}",
                      -1, "unknown_pc");

    /* SDP the relay must refuse: garbage, plain RTP, SDES keys. */
    expect_error_open(wss, "garbage SDP",
                      "{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"hello there\"}", -1, "bad_sdp");
    expect_error_open(wss, "RTP/AVP offer",
                      "{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\r\\n"
                      "o=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
                      "m=audio 9 RTP/AVP 111\\r\\nc=IN IP4 127.0.0.1\\r\\n"
                      "a=rtpmap:111 opus/48000/2\\r\\na=sendonly\\r\\n\"}",
                      -1, "dtls_required");
    expect_error_open(wss, "SDES a=crypto offer",
                      "{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\r\\n"
                      "o=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
                      "m=audio 9 RTP/SAVPF 111\\r\\nc=IN IP4 127.0.0.1\\r\\n"
                      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                      "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\\r\\n"
                      "a=rtpmap:111 opus/48000/2\\r\\na=sendonly\\r\\n\"}",
                      -1, "dtls_required");

    static const guint8 binary[] = {0x00, 0xff, 0x7b, 0x7d};
    cg_wss_client_send_binary(wss, binary, sizeof binary);
    json_t *err = cg_wss_client_wait_type(wss, "error", REPLY_TIMEOUT_MS);
    g_assert_nonnull(err);
    g_assert_cmpstr(json_string_value(json_object_get(err, "code")), ==, "malformed_message");
    json_decref(err);
    g_assert_false(cg_wss_client_is_closed(wss));

    /* One frame over the 64 KiB limit. */
    GString *big = g_string_new("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"");
    while (big->len < 65536 + 100)
        g_string_append(big, "aaaaaaaaaaaaaaaa");
    g_string_append(big, "\"}");
    cg_wss_client_send_text(wss, big->str, (gssize)big->len);
    g_string_free(big, TRUE);
    cg_fx_assert_closed(wss, 1009, "message_too_big", REPLY_TIMEOUT_MS);
}

static void expect_token_refused(Ctx *x, const char *what, const char *token, const char *code)
{
    g_autoptr(CgWssClient) wss = open_socket(x);
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", token);
    cg_wss_client_send_json(wss, join);
    json_decref(join);
    json_t *err = cg_wss_client_wait_type(wss, "error", REPLY_TIMEOUT_MS);
    if (!err)
        g_error("%s: no error reply (closed %u \"%s\")", what, cg_wss_client_close_status(wss),
                cg_wss_client_close_reason(wss));
    g_assert_cmpstr(json_string_value(json_object_get(err, "code")), ==, code);
    json_decref(err);
    cg_fx_assert_closed(wss, 1008, code, REPLY_TIMEOUT_MS);
    g_assert_null(cg_wss_client_wait_type(wss, "joined", 0));
}

static char *claims_text(json_t *claims)
{
    char *s = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
    char *copy = g_strdup(s);
    free(s);
    return copy;
}

static void bad_tokens(Ctx *x)
{
    const char *good = x->consult->tokens[2];
    static const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *secret_a = cg_test_daemon_secret(x->daemon, 0);
    json_t *claims = cg_fx_token_claims(good);
    g_autofree char *payload = claims_text(claims);

    expect_token_refused(x, "garbage", "garbage", "bad_token");
    expect_token_refused(x, "three garbage parts", "abc.def.ghi", "bad_token");

    g_autofree char *none = cg_test_mint_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL);
    expect_token_refused(x, "alg none", none, "bad_token");

    /* Signed with the right secret, but expired an hour ago. */
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    json_object_set_new(claims, "nbf", json_integer(now - 7200));
    json_object_set_new(claims, "exp", json_integer(now - 3600));
    g_autofree char *expired_payload = claims_text(claims);
    g_autofree char *expired = cg_test_mint_token(hs256, expired_payload, secret_a);
    expect_token_refused(x, "expired", expired, "token_expired");

    /* The patient's real token with its role raised: signature no longer holds. */
    json_t *raised = cg_fx_token_claims(good);
    json_object_set_new(raised, "role", json_string("specialist"));
    g_autofree char *raised_payload = claims_text(raised);
    g_autofree char *raised_b64 = cg_test_base64url(raised_payload, strlen(raised_payload));
    g_auto(GStrv) parts = g_strsplit(good, ".", 3);
    g_autofree char *tampered = g_strdup_printf("%s.%s.%s", parts[0], raised_b64, parts[2]);
    expect_token_refused(x, "tampered payload", tampered, "bad_token");
    json_decref(raised);

    /* The right claims for tenant-a, signed with tenant-b's secret. */
    g_autofree char *wrong_secret =
        cg_test_mint_token(hs256, payload, cg_test_daemon_secret(x->daemon, 1));
    expect_token_refused(x, "other tenant's secret", wrong_secret, "bad_token");
    json_decref(claims);
}

static void assert_still_flowing(Ctx *x, CgTestEndpoint *a, CgTestEndpoint *b)
{
    guint ab = cg_test_endpoint_frames_from(a, x->consult->ids[1]);
    guint ba = cg_test_endpoint_frames_from(b, x->consult->ids[0]);
    cg_fx_wait_frames(a, x->consult->ids[1], ab + 20);
    cg_fx_wait_frames(b, x->consult->ids[0], ba + 20);
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(a)));
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(b)));
}

/* Candidates that would make consultd probe internal hosts (a private LAN
 * address, the cloud metadata service) are ignored, and the call goes on. */
static void internal_candidates(Ctx *x, CgTestEndpoint *a)
{
    static const char *const candidates[] = {
        "candidate:9 1 UDP 2122252543 10.1.2.3 40000 typ host",
        "candidate:9 1 UDP 2122252543 169.254.169.254 80 typ host",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        json_t *msg = json_pack("{s:s, s:s, s:i, s:s}", "type", "candidate", "pc", "pub",
                                "sdpMLineIndex", 0, "candidate", candidates[i]);
        cg_wss_client_send_json(cg_test_endpoint_wss(a), msg);
        json_decref(msg);
    }
    g_assert_true(cg_test_daemon_wait_log(x->daemon, "ignored a remote candidate: private address",
                                          REPLY_TIMEOUT_MS));
    g_assert_true(cg_test_daemon_wait_log(
        x->daemon, "ignored a remote candidate: link-local address", REPLY_TIMEOUT_MS));
    g_assert_false(cg_test_endpoint_got_error(a, "bad_sdp"));
}

static void test_bad_input(void)
{
    CgTestDaemonOptions o = {.n_tenants = 2};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&o);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) consult = cg_fx_consult_new(daemon, "virtual_consult", roles);
    Ctx x = {daemon, consult};

    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, consult->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, consult->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, consult->ids[1], 10);
    cg_fx_wait_frames(b, consult->ids[0], 10);

    internal_candidates(&x, a);
    third_socket_messages(&x);
    assert_still_flowing(&x, a, b);
    bad_tokens(&x);
    assert_still_flowing(&x, a, b);

    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(
        cg_test_admin_request(daemon, "GET", "/healthz", NULL, NULL, &status, &resp, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    json_decref(resp);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/bad_input", test_bad_input);
    return g_test_run();
}
