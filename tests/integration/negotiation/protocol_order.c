/* integration-negotiation-protocol_order: what docs/protocol.md says of the
 * order of messages and of the candidate message, checked on the real
 * consultd with bare sockets (a client written from the docs alone had to
 * guess these, issue 10):
 *
 * - joined carries consult.starts_at/ends_at and you.audio/video;
 * - a candidate the address policy ignores gets no reply;
 * - "pub" candidates sent before the offer get no reply and are kept for it
 *   (they count against the 64 per connection: the 65th is refused), and the
 *   offer is then answered;
 * - sdpMLineIndex is required, also for the end of candidates (""), and
 *   from 16 up refused (bad_sdp); sdpMid and usernameFragment are ignored;
 * - consultd's SDPs (its answer on pub, its offers on sub-N) carry no
 *   a=candidate: its candidates follow as "candidate" messages;
 * - a subscribe offer may come right after joined, before the endpoint's own
 *   publish offer, with its candidates behind it; "sub-N" candidates sent
 *   before the answer get no reply either, and the answer is taken.
 *
 * And the log lines issue 10 names: a replaced session's line names its peer
 * once ("[consult|C][peer|N] refused (session_replaced)", not
 * "[peer|N][peer|N]"); a held seat (socket already gone) that is replaced is
 * "ended", not "refused"; an admin cancel leaves a line even when nobody is
 * connected.
 *
 * "No reply" is checked without waiting for silence: a probe that always gets
 * an error (a candidate for a pc nobody has) is sent after it, and the first
 * error to come back must be the probe's. */
#include "negotiation_common.h"

#include <string.h>

#define CANDIDATE "candidate:1 1 UDP 2122252543 192.0.2.10 50123 typ host"

static void send_candidate(CgWssClient *wss, const char *pc, const char *candidate)
{
    json_t *msg = json_pack("{s:s, s:s, s:i, s:s}", "type", "candidate", "pc", pc, "sdpMLineIndex",
                            0, "candidate", candidate);
    cg_wss_client_send_json(wss, msg);
    json_decref(msg);
}

static void send_text(CgWssClient *wss, const char *text)
{
    cg_wss_client_send_text(wss, text, -1);
}

/* (transfer full) the next "error", other messages dropped; fails on timeout. */
static json_t *next_error(CgWssClient *wss)
{
    json_t *msg = cg_wss_client_wait_type(wss, "error", NT_REPLY_TIMEOUT_MS);
    if (!msg)
        g_error("no error within %d ms", NT_REPLY_TIMEOUT_MS);
    return msg;
}

static const char *code_of(json_t *error)
{
    return json_string_value(json_object_get(error, "code"));
}

/* Asserts that what was sent before gets no error: the probe's comes first. */
static void assert_no_reply_so_far(CgWssClient *wss, const char *what)
{
    send_candidate(wss, "sub-999", CANDIDATE);
    json_t *error = next_error(wss);
    if (g_strcmp0(code_of(error), "unknown_pc") != 0)
        g_error("%s was answered: error %s (%s)", what, code_of(error),
                json_string_value(json_object_get(error, "message")));
    json_decref(error);
}

static CgWssClient *join(CgTestDaemon *daemon, const char *token, json_t **joined)
{
    CgWssClient *wss =
        cg_wss_client_new(cg_test_daemon_port(daemon), "/ws", cg_test_daemon_certificate(daemon));
    json_t *msg = json_pack("{s:s, s:s}", "type", "join", "token", token);
    cg_wss_client_send_json(wss, msg);
    json_decref(msg);
    *joined = cg_wss_client_wait_type(wss, "joined", CG_FX_JOIN_TIMEOUT_MS);
    g_assert_nonnull(*joined);
    return wss;
}

static void assert_no_sdp_candidates(json_t *description, const char *what)
{
    const char *sdp = json_string_value(json_object_get(description, "sdp"));
    g_assert_nonnull(sdp);
    if (strstr(sdp, "a=candidate") != NULL)
        g_error("%s carries a=candidate lines", what);
}

/* Waits for a server "candidate" on @pc (other messages dropped). */
static void wait_server_candidate(CgWssClient *wss, const char *pc)
{
    gint64 deadline = g_get_monotonic_time() + NT_REPLY_TIMEOUT_MS * 1000;
    while (g_get_monotonic_time() < deadline) {
        json_t *c = cg_wss_client_wait_type(wss, "candidate", NT_REPLY_TIMEOUT_MS);
        g_assert_nonnull(c);
        gboolean ours = g_strcmp0(json_string_value(json_object_get(c, "pc")), pc) == 0;
        g_assert_true(json_is_integer(json_object_get(c, "sdpMLineIndex")));
        json_decref(c);
        if (ours)
            return;
    }
    g_error("no candidate on %s within %d ms", pc, NT_REPLY_TIMEOUT_MS);
}

