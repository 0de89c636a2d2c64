/* test-protocol.c — client message parser and server message builders
 * (signaling/protocol/protocol.c) against docs/protocol.md. */
#include "protocol.h"

#include <jansson.h>
#include <string.h>

/* Parses a NUL-terminated literal, asserting success. */
static void parse_ok(const char *text, CgClientMessage *msg)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_protocol_parse(text, strlen(text), msg, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
}

/* Parses @len bytes, asserting failure with @code; returns the message. */
static char *parse_fail_len(const char *data, gsize len, gint code)
{
    CgClientMessage msg;
    memset(&msg, 0x5a, sizeof msg); /* parse must overwrite @out */
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_protocol_parse(data, len, &msg, &error);
    g_assert_false(ok);
    g_assert_error(error, CG_PROTOCOL_ERROR, code);
    g_assert_null(msg.token);
    g_assert_null(msg.pc);
    g_assert_null(msg.sdp);
    g_assert_null(msg.candidate);
    g_assert_null(msg.participant);
    return g_strdup(error->message);
}

static char *parse_fail(const char *text, gint code)
{
    return parse_fail_len(text, strlen(text), code);
}

static void check_fail(const char *text, gint code, const char *expected_message)
{
    g_autofree char *shown = g_strescape(text, NULL);
    g_test_message("input: %.120s", shown);
    g_autofree char *m = parse_fail(text, code);
    if (expected_message != NULL)
        g_assert_cmpstr(m, ==, expected_message);
}

/* ---- every message type ---- */

static void test_join(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"join\",\"token\":\"eyJhbGciOiJIUzI1NiJ9.e30.sig\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_JOIN);
    g_assert_cmpstr(msg.token, ==, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
    g_assert_null(msg.pc);
    g_assert_null(msg.sdp);
    g_assert_null(msg.resume); /* a new seat */
    cg_client_message_clear(&msg);
    g_assert_null(msg.token);
}

/* A join that takes back a held seat carries its resume id. */
static void test_join_resume(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"join\",\"token\":\"a.b.c\",\"resume\":\"r-abc234\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_JOIN);
    g_assert_cmpstr(msg.token, ==, "a.b.c");
    g_assert_cmpstr(msg.resume, ==, "r-abc234");
    cg_client_message_clear(&msg);
    g_assert_null(msg.resume);

    const char *what = "member 'resume' must be 1 to 64 printable ASCII characters";
    const gint M = CG_PROTOCOL_ERROR_MALFORMED;
    check_fail("{\"type\":\"join\",\"token\":\"t\",\"resume\":\"\"}", M, what);
    check_fail("{\"type\":\"join\",\"token\":\"t\",\"resume\":null}", M, what);
    check_fail("{\"type\":\"join\",\"token\":\"t\",\"resume\":7}", M, what);
    check_fail("{\"type\":\"join\",\"token\":\"t\",\"resume\":\"r 1\"}", M, what);
    check_fail("{\"type\":\"join\",\"token\":\"t\",\"resume\":\"r-\u00e9\"}", M, what);
    g_autofree char *long_id = g_strnfill(CG_PROTOCOL_MAX_ID_CHARS + 1, 'r');
    g_autofree char *too_long =
        g_strdup_printf("{\"type\":\"join\",\"token\":\"t\",\"resume\":\"%s\"}", long_id);
    check_fail(too_long, M, what);
    long_id[CG_PROTOCOL_MAX_ID_CHARS] = '\0';
    g_autofree char *longest =
        g_strdup_printf("{\"type\":\"join\",\"token\":\"t\",\"resume\":\"%s\"}", long_id);
    parse_ok(longest, &msg);
    g_assert_cmpuint(strlen(msg.resume), ==, CG_PROTOCOL_MAX_ID_CHARS);
    cg_client_message_clear(&msg);
}

static void test_offer_answer(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\r\\no=- 4611 2 IN IP4 "
             "127.0.0.1\\r\\n\"}",
             &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_OFFER);
    g_assert_cmpstr(msg.pc, ==, "pub");
    g_assert_cmpstr(msg.sdp, ==, "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\n");
    g_assert_null(msg.token);
    cg_client_message_clear(&msg);

    /* Members in any order; whitespace; extra members ignored. */
    parse_ok(" { \"sdp\" : \"v=0\\r\\n\", \"extra\": {\"a\": [1, 2]}, \"pc\": \"sub-3\","
             " \"type\": \"answer\" } ",
             &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_ANSWER);
    g_assert_cmpstr(msg.pc, ==, "sub-3");
    g_assert_cmpstr(msg.sdp, ==, "v=0\r\n");
    cg_client_message_clear(&msg);
}

static void test_candidate(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"candidate\",\"pc\":\"pub\",\"sdpMLineIndex\":1,"
             "\"candidate\":\"candidate:1 1 UDP 2122252543 127.0.0.1 50123 typ host\"}",
             &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_CANDIDATE);
    g_assert_cmpstr(msg.pc, ==, "pub");
    g_assert_cmpuint(msg.mline_index, ==, 1);
    g_assert_cmpstr(msg.candidate, ==, "candidate:1 1 UDP 2122252543 127.0.0.1 50123 typ host");
    cg_client_message_clear(&msg);

    /* End of candidates, m-line bounds. */
    parse_ok("{\"type\":\"candidate\",\"pc\":\"sub-12\",\"sdpMLineIndex\":63,\"candidate\":\"\"}",
             &msg);
    g_assert_cmpstr(msg.candidate, ==, "");
    g_assert_cmpuint(msg.mline_index, ==, 63);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"candidate\",\"pc\":\"a\",\"sdpMLineIndex\":0,\"candidate\":\"\"}", &msg);
    g_assert_cmpuint(msg.mline_index, ==, 0);
    cg_client_message_clear(&msg);
}

static void test_leave(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"leave\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_LEAVE);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"leave\",\"reason\":\"bye\",\"pc\":7}", &msg); /* extras ignored */
    g_assert_cmpint(msg.type, ==, CG_CLIENT_LEAVE);
    g_assert_null(msg.pc);
    cg_client_message_clear(&msg);
    cg_client_message_clear(NULL);
}

