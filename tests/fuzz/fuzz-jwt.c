/* fuzz-jwt.c — fuzz target for cg_jwt_verify() and cg_jwt_peek_issuer().
 *
 * Two modes, chosen by the first byte, so the fuzzer reaches both the token
 * framing and the claim checks that only run after the signature verifies:
 *  - '{': the input is a payload; it is wrapped in a correctly signed HS256
 *    token (signed here with OpenSSL, not with cg_jwt_sign) and verified.
 *    A token that verifies must re-sign with cg_jwt_sign() to claims that
 *    verify identically.
 *  - anything else: the input is the token text, verified and peeked as is.
 */
#include "fuzz.h"
#include "jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_LEN 4096
#define FUZZ_NOW 1790000060
#define FUZZ_SKEW 30

static const char fuzz_secret[] = "fuzz-secret";
#define SECRET ((const guint8 *)fuzz_secret)
#define SECRET_LEN (sizeof fuzz_secret - 1)

static void append_b64url(GString *out, const guint8 *data, gsize len)
{
    g_autofree char *b64 = g_base64_encode(data, len);
    for (const char *p = b64; *p && *p != '='; p++)
        g_string_append_c(out, *p == '+' ? '-' : *p == '/' ? '_' : *p);
}

static char *wrap_payload(const uint8_t *payload, size_t size)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    GString *t = g_string_new(NULL);
    append_b64url(t, (const guint8 *)header, sizeof header - 1);
    g_string_append_c(t, '.');
    append_b64url(t, payload, size);
    guint8 mac[32];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), fuzz_secret, (int)SECRET_LEN, (const guint8 *)t->str, t->len, mac,
              &mac_len))
        abort();
    g_string_append_c(t, '.');
    append_b64url(t, mac, mac_len);
    return g_string_free(t, FALSE);
}

static gboolean claims_equal(const CgTokenClaims *a, const CgTokenClaims *b)
{
    return g_strcmp0(a->iss, b->iss) == 0 && g_strcmp0(a->sub, b->sub) == 0 &&
           g_strcmp0(a->consult, b->consult) == 0 && g_strcmp0(a->role, b->role) == 0 &&
           g_strcmp0(a->name, b->name) == 0 && a->nbf == b->nbf && a->exp == b->exp;
}

static void verify(const char *token)
{
    CgTokenClaims claims;
    GError *error = NULL;
    if (!cg_jwt_verify(token, FUZZ_MAX_LEN, SECRET, SECRET_LEN, FUZZ_NOW, FUZZ_SKEW, &claims,
                       &error)) {
        if (error == NULL || error->domain != CG_JWT_ERROR || claims.iss || claims.name)
            abort();
        g_error_free(error);
        return;
    }
    /* Whatever verified must be representable by our own signer. */
    g_autofree char *again = cg_jwt_sign(&claims, SECRET, SECRET_LEN);
    CgTokenClaims claims2;
    if (again == NULL || !cg_jwt_verify(again, G_MAXSIZE - 1, SECRET, SECRET_LEN, FUZZ_NOW,
                                        FUZZ_SKEW, &claims2, NULL))
        abort();
    if (!claims_equal(&claims, &claims2))
        abort();
    cg_token_claims_clear(&claims);
    cg_token_claims_clear(&claims2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    if (size > 3 * FUZZ_MAX_LEN)
        return 0;
    if (size > 0 && data[0] == '{') {
        g_autofree char *token = wrap_payload(data, size);
        verify(token);
        return 0;
    }
    /* Token text is a C string: stop at the first NUL as a caller would. */
    g_autofree char *token = g_strndup((const char *)data, size);
    verify(token);
    GError *error = NULL;
    g_autofree char *iss = cg_jwt_peek_issuer(token, FUZZ_MAX_LEN, &error);
    if ((iss == NULL) == (error == NULL))
        abort();
    g_clear_error(&error);
    return 0;
}
