/* join_limit.c — the per-address limit on failed joins (issue 9, findings
 * 5 and 8; rate_limit.h groups the addresses). Only refusals of the
 * credential count, and a valid token is never refused because others at
 * its address failed: join.c checks the token before the limit. See join.h. */
#include "join.h"

#include "lifecycle.h"
#include "rate_limit.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean cg_peers_over_failure_limit(CgSignaling *s, const char *remote)
{
    return !cg_rate_limit_allowed(s->join_failures, remote, now_s(), NULL);
}

void cg_peers_note_auth_failure(CgSignaling *s, const char *remote)
{
    cg_rate_limit_fail(s->join_failures, remote, now_s());
}

gboolean cg_join_is_auth_failure(CgErrorCode code)
{
    return code == CG_ERROR_CODE_BAD_TOKEN || code == CG_ERROR_CODE_TOKEN_EXPIRED ||
           code == CG_ERROR_CODE_TOKEN_NOT_YET_VALID || code == CG_ERROR_CODE_CONSULT_NOT_FOUND ||
           code == CG_ERROR_CODE_ROLE_NOT_ALLOWED;
}

void cg_join_refuse_over_limit(CgPeer *peer, const char *action)
{
    CgSignaling *s = peer->s;
    if (cg_admin_api_note_refusal(s->admin, peer->remote, now_s()))
        cg_lifecycle_audit(s, peer->remote, NULL, NULL, NULL, NULL, action, "too_many_failures");
    cg_peer_error(peer, CG_ERROR_CODE_TOO_MANY_FAILURES,
                  "too many failed joins from this address; try again later");
}