static void test_media_state(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"media_state\",\"audio\":false,\"video\":true}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_MEDIA_STATE);
    g_assert_false(msg.audio);
    g_assert_true(msg.video);
    cg_client_message_clear(&msg);
    check_fail("{\"type\":\"media_state\",\"video\":true}", CG_PROTOCOL_ERROR_MALFORMED,
               "member 'audio' must be a boolean");
    check_fail("{\"type\":\"media_state\",\"audio\":true,\"video\":\"off\"}",
               CG_PROTOCOL_ERROR_MALFORMED, "member 'video' must be a boolean");
    check_fail("{\"type\":\"media_state\",\"audio\":0,\"video\":1}", CG_PROTOCOL_ERROR_MALFORMED,
               "member 'audio' must be a boolean");
    parse_ok("{\"type\":\"receive\",\"video\":false}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_RECEIVE);
    g_assert_false(msg.video);
    cg_client_message_clear(&msg);
    check_fail("{\"type\":\"receive\"}", CG_PROTOCOL_ERROR_MALFORMED,
               "member 'video' must be a boolean");
}

/* The input need not be NUL-terminated: only @len bytes are read. */
static void test_not_nul_terminated(void)
{
    static const char text[] = "{\"type\":\"leave\"}";
    char *buf = g_malloc(sizeof text - 1); /* exact size: ASan catches over-reads */
    memcpy(buf, text, sizeof text - 1);
    CgClientMessage msg;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_protocol_parse(buf, sizeof text - 1, &msg, &error));
    g_assert_cmpint(msg.type, ==, CG_CLIENT_LEAVE);
    /* A prefix of the same buffer is not valid JSON. */
    g_assert_false(cg_protocol_parse(buf, sizeof text - 2, &msg, &error));
    g_assert_error(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED);
    g_free(buf);
}

/* ---- malformed ---- */

static void test_not_object(void)
{
    check_fail("", CG_PROTOCOL_ERROR_MALFORMED, "message is not valid JSON");
    check_fail("not json", CG_PROTOCOL_ERROR_MALFORMED, "message is not valid JSON");
    check_fail("{\"type\":\"leave\"", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"leave\"}{}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":'leave'}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("[{\"type\":\"leave\"}]", CG_PROTOCOL_ERROR_MALFORMED,
               "message is not a JSON object");
    check_fail("[]", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("\"leave\"", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("42", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("null", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    /* Invalid UTF-8 in a string. */
    check_fail("{\"type\":\"join\",\"token\":\"\xff\xfe\"}", CG_PROTOCOL_ERROR_MALFORMED,
               "message is not valid JSON");
    CgClientMessage msg;
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_protocol_parse(NULL, 0, &msg, &error));
    g_assert_error(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED);
}

static void test_type(void)
{
    check_fail("{}", CG_PROTOCOL_ERROR_MALFORMED, "member 'type' must be a string");
    check_fail("{\"token\":\"x\"}", CG_PROTOCOL_ERROR_MALFORMED, "member 'type' must be a string");
    check_fail("{\"type\":7}", CG_PROTOCOL_ERROR_MALFORMED, "member 'type' must be a string");
    check_fail("{\"type\":null}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":[\"join\"]}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"dance\"}", CG_PROTOCOL_ERROR_UNKNOWN_TYPE, "message type is not known");
    check_fail("{\"type\":\"JOIN\",\"token\":\"x\"}", CG_PROTOCOL_ERROR_UNKNOWN_TYPE, NULL);
    check_fail("{\"type\":\"\"}", CG_PROTOCOL_ERROR_UNKNOWN_TYPE, NULL);
    check_fail("{\"type\":\"joined\"}", CG_PROTOCOL_ERROR_UNKNOWN_TYPE, NULL); /* server-only */
    check_fail("{\"type\":\"leave \"}", CG_PROTOCOL_ERROR_UNKNOWN_TYPE, NULL);
}

static void test_members(void)
{
    const gint M = CG_PROTOCOL_ERROR_MALFORMED;
    check_fail("{\"type\":\"join\"}", M, "member 'token' must be a string");
    check_fail("{\"type\":\"join\",\"token\":5}", M, "member 'token' must be a string");
    check_fail("{\"type\":\"join\",\"token\":null}", M, NULL);
    check_fail("{\"type\":\"offer\",\"sdp\":\"v=0\"}", M, "member 'pc' must be a string");
    check_fail("{\"type\":\"offer\",\"pc\":\"pub\"}", M, "member 'sdp' must be a string");
    check_fail("{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":{}}", M,
               "member 'sdp' must be a string");
    check_fail("{\"type\":\"answer\",\"pc\":1,\"sdp\":\"v=0\"}", M, "member 'pc' must be a string");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"sdpMLineIndex\":0}", M,
               "member 'candidate' must be a string");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":null,\"sdpMLineIndex\":0}", M,
               "member 'candidate' must be a string");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\"}", M,
               "member 'sdpMLineIndex' must be an integer from 0 to 63");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\",\"sdpMLineIndex\":\"0\"}",
               M, "member 'sdpMLineIndex' must be an integer from 0 to 63");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\",\"sdpMLineIndex\":0.0}",
               M, NULL);
    check_fail("{\"type\":\"candidate\",\"candidate\":\"\",\"sdpMLineIndex\":0}", M,
               "member 'pc' must be a string");
}

static void test_mline_range(void)
{
    const gint M = CG_PROTOCOL_ERROR_MALFORMED;
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\",\"sdpMLineIndex\":64}", M,
               "member 'sdpMLineIndex' must be an integer from 0 to 63");
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\",\"sdpMLineIndex\":-1}", M,
               NULL);
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\","
               "\"sdpMLineIndex\":4294967296}",
               M, NULL);
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\","
               "\"sdpMLineIndex\":-9223372036854775808}",
               M, NULL);
    check_fail("{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"\","
               "\"sdpMLineIndex\":99999999999999999999}",
               M, NULL); /* beyond int64: jansson refuses it */
}

