#include "admin_api.h"

#include <jansson.h>
#include <string.h>

#include "ids.h"
#include "jwt.h"
#include "protocol.h"
#include "roles.h"

#define SPECIALTY_MAX 64
#define TITLE_MAX 200
#define NAME_MAX_CHARS 100
#define DURATION_MIN_MIN 5
#define DURATION_MAX_MIN 480

struct _CgAdminApi {
    const CgConfig *config;
    CgStore *store;
    CgAdminLive live;
    gpointer live_user;
};

/* A validation failure: the field it names and why. */
typedef struct {
    const char *code;
    char *field;
    char *message;
} FieldError;

CgAdminApi *cg_admin_api_new(const CgConfig *config, CgStore *store, const CgAdminLive *live,
                             gpointer live_user)
{
    CgAdminApi *api = g_new0(CgAdminApi, 1);
    api->config = config;
    api->store = store;
    if (live)
        api->live = *live;
    api->live_user = live_user;
    return api;
}

void cg_admin_api_free(CgAdminApi *api)
{
    g_free(api);
}

void cg_http_response_clear(CgHttpResponse *response)
{
    g_clear_pointer(&response->body, g_free);
}

void cg_http_response_error(CgHttpResponse *out, guint status, const char *code,
                            const char *field, const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field)
        json_object_set_new(error, "field", json_string(field));
    out->status = status;
    out->body = cg_json_take_text(json_pack("{s:o}", "error", error));
}

