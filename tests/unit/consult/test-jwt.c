/* test-jwt.c — join token verification and signing (consult/jwt.c).
 *
 * Tokens with odd headers or payloads are crafted here with GLib's own
 * base64 and HMAC, independently of the code under test.
 */
#include "jwt.h"

#include <string.h>

#define MAX_LEN 4096
#define SKEW 30
#define NBF 1790000000 /* 2026-09-21T14:13:20Z */
#define EXP 1790003600 /* 2026-09-21T15:13:20Z */
#define NOW (NBF + 60)

static const char secret[] = "unit-test-secret-0123456789abcdef";
#define SECRET ((const guint8 *)secret)
#define SECRET_LEN (sizeof secret - 1)

static const char good_payload[] =
    "{\"iss\":\"t-acme\",\"sub\":\"p-2f6c1a\",\"consult\":\"c-8d1e0b7a\","
    "\"role\":\"patient\",\"name\":\"Sam Doe\",\"nbf\":1790000000,\"exp\":1790003600}";
static const char good_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* ---- helpers ---- */

static char *b64url(const guint8 *data, gsize len)
{
    char *s = g_base64_encode(data, len);
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    char *eq = strchr(s, '=');
    if (eq)
        *eq = '\0';
    return s;
}

static char *b64url_str(const char *s)
{
    return b64url((const guint8 *)s, strlen(s));
}

/* header.payload.HMAC-SHA256(key) computed with GLib, not with jwt.c. */
static char *craft(const char *header, const char *payload, const char *key)
{
    g_autofree char *h = b64url_str(header);
    g_autofree char *p = b64url_str(payload);
    g_autofree char *input = g_strconcat(h, ".", p, NULL);
    g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)key, strlen(key));
    g_hmac_update(hmac, (const guchar *)input, -1);
    guint8 digest[32];
    gsize digest_len = sizeof digest;
    g_hmac_get_digest(hmac, digest, &digest_len);
    g_autofree char *s = b64url(digest, digest_len);
    return g_strconcat(input, ".", s, NULL);
}

static char *craft_good(const char *payload)
{
    return craft(good_header, payload, secret);
}

/* Verifies @token at NOW and asserts the error code; returns the message. */
static char *expect_error(const char *token, gint64 now, gint code)
{
    CgTokenClaims c;
    memset(&c, 0x5a, sizeof c); /* verify must overwrite, not trust, @out */
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, now, SKEW, &c, &error);
    g_assert_false(ok);
    g_assert_error(error, CG_JWT_ERROR, code);
    /* On failure nothing is handed out. */
    g_assert_null(c.iss);
    g_assert_null(c.sub);
    g_assert_null(c.consult);
    g_assert_null(c.role);
    g_assert_null(c.name);
    g_assert_null(c.language);
    g_assert_null(c.relay_from);
    /* Messages never carry the secret or the token text. */
    g_assert_null(strstr(error->message, secret));
    if (strlen(token) >= 8) {
        g_autofree char *head = g_strndup(token, 8);
        g_assert_null(strstr(error->message, head));
    }
    return g_strdup(error->message);
}

static void expect_ok(const char *token, gint64 now)
{
    CgTokenClaims c = {0};
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, now, SKEW, &c, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    cg_token_claims_clear(&c);
}

/* ---- tests ---- */