static void test_pc_names(void)
{
    static const char *const bad[] = {
        "",    "PUB",    "pub ",   "sub_3", "sub.3",
        "süb", "pub\\n", "pub/..", "a b",   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 33 */};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text =
            g_strdup_printf("{\"type\":\"offer\",\"pc\":\"%s\",\"sdp\":\"v=0\"}", bad[i]);
        check_fail(text, CG_PROTOCOL_ERROR_MALFORMED,
                   "member 'pc' must be 1 to 32 characters of a-z, 0-9 and '-'");
    }
    static const char *const good[] = {"pub", "sub-3", "-", "0",
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 32 */};
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"type\":\"candidate\",\"pc\":\"%s\",\"candidate\":\"\",\"sdpMLineIndex\":0}",
            good[i]);
        CgClientMessage msg;
        parse_ok(text, &msg);
        g_assert_cmpstr(msg.pc, ==, good[i]);
        cg_client_message_clear(&msg);
    }
}

static void test_sizes(void)
{
    /* SDP: 32768 bytes accepted, one more refused with bad_sdp. */
    g_autofree char *sdp_max = g_strnfill(CG_PROTOCOL_MAX_SDP_BYTES, 'a');
    g_autofree char *sdp_over = g_strnfill(CG_PROTOCOL_MAX_SDP_BYTES + 1, 'a');
    g_autofree char *t1 =
        g_strdup_printf("{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"%s\"}", sdp_max);
    g_autofree char *t2 =
        g_strdup_printf("{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"%s\"}", sdp_over);
    CgClientMessage msg;
    parse_ok(t1, &msg);
    g_assert_cmpuint(strlen(msg.sdp), ==, CG_PROTOCOL_MAX_SDP_BYTES);
    cg_client_message_clear(&msg);
    check_fail(t2, CG_PROTOCOL_ERROR_BAD_SDP, "member 'sdp' exceeds 32768 bytes");

    /* The limit counts decoded bytes: 16385 "\r\n" escapes are 32770 bytes. */
    GString *esc = g_string_new("{\"type\":\"answer\",\"pc\":\"sub-1\",\"sdp\":\"");
    for (int i = 0; i < 16385; i++)
        g_string_append(esc, "\\r\\n");
    g_string_append(esc, "\"}");
    g_autofree char *t3 = g_string_free(esc, FALSE);
    check_fail(t3, CG_PROTOCOL_ERROR_BAD_SDP, NULL);

    g_autofree char *c_max = g_strnfill(CG_PROTOCOL_MAX_CANDIDATE_BYTES, 'c');
    g_autofree char *c_over = g_strnfill(CG_PROTOCOL_MAX_CANDIDATE_BYTES + 1, 'c');
    g_autofree char *t4 = g_strdup_printf(
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"%s\",\"sdpMLineIndex\":0}", c_max);
    g_autofree char *t5 = g_strdup_printf(
        "{\"type\":\"candidate\",\"pc\":\"pub\",\"candidate\":\"%s\",\"sdpMLineIndex\":0}", c_over);
    parse_ok(t4, &msg);
    cg_client_message_clear(&msg);
    check_fail(t5, CG_PROTOCOL_ERROR_MALFORMED, "member 'candidate' must be at most 1024 bytes");
}

