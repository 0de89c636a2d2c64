/* consult_rules.c — see consult_rules.h. */
#include "consult_rules.h"

#include "roles.h"

static gboolean state_is(const CgConsultRecord *c, const char *state)
{
    return c->state && g_str_equal(c->state, state);
}

gint64 cg_consult_opens_at(const CgConsultRecord *c, const CgConsultWindow *w)
{
    return c->starts_at - (gint64)w->open_before_min * 60;
}

gint64 cg_consult_ends_at(const CgConsultRecord *c, const CgConsultWindow *w)
{
    return c->starts_at + ((gint64)c->duration_min + (gint64)w->grace_min) * 60;
}

CgConsultPhase cg_consult_phase(const CgConsultRecord *c, const CgConsultWindow *w, gint64 now)
{
    if (state_is(c, "cancelled"))
        return CG_CONSULT_PHASE_CANCELLED;
    if (state_is(c, "ended") || now >= cg_consult_ends_at(c, w))
        return CG_CONSULT_PHASE_ENDED;
    if (now < cg_consult_opens_at(c, w))
        return CG_CONSULT_PHASE_SCHEDULED;
    return c->live_since ? CG_CONSULT_PHASE_LIVE : CG_CONSULT_PHASE_OPEN;
}

const char *cg_consult_phase_name(CgConsultPhase phase)
{
    static const char *const names[] = {
        [CG_CONSULT_PHASE_SCHEDULED] = "scheduled", [CG_CONSULT_PHASE_OPEN] = "open",
        [CG_CONSULT_PHASE_LIVE] = "live",           [CG_CONSULT_PHASE_ENDED] = "ended",
        [CG_CONSULT_PHASE_CANCELLED] = "cancelled",
    };
    return (guint)phase < G_N_ELEMENTS(names) ? names[phase] : "unknown";
}

static CgJoinDecision refuse(CgErrorCode code)
{
    return (CgJoinDecision){CG_JOIN_REFUSE, code, 0};
}

CgJoinDecision cg_consult_join_decision(const CgConsultRecord *c, const CgParticipantRecord *p,
                                        const CgConsultWindow *w, gint64 now)
{
    CgConsultPhase phase = cg_consult_phase(c, w, now);
    if (phase == CG_CONSULT_PHASE_CANCELLED)
        return refuse(CG_ERROR_CODE_CONSULT_CANCELLED);
    if (phase == CG_CONSULT_PHASE_ENDED)
        return refuse(CG_ERROR_CODE_CONSULT_ENDED);
    if (!cg_role_allowed_in_kind(p->role, c->kind))
        return refuse(CG_ERROR_CODE_ROLE_NOT_ALLOWED);
    if (p->removed)
        return refuse(CG_ERROR_CODE_PARTICIPANT_REMOVED);
    if (phase == CG_CONSULT_PHASE_SCHEDULED)
        return (CgJoinDecision){CG_JOIN_REFUSE, CG_ERROR_CODE_CONSULT_NOT_OPEN_YET,
                                cg_consult_opens_at(c, w)};
    gboolean waits =
        g_str_equal(p->role, "patient") || (g_str_equal(p->role, "provider") && c->providers_wait);
    return (CgJoinDecision){waits && !p->admitted ? CG_JOIN_WAIT : CG_JOIN_ADMIT, 0, 0};
}

guint cg_consult_video_bitrate_kbps(const CgConsultRecord *c, guint config_default)
{
    return c->video_bitrate_set ? c->video_bitrate_kbps : config_default;
}

gboolean cg_role_may_moderate(const char *role)
{
    return role && g_str_equal(role, "specialist");
}

gboolean cg_role_may_unmute_self(const char *role)
{
    return role && (g_str_equal(role, "specialist") || g_str_equal(role, "provider") ||
                    g_str_equal(role, "interpreter"));
}

char *cg_rfc3339(gint64 t)
{
    g_autoptr(GDateTime) dt = NULL;
    if (t >= 0 && t <= G_GINT64_CONSTANT(253402300799))
        dt = g_date_time_new_from_unix_utc(t);
    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("1970-01-01T00:00:00Z");
}