static void test_round_trip(void)
{
    CgTokenClaims in = {.iss = "t-acme",
                        .sub = "p-1",
                        .consult = "c-42",
                        .role = "specialist",
                        .name = "Dr. Ngozi Ọkọ́nkwọ́ \"quoted\"",
                        .nbf = NBF,
                        .exp = EXP};
    g_autofree char *token = cg_jwt_sign(&in, SECRET, SECRET_LEN);
    g_assert_nonnull(token);
    g_assert_true(g_str_has_prefix(token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));

    CgTokenClaims out = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &out, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(out.iss, ==, in.iss);
    g_assert_cmpstr(out.sub, ==, in.sub);
    g_assert_cmpstr(out.consult, ==, in.consult);
    g_assert_cmpstr(out.role, ==, in.role);
    g_assert_cmpstr(out.name, ==, in.name);
    g_assert_cmpint(out.nbf, ==, in.nbf);
    g_assert_cmpint(out.exp, ==, in.exp);
    cg_token_claims_clear(&out);
    g_assert_null(out.iss);

    g_autofree char *iss = cg_jwt_peek_issuer(token, MAX_LEN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(iss, ==, "t-acme");
}

/* Computed at development time with:
 *   printf '%s' "$H.$P" | openssl dgst -sha256 -hmac consultgw-test-vector-secret -binary
 * (base64url'd), for the header and claims below in this member order. */
static const char vector_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJ0LWFjbWUiLCJzdWIiOiJwLTJmNmMxYSIsImNvbnN1bHQiOiJjLThkMWUwYjdhIiwicm9sZSI6InBhdGll"
    "bnQiLCJuYW1lIjoiU2FtIERvZSIsIm5iZiI6MTc5MDAwMDAwMCwiZXhwIjoxNzkwMDAzNjAwfQ."
    "c1b2EShLKXim38dXuYlX3ceqSsX5Kaq8JLfhF8fzdFk";
static const char vector_secret[] = "consultgw-test-vector-secret";

static void test_openssl_vector(void)
{
    CgTokenClaims out = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(vector_token, MAX_LEN, (const guint8 *)vector_secret,
                                strlen(vector_secret), NOW, SKEW, &out, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(out.iss, ==, "t-acme");
    g_assert_cmpstr(out.sub, ==, "p-2f6c1a");
    g_assert_cmpstr(out.consult, ==, "c-8d1e0b7a");
    g_assert_cmpstr(out.role, ==, "patient");
    g_assert_cmpstr(out.name, ==, "Sam Doe");
    g_assert_cmpint(out.nbf, ==, 1790000000);
    g_assert_cmpint(out.exp, ==, 1790003600);

    /* Signing the same claims reproduces the independent vector byte for byte. */
    g_autofree char *signed_token =
        cg_jwt_sign(&out, (const guint8 *)vector_secret, strlen(vector_secret));
    g_assert_cmpstr(signed_token, ==, vector_token);
    cg_token_claims_clear(&out);
}

/* The jwt.io example (secret "your-256-bit-secret") lacks our claims: a
 * MISSING_CLAIM error proves the signature step passed, since claims are only
 * read after it. */
static void test_jwt_io_vector(void)
{
    static const char token[] =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    static const char right[] = "your-256-bit-secret";
    CgTokenClaims out = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_jwt_verify(token, MAX_LEN, (const guint8 *)right, strlen(right), NOW, SKEW,
                                 &out, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM);
    g_assert_cmpstr(error->message, ==, "token claim 'iss' is missing or not a string");
    g_clear_error(&error);

    static const char wrong[] = "your-256-bit-secreT";
    g_assert_false(cg_jwt_verify(token, MAX_LEN, (const guint8 *)wrong, strlen(wrong), NOW, SKEW,
                                 &out, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_SIGNATURE);
}

static void test_expired(void)
{
    g_autofree char *token = craft_good(good_payload);
    g_autofree char *msg = expect_error(token, EXP + SKEW + 1, CG_JWT_ERROR_EXPIRED);
    g_assert_cmpstr(msg, ==, "token expired at 2026-09-21T15:13:20Z");
    g_free(expect_error(token, EXP + 86400, CG_JWT_ERROR_EXPIRED));
}

static void test_not_yet_valid(void)
{
    g_autofree char *token = craft_good(good_payload);
    g_autofree char *msg = expect_error(token, NBF - SKEW - 1, CG_JWT_ERROR_NOT_YET_VALID);
    g_assert_cmpstr(msg, ==, "token is not valid before 2026-09-21T14:13:20Z");
}

static void test_skew_edges(void)
{
    g_autofree char *token = craft_good(good_payload);
    expect_ok(token, EXP + SKEW); /* just inside, late */
    expect_ok(token, NBF - SKEW); /* just inside, early */
    expect_ok(token, EXP);
    expect_ok(token, NBF);
    g_free(expect_error(token, EXP + SKEW + 1, CG_JWT_ERROR_EXPIRED));
    g_free(expect_error(token, NBF - SKEW - 1, CG_JWT_ERROR_NOT_YET_VALID));

    /* Zero skew: exp itself is still valid, one second later is not. */
    CgTokenClaims c = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, EXP, 0, &c, &error));
    cg_token_claims_clear(&c);
    g_assert_false(cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, EXP + 1, 0, &c, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_EXPIRED);
    g_clear_error(&error);
    g_assert_false(cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, NBF - 1, 0, &c, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID);
}

static void test_wrong_secret(void)
{
    g_autofree char *token = craft(good_header, good_payload, "another-secret");
    g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_SIGNATURE);
    g_assert_cmpstr(msg, ==, "token signature does not verify");

    /* A secret that is a prefix of the right one does not verify either. */
    CgTokenClaims c = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *good = craft_good(good_payload);
    g_assert_false(cg_jwt_verify(good, MAX_LEN, SECRET, SECRET_LEN - 1, NOW, SKEW, &c, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_SIGNATURE);
}

static void test_alg_none(void)
{
    g_autofree char *h = b64url_str("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    g_autofree char *p = b64url_str(good_payload);
    g_autofree char *token = g_strconcat(h, ".", p, ".", NULL);
    g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_ALGORITHM);
    g_assert_cmpstr(msg, ==, "token algorithm 'none' is not allowed; only HS256");

    /* Even with a valid HS256 signature over it, the header decides nothing. */
    g_autofree char *signed_none = craft("{\"alg\":\"none\"}", good_payload, secret);
    g_free(expect_error(signed_none, NOW, CG_JWT_ERROR_ALGORITHM));
}

static void test_other_algs(void)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"None\"}",
        "{\"alg\":null}",
        "{\"alg\":256}",
        "{\"typ\":\"JWT\"}",
        "{}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_test_message("header %s", headers[i]);
        g_autofree char *token = craft(headers[i], good_payload, secret);
        g_free(expect_error(token, NOW, CG_JWT_ERROR_ALGORITHM));
    }
    g_autofree char *token = craft("{\"alg\":\"RS256\"}", good_payload, secret);
    g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_ALGORITHM);
    g_assert_cmpstr(msg, ==, "token algorithm 'RS256' is not allowed; only HS256");
}