static char *nested(int levels, const char *open, const char *close)
{
    /* {"type":"leave","x": + (levels-1) containers */
    GString *s = g_string_new("{\"type\":\"leave\",\"x\":");
    for (int i = 1; i < levels; i++)
        g_string_append(s, open);
    g_string_append(s, "1");
    for (int i = 1; i < levels; i++)
        g_string_append(s, close);
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void test_depth(void)
{
    CgClientMessage msg;
    /* Eight levels (the top object is level 1) are fine, nine are not. */
    g_autofree char *arr8 = nested(8, "[", "]");
    g_autofree char *arr9 = nested(9, "[", "]");
    g_autofree char *obj8 = nested(8, "{\"k\":", "}");
    g_autofree char *obj9 = nested(9, "{\"k\":", "}");
    parse_ok(arr8, &msg);
    cg_client_message_clear(&msg);
    parse_ok(obj8, &msg);
    cg_client_message_clear(&msg);
    check_fail(arr9, CG_PROTOCOL_ERROR_MALFORMED, "message nests deeper than 8 levels");
    check_fail(obj9, CG_PROTOCOL_ERROR_MALFORMED, "message nests deeper than 8 levels");
    /* Empty containers count as a level too. */
    g_autofree char *empty8 = nested(8, "[", "]");
    char *one = strstr(empty8, "1");
    g_assert_nonnull(one);
    *one = ' ';
    parse_ok(empty8, &msg); /* 8 levels with an empty innermost array */
    cg_client_message_clear(&msg);
    check_fail("{\"type\":\"leave\",\"x\":[[[[[[[[]]]]]]]]}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    /* Far deeper than jansson's own recursion bound: no stack exhaustion. */
    g_autofree char *deep = nested(100000, "[", "]");
    check_fail(deep, CG_PROTOCOL_ERROR_MALFORMED, NULL);
    /* Depth beats a wrong type: a deep unknown message is still malformed. */
    check_fail("{\"type\":\"dance\",\"x\":[[[[[[[[1]]]]]]]]}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
}

static void test_duplicates(void)
{
    check_fail("{\"type\":\"join\",\"token\":\"a\",\"token\":\"b\"}", CG_PROTOCOL_ERROR_MALFORMED,
               "message is not valid JSON");
    check_fail("{\"type\":\"leave\",\"type\":\"join\",\"token\":\"a\"}",
               CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"leave\",\"x\":{\"a\":1,\"a\":2}}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
}

static void test_embedded_nul(void)
{
    /* A raw NUL byte inside the frame. */
    static const char raw[] = "{\"type\":\"join\",\"token\":\"ab\0cd\"}";
    g_free(parse_fail_len(raw, sizeof raw - 1, CG_PROTOCOL_ERROR_MALFORMED));
    /* A NUL right after a complete object is trailing garbage. */
    static const char trailing[] = "{\"type\":\"leave\"}\0";
    g_free(parse_fail_len(trailing, sizeof trailing, CG_PROTOCOL_ERROR_MALFORMED));
    /* An escaped NUL would truncate the C string: refused. */
    check_fail("{\"type\":\"join\",\"token\":\"ab\\u0000cd\"}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\u0000\"}",
               CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\\u0000x\":\"leave\"}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
}

static void test_error_codes(void)
{
    g_autoptr(GError) e1 = g_error_new_literal(CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED, "");
    g_autoptr(GError) e2 =
        g_error_new_literal(CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_UNKNOWN_TYPE, "");
    g_autoptr(GError) e3 = g_error_new_literal(CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_BAD_SDP, "");
    g_autoptr(GError) e4 = g_error_new_literal(G_FILE_ERROR, 0, "");
    g_assert_cmpstr(cg_error_code_name(cg_protocol_error_code(e1)), ==, "malformed_message");
    g_assert_cmpstr(cg_error_code_name(cg_protocol_error_code(e2)), ==, "unknown_type");
    g_assert_cmpstr(cg_error_code_name(cg_protocol_error_code(e3)), ==, "bad_sdp");
    g_assert_cmpstr(cg_error_code_name(cg_protocol_error_code(e4)), ==, "internal");
    g_assert_cmpstr(cg_error_code_name(cg_protocol_error_code(NULL)), ==, "internal");
}

/* Every code has a name, names are unique snake_case and read back to their
 * code: the table in protocol_errors.c is complete. */
static void test_error_table(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < CG_ERROR_CODE_COUNT; i++) {
        const char *name = cg_error_code_name((CgErrorCode)i);
        g_assert_nonnull(name);
        g_assert_cmpuint(strlen(name), >, 0);
        for (const char *c = name; *c; c++)
            g_assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
        g_assert_false(g_hash_table_contains(seen, name));
        g_hash_table_add(seen, (gpointer)name);
        CgErrorCode back = CG_ERROR_CODE_COUNT;
        g_assert_true(cg_error_code_from_name(name, &back));
        g_assert_cmpint(back, ==, i);
    }
    CgErrorCode untouched = CG_ERROR_CODE_BAD_SDP;
    g_assert_false(cg_error_code_from_name("no_such_code", &untouched));
    g_assert_false(cg_error_code_from_name(NULL, &untouched));
    g_assert_cmpint(untouched, ==, CG_ERROR_CODE_BAD_SDP);
    /* out of range: the safe answer */
    g_assert_cmpstr(cg_error_code_name(CG_ERROR_CODE_COUNT), ==, "internal");
    g_assert_cmpstr(cg_error_code_name((CgErrorCode)-1), ==, "internal");
    g_assert_cmpint(cg_error_code_close_status(CG_ERROR_CODE_COUNT), ==, CG_CLOSE_INTERNAL_ERROR);
}

/* docs/protocol.md "error": how each code ends its socket. */
static void test_close_status_table(void)
{
    static const struct {
        const char *code;
        int status;
    } docs[] = {
        {"malformed_message", 0},
        {"unknown_type", 0},
        {"not_joined", 0},
        {"not_admitted", 0},
        {"not_allowed", 0},
        {"unknown_participant", 0},
        {"unknown_channel", 0},
        {"channel_taken", 0},
        {"no_partner", 0},
        {"not_live", 0},
        {"not_simultaneous", 0},
        {"no_interpretation", 0},
        {"already_joined", 0},
        {"unknown_pc", 0},
        {"bad_sdp", 0},
        {"dtls_required", 0},
        {"message_too_big", 1009},
        {"bad_token", 1008},
        {"token_expired", 1008},
        {"token_not_yet_valid", 1008},
        {"consult_not_found", 1008},
        {"role_not_allowed", 1008},
        {"consult_not_open_yet", 1008},
        {"consult_ended", 1008},
        {"consult_cancelled", 1008},
        {"participant_removed", 1008},
        {"declined", 1008},
        {"too_many_failures", 1008},
        {"too_many_errors", 1008},
        {"join_timeout", 1008},
        {"consult_full", 1008},
        {"session_replaced", 1008},
        {"resume_refused", 1008},
        {"dtls_fingerprint_mismatch", 1008},
        {"media_failed", 1011},
        {"internal", 1011},
    };
    /* the docs' table and the enum list the same codes */
    g_assert_cmpuint(G_N_ELEMENTS(docs), ==, CG_ERROR_CODE_COUNT);
    for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
        CgErrorCode code;
        g_assert_true(cg_error_code_from_name(docs[i].code, &code));
        g_assert_cmpint(cg_error_code_close_status(code), ==, docs[i].status);
    }
}

/* ---- builders ---- */

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (v == NULL)
        g_error("builder output is not JSON: %s (%s)", err.text, text);
    g_assert_true(json_is_object(v));
    /* Compact: no whitespace outside strings in these shapes. */
    g_assert_null(strstr(text, "\": "));
    g_assert_null(strstr(text, ", \""));
    return v;
}

static const char *str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    g_assert_true(json_is_string(v));
    return json_string_value(v);
}

static void test_build_error(void)
{
    g_autofree char *text = cg_protocol_error_message(CG_ERROR_CODE_BAD_TOKEN,
                                                      "token signature does not verify \"x\"\n");
    json_t *v = load(text);
    g_assert_cmpuint(json_object_size(v), ==, 3);
    g_assert_cmpstr(str(v, "type"), ==, "error");
    g_assert_cmpstr(str(v, "code"), ==, "bad_token");
    g_assert_cmpstr(str(v, "message"), ==, "token signature does not verify \"x\"\n");
    g_assert_true(g_str_has_prefix(text, "{\"type\":\"error\""));
    json_decref(v);
}

static void test_build_description(void)
{
    g_autofree char *a = cg_protocol_description("answer", "pub", NULL, "v=0\r\n");
    json_t *v = load(a);
    g_assert_cmpuint(json_object_size(v), ==, 3);
    g_assert_cmpstr(str(v, "type"), ==, "answer");
    g_assert_cmpstr(str(v, "pc"), ==, "pub");
    g_assert_cmpstr(str(v, "sdp"), ==, "v=0\r\n");
    g_assert_null(json_object_get(v, "participant"));
    json_decref(v);

    g_autofree char *o = cg_protocol_description("offer", "sub-3", "p-91b0aa", "v=0\r\n");
    v = load(o);
    g_assert_cmpuint(json_object_size(v), ==, 4);
    g_assert_cmpstr(str(v, "type"), ==, "offer");
    g_assert_cmpstr(str(v, "pc"), ==, "sub-3");
    g_assert_cmpstr(str(v, "participant"), ==, "p-91b0aa");
    g_assert_cmpstr(str(v, "sdp"), ==, "v=0\r\n");
    json_decref(v);

    /* What the server builds, a client parses back (the same shape both ways). */
    CgClientMessage msg;
    parse_ok(o, &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_OFFER);
    g_assert_cmpstr(msg.sdp, ==, "v=0\r\n");
    cg_client_message_clear(&msg);

    /* Bytes that are not UTF-8 cannot make the output invalid JSON. */
    g_autofree char *bad = cg_protocol_description("answer", "pub", NULL, "v=0\xff\r\n");
    v = load(bad);
    g_assert_true(g_utf8_validate(str(v, "sdp"), -1, NULL));
    json_decref(v);
}

static void test_build_candidate(void)
{
    g_autofree char *text =
        cg_protocol_candidate("sub-1", 2, "candidate:1 1 UDP 2122252543 127.0.0.1 5000 typ host");
    json_t *v = load(text);
    g_assert_cmpuint(json_object_size(v), ==, 4);
    g_assert_cmpstr(str(v, "type"), ==, "candidate");
    g_assert_cmpstr(str(v, "pc"), ==, "sub-1");
    g_assert_true(json_is_integer(json_object_get(v, "sdpMLineIndex")));
    g_assert_cmpint(json_integer_value(json_object_get(v, "sdpMLineIndex")), ==, 2);
    g_assert_cmpstr(str(v, "candidate"), ==,
                    "candidate:1 1 UDP 2122252543 127.0.0.1 5000 typ host");
    json_decref(v);

    g_autofree char *end = cg_protocol_candidate("pub", 0, "");
    CgClientMessage msg;
    parse_ok(end, &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_CANDIDATE);
    g_assert_cmpstr(msg.candidate, ==, "");
    g_assert_cmpuint(msg.mline_index, ==, 0);
    cg_client_message_clear(&msg);
}

static void test_build_small(void)
{
    g_autofree char *closed = cg_protocol_pc_closed("sub-3");
    g_assert_cmpstr(closed, ==, "{\"type\":\"pc_closed\",\"pc\":\"sub-3\"}");
    g_autofree char *bye = cg_protocol_bye("server_shutdown");
    g_assert_cmpstr(bye, ==, "{\"type\":\"bye\",\"reason\":\"server_shutdown\"}");
    json_decref(load(closed));
    json_decref(load(bye));
}

static void test_build_stats(void)
{
    CgProtocolStats s = {
        .interval_ms = 2000,
        .quality = "fair",
        .rtt_ms = 123.456,
        .sent_kbps = 512.04,
        .sent_loss_pct = 2.25,
        .sent_jitter_ms = -1, /* unknown: null */
        .received_kbps = 1000,
        .received_loss_pct = 0,
        .received_jitter_ms = 3.96,
    };
    g_autofree char *text = cg_protocol_stats(&s);
    g_assert_cmpstr(
        text, ==,
        "{\"type\":\"stats\",\"interval_ms\":2000,\"quality\":\"fair\",\"rtt_ms\":123.5,"
        "\"sent\":{\"kbps\":512.0,\"loss_pct\":2.3,\"jitter_ms\":null},"
        "\"received\":{\"kbps\":1000.0,\"loss_pct\":0.0,\"jitter_ms\":4.0}}");
    json_decref(load(text));
    g_autofree char *speaker = cg_protocol_active_speaker("p-2f6c1a");
    g_assert_cmpstr(speaker, ==, "{\"type\":\"active_speaker\",\"participant\":\"p-2f6c1a\"}");
}

/* ---- specialist controls ---- */

static void test_controls(void)
{
    static const struct {
        const char *type;
        CgClientMessageType expected;
    } rows[] = {{"admit", CG_CLIENT_ADMIT},
                {"decline", CG_CLIENT_DECLINE},
                {"remove", CG_CLIENT_REMOVE},
                {"mute", CG_CLIENT_MUTE},
                {"unmute", CG_CLIENT_UNMUTE}};
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *text =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":\"p-h7d2k9s1q4xw\"}", rows[i].type);
        CgClientMessage msg;
        parse_ok(text, &msg);
        g_assert_cmpint(msg.type, ==, rows[i].expected);
        g_assert_cmpstr(msg.participant, ==, "p-h7d2k9s1q4xw");
        cg_client_message_clear(&msg);
        g_assert_null(msg.participant);

        /* participant missing, of the wrong type, empty, too long, not ASCII */
        g_autofree char *missing = g_strdup_printf("{\"type\":\"%s\"}", rows[i].type);
        check_fail(missing, CG_PROTOCOL_ERROR_MALFORMED, "member 'participant' must be a string");
        g_autofree char *number =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":7}", rows[i].type);
        check_fail(number, CG_PROTOCOL_ERROR_MALFORMED, "member 'participant' must be a string");
        g_autofree char *empty =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":\"\"}", rows[i].type);
        check_fail(empty, CG_PROTOCOL_ERROR_MALFORMED,
                   "member 'participant' must be 1 to 64 printable ASCII characters");
        g_autofree char *long_id = g_strnfill(65, 'p');
        g_autofree char *too_long =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":\"%s\"}", rows[i].type, long_id);
        check_fail(too_long, CG_PROTOCOL_ERROR_MALFORMED, NULL);
        g_autofree char *spaced =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":\"p 1\"}", rows[i].type);
        check_fail(spaced, CG_PROTOCOL_ERROR_MALFORMED, NULL);
        g_autofree char *unicode =
            g_strdup_printf("{\"type\":\"%s\",\"participant\":\"p-\\u00e9\"}", rows[i].type);
        check_fail(unicode, CG_PROTOCOL_ERROR_MALFORMED, NULL);
    }
    g_autofree char *max_id = g_strnfill(64, 'p');
    g_autofree char *at_limit =
        g_strdup_printf("{\"type\":\"mute\",\"participant\":\"%s\"}", max_id);
    CgClientMessage msg;
    parse_ok(at_limit, &msg);
    g_assert_cmpuint(strlen(msg.participant), ==, 64);
    cg_client_message_clear(&msg);

    parse_ok("{\"type\":\"end\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_END);
    g_assert_null(msg.participant);
    cg_client_message_clear(&msg);
}

