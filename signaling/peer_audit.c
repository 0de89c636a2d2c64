/* peer_audit.c — audit records about peers and a specialist's actions, so
 * every live module writes them the same way. See lifecycle.h. */
#include "lifecycle.h"

#include "audit.h"

void cg_lifecycle_audit(CgSignaling *s, const char *remote, const char *tenant, const char *consult,
                        const char *participant, const char *role, const char *action,
                        const char *outcome)
{
    CgAuditEvent ev = {.tenant = tenant,
                       .consult = consult,
                       .participant = participant,
                       .role = role,
                       .action = action,
                       .outcome = outcome,
                       .remote = remote};
    cg_audit_note(s->store, &ev, g_get_real_time());
}

void cg_lifecycle_audit_peer(const CgPeer *peer, const char *action, const char *outcome)
{
    const CgPeerInfo *i = &peer->info;
    cg_lifecycle_audit(peer->s, peer->remote, i->tenant_id, i->consult_id, i->participant_id,
                       i->role, action, outcome);
}

void cg_lifecycle_audit_action(const CgPeer *actor, const char *target_id, const char *target_role,
                               const char *action, const char *outcome)
{
    const CgPeerInfo *i = &actor->info;
    cg_lifecycle_audit(actor->s, actor->remote, i->tenant_id, i->consult_id, target_id, target_role,
                       action, outcome);
}