static void test_bad_headers(void)
{
    static const char *const headers[] = {
        "[\"HS256\"]",
        "\"HS256\"",
        "null",
        "{\"alg\":\"HS256\"",                  /* not JSON */
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", /* typ present but not JWT */
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"none\",\"alg\":\"HS256\"}", /* duplicate keys */
        "{\"alg\":\"HS256\"} x",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_test_message("header %s", headers[i]);
        g_autofree char *token = craft(headers[i], good_payload, secret);
        g_free(expect_error(token, NOW, CG_JWT_ERROR_MALFORMED));
    }
    /* typ is optional. */
    g_autofree char *token = craft("{\"alg\":\"HS256\"}", good_payload, secret);
    expect_ok(token, NOW);
}

/* RFC 7515 4.1.11: a token that lists "crit" extensions must be refused by
 * a recipient that does not understand them; consultd understands none. */
static void test_crit_header(void)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"x-cg\"],\"x-cg\":1}",
        "{\"alg\":\"HS256\",\"crit\":[]}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":\"b64\"}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_test_message("header %s", headers[i]);
        g_autofree char *token = craft(headers[i], good_payload, secret);
        g_autofree char *message = expect_error(token, NOW, CG_JWT_ERROR_MALFORMED);
        g_assert_nonnull(strstr(message, "crit"));
    }
}