static void test_build_lifecycle(void)
{
    g_autofree char *e = cg_protocol_error_opens(CG_ERROR_CODE_CONSULT_NOT_OPEN_YET, "opens later",
                                                 "2026-11-22T13:45:00Z");
    g_assert_cmpstr(e, ==,
                    "{\"type\":\"error\",\"code\":\"consult_not_open_yet\",\"message\":"
                    "\"opens later\",\"opens_at\":\"2026-11-22T13:45:00Z\"}");
    g_autofree char *ended = cg_protocol_consult_ended("ended_by_specialist");
    g_assert_cmpstr(ended, ==, "{\"type\":\"consult_ended\",\"reason\":\"ended_by_specialist\"}");
    g_autofree char *m = cg_protocol_muted("muted", "p-1", "Dr. Lee", "specialist", FALSE);
    g_assert_cmpstr(m, ==,
                    "{\"type\":\"muted\",\"by\":{\"id\":\"p-1\",\"name\":\"Dr. Lee\",\"role\":"
                    "\"specialist\"},\"may_unmute\":false}");
    g_autofree char *u = cg_protocol_muted("unmuted", "p-1", "Dr. \xff", "specialist", TRUE);
    g_assert_cmpstr(u, ==,
                    "{\"type\":\"unmuted\",\"by\":{\"id\":\"p-1\",\"name\":\"Dr. \xef\xbf\xbd\","
                    "\"role\":\"specialist\"}}");
}

