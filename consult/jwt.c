/* jwt.c — HS256 join tokens (see jwt.h).
 *
 * Verification order matters: length bound, split into exactly three parts,
 * strict base64url, header (alg pinned to HS256), signature (constant time),
 * and only then the claims. Nothing from the payload is looked at before the
 * signature verifies. No libjwt: the whole format is ~40 lines of parsing and
 * owning it keeps the algorithm pinned by construction.
 */
#include "jwt.h"

#include "language_tags.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define CG_JWT_CLAIM_MAX_BYTES 256 /* longest accepted string claim */
#define CG_JWT_SIG_BYTES 32        /* HMAC-SHA256 output */

/* clang-format off */
G_DEFINE_QUARK(cg-jwt-error-quark, cg_jwt_error)
/* clang-format on */

void cg_token_claims_clear(CgTokenClaims *claims)
{
    if (claims == NULL)
        return;
    g_clear_pointer(&claims->iss, g_free);
    g_clear_pointer(&claims->sub, g_free);
    g_clear_pointer(&claims->consult, g_free);
    g_clear_pointer(&claims->role, g_free);
    g_clear_pointer(&claims->name, g_free);
    g_clear_pointer(&claims->language, g_free);
    g_clear_pointer(&claims->relay_from, g_free);
    claims->nbf = 0;
    claims->exp = 0;
}

/* ---- base64url (RFC 4648 §5, no padding) ---- */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

static char *b64url_encode(const guint8 *data, gsize len)
{
    GString *out = g_string_sized_new((len + 2) / 3 * 4 + 1);
    gsize i = 0;
    for (; i + 3 <= len; i += 3) {
        guint32 v = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8 | data[i + 2];
        g_string_append_c(out, b64url_alphabet[(v >> 18) & 63]);
        g_string_append_c(out, b64url_alphabet[(v >> 12) & 63]);
        g_string_append_c(out, b64url_alphabet[(v >> 6) & 63]);
        g_string_append_c(out, b64url_alphabet[v & 63]);
    }
    if (len - i == 1) {
        guint32 v = (guint32)data[i] << 16;
        g_string_append_c(out, b64url_alphabet[(v >> 18) & 63]);
        g_string_append_c(out, b64url_alphabet[(v >> 12) & 63]);
    } else if (len - i == 2) {
        guint32 v = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8;
        g_string_append_c(out, b64url_alphabet[(v >> 18) & 63]);
        g_string_append_c(out, b64url_alphabet[(v >> 12) & 63]);
        g_string_append_c(out, b64url_alphabet[(v >> 6) & 63]);
    }
    return g_string_free(out, FALSE);
}

/* Strict decoder: only the url-safe alphabet, no '=' padding, no leftover
 * bits (so every byte string has exactly one accepted encoding). Returns a
 * newly allocated buffer (NUL-terminated for convenience) or NULL. */
static guint8 *b64url_decode(const char *in, gsize in_len, gsize *out_len)
{
    if (in_len % 4 == 1)
        return NULL;
    guint8 *out = g_malloc(in_len / 4 * 3 + 3);
    gsize n = 0;
    guint32 acc = 0;
    guint bits = 0;
    for (gsize i = 0; i < in_len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0) {
            g_free(out);
            return NULL;
        }
        acc = (acc << 6) | (guint32)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (guint8)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* non-zero leftover bits: a non-canonical encoding */
        g_free(out);
        return NULL;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* ---- token structure ---- */

typedef struct {
    const char *header; /* base64url text, not NUL-terminated */
    gsize header_len;
    const char *payload;
    gsize payload_len;
    const char *sig;
    gsize sig_len;
} TokenParts;

static gboolean check_length(const char *token, gsize max_len, GError **error)
{
    if (token == NULL || strnlen(token, max_len + 1) > max_len) {
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                    "token is missing or longer than %" G_GSIZE_FORMAT " bytes", max_len);
        return FALSE;
    }
    return TRUE;
}