/* (transfer full) an answer to the server's @offer: its m-lines and mids,
 * receive-only, DTLS active, ICE credentials and fingerprint of our own. */
static char *answer_to(const char *offer)
{
    static const struct {
        const char *pattern, *replacement;
    } edits[] = {
        {"a=(sendonly|sendrecv)", "a=recvonly"},
        {"a=setup:[a-z]+", "a=setup:active"},
        {"a=ice-ufrag:[^\\r\\n]+", "a=ice-ufrag:aNsW"},
        {"a=ice-pwd:[^\\r\\n]+", "a=ice-pwd:aNsWaNsWaNsWaNsWaNsW12"},
        {"a=fingerprint:sha-256 [^\\r\\n]+", "a=fingerprint:sha-256 "
                                             "0B:30:55:7A:9F:C4:E9:0E:33:58:7D:A2:C7:EC:11:36:5B:"
                                             "80:A5:CA:EF:14:39:5E:83:A8:CD:F2:17:3C:61:86"},
        {"a=(ssrc|ssrc-group|msid)[^\\r\\n]*\\r\\n", ""},
    };
    char *sdp = g_strdup(offer);
    for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
        g_autoptr(GRegex) re = g_regex_new(edits[i].pattern, 0, 0, NULL);
        g_assert_nonnull(re);
        char *next = g_regex_replace(re, sdp, -1, 0, edits[i].replacement, 0, NULL);
        g_free(sdp);
        sdp = next;
    }
    return sdp;
}

static const NtLine lines[] = {{FALSE, "0", "sendonly", 1111, 0}, {TRUE, "1", "sendonly", 2222, 0}};

static void test_joined_shape(json_t *joined)
{
    json_t *consult = json_object_get(joined, "consult");
    g_assert_true(json_is_string(json_object_get(consult, "starts_at")));
    g_assert_true(json_is_string(json_object_get(consult, "ends_at")));
    json_t *you = json_object_get(joined, "you");
    g_assert_true(json_is_true(json_object_get(you, "audio")));
    g_assert_true(json_is_true(json_object_get(you, "video")));
}

/* The publisher: candidates before its offer, the candidate members. */
static void publish_with_early_candidates(CgWssClient *a)
{
    /* sdpMLineIndex is required, even to end the candidates */
    send_text(a, "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\"}");
    json_t *error = next_error(a);
    g_assert_cmpstr(code_of(error), ==, "malformed_message");
    json_decref(error);
    /* sdpMid and usernameFragment are ignored (no error, no reply) */
    send_text(a, "{\"type\":\"candidate\",\"pc\":\"pub\",\"sdpMLineIndex\":0,\"sdpMid\":\"zz\","
                 "\"usernameFragment\":\"nope\",\"candidate\":\"" CANDIDATE "\"}");
    for (guint i = 1; i < 64; i++)
        send_candidate(a, "pub", CANDIDATE);
    send_candidate(a, "pub", ""); /* end of candidates, before the offer too */
    assert_no_reply_so_far(a, "pub candidates before the offer");
    /* kept, not dropped: they count toward the limit of 64 */
    send_candidate(a, "pub", CANDIDATE);
    error = next_error(a);
    g_assert_cmpstr(code_of(error), ==, "bad_sdp");
    g_test_message("the 65th early candidate: %s",
                   json_string_value(json_object_get(error, "message")));
    json_decref(error);
    /* the parser takes indexes up to 63, the relay m-lines up to 16 */
    send_text(a, "{\"type\":\"candidate\",\"pc\":\"pub\",\"sdpMLineIndex\":16,"
                 "\"candidate\":\"" CANDIDATE "\"}");
    error = next_error(a);
    g_assert_cmpstr(code_of(error), ==, "bad_sdp");
    json_decref(error);

    g_autofree char *sdp = nt_offer(lines, G_N_ELEMENTS(lines));
    nt_send_offer(a, sdp);
    json_t *answer = nt_wait_reply(a, NT_REPLY_TIMEOUT_MS);
    g_assert_nonnull(answer);
    g_assert_cmpstr(json_string_value(json_object_get(answer, "type")), ==, "answer");
    assert_no_sdp_candidates(answer, "the answer on pub");
    json_decref(answer);
    wait_server_candidate(a, "pub");
}