static gboolean set_field_error(FieldError *fe, const char *code, const char *field,
                                const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean set_field_error(FieldError *fe, const char *code, const char *field,
                                const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fe->code = code;
    fe->field = g_strdup(field);
    fe->message = g_strdup_vprintf(fmt, args);
    va_end(args);
    return FALSE;
}

/* A string member of 1..max_chars characters (UTF-8 code points). */
static gboolean get_string(json_t *obj, const char *key, const char *field, gsize max_chars,
                           const char **out, FieldError *fe)
{
    json_t *value = json_object_get(obj, key);
    if (!value)
        return set_field_error(fe, "missing_field", field, "%s is required", field);
    if (!json_is_string(value))
        return set_field_error(fe, "invalid_field", field, "%s must be a string", field);
    const char *s = json_string_value(value);
    glong chars = g_utf8_strlen(s, -1);
    if (chars < 1 || (gsize)chars > max_chars || strlen(s) != json_string_length(value))
        return set_field_error(fe, "invalid_field", field,
                               "%s must be 1 to %zu characters", field, max_chars);
    *out = s;
    return TRUE;
}

/* RFC 3339 with an explicit offset; returned as seconds since the epoch. */
static gboolean parse_rfc3339(const char *text, gint64 *out)
{
    if (strlen(text) < 20 || text[10] != 'T')
        return FALSE;
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
    if (!dt)
        return FALSE;
    *out = g_date_time_to_unix(dt);
    return TRUE;
}

static char *format_rfc3339(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

typedef struct {
    const char *kind, *specialty, *title;
    gint64 starts_at;
    guint duration_min;
    json_t *participants; /* borrowed */
} ConsultRequest;

static gboolean validate_participants(CgAdminApi *api, const ConsultRequest *req,
                                      FieldError *fe)
{
    json_t *list = req->participants;
    gsize n = json_array_size(list);
    if (n < 1 || n > api->config->max_participants)
        return set_field_error(fe, "invalid_field", "participants",
                               "participants must list 1 to %u people",
                               api->config->max_participants);
    gboolean has_specialist = FALSE;
    for (gsize i = 0; i < n; i++) {
        json_t *p = json_array_get(list, i);
        g_autofree char *at = g_strdup_printf("participants[%zu]", i);
        g_autofree char *name_field = g_strdup_printf("%s.name", at);
        g_autofree char *role_field = g_strdup_printf("%s.role", at);
        const char *name = NULL, *role = NULL;
        if (!json_is_object(p))
            return set_field_error(fe, "invalid_field", at, "%s must be an object", at);
        if (!get_string(p, "name", name_field, NAME_MAX_CHARS, &name, fe) ||
            !get_string(p, "role", role_field, 32, &role, fe))
            return FALSE;
        if (!cg_role_is_known(role))
            return set_field_error(fe, "invalid_field", role_field,
                                   "%s must be specialist, provider, patient, interpreter or "
                                   "observer",
                                   role_field);
        if (!cg_role_allowed_in_kind(role, req->kind))
            return set_field_error(fe, "invalid_field", role_field,
                                   "a case_conference never includes the patient role");
        has_specialist |= g_str_equal(role, "specialist");
    }
    if (!has_specialist)
        return set_field_error(fe, "invalid_field", "participants",
                               "a consult needs at least one specialist to host it");
    return TRUE;
}

static gboolean parse_consult_request(CgAdminApi *api, json_t *body, ConsultRequest *req,
                                      FieldError *fe)
{
    const char *starts_at = NULL;
    if (!get_string(body, "kind", "kind", 32, &req->kind, fe))
        return FALSE;
    if (!cg_consult_kind_is_known(req->kind))
        return set_field_error(fe, "invalid_field", "kind",
                               "kind must be virtual_consult or case_conference");
    if (!get_string(body, "specialty", "specialty", SPECIALTY_MAX, &req->specialty, fe) ||
        !get_string(body, "title", "title", TITLE_MAX, &req->title, fe) ||
        !get_string(body, "starts_at", "starts_at", 64, &starts_at, fe))
        return FALSE;
    if (!parse_rfc3339(starts_at, &req->starts_at))
        return set_field_error(fe, "invalid_field", "starts_at",
                               "starts_at must be an RFC 3339 UTC time such as "
                               "2026-11-22T14:00:00Z");
    json_t *duration = json_object_get(body, "duration_min");
    if (!duration)
        return set_field_error(fe, "missing_field", "duration_min", "duration_min is required");
    if (!json_is_integer(duration) || json_integer_value(duration) < DURATION_MIN_MIN ||
        json_integer_value(duration) > DURATION_MAX_MIN)
        return set_field_error(fe, "invalid_field", "duration_min",
                               "duration_min must be an integer from %d to %d",
                               DURATION_MIN_MIN, DURATION_MAX_MIN);
    req->duration_min = (guint)json_integer_value(duration);
    req->participants = json_object_get(body, "participants");
    if (!req->participants)
        return set_field_error(fe, "missing_field", "participants", "participants is required");
    if (!json_is_array(req->participants))
        return set_field_error(fe, "invalid_field", "participants",
                               "participants must be an array");
    return validate_participants(api, req, fe);
}

static json_t *participant_json(CgAdminApi *api, const CgTenant *tenant,
                                const CgParticipantRecord *p, const ConsultRequest *req)
{
    const CgConfig *c = api->config;
    CgTokenClaims claims = {
        .iss = (char *)cg_tenant_id(tenant),
        .sub = p->id,
        .consult = p->consult_id,
        .role = p->role,
        .name = p->name,
        .nbf = req->starts_at - (gint64)c->open_before_min * 60,
        .exp = req->starts_at +
               ((gint64)req->duration_min + c->grace_min + c->token_lifetime_min) * 60,
    };
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    g_autofree char *token = cg_jwt_sign(&claims, secret, secret_len);
    g_autofree char *url =
        g_strdup_printf("%s/c/%s#token=%s", c->public_url, p->consult_id, token);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->id, "name", p->name, "role", p->role,
                     "token", token, "join_url", url);
}

static void create_consult(CgAdminApi *api, const CgTenant *tenant, json_t *body,
                           CgHttpResponse *out)
{
    ConsultRequest req = {0};
    FieldError fe = {0};
    if (!parse_consult_request(api, body, &req, &fe)) {
        cg_http_response_error(out, 400, fe.code, fe.field, fe.message);
        g_free(fe.field);
        g_free(fe.message);
        return;
    }
    g_autofree char *consult_id = cg_id_new("c");
    CgConsultRecord consult = {
        .id = consult_id, .tenant = (char *)cg_tenant_id(tenant), .kind = (char *)req.kind,
        .specialty = (char *)req.specialty, .title = (char *)req.title,
        .starts_at = req.starts_at, .duration_min = req.duration_min, .state = "scheduled"};
    gsize n = json_array_size(req.participants);
    g_autofree CgParticipantRecord *parts = g_new0(CgParticipantRecord, n);
    for (gsize i = 0; i < n; i++) {
        json_t *p = json_array_get(req.participants, i);
        parts[i] = (CgParticipantRecord){
            .id = cg_id_new("p"), .consult_id = consult_id, .tenant = consult.tenant,
            .name = (char *)json_string_value(json_object_get(p, "name")),
            .role = (char *)json_string_value(json_object_get(p, "role"))};
    }
    g_autoptr(GError) error = NULL;
    if (!cg_store_create_consult(api->store, &consult, parts, (guint)n, &error)) {
        g_warning("create consult: %s", error->message);
        cg_http_response_error(out, 500, "internal", NULL, "the consult could not be stored");
    } else {
        g_autofree char *starts = format_rfc3339(req.starts_at);
        json_t *list = json_array();
        for (gsize i = 0; i < n; i++)
            json_array_append_new(list, participant_json(api, tenant, &parts[i], &req));
        out->status = 201;
        out->body = cg_json_take_text(json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "id", consult_id,
                                   "kind", req.kind, "specialty", req.specialty, "title",
                                   req.title, "starts_at", starts, "duration_min",
                                   (int)req.duration_min, "participants", list));
        g_info("consult %s created with %zu participants", consult_id, n);
    }
    for (gsize i = 0; i < n; i++)
        g_free(parts[i].id);
}

void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len,
                         const char *remote, gint64 now, CgHttpResponse *out)
{
    (void)now;
    (void)remote;
    if (!tenant) {
        cg_http_response_error(out, 401, "unauthorized", NULL,
                               "send the tenant's API key as Authorization: Bearer KEY");
        return;
    }
    if (!g_str_equal(path, "/api/v1/consults")) {
        cg_http_response_error(out, 404, "not_found", NULL, "no such resource");
        return;
    }
    if (!g_str_equal(method, "POST")) {
        cg_http_response_error(out, 405, "method_not_allowed", NULL,
                               "use POST to create a consult");
        return;
    }
    if (body_len > CG_ADMIN_MAX_BODY_BYTES) {
        cg_http_response_error(out, 413, "body_too_large", NULL,
                               "the request body exceeds 64 KiB");
        return;
    }
    json_error_t jerr;
    json_t *json = json_loadb(body ? body : "", body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(json)) {
        g_autofree char *msg = json ? g_strdup("the body must be a JSON object")
                                    : g_strdup_printf("the body is not valid JSON: %s "
                                                      "(line %d, column %d)",
                                                      jerr.text, jerr.line, jerr.column);
        cg_http_response_error(out, 400, "malformed_json", NULL, msg);
    } else {
        create_consult(api, tenant, json, out);
    }
    json_decref(json);
}