static void test_tampered(void)
{
    g_autofree char *token = craft_good(good_payload);
    g_auto(GStrv) parts = g_strsplit(token, ".", -1);
    g_assert_cmpuint(g_strv_length(parts), ==, 3);

    /* Patient promotes themselves; the signature is kept. */
    g_autofree char *evil = g_strdup(good_payload);
    char *role = strstr(evil, "patient");
    memcpy(role, "special", 7);
    g_autofree char *evil_b64 = b64url_str(evil);
    g_autofree char *t1 = g_strjoin(".", parts[0], evil_b64, parts[2], NULL);
    g_free(expect_error(t1, NOW, CG_JWT_ERROR_SIGNATURE));

    /* One flipped signature character. */
    g_autofree char *t2 = g_strdup(token);
    char *sig = strrchr(t2, '.') + 1;
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    g_free(expect_error(t2, NOW, CG_JWT_ERROR_SIGNATURE));

    /* Truncated signature (still valid base64url: 30 bytes). */
    g_autofree char *t3 = g_strndup(token, strlen(token) - 3);
    g_free(expect_error(t3, NOW, CG_JWT_ERROR_SIGNATURE));

    /* Empty signature. */
    g_autofree char *t4 = g_strjoin(".", parts[0], parts[1], "", NULL);
    g_free(expect_error(t4, NOW, CG_JWT_ERROR_SIGNATURE));

    /* Signature followed by three more bytes of valid base64url. */
    g_autofree char *t5 = g_strconcat(token, "AAAA", NULL);
    g_free(expect_error(t5, NOW, CG_JWT_ERROR_SIGNATURE));
}

static void test_missing_claims(void)
{
    static const char *const names[] = {"iss", "sub", "consult", "role", "name", "nbf", "exp"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        /* Rebuild the payload without one member. */
        GString *p = g_string_new("{");
        static const char *const members[] = {"\"iss\":\"t-acme\"",  "\"sub\":\"p-1\"",
                                              "\"consult\":\"c-1\"", "\"role\":\"patient\"",
                                              "\"name\":\"Sam\"",    "\"nbf\":1790000000",
                                              "\"exp\":1790003600"};
        for (gsize j = 0; j < G_N_ELEMENTS(members); j++) {
            if (j == i)
                continue;
            if (p->len > 1)
                g_string_append_c(p, ',');
            g_string_append(p, members[j]);
        }
        g_string_append_c(p, '}');
        g_autofree char *payload = g_string_free(p, FALSE);
        g_autofree char *token = craft_good(payload);
        g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_MISSING_CLAIM);
        g_autofree char *quoted = g_strdup_printf("'%s'", names[i]);
        g_assert_nonnull(strstr(msg, quoted));
    }
}

static void test_claim_types(void)
{
    static const struct {
        const char *payload;
        const char *msg;
    } cases[] = {
        {"{\"iss\":7,\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
         "\"nbf\":1790000000,\"exp\":1790003600}",
         "token claim 'iss' is missing or not a string"},
        {"{\"iss\":\"t\",\"sub\":\"p\",\"consult\":[\"c\"],\"role\":\"r\",\"name\":\"n\","
         "\"nbf\":1790000000,\"exp\":1790003600}",
         "token claim 'consult' is missing or not a string"},
        {"{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":null,\"name\":\"n\","
         "\"nbf\":1790000000,\"exp\":1790003600}",
         "token claim 'role' is missing or not a string"},
        {"{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"\","
         "\"nbf\":1790000000,\"exp\":1790003600}",
         "token claim 'name' is missing or not a string"},
        {"{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
         "\"nbf\":\"1790000000\",\"exp\":1790003600}",
         "token claim 'nbf' is missing or not an integer"},
        {"{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
         "\"nbf\":1790000000,\"exp\":1790003600.0}",
         "token claim 'exp' is missing or not an integer"},
        {"{\"iss\":\"t\",\"sub\":{},\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
         "\"nbf\":1790000000,\"exp\":1790003600}",
         "token claim 'sub' is missing or not a string"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *token = craft_good(cases[i].payload);
        g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_MISSING_CLAIM);
        g_assert_cmpstr(msg, ==, cases[i].msg);
    }
}

/* The optional interpretation claims (issue 11). */
static char *payload_with(const char *extra)
{
    return g_strdup_printf(
        "{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"interpreter\","
        "\"name\":\"n\",\"nbf\":1790000000,\"exp\":1790003600%s}",
        extra);
}