static gboolean split_token(const char *token, TokenParts *parts, GError **error)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL) {
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                            "token does not have exactly three parts");
        return FALSE;
    }
    parts->header = token;
    parts->header_len = (gsize)(dot1 - token);
    parts->payload = dot1 + 1;
    parts->payload_len = (gsize)(dot2 - dot1 - 1);
    parts->sig = dot2 + 1;
    parts->sig_len = strlen(dot2 + 1);
    return TRUE;
}

static guint8 *decode_part(const char *text, gsize len, const char *what, gsize *out_len,
                           GError **error)
{
    guint8 *raw = b64url_decode(text, len, out_len);
    if (raw == NULL)
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED, "token %s is not valid base64url",
                    what);
    return raw;
}

static json_t *parse_json_part(const guint8 *raw, gsize raw_len, const char *what, GError **error)
{
    json_t *obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED, "token %s is not a JSON object",
                    what);
        return NULL;
    }
    return obj;
}

/* Decodes one base64url part holding a JSON object. */
static json_t *decode_json_part(const char *text, gsize len, const char *what, GError **error)
{
    gsize raw_len = 0;
    g_autofree guint8 *raw = decode_part(text, len, what, &raw_len, error);
    return raw ? parse_json_part(raw, raw_len, what, error) : NULL;
}

static gboolean check_header(const TokenParts *parts, GError **error)
{
    json_t *header = decode_json_part(parts->header, parts->header_len, "header", error);
    if (header == NULL)
        return FALSE;
    gboolean ok = FALSE;
    json_t *alg = json_object_get(header, "alg");
    json_t *typ = json_object_get(header, "typ");
    if (!json_is_string(alg)) {
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_ALGORITHM,
                            "token header has no string 'alg'; only HS256 is allowed");
    } else if (strcmp(json_string_value(alg), "HS256") != 0) {
        /* The alg value is short and not secret, but bound and escape it. */
        g_autofree char *shown = g_strescape(json_string_value(alg), NULL);
        if (strlen(shown) > 16)
            shown[16] = '\0';
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_ALGORITHM,
                    "token algorithm '%s' is not allowed; only HS256", shown);
    } else if (typ != NULL &&
               (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0)) {
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                            "token header 'typ' must be \"JWT\"");
    } else if (json_object_get(header, "crit") != NULL) {
        /* RFC 7515 4.1.11: extensions listed as critical must be understood;
         * consultd understands none, and an empty or malformed list is
         * invalid anyway. */
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                            "token header lists critical extensions ('crit') that consultd "
                            "does not understand");
    } else {
        ok = TRUE;
    }
    json_decref(header);
    return ok;
}

static void hs256(const guint8 *secret, gsize secret_len, const char *data, gsize data_len,
                  guint8 out[CG_JWT_SIG_BYTES])
{
    static const guint8 empty_key = 0;
    unsigned int out_len = 0;
    /* One-shot HMAC() is not deprecated in OpenSSL 3 and cannot fail for
     * SHA-256 short of allocation failure, which OpenSSL reports as NULL. */
    if (HMAC(EVP_sha256(), secret_len ? secret : &empty_key, (int)secret_len,
             (const unsigned char *)data, data_len, out, &out_len) == NULL ||
        out_len != CG_JWT_SIG_BYTES)
        g_error("HMAC-SHA256 failed"); /* out of memory: nothing sane to do */
}

static gboolean check_signature(const TokenParts *parts, const guint8 *secret, gsize secret_len,
                                GError **error)
{
    gsize sig_len = 0;
    g_autofree guint8 *sig = b64url_decode(parts->sig, parts->sig_len, &sig_len);
    if (sig == NULL) {
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                            "token signature is not valid base64url");
        return FALSE;
    }
    guint8 expected[CG_JWT_SIG_BYTES];
    /* The signed input is "header.payload": both parts and the dot between. */
    hs256(secret, secret_len, parts->header, parts->header_len + 1 + parts->payload_len, expected);
    gboolean ok =
        sig_len == CG_JWT_SIG_BYTES && CRYPTO_memcmp(sig, expected, CG_JWT_SIG_BYTES) == 0;
    OPENSSL_cleanse(expected, sizeof expected);
    if (!ok)
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_SIGNATURE,
                            "token signature does not verify");
    return ok;
}

