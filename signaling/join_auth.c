/* join_auth.c — may this token join? The token's issuer must be a tenant,
 * its signature and times valid, its consult and participant stored with the
 * same role, and the consult rules (consult_rules.h) must let it in now.
 * Every refusal carries the protocol code and a message that says why. See
 * join.h. */
#include "join.h"

#include "interpretation.h"

void cg_join_attempt_clear(CgJoinAttempt *a)
{
    g_free(a->message);
    g_free(a->opens_at);
    g_free(a->audit_tenant);
    cg_token_claims_clear(&a->claims);
    cg_consult_record_clear(&a->consult);
    cg_participant_record_clear(&a->participant);
}

gboolean cg_join_refuse(CgJoinAttempt *a, CgErrorCode code, char *message)
{
    a->refused = TRUE;
    a->code = code;
    g_free(a->message);
    a->message = message;
    return FALSE;
}

static CgErrorCode token_error_code(const GError *error)
{
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_EXPIRED))
        return CG_ERROR_CODE_TOKEN_EXPIRED;
    if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID))
        return CG_ERROR_CODE_TOKEN_NOT_YET_VALID;
    return CG_ERROR_CODE_BAD_TOKEN;
}

static gboolean load_records(CgSignaling *s, CgJoinAttempt *a)
{
    return cg_store_get_consult(s->store, a->claims.iss, a->claims.consult, &a->consult, NULL) &&
           cg_store_get_participant(s->store, a->claims.iss, a->claims.consult, a->claims.sub,
                                    &a->participant, NULL);
}

static gboolean refuse_not_open(CgJoinAttempt *a, gint64 opens_at)
{
    a->opens_at = cg_rfc3339(opens_at);
    return cg_join_refuse(a, CG_ERROR_CODE_CONSULT_NOT_OPEN_YET,
                          g_strdup_printf("this consult opens at %s", a->opens_at));
}

/* A well-signed token whose nbf is still ahead: when it is because the
 * consult is not open yet, say so (with the time) rather than "not yet valid". */
static gboolean refuse_early_token(CgSignaling *s, CgJoinAttempt *a, const char *token,
                                   const guint8 *secret, gsize secret_len, const GError *why)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    CgTokenClaims claims = {0};
    if (cg_jwt_verify(token, s->config->max_token_bytes, secret, secret_len, now, G_MAXINT32,
                      &claims, NULL)) {
        a->claims = claims;
        a->verified = TRUE;
        if (load_records(s, a) &&
            cg_consult_phase(&a->consult, &s->window, now) == CG_CONSULT_PHASE_SCHEDULED)
            return refuse_not_open(a, cg_consult_opens_at(&a->consult, &s->window));
    }
    return cg_join_refuse(a, token_error_code(why), g_strdup(why->message));
}

static char *decision_message(const CgJoinAttempt *a)
{
    switch (a->code) {
    case CG_ERROR_CODE_CONSULT_ENDED:
        return g_strdup("this consult has ended");
    case CG_ERROR_CODE_CONSULT_CANCELLED:
        return g_strdup("this consult was cancelled");
    case CG_ERROR_CODE_PARTICIPANT_REMOVED:
        return g_strdup("a specialist removed you from this consult");
    default:
        return g_strdup_printf("the role '%s' may not join a %s", a->claims.role, a->consult.kind);
    }
}

gboolean cg_join_authorise(CgSignaling *s, const char *token, CgJoinAttempt *a)
{
    const CgConfig *c = s->config;
    g_autoptr(GError) error = NULL;
    g_autofree char *issuer = cg_jwt_peek_issuer(token, c->max_token_bytes, &error);
    const CgTenant *tenant = issuer ? cg_tenants_by_id(s->tenants, issuer) : NULL;
    if (!issuer)
        return cg_join_refuse(a, CG_ERROR_CODE_BAD_TOKEN, g_strdup(error->message));
    if (!tenant)
        return cg_join_refuse(a, CG_ERROR_CODE_BAD_TOKEN,
                              g_strdup("the token's issuer is not a tenant of this server"));
    a->audit_tenant = g_strdup(issuer);
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (!cg_jwt_verify(token, c->max_token_bytes, secret, secret_len, now, c->clock_skew_s,
                       &a->claims, &error)) {
        cg_token_claims_clear(&a->claims);
        if (g_error_matches(error, CG_JWT_ERROR, CG_JWT_ERROR_NOT_YET_VALID))
            return refuse_early_token(s, a, token, secret, secret_len, error);
        return cg_join_refuse(a, token_error_code(error), g_strdup(error->message));
    }
    a->verified = TRUE;
    if (!load_records(s, a))
        return cg_join_refuse(a, CG_ERROR_CODE_CONSULT_NOT_FOUND,
                              g_strdup("this consult does not exist or you are not invited to it"));
    if (!g_str_equal(a->participant.role, a->claims.role))
        return cg_join_refuse(
            a, CG_ERROR_CODE_ROLE_NOT_ALLOWED,
            g_strdup_printf("the role '%s' is not yours in this consult", a->claims.role));
    char *why = NULL;
    if (!cg_interp_token_ok(&a->consult, a->claims.role, a->claims.language, a->claims.relay_from,
                            &why))
        return cg_join_refuse(a, CG_ERROR_CODE_BAD_TOKEN, why);
    CgJoinDecision d = cg_consult_join_decision(&a->consult, &a->participant, &s->window, now);
    if (d.verdict == CG_JOIN_REFUSE && d.code == CG_ERROR_CODE_CONSULT_NOT_OPEN_YET)
        return refuse_not_open(a, d.opens_at);
    if (d.verdict == CG_JOIN_REFUSE) {
        a->code = d.code; /* decision_message() reads it */
        return cg_join_refuse(a, d.code, decision_message(a));
    }
    a->verdict = d.verdict;
    return TRUE;
}
