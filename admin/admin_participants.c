/* admin_participants.c — the participant routes: add, mint a token, kick;
 * and a consult's audit records. */
#include "admin-private.h"

/* ---- POST /consults/ID/participants ---------------------------------------- */

static gboolean check_room(Call *call)
{
    guint count = 0, max = call->api->config->max_participants;
    g_autoptr(GError) error = NULL;
    if (!cg_store_count_participants(call->api->store, call->tenant_id, call->consult_id, &count,
                                     &error)) {
        cg_admin_reply_internal(call, "counting participants", error);
        return FALSE;
    }
    if (count >= max) {
        cg_admin_reply_error(call, 409, "too_many_participants", "participants",
                             "consult %s already has %u participants (the limit)", call->consult_id,
                             max);
        return FALSE;
    }
    return TRUE;
}

void cg_admin_route_add_participant(Call *call)
{
    CgConsultRecord c = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    const char *name = NULL, *role = NULL;
    g_autofree char *language = NULL, *relay_from = NULL;
    if (!cg_admin_refuse_if_over(call, &c) &&
        cg_admin_parse_person(call, call->body, "", c.kind, &name, &role) &&
        cg_admin_parse_participant_language(call, call->body, "", role, &c, &language,
                                            &relay_from) &&
        check_room(call)) {
        call->owned_participant_id = cg_id_new("p");
        call->participant_id = call->owned_participant_id;
        CgParticipantRecord p = {.id = call->owned_participant_id,
                                 .consult_id = c.id,
                                 .tenant = c.tenant,
                                 .name = (char *)name,
                                 .role = (char *)role,
                                 .language = language,
                                 .relay_from = relay_from};
        g_autoptr(GError) error = NULL;
        if (cg_store_add_participant(call->api->store, &p, &error))
            cg_admin_reply_json(call, 201,
                                cg_admin_participant_with_token(call->api, call->tenant, &c, &p));
        else
            cg_admin_reply_internal(call, "adding the participant", error);
    }
    cg_consult_record_clear(&c);
}

/* ---- POST /consults/ID/participants/PID/token ------------------------------ */

static gboolean load_participant(Call *call, CgParticipantRecord *out)
{
    g_autoptr(GError) error = NULL;
    if (cg_store_get_participant(call->api->store, call->tenant_id, call->consult_id,
                                 call->participant_id, out, &error))
        return TRUE;
    if (g_error_matches(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND))
        cg_admin_reply_error(call, 404, "not_found", NULL, "no participant %s in consult %s",
                             call->participant_id, call->consult_id);
    else
        cg_admin_reply_internal(call, "reading the participant", error);
    return FALSE;
}

void cg_admin_route_mint(Call *call)
{
    CgConsultRecord c = {0};
    CgParticipantRecord p = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    if (load_participant(call, &p) && !cg_admin_refuse_if_over(call, &c)) {
        if (p.removed)
            cg_admin_reply_error(call, 409, "participant_removed", NULL,
                                 "participant %s was removed from the consult", p.id);
        else if (!cg_role_allowed_in_kind(p.role, c.kind))
            cg_admin_reply_error(call, 409, "role_not_allowed", NULL, "a %s may not join a %s",
                                 p.role, c.kind);
        else
            cg_admin_reply_json(call, 200,
                                cg_admin_participant_with_token(call->api, call->tenant, &c, &p));
    }
    cg_participant_record_clear(&p);
    cg_consult_record_clear(&c);
}

/* ---- DELETE /consults/ID/participants/PID ---------------------------------- */

void cg_admin_route_kick(Call *call)
{
    CgAdminApi *api = call->api;
    CgConsultRecord c = {0};
    CgParticipantRecord p = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (load_participant(call, &p)) {
        if (!cg_store_set_participant_removed(api->store, call->tenant_id, c.id, p.id, &error)) {
            cg_admin_reply_internal(call, "removing the participant", error);
        } else {
            if (api->live.kick)
                api->live.kick(api->live_user, call->tenant_id, c.id, p.id);
            cg_admin_reply_json(
                call, 200,
                json_pack("{s:s, s:s, s:b}", "id", p.id, "role", p.role, "removed", TRUE));
        }
    }
    cg_participant_record_clear(&p);
    cg_consult_record_clear(&c);
}

/* ---- GET /consults/ID/audit ------------------------------------------------ */

void cg_admin_route_audit(Call *call)
{
    CgConsultRecord c = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = cg_audit_consult_json(call->api->store, call->tenant_id, c.id, &error);
    json_t *records = text ? json_loads(text, 0, NULL) : NULL;
    if (records)
        cg_admin_reply_json(call, 200,
                            json_pack("{s:s, s:o}", "consult", c.id, "records", records));
    else
        cg_admin_reply_internal(call, "reading the audit log", error);
    cg_consult_record_clear(&c);
}
