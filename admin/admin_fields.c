/* admin_fields.c — field validation (each failure names its field) and the
 * JSON shapes the admin API answers with. */
#include "admin-private.h"

/* ---- field validation ----------------------------------------------------- */

/* A string member of 1..max_chars characters (UTF-8 code points). FALSE after
 * replying 400 naming the field. @required FALSE: absence leaves *out alone. */
gboolean cg_admin_get_string(Call *call, json_t *obj, const char *key, const char *field,
                             gsize max_chars, gboolean required, const char **out)
{
    json_t *value = json_object_get(obj, key);
    if (!value && !required)
        return TRUE;
    if (!value) {
        cg_admin_reply_error(call, 400, "missing_field", field, "%s is required", field);
        return FALSE;
    }
    if (!json_is_string(value)) {
        cg_admin_reply_error(call, 400, "invalid_field", field, "%s must be a string", field);
        return FALSE;
    }
    const char *s = json_string_value(value);
    glong chars = g_utf8_strlen(s, -1);
    if (chars < 1 || (gsize)chars > max_chars || strlen(s) != json_string_length(value)) {
        cg_admin_reply_error(call, 400, "invalid_field", field, "%s must be 1 to %zu characters",
                             field, max_chars);
        return FALSE;
    }
    *out = s;
    return TRUE;
}

/* RFC 3339 with an explicit offset; returned as seconds since the epoch. */
gboolean cg_admin_parse_rfc3339(const char *text, gint64 *out)
{
    if (strlen(text) < 20 || text[10] != 'T')
        return FALSE;
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
    if (!dt)
        return FALSE;
    *out = g_date_time_to_unix(dt);
    return TRUE;
}

gboolean cg_admin_get_time(Call *call, json_t *obj, const char *field, gboolean required,
                           gint64 *out)
{
    const char *text = NULL;
    gint64 t = 0;
    if (!cg_admin_get_string(call, obj, field, field, 64, required, &text))
        return FALSE;
    if (text && !cg_admin_parse_rfc3339(text, &t)) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s must be an RFC 3339 UTC time such as 2026-11-22T14:00:00Z", field);
        return FALSE;
    }
    /* A consult years away is a typo; far enough out, its end (and its
     * tokens' exp) would no longer be a valid time at all. */
    if (text && (t < call->now - CG_ADMIN_TIME_RANGE_S || t > call->now + CG_ADMIN_TIME_RANGE_S)) {
        cg_admin_reply_error(call, 400, "invalid_field", field, "%s must be within %d years of now",
                             field, CG_ADMIN_TIME_RANGE_YEARS);
        return FALSE;
    }
    if (text)
        *out = t;
    return TRUE;
}

#define WHOLE_MAX 9007199254740992.0 /* 2^53: every integer up to it is exact */

static gboolean is_whole(json_t *value)
{
    if (!json_is_real(value))
        return FALSE;
    double d = json_real_value(value);
    return d >= -WHOLE_MAX && d <= WHOLE_MAX && d == (double)(json_int_t)d;
}

/* Reals that hold a whole number jansson could have read as an integer
 * become integers again; the others (2^63 and beyond) stay reals, which no
 * integer field accepts. */
static void integers_back(json_t *json)
{
    const char *key;
    json_t *value;
    size_t i;
    if (json_is_object(json)) {
        void *tmp;
        json_object_foreach_safe(json, tmp, key, value)
        {
            if (is_whole(value))
                json_object_set_new(json, key, json_integer((json_int_t)json_real_value(value)));
            else
                integers_back(value);
        }
    } else if (json_is_array(json)) {
        json_array_foreach(json, i, value)
        {
            if (is_whole(value))
                json_array_set_new(json, i, json_integer((json_int_t)json_real_value(value)));
            else
                integers_back(value);
        }
    }
}

json_t *cg_admin_load_body(const char *text, gsize len, json_error_t *jerr)
{
    json_t *json = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
    if (json || json_error_code(jerr) != json_error_numeric_overflow)
        return json;
    /* An integer beyond 64 bits is valid JSON: read it as a real, so the
     * field that holds it is refused by name (invalid_field). */
    json = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, jerr);
    integers_back(json);
    return json;
}

gboolean cg_admin_get_int(Call *call, json_t *obj, const char *key, const char *field, gint64 lo,
                          gint64 hi, gboolean required, guint *out)
{
    json_t *value = json_object_get(obj, key);
    if (!value && !required)
        return TRUE;
    if (!value) {
        cg_admin_reply_error(call, 400, "missing_field", field, "%s is required", field);
        return FALSE;
    }
    if (!json_is_integer(value) || json_integer_value(value) < lo ||
        json_integer_value(value) > hi) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                             field, lo, hi);
        return FALSE;
    }
    *out = (guint)json_integer_value(value);
    return TRUE;
}

static gboolean is_video_bitrate(json_t *value)
{
    if (!json_is_integer(value))
        return FALSE;
    json_int_t kbps = json_integer_value(value);
    return kbps == 0 || (kbps >= CG_VIDEO_BITRATE_MIN_KBPS && kbps <= CG_VIDEO_BITRATE_MAX_KBPS);
}