/* ---- the participant and waiting-room messages: exact bytes, as sent before
 * these builders existed (the wire stays byte-compatible) ---- */

static const CgProtocolParticipant sam = {"p-2f6c1a", "patient", "Sam Doe", TRUE, TRUE, NULL};
static const CgProtocolParticipant lee = {"p-91b0aa", "specialist", "Dr. Lee", FALSE, TRUE, NULL};
static const CgProtocolConsult derm = {"c-8d1e0b7a",           "Dermatology follow-up",
                                       "virtual_consult",      "dermatology",
                                       "2026-11-22T14:00:00Z", "2026-11-22T14:45:00Z"};
#define SAM_JSON                                                                                   \
    "{\"id\":\"p-2f6c1a\",\"role\":\"patient\",\"name\":\"Sam "                                    \
    "Doe\",\"audio\":true,\"video\":true}"
#define LEE_JSON                                                                                   \
    "{\"id\":\"p-91b0aa\",\"role\":\"specialist\",\"name\":\"Dr. "                                 \
    "Lee\",\"audio\":false,\"video\":true}"
#define DERM_JSON                                                                                  \
    "{\"id\":\"c-8d1e0b7a\",\"title\":\"Dermatology follow-up\",\"kind\":\"virtual_consult\","     \
    "\"specialty\":\"dermatology\",\"starts_at\":\"2026-11-22T14:00:00Z\",\"ends_at\":"            \
    "\"2026-11-22T14:45:00Z\"}"

static void test_build_joined(void)
{
    json_t *ice = json_pack("[{s:[s]}]", "urls", "stun:stun.example.org:3478");
    CgProtocolJoined j = {.you = sam,
                          .consult = derm,
                          .participants = &lee,
                          .n_participants = 1,
                          .ice_servers = ice,
                          .max_message_bytes = 65536,
                          .resume_id = "r-k3q7",
                          .resume_grace_s = 20};
    g_autofree char *fresh = cg_protocol_joined(&j);
    g_assert_cmpstr(fresh, ==,
                    "{\"type\":\"joined\",\"you\":" SAM_JSON ",\"consult\":" DERM_JSON
                    ",\"participants\":[" LEE_JSON "],\"ice_servers\":[{\"urls\":[\"stun:stun."
                    "example.org:3478\"]}],\"limits\":{\"max_message_bytes\":65536},\"resume\":"
                    "{\"id\":\"r-k3q7\",\"grace_s\":20}}");
    /* the caller keeps its reference to ice_servers */
    g_assert_cmpint(ice->refcount, ==, 1);
    /* resuming off, a resumed seat that is muted, nobody else, no ICE servers */
    CgProtocolJoined k = {
        .you = sam, .consult = derm, .max_message_bytes = 4096, .resumed = TRUE, .muted = TRUE};
    g_autofree char *again = cg_protocol_joined(&k);
    g_assert_cmpstr(again, ==,
                    "{\"type\":\"joined\",\"you\":" SAM_JSON ",\"consult\":" DERM_JSON
                    ",\"participants\":[],\"ice_servers\":[],\"limits\":{\"max_message_bytes\":"
                    "4096},\"resumed\":true,\"muted\":true}");
    json_decref(ice);
}

static void test_build_waiting(void)
{
    g_autofree char *w = cg_protocol_waiting(&sam, &derm, FALSE);
    g_assert_cmpstr(w, ==,
                    "{\"type\":\"waiting\",\"you\":" SAM_JSON ",\"consult\":" DERM_JSON
                    ",\"specialist_present\":false}");
    g_autofree char *st = cg_protocol_waiting_status(TRUE);
    g_assert_cmpstr(st, ==, "{\"type\":\"waiting_status\",\"specialist_present\":true}");
    g_autofree char *empty = cg_protocol_waiting_list(NULL, 0);
    g_assert_cmpstr(empty, ==, "{\"type\":\"waiting_list\",\"waiting\":[]}");
    CgProtocolParticipant two[] = {sam, lee};
    g_autofree char *list = cg_protocol_waiting_list(two, 2);
    g_assert_cmpstr(list, ==,
                    "{\"type\":\"waiting_list\",\"waiting\":[" SAM_JSON "," LEE_JSON "]}");
}