/* ---- claims ---- */

static char *string_claim(json_t *payload, const char *name, GError **error)
{
    json_t *v = json_object_get(payload, name);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM,
                    "token claim '%s' is missing or not a string", name);
        return NULL;
    }
    if (json_string_length(v) > CG_JWT_CLAIM_MAX_BYTES) {
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM,
                    "token claim '%s' is longer than %d bytes", name, CG_JWT_CLAIM_MAX_BYTES);
        return NULL;
    }
    /* Without JSON_ALLOW_NUL jansson refuses "\u0000", so the C string is whole. */
    return g_strdup(json_string_value(v));
}

static gboolean int_claim(json_t *payload, const char *name, gint64 *out, GError **error)
{
    json_t *v = json_object_get(payload, name);
    if (!json_is_integer(v)) {
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MISSING_CLAIM,
                    "token claim '%s' is missing or not an integer", name);
        return FALSE;
    }
    *out = (gint64)json_integer_value(v);
    return TRUE;
}

/* An optional language claim: absent leaves *out NULL; present, it must be a
 * string holding a valid tag (language_tags.h), else MALFORMED naming it. The
 * value itself is never echoed: it came from outside. */
static gboolean language_claim(json_t *payload, const char *name, char **out, GError **error)
{
    json_t *v = json_object_get(payload, name);
    if (v == NULL)
        return TRUE;
    if (!json_is_string(v) || json_string_length(v) > CG_LANGUAGE_TAG_MAX ||
        strlen(json_string_value(v)) != json_string_length(v) ||
        !cg_language_tag_valid(json_string_value(v))) {
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                    "token claim '%s' must be a language tag such as \"es\" or \"pt-br\" "
                    "(a string of at most %d characters)",
                    name, CG_LANGUAGE_TAG_MAX);
        return FALSE;
    }
    *out = cg_language_tag_normalize(json_string_value(v));
    return TRUE;
}

static gboolean read_claims(json_t *payload, CgTokenClaims *c, GError **error)
{
    if (!(c->iss = string_claim(payload, "iss", error)) ||
        !(c->sub = string_claim(payload, "sub", error)) ||
        !(c->consult = string_claim(payload, "consult", error)) ||
        !(c->role = string_claim(payload, "role", error)) ||
        !(c->name = string_claim(payload, "name", error)) ||
        !int_claim(payload, "nbf", &c->nbf, error) || !int_claim(payload, "exp", &c->exp, error) ||
        !language_claim(payload, "language", &c->language, error) ||
        !language_claim(payload, "relay_from", &c->relay_from, error))
        return FALSE;
    if (c->exp <= c->nbf) {
        g_set_error_literal(error, CG_JWT_ERROR, CG_JWT_ERROR_MALFORMED,
                            "token claim 'exp' is not after 'nbf'");
        return FALSE;
    }
    return TRUE;
}