static void test_optional_claims_signed(void)
{
    CgTokenClaims in = {.iss = "t",
                        .sub = "p",
                        .consult = "c",
                        .role = "interpreter",
                        .name = "n",
                        .nbf = NBF,
                        .exp = EXP,
                        .language = "es",
                        .relay_from = "pt-br"};
    g_autofree char *token = cg_jwt_sign(&in, SECRET, SECRET_LEN);
    CgTokenClaims out = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(token, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &out, &error));
    g_assert_cmpstr(out.language, ==, "es");
    g_assert_cmpstr(out.relay_from, ==, "pt-br");
    cg_token_claims_clear(&out);
    g_assert_null(out.language);
    g_assert_null(out.relay_from);

    /* Unset claims are not signed: the payload is what it was before them. */
    in.language = in.relay_from = NULL;
    g_autofree char *plain = cg_jwt_sign(&in, SECRET, SECRET_LEN);
    const char *p = strchr(plain, '.') + 1;
    g_autofree char *p64 = g_strndup(p, (gsize)(strchr(p, '.') - p));
    g_autofree char *b64 = g_strconcat(p64, "==", NULL);
    for (char *q = b64; *q; q++)
        *q = *q == '-' ? '+' : *q == '_' ? '/' : *q;
    gsize len = 0;
    g_autofree guchar *json = g_base64_decode(b64, &len);
    g_autofree char *text = g_strndup((const char *)json, len);
    g_assert_null(strstr(text, "language"));
    g_assert_null(strstr(text, "relay_from"));
    g_assert_true(cg_jwt_verify(plain, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &out, &error));
    g_assert_null(out.language);
    g_assert_null(out.relay_from);
    cg_token_claims_clear(&out);
}