static void test_build_participants(void)
{
    g_autofree char *j = cg_protocol_participant_joined(&lee);
    g_assert_cmpstr(j, ==, "{\"type\":\"participant_joined\",\"participant\":" LEE_JSON "}");
    g_autofree char *l = cg_protocol_participant_left("p-77aa10", "left");
    g_assert_cmpstr(l, ==,
                    "{\"type\":\"participant_left\",\"participant\":\"p-77aa10\",\"reason\":"
                    "\"left\"}");
    g_autofree char *m = cg_protocol_participant_muted("p-77aa10", TRUE, "p-91b0aa");
    g_assert_cmpstr(m, ==,
                    "{\"type\":\"participant_muted\",\"participant\":\"p-77aa10\",\"muted\":"
                    "true,\"by\":\"p-91b0aa\"}");
    g_autofree char *ms = cg_protocol_participant_media_state("p-77aa10", FALSE, TRUE);
    g_assert_cmpstr(ms, ==,
                    "{\"type\":\"participant_media_state\",\"participant\":\"p-77aa10\","
                    "\"audio\":false,\"video\":true}");
    /* a name that is not UTF-8 still gives valid JSON */
    CgProtocolParticipant odd = {"p-1", "observer", "Ren\xe9", TRUE, TRUE, NULL};
    g_autofree char *o = cg_protocol_participant_joined(&odd);
    json_t *v = load(o);
    g_assert_cmpstr(str(json_object_get(v, "participant"), "name"), ==, "Ren\xef\xbf\xbd");
    json_decref(v);
    /* the admin API's live view uses the same object */
    json_t *obj = cg_protocol_participant_json(&sam);
    g_autofree char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    g_assert_cmpstr(text, ==, SAM_JSON);
    json_decref(obj);
}

/* ---- interpretation (docs/protocol.md "Interpretation") ---- */

static void test_interpretation_requests(void)
{
    CgClientMessage msg;
    parse_ok("{\"type\":\"channel\",\"channel\":\"es\",\"interpreter_only\":true}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_CHANNEL);
    g_assert_cmpstr(msg.channel, ==, "es");
    g_assert_true(msg.interpreter_only);
    cg_client_message_clear(&msg);
    g_assert_null(msg.channel);
    parse_ok("{\"type\":\"channel\",\"channel\":\"floor\"}", &msg); /* interpreter_only optional */
    g_assert_cmpstr(msg.channel, ==, "floor");
    g_assert_false(msg.interpreter_only);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"channel\",\"channel\":\"zh-Hant-TW\"}", &msg);
    cg_client_message_clear(&msg);
    check_fail("{\"type\":\"channel\"}", CG_PROTOCOL_ERROR_MALFORMED,
               "member 'channel' must be a string");
    check_fail("{\"type\":\"channel\",\"channel\":\"\"}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"channel\",\"channel\":\"e s\"}", CG_PROTOCOL_ERROR_MALFORMED, NULL);
    check_fail("{\"type\":\"channel\",\"channel\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
               CG_PROTOCOL_ERROR_MALFORMED, NULL); /* 36 characters */
    check_fail("{\"type\":\"channel\",\"channel\":\"es\",\"interpreter_only\":1}",
               CG_PROTOCOL_ERROR_MALFORMED, "member 'interpreter_only' must be a boolean");

    parse_ok("{\"type\":\"go_live\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_GO_LIVE);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"take_over\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_TAKE_OVER);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"hand_over\"}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_HAND_OVER);
    g_assert_null(msg.to);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"hand_over\",\"to\":\"p-bb\"}", &msg);
    g_assert_cmpstr(msg.to, ==, "p-bb");
    cg_client_message_clear(&msg);
    g_assert_null(msg.to);
    check_fail("{\"type\":\"hand_over\",\"to\":\"\"}", CG_PROTOCOL_ERROR_MALFORMED,
               "member 'to' must be 1 to 64 printable ASCII characters");
    check_fail("{\"type\":\"hand_over\",\"to\":5}", CG_PROTOCOL_ERROR_MALFORMED, NULL);

    parse_ok("{\"type\":\"floor_level\",\"db\":-20}", &msg);
    g_assert_cmpint(msg.type, ==, CG_CLIENT_FLOOR_LEVEL);
    g_assert_cmpint(msg.db, ==, -20);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"floor_level\",\"db\":0}", &msg);
    cg_client_message_clear(&msg);
    parse_ok("{\"type\":\"floor_level\",\"db\":-40}", &msg);
    g_assert_cmpint(msg.db, ==, -40);
    cg_client_message_clear(&msg);
    static const char *const bad_db[] = {
        "{\"type\":\"floor_level\"}",
        "{\"type\":\"floor_level\",\"db\":-41}",
        "{\"type\":\"floor_level\",\"db\":1}",
        "{\"type\":\"floor_level\",\"db\":-15.5}",
        "{\"type\":\"floor_level\",\"db\":\"-15\"}",
        "{\"type\":\"floor_level\",\"db\":-9223372036854775808}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad_db); i++)
        check_fail(bad_db[i], CG_PROTOCOL_ERROR_MALFORMED,
                   "member 'db' must be an integer from -40 to 0");
}