static void test_protocol_order(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    json_t *joined = NULL;
    g_autoptr(CgWssClient) a = join(daemon, c->tokens[0], &joined);
    test_joined_shape(joined);
    json_decref(joined);
    publish_with_early_candidates(a);

    /* B has not offered anything: A's media is offered to it at once */
    g_autoptr(CgWssClient) b = join(daemon, c->tokens[1], &joined);
    json_decref(joined);
    json_t *offer = cg_wss_client_wait_type(b, "offer", NT_REPLY_TIMEOUT_MS);
    g_assert_nonnull(offer);
    g_autofree char *pc = g_strdup(json_string_value(json_object_get(offer, "pc")));
    g_assert_true(g_str_has_prefix(pc, "sub-"));
    g_assert_cmpstr(json_string_value(json_object_get(offer, "participant")), ==, c->ids[0]);
    assert_no_sdp_candidates(offer, "the offer on sub-N");
    wait_server_candidate(b, pc);

    /* sub-N candidates before the answer: no reply, and the answer is taken */
    send_candidate(b, pc, CANDIDATE);
    send_candidate(b, pc, "");
    assert_no_reply_so_far(b, "sub-N candidates before the answer");
    g_autofree char *sdp = answer_to(json_string_value(json_object_get(offer, "sdp")));
    json_t *msg = json_pack("{s:s, s:s, s:s}", "type", "answer", "pc", pc, "sdp", sdp);
    cg_wss_client_send_json(b, msg);
    json_decref(msg);
    assert_no_reply_so_far(b, "the answer on sub-N");
    /* one the address policy ignores gets no reply either (on a connection
     * with room: pub has its 64) */
    send_candidate(b, pc, "candidate:2 1 UDP 2122252543 169.254.169.254 80 typ host");
    assert_no_reply_so_far(b, "a link-local candidate");
    g_assert_true(
        cg_test_daemon_wait_log(daemon, "ignored a remote candidate", NT_REPLY_TIMEOUT_MS));
    json_decref(offer);
    g_assert_false(cg_wss_client_is_closed(a));
    g_assert_false(cg_wss_client_is_closed(b));
}

static void assert_no_doubled_tag(CgTestDaemon *daemon)
{
    for (guint id = 0; id < 16; id++) {
        g_autofree char *doubled = g_strdup_printf("[peer|%u][peer|%u]", id, id);
        if (cg_test_daemon_log_contains(daemon, doubled))
            g_error("the log names a peer twice: %s", doubled);
    }
}

static void test_log_lines(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);

    /* an open socket replaced by a new join of the same participant */
    json_t *joined = NULL;
    CgWssClient *first = join(daemon, c->tokens[0], &joined);
    json_decref(joined);
    CgWssClient *second = join(daemon, c->tokens[0], &joined);
    json_decref(joined);
    cg_fx_assert_closed(first, 1008, "session_replaced", NT_REPLY_TIMEOUT_MS);
    g_autofree char *line =
        g_strdup_printf("[consult|%s][peer|", c->id); /* then N, then "] refused" */
    g_assert_true(
        cg_test_daemon_wait_log(daemon, "refused (session_replaced)", NT_REPLY_TIMEOUT_MS));
    g_assert_true(cg_test_daemon_log_contains(daemon, line));
    assert_no_doubled_tag(daemon);
    cg_wss_client_free(first);

    /* its socket drops without leave: the seat is held; a new join replaces it */
    cg_wss_client_free(second);
    g_assert_true(cg_test_daemon_wait_log(daemon, "seat held", NT_REPLY_TIMEOUT_MS));
    guint refused = cg_test_daemon_log_count(daemon, "refused (session_replaced)");
    g_autoptr(CgWssClient) third = join(daemon, c->tokens[0], &joined);
    json_decref(joined);
    g_assert_true(
        cg_test_daemon_wait_log(daemon, "held seat ended (session_replaced)", NT_REPLY_TIMEOUT_MS));
    g_assert_cmpuint(cg_test_daemon_log_count(daemon, "refused (session_replaced)"), ==, refused);
    assert_no_doubled_tag(daemon);

    /* an admin cancel of a consult nobody is in */
    static const char *const nobody[] = {"specialist", NULL};
    g_autoptr(CgTestConsult) empty = cg_fx_consult_new(daemon, "virtual_consult", nobody);
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/cancel", empty->id);
    guint status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_test_admin_request(daemon, "POST", path, cg_test_daemon_api_key(daemon, 0),
                                        NULL, &status, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    g_autofree char *cancelled =
        g_strdup_printf("[consult|%s] cancelled through the admin API", empty->id);
    g_assert_true(cg_test_daemon_wait_log(daemon, cancelled, NT_REPLY_TIMEOUT_MS));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/negotiation/protocol_order", test_protocol_order);
    g_test_add_func("/negotiation/log_lines", test_log_lines);
    return g_test_run();
}