static void test_optional_claims_parsed(void)
{
    /* Present (any case: returned lower-cased), and absent. */
    g_autofree char *present = payload_with(",\"language\":\"ES\",\"relay_from\":\"zh-Hant-TW\"");
    g_autofree char *t1 = craft_good(present);
    CgTokenClaims out = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(t1, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &out, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(out.language, ==, "es");
    g_assert_cmpstr(out.relay_from, ==, "zh-hant-tw");
    cg_token_claims_clear(&out);
    g_autofree char *only = payload_with(",\"language\":\"ar\"");
    g_autofree char *t2 = craft_good(only);
    g_assert_true(cg_jwt_verify(t2, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &out, &error));
    g_assert_cmpstr(out.language, ==, "ar");
    g_assert_null(out.relay_from);
    cg_token_claims_clear(&out);

    /* Wrong type, invalid tag, too long, empty: MALFORMED naming the claim. */
    g_autofree char *long_tag = g_strdup_printf("\"%s\"", "deu-1996-abcdefgh-abcdefgh-abcdefgh");
    g_autofree char *longer_tag =
        g_strdup_printf("\"%s\"", "deu-1996-abcdefgh-abcdefgh-abcdefgh-12345");
    static const char *const bad[] = {"7",         "null",    "[\"es\"]",      "{}",
                                      "true",      "\"\"",    "\"e\"",         "\"espa\"",
                                      "\"es_ES\"", "\"es-\"", "\"x-klingon\"", "\"<script>\""};
    for (int which = 0; which < 2; which++) {
        const char *claim = which ? "relay_from" : "language";
        g_autofree char *expected =
            g_strdup_printf("token claim '%s' must be a language tag such as \"es\" or "
                            "\"pt-br\" (a string of at most 35 characters)",
                            claim);
        for (gsize i = 0; i <= G_N_ELEMENTS(bad); i++) {
            const char *value = i < G_N_ELEMENTS(bad) ? bad[i] : longer_tag;
            g_autofree char *extra = g_strdup_printf(",\"%s\":%s", claim, value);
            g_autofree char *payload = payload_with(extra);
            g_autofree char *token = craft_good(payload);
            g_test_message("%s: %s", claim, value);
            g_autofree char *msg = expect_error(token, NOW, CG_JWT_ERROR_MALFORMED);
            g_assert_cmpstr(msg, ==, expected);
        }
        g_autofree char *extra = g_strdup_printf(",\"%s\":%s", claim, long_tag);
        g_autofree char *payload = payload_with(extra); /* exactly 35: accepted */
        g_autofree char *token = craft_good(payload);
        expect_ok(token, NOW);
    }
}

static void test_claim_lengths(void)
{
    g_autofree char *n256 = g_strnfill(256, 'x');
    g_autofree char *n257 = g_strnfill(257, 'x');
    g_autofree char *ok_payload = g_strdup_printf(
        "{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"%s\","
        "\"nbf\":1790000000,\"exp\":1790003600}",
        n256);
    g_autofree char *long_payload = g_strdup_printf(
        "{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"%s\","
        "\"nbf\":1790000000,\"exp\":1790003600}",
        n257);
    g_autofree char *t1 = craft_good(ok_payload);
    g_autofree char *t2 = craft_good(long_payload);
    expect_ok(t1, NOW);
    g_autofree char *msg = expect_error(t2, NOW, CG_JWT_ERROR_MISSING_CLAIM);
    g_assert_cmpstr(msg, ==, "token claim 'name' is longer than 256 bytes");
}

static void test_bad_payloads(void)
{
    static const char *const payloads[] = {
        "not json",
        "[1,2,3]",
        "\"string\"",
        "{\"iss\":\"t\",\"iss\":\"u\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\","
        "\"name\":\"n\",\"nbf\":1790000000,\"exp\":1790003600}",
        /* exp not after nbf */
        "{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
        "\"nbf\":1790000000,\"exp\":1790000000}",
        /* NUL inside a claim */
        "{\"iss\":\"t\\u0000x\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
        "\"nbf\":1790000000,\"exp\":1790003600}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(payloads); i++) {
        g_test_message("payload %s", payloads[i]);
        g_autofree char *token = craft_good(payloads[i]);
        g_free(expect_error(token, NOW, CG_JWT_ERROR_MALFORMED));
    }
}

static void test_extreme_times(void)
{
    /* No overflow (UBSan checks it) with times at the ends of the range. */
    g_autofree char *forever =
        craft_good("{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
                   "\"nbf\":-9223372036854775808,\"exp\":9223372036854775807}");
    expect_ok(forever, NOW);
    g_autofree char *ancient =
        craft_good("{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
                   "\"nbf\":-9223372036854775808,\"exp\":-9223372036854775807}");
    g_autofree char *msg = expect_error(ancient, NOW, CG_JWT_ERROR_EXPIRED);
    g_assert_cmpstr(msg, ==, "token expired at -9223372036854775807");
    g_autofree char *future =
        craft_good("{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
                   "\"nbf\":9223372036854775806,\"exp\":9223372036854775807}");
    g_free(expect_error(future, NOW, CG_JWT_ERROR_NOT_YET_VALID));
    /* Beyond int64: jansson refuses the number, so the token is malformed. */
    g_autofree char *huge =
        craft_good("{\"iss\":\"t\",\"sub\":\"p\",\"consult\":\"c\",\"role\":\"r\",\"name\":\"n\","
                   "\"nbf\":0,\"exp\":99999999999999999999}");
    g_free(expect_error(huge, NOW, CG_JWT_ERROR_MALFORMED));
}

static void test_too_long(void)
{
    g_autofree char *token = craft_good(good_payload);
    gsize len = strlen(token);
    CgTokenClaims c = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(token, len, SECRET, SECRET_LEN, NOW, SKEW, &c, &error));
    cg_token_claims_clear(&c);
    g_assert_false(cg_jwt_verify(token, len - 1, SECRET, SECRET_LEN, NOW, SKEW, &c, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "longer than"));
    g_clear_error(&error);

    /* The bound comes first: a long run of garbage is reported as too long,
     * not as bad base64url or a missing dot. */
    g_autofree char *garbage = g_strnfill(MAX_LEN + 1, '!');
    g_assert_false(cg_jwt_verify(garbage, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &c, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED);
    g_assert_cmpstr(error->message, ==, "token is missing or longer than 4096 bytes");
    g_clear_error(&error);

    g_autofree char *iss = cg_jwt_peek_issuer(token, len - 1, &error);
    g_assert_null(iss);
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED);
}