static void test_build_interpretation(void)
{
    const char *const es_ids[] = {"p-aa", "p-bb", NULL};
    const char *const none[] = {NULL};
    const CgProtocolChannel channels[] = {
        {.language = "es", .live = "p-aa", .live_muted = FALSE, .interpreters = es_ids},
        {.language = "ar", .live = NULL, .live_muted = FALSE, .interpreters = none},
    };
    CgProtocolInterpretation listener = {.floor_level_db = -15,
                                         .channels = channels,
                                         .n_channels = 2,
                                         .channel = "es",
                                         .interpreter_only = FALSE};
    g_autofree char *l = cg_protocol_interpretation(&listener);
    g_assert_cmpstr(l, ==,
                    "{\"type\":\"interpretation\",\"floor_level_db\":-15,\"channels\":["
                    "{\"language\":\"es\",\"live\":\"p-aa\",\"live_muted\":false,"
                    "\"interpreters\":[\"p-aa\",\"p-bb\"]},"
                    "{\"language\":\"ar\",\"live\":null,\"live_muted\":false,"
                    "\"interpreters\":[]}],"
                    "\"you\":{\"channel\":\"es\",\"interpreter_only\":false}}");
    const char *const partners[] = {"p-aa", NULL};
    CgProtocolInterpretation interp = {.floor_level_db = -20,
                                       .channels = channels,
                                       .n_channels = 1,
                                       .interpreter = TRUE,
                                       .language = "es",
                                       .live = FALSE,
                                       .relay_from = NULL,
                                       .partners = partners,
                                       .offered = TRUE};
    g_autofree char *i = cg_protocol_interpretation(&interp);
    g_assert_cmpstr(i, ==,
                    "{\"type\":\"interpretation\",\"floor_level_db\":-20,\"channels\":["
                    "{\"language\":\"es\",\"live\":\"p-aa\",\"live_muted\":false,"
                    "\"interpreters\":[\"p-aa\",\"p-bb\"]}],"
                    "\"you\":{\"interpreter\":true,\"language\":\"es\",\"live\":false,"
                    "\"relay_from\":null,\"partners\":[\"p-aa\"],\"offered\":true}}");
    interp.relay_from = "ar";
    interp.live = TRUE;
    interp.offered = FALSE;
    g_autofree char *r = cg_protocol_interpretation(&interp);
    json_t *v = load(r);
    json_t *you = json_object_get(v, "you");
    g_assert_cmpstr(str(you, "relay_from"), ==, "ar");
    g_assert_true(json_is_true(json_object_get(you, "live")));
    json_decref(v);
}

static void test_build_joined_interpretation(void)
{
    CgProtocolParticipant interpreter = {"p-aa", "interpreter", "Ana Ruiz", TRUE, TRUE, "es"};
    const char *const langs[] = {"es", "ar", NULL};
    CgProtocolJoined j = {.you = interpreter,
                          .consult = derm,
                          .participants = &lee,
                          .n_participants = 1,
                          .max_message_bytes = 4096,
                          .interpretation_mode = "simultaneous",
                          .interpretation_languages = langs,
                          .floor_language = "en"};
    g_autofree char *text = cg_protocol_joined(&j);
    json_t *v = load(text);
    g_assert_cmpstr(str(json_object_get(v, "you"), "language"), ==, "es");
    /* no language: no member */
    g_assert_null(
        json_object_get(json_array_get(json_object_get(v, "participants"), 0), "language"));
    json_t *in = json_object_get(v, "interpretation");
    g_assert_cmpstr(str(in, "mode"), ==, "simultaneous");
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(in, "languages"), 1)), ==,
                    "ar");
    g_assert_cmpstr(str(in, "floor_language"), ==, "en");
    json_decref(v);
    j.floor_language = NULL;
    j.interpretation_mode = "consecutive";
    g_autofree char *cons = cg_protocol_joined(&j);
    g_assert_nonnull(strstr(cons, ",\"interpretation\":{\"mode\":\"consecutive\",\"languages\":"
                                  "[\"es\",\"ar\"],\"floor_language\":null}}"));
    j.interpretation_mode = NULL; /* none: no member */
    g_autofree char *plain = cg_protocol_joined(&j);
    g_assert_null(strstr(plain, "interpretation"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/protocol/parse/join", test_join);
    g_test_add_func("/protocol/parse/join-resume", test_join_resume);
    g_test_add_func("/protocol/parse/offer-answer", test_offer_answer);
    g_test_add_func("/protocol/parse/candidate", test_candidate);
    g_test_add_func("/protocol/parse/leave", test_leave);
    g_test_add_func("/protocol/parse/media-state", test_media_state);
    g_test_add_func("/protocol/parse/not-nul-terminated", test_not_nul_terminated);
    g_test_add_func("/protocol/malformed/not-object", test_not_object);
    g_test_add_func("/protocol/malformed/type", test_type);
    g_test_add_func("/protocol/malformed/members", test_members);
    g_test_add_func("/protocol/malformed/mline-range", test_mline_range);
    g_test_add_func("/protocol/malformed/pc-names", test_pc_names);
    g_test_add_func("/protocol/malformed/sizes", test_sizes);
    g_test_add_func("/protocol/malformed/depth", test_depth);
    g_test_add_func("/protocol/malformed/duplicates", test_duplicates);
    g_test_add_func("/protocol/malformed/embedded-nul", test_embedded_nul);
    g_test_add_func("/protocol/error-codes", test_error_codes);
    g_test_add_func("/protocol/build/error", test_build_error);
    g_test_add_func("/protocol/build/description", test_build_description);
    g_test_add_func("/protocol/build/candidate", test_build_candidate);
    g_test_add_func("/protocol/build/stats", test_build_stats);
    g_test_add_func("/protocol/build/small", test_build_small);
    g_test_add_func("/protocol/parse/controls", test_controls);
    g_test_add_func("/protocol/build/lifecycle", test_build_lifecycle);
    g_test_add_func("/protocol/error-table", test_error_table);
    g_test_add_func("/protocol/close-status-table", test_close_status_table);
    g_test_add_func("/protocol/build/joined", test_build_joined);
    g_test_add_func("/protocol/build/waiting", test_build_waiting);
    g_test_add_func("/protocol/build/participants", test_build_participants);
    g_test_add_func("/protocol/parse/interpretation", test_interpretation_requests);
    g_test_add_func("/protocol/build/interpretation", test_build_interpretation);
    g_test_add_func("/protocol/build/joined-interpretation", test_build_joined_interpretation);
    return g_test_run();
}