gboolean cg_admin_get_video_bitrate(Call *call, json_t *obj, gboolean *set, guint *kbps)
{
    json_t *value = json_object_get(obj, "video_bitrate_kbps");
    if (!value)
        return TRUE;
    if (json_is_null(value)) {
        *set = FALSE;
        *kbps = 0;
        return TRUE;
    }
    if (!is_video_bitrate(value)) {
        cg_admin_reply_error(call, 400, "invalid_field", "video_bitrate_kbps",
                             "video_bitrate_kbps must be 0 (no cap), an integer from %d to %d "
                             "(kbps), or null (the server's default)",
                             CG_VIDEO_BITRATE_MIN_KBPS, CG_VIDEO_BITRATE_MAX_KBPS);
        return FALSE;
    }
    *set = TRUE;
    *kbps = (guint)json_integer_value(value);
    return TRUE;
}

/* Refuses members not in @known (NULL-terminated), naming the first. */
gboolean cg_admin_only_known_members(Call *call, json_t *obj, const char *prefix,
                                     const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        (void)value;
        if (!g_strv_contains(known, key)) {
            g_autofree char *field = g_strdup_printf("%s%s", prefix, key);
            g_autofree char *shown = g_utf8_make_valid(field, MIN(strlen(field), 64));
            cg_admin_reply_error(call, 400, "invalid_field", shown, "%s is not a known field",
                                 shown);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- consults: shared pieces ---------------------------------------------- */

static CgConsultWindow window_of(const CgAdminApi *api)
{
    return (CgConsultWindow){api->config->open_before_min, api->config->grace_min};
}

const char *cg_admin_phase_of(const CgAdminApi *api, const CgConsultRecord *c, gint64 now)
{
    CgConsultWindow w = window_of(api);
    return cg_consult_phase_name(cg_consult_phase(c, &w, now));
}

static gboolean is_over(const CgAdminApi *api, const CgConsultRecord *c, gint64 now)
{
    CgConsultWindow w = window_of(api);
    CgConsultPhase phase = cg_consult_phase(c, &w, now);
    return phase == CG_CONSULT_PHASE_ENDED || phase == CG_CONSULT_PHASE_CANCELLED;
}

static json_t *time_or_null(gint64 t)
{
    if (!t)
        return json_null();
    g_autofree char *text = cg_rfc3339(t);
    return json_string(text);
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *cg_admin_consult_json(const CgAdminApi *api, const CgConsultRecord *c, gint64 now)
{
    CgConsultWindow w = window_of(api);
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(c->id));
    json_object_set_new(j, "kind", json_string(c->kind));
    json_object_set_new(j, "specialty", json_string(c->specialty));
    json_object_set_new(j, "title", json_string(c->title));
    json_object_set_new(j, "starts_at", time_or_null(c->starts_at));
    json_object_set_new(j, "duration_min", json_integer(c->duration_min));
    json_object_set_new(j, "state", json_string(cg_admin_phase_of(api, c, now)));
    json_object_set_new(j, "opens_at", time_or_null(cg_consult_opens_at(c, &w)));
    json_object_set_new(j, "ends_at", time_or_null(cg_consult_ends_at(c, &w)));
    json_object_set_new(j, "providers_wait", json_boolean(c->providers_wait));
    json_object_set_new(j, "series_id", string_or_null(c->series_id));
    json_object_set_new(j, "live_since", time_or_null(c->live_since));
    json_object_set_new(j, "ended_at", time_or_null(c->ended_at));
    json_object_set_new(j, "end_reason", string_or_null(c->end_reason));
    json_object_set_new(j, "video_bitrate_kbps",
                        c->video_bitrate_set ? json_integer(c->video_bitrate_kbps) : json_null());
    cg_admin_interpretation_json(j, c);
    return j;
}

/* A participant with a fresh join token for @c. */
json_t *cg_admin_participant_with_token(const CgAdminApi *api, const CgTenant *tenant,
                                        const CgConsultRecord *c, const CgParticipantRecord *p)
{
    const CgConfig *conf = api->config;
    CgTokenClaims claims = {
        .iss = (char *)cg_tenant_id(tenant),
        .sub = p->id,
        .consult = c->id,
        .role = p->role,
        .name = p->name,
        .nbf = c->starts_at - (gint64)conf->open_before_min * 60,
        .exp = c->starts_at +
               ((gint64)c->duration_min + conf->grace_min + conf->token_lifetime_min) * 60,
        .language = p->language,
        .relay_from = p->relay_from,
    };
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    g_autofree char *token = cg_jwt_sign(&claims, secret, secret_len);
    g_autofree char *url = g_strdup_printf("%s/c/%s#token=%s", conf->public_url, c->id, token);
    /* language, relay_from after the link: tools/demo.sh reads "role","token","join_url". */
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->id, "name", p->name, "role",
                          p->role, "token", token, "join_url", url);
    cg_admin_participant_language_json(j, p);
    return j;
}

/* Loads the path's consult of the caller's tenant; FALSE after replying 404. */
gboolean cg_admin_load_consult(Call *call, CgConsultRecord *out)
{
    g_autoptr(GError) error = NULL;
    if (cg_store_get_consult(call->api->store, call->tenant_id, call->consult_id, out, &error))
        return TRUE;
    if (g_error_matches(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND))
        cg_admin_reply_error(call, 404, "not_found", NULL, "no consult %s", call->consult_id);
    else
        cg_admin_reply_internal(call, "reading the consult", error);
    return FALSE;
}

gboolean cg_admin_refuse_if_over(Call *call, const CgConsultRecord *c)
{
    if (!is_over(call->api, c, call->now))
        return FALSE;
    cg_admin_reply_error(call, 409, "consult_ended", NULL, "consult %s is %s", c->id,
                         cg_admin_phase_of(call->api, c, call->now));
    return TRUE;
}
