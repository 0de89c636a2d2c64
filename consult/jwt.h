/* jwt.h — join tokens: JSON Web Tokens signed with HS256.
 *
 * Pure (no clock reads: "now" is passed in). Verification never trusts the
 * token header: the algorithm is pinned to HS256, any other "alg" (including
 * "none") is refused; the token length is bounded before anything is decoded;
 * the signature is compared in constant time; nbf/exp are checked with a
 * caller-given skew; every claim below is required and must have its type,
 * except the optional ones.
 *
 * Claims: iss (tenant id), sub (participant id), consult, role, name (strings),
 * nbf, exp (integers, seconds since the epoch). Optional (issue 11): language,
 * relay_from — when present, strings holding a language tag (language_tags.h,
 * at most CG_LANGUAGE_TAG_MAX bytes), else the token is MALFORMED and the
 * message names the claim; verification returns them lower-cased. Signed only
 * when set.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_JWT_ERROR (cg_jwt_error_quark())
GQuark cg_jwt_error_quark(void);

typedef enum {
    CG_JWT_ERROR_MALFORMED,     /* not three base64url parts, bad JSON, too long */
    CG_JWT_ERROR_ALGORITHM,     /* header alg is not HS256 */
    CG_JWT_ERROR_SIGNATURE,     /* signature does not verify */
    CG_JWT_ERROR_MISSING_CLAIM, /* a required claim is absent or of the wrong type */
    CG_JWT_ERROR_EXPIRED,       /* now > exp + skew */
    CG_JWT_ERROR_NOT_YET_VALID, /* now < nbf - skew */
} CgJwtError;

typedef struct {
    char *iss;
    char *sub;
    char *consult;
    char *role;
    char *name;
    gint64 nbf;
    gint64 exp;
    /* optional (NULL when absent): the participant's interpretation channel
     * and, for a relay interpreter, the channel it listens to */
    char *language;
    char *relay_from;
} CgTokenClaims;

void cg_token_claims_clear(CgTokenClaims *claims);

/* Reads the "iss" claim WITHOUT verifying anything, so the caller can pick the
 * tenant's secret. Bounded by @max_len like verification. Returns (transfer
 * full) the issuer or NULL + @error (CG_JWT_ERROR_MALFORMED or _MISSING_CLAIM). */
char *cg_jwt_peek_issuer(const char *token, gsize max_len, GError **error);

/* Verifies @token and fills @out (which the caller clears with
 * cg_token_claims_clear()). @now and @skew_s in seconds. */
gboolean cg_jwt_verify(const char *token, gsize max_len, const guint8 *secret, gsize secret_len,
                       gint64 now, gint64 skew_s, CgTokenClaims *out, GError **error);

/* Returns (transfer full) a compact HS256 JWT carrying @claims. */
char *cg_jwt_sign(const CgTokenClaims *claims, const guint8 *secret, gsize secret_len);

G_END_DECLS