static void test_garbage(void)
{
    g_autofree char *good = craft_good(good_payload);
    g_auto(GStrv) parts = g_strsplit(good, ".", -1);
    g_autofree char *four = g_strconcat(good, ".", parts[2], NULL);
    g_autofree char *two = g_strjoin(".", parts[0], parts[1], NULL);
    /* header "{\"alg\":\"HS256\",\"typ\":\"JWT\"}" is 27 bytes: its base64url
     * needs no padding, so add padding to the payload and signature instead. */
    g_autofree char *pad_sig = g_strconcat(good, "=", NULL);
    g_autofree char *pad_payload = g_strjoin(".", parts[0], "e30=", parts[2], NULL);
    g_autofree char *std_b64 = g_strdup(good); /* standard-alphabet character */
    strrchr(std_b64, '.')[1] = '+';
    g_autofree char *std_b64_slash = g_strdup(good);
    strrchr(std_b64_slash, '.')[1] = '/';
    g_autofree char *bad_char = g_strjoin(".", parts[0], "eyJ!In0", parts[2], NULL);
    g_autofree char *len_mod_1 = g_strjoin(".", parts[0], "eyJhb", parts[2], NULL);
    /* "e31" decodes to "{}" only if leftover bits are ignored; refuse it. */
    g_autofree char *noncanon = g_strjoin(".", parts[0], "e31", parts[2], NULL);
    g_autofree char *empty_parts = g_strdup("..");
    g_autofree char *space = g_strconcat(" ", good, NULL);

    const char *cases[] = {
        "",        "abc",    "a.b",       two,   four,  pad_sig,       pad_payload, bad_char,
        len_mod_1, noncanon, empty_parts, space, "...", "eyJ.eyJ.eyJ", std_b64,     std_b64_slash};
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i]);
        g_free(expect_error(cases[i], NOW, CG_JWT_ERROR_MALFORMED));
    }
    CgTokenClaims c = {0};
    g_assert_false(cg_jwt_verify(NULL, MAX_LEN, SECRET, SECRET_LEN, NOW, SKEW, &c, NULL));
}

static void test_peek(void)
{
    /* Peek does not check the signature: any secret gives the issuer. */
    g_autofree char *token = craft("{\"alg\":\"HS256\"}", good_payload, "whatever");
    g_autoptr(GError) error = NULL;
    g_autofree char *iss = cg_jwt_peek_issuer(token, MAX_LEN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(iss, ==, "t-acme");

    g_autofree char *no_iss = craft_good("{\"sub\":\"p\"}");
    g_assert_null(cg_jwt_peek_issuer(no_iss, MAX_LEN, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM);
    g_clear_error(&error);

    g_autofree char *num_iss = craft_good("{\"iss\":5}");
    g_assert_null(cg_jwt_peek_issuer(num_iss, MAX_LEN, &error));
    g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM);
    g_clear_error(&error);

    static const char *const bad[] = {"", "x", "a.b", "a.b.c.d", "e30.!!!.x", "e30.W10.x"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(cg_jwt_peek_issuer(bad[i], MAX_LEN, &error));
        g_assert_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED);
        g_clear_error(&error);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jwt/round-trip", test_round_trip);
    g_test_add_func("/jwt/openssl-vector", test_openssl_vector);
    g_test_add_func("/jwt/jwt-io-vector", test_jwt_io_vector);
    g_test_add_func("/jwt/expired", test_expired);
    g_test_add_func("/jwt/not-yet-valid", test_not_yet_valid);
    g_test_add_func("/jwt/skew-edges", test_skew_edges);
    g_test_add_func("/jwt/wrong-secret", test_wrong_secret);
    g_test_add_func("/jwt/alg-none", test_alg_none);
    g_test_add_func("/jwt/other-algs", test_other_algs);
    g_test_add_func("/jwt/bad-headers", test_bad_headers);
    g_test_add_func("/jwt/tampered", test_tampered);
    g_test_add_func("/jwt/missing-claims", test_missing_claims);
    g_test_add_func("/jwt/claim-types", test_claim_types);
    g_test_add_func("/jwt/claim-lengths", test_claim_lengths);
    g_test_add_func("/jwt/optional-claims/signed", test_optional_claims_signed);
    g_test_add_func("/jwt/optional-claims/parsed", test_optional_claims_parsed);
    g_test_add_func("/jwt/bad-payloads", test_bad_payloads);
    g_test_add_func("/jwt/extreme-times", test_extreme_times);
    g_test_add_func("/jwt/crit-header", test_crit_header);
    g_test_add_func("/jwt/too-long", test_too_long);
    g_test_add_func("/jwt/garbage", test_garbage);
    g_test_add_func("/jwt/peek", test_peek);
    return g_test_run();
}