static char *format_time(gint64 t)
{
    /* GDateTime covers years 1..9999; outside that (and to keep GLib's
     * seconds-to-microseconds multiplication from overflowing) print a number. */
    if (t < G_GINT64_CONSTANT(-62135596800) || t > G_GINT64_CONSTANT(253402300799))
        return g_strdup_printf("%" G_GINT64_FORMAT, t);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    if (dt == NULL)
        return g_strdup_printf("%" G_GINT64_FORMAT, t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

/* Written so that no sum involving a peer-controlled value can overflow:
 * @now and @skew_s come from our own clock and config. */
static gboolean check_times(const CgTokenClaims *c, gint64 now, gint64 skew_s, GError **error)
{
    if (now - skew_s > c->exp) {
        g_autofree char *when = format_time(c->exp);
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_EXPIRED, "token expired at %s", when);
        return FALSE;
    }
    if (now + skew_s < c->nbf) {
        g_autofree char *when = format_time(c->nbf);
        g_set_error(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID, "token is not valid before %s",
                    when);
        return FALSE;
    }
    return TRUE;
}

/* ---- public API ---- */

char *cg_jwt_peek_issuer(const char *token, gsize max_len, GError **error)
{
    TokenParts parts;
    if (!check_length(token, max_len, error) || !split_token(token, &parts, error))
        return NULL;
    json_t *payload = decode_json_part(parts.payload, parts.payload_len, "payload", error);
    if (payload == NULL)
        return NULL;
    char *iss = string_claim(payload, "iss", error);
    json_decref(payload);
    return iss;
}

gboolean cg_jwt_verify(const char *token, gsize max_len, const guint8 *secret, gsize secret_len,
                       gint64 now, gint64 skew_s, CgTokenClaims *out, GError **error)
{
    g_return_val_if_fail(secret != NULL || secret_len == 0, FALSE);
    g_return_val_if_fail(skew_s >= 0, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    memset(out, 0, sizeof *out);
    TokenParts parts;
    if (!check_length(token, max_len, error) || !split_token(token, &parts, error) ||
        !check_header(&parts, error))
        return FALSE;
    /* The payload's encoding is checked before the signature (for a precise
     * error), but its JSON is only parsed once the signature verifies. */
    gsize raw_len = 0;
    g_autofree guint8 *raw =
        decode_part(parts.payload, parts.payload_len, "payload", &raw_len, error);
    if (raw == NULL || !check_signature(&parts, secret, secret_len, error))
        return FALSE;
    json_t *payload = parse_json_part(raw, raw_len, "payload", error);
    if (payload == NULL)
        return FALSE;
    gboolean ok = read_claims(payload, out, error) && check_times(out, now, skew_s, error);
    json_decref(payload);
    if (!ok)
        cg_token_claims_clear(out);
    return ok;
}

static char *encode_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL)
        g_error("cannot serialise JWT part"); /* only on out of memory or bad UTF-8 */
    char *b64 = b64url_encode((const guint8 *)text, strlen(text));
    free(text);
    return b64;
}

char *cg_jwt_sign(const CgTokenClaims *claims, const guint8 *secret, gsize secret_len)
{
    g_return_val_if_fail(claims != NULL, NULL);
    g_return_val_if_fail(secret != NULL || secret_len == 0, NULL);
    g_return_val_if_fail(
        claims->iss && claims->sub && claims->consult && claims->role && claims->name, NULL);

    json_t *header = json_pack("{s:s, s:s}", "alg", "HS256", "typ", "JWT");
    json_t *payload =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", claims->iss, "sub", claims->sub,
                  "consult", claims->consult, "role", claims->role, "name", claims->name, "nbf",
                  (json_int_t)claims->nbf, "exp", (json_int_t)claims->exp);
    if (payload == NULL) { /* a claim is not UTF-8: a caller bug */
        json_decref(header);
        g_return_val_if_reached(NULL);
    }
    /* Optional claims only when set: a token without them is byte for byte
     * what consultd signed before interpretation. */
    if (claims->language)
        json_object_set_new(payload, "language", json_string(claims->language));
    if (claims->relay_from)
        json_object_set_new(payload, "relay_from", json_string(claims->relay_from));

    g_autofree char *h = encode_json(header);
    g_autofree char *p = encode_json(payload);
    json_decref(header);
    json_decref(payload);

    g_autofree char *signing_input = g_strconcat(h, ".", p, NULL);
    guint8 sig[CG_JWT_SIG_BYTES];
    hs256(secret, secret_len, signing_input, strlen(signing_input), sig);
    g_autofree char *s = b64url_encode(sig, sizeof sig);
    return g_strconcat(signing_input, ".", s, NULL);
}
