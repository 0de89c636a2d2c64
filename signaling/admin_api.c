/* admin_api.c — the admin API's routes: one small handler per route, found
 * through a table of (method, path pattern). The dispatcher does what every
 * route shares: the failed-authentication limiter, the API key, the body
 * limit and JSON parse, and one audit record per call. Handlers validate,
 * touch the store and fill the response; a handler that fails calls
 * reply_error(), so the audit record carries the error code as its outcome.
 *
 * Every store access is scoped by the caller's tenant: another tenant's
 * consult is simply not found (404), never forbidden (403), so ids do not leak.
 */
#include "admin_api.h"

#include <jansson.h>
#include <string.h>

#include "audit.h"
#include "consult_rules.h"
#include "ids.h"
#include "jwt.h"
#include "protocol.h"
#include "rate_limit.h"
#include "recurrence.h"
#include "roles.h"

#define SPECIALTY_MAX 64
#define TITLE_MAX 200
#define NAME_MAX_CHARS 100
#define DURATION_MIN_MIN 5
#define DURATION_MAX_MIN 480
#define PATH_ID_MAX 64        /* longer ids in a path are simply not found */
#define LIST_MAX 500          /* consults in one list answer */
#define LIST_SCAN_MAX 10000   /* rows read to filter a list by phase */

struct _CgAdminApi {
    const CgConfig *config;
    CgStore *store;
    CgAdminLive live;
    gpointer live_user;
    CgRateLimit *auth_failures;
};

/* One request on its way through a route. */
typedef struct {
    CgAdminApi *api;
    const CgTenant *tenant;
    const char *tenant_id;
    const char *consult_id;     /* from the path, or the created consult */
    const char *participant_id; /* from the path, or the added participant */
    char *owned_consult_id;     /* backs consult_id when the handler made it */
    char *owned_participant_id;
    json_t *body;   /* the parsed JSON object, or NULL (routes without a body) */
    char *query;    /* the query string after '?', or NULL */
    const char *remote;
    gint64 now;
    CgHttpResponse *out;
    const char *error_code; /* set by reply_error(): the audit outcome */
    gboolean audited;       /* the handler wrote its own audit records */
} Call;

typedef void (*RouteHandler)(Call *call);

typedef struct {
    const char *method;
    const char *pattern; /* segments after /api/v1/; "*" captures an id */
    gboolean has_body;   /* a JSON object body is required */
    const char *action;  /* audit action */
    RouteHandler handler;
} Route;

/* ---- responses ---------------------------------------------------------- */

CgAdminApi *cg_admin_api_new(const CgConfig *config, CgStore *store, const CgAdminLive *live,
                             gpointer live_user)
{
    CgAdminApi *api = g_new0(CgAdminApi, 1);
    api->config = config;
    api->store = store;
    if (live)
        api->live = *live;
    api->live_user = live_user;
    api->auth_failures = cg_rate_limit_new(config->max_auth_failures ? config->max_auth_failures
                                                                      : 10,
                                           config->auth_failure_window_s
                                               ? config->auth_failure_window_s
                                               : 60);
    return api;
}

void cg_admin_api_free(CgAdminApi *api)
{
    if (!api)
        return;
    cg_rate_limit_free(api->auth_failures);
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
    g_free(out->body);
    out->status = status;
    out->body = cg_json_take_text(json_pack("{s:o}", "error", error));
}

static void reply_error(Call *call, guint status, const char *code, const char *field,
                        const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static void reply_error(Call *call, guint status, const char *code, const char *field,
                        const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    g_autofree char *message = g_strdup_vprintf(fmt, args);
    va_end(args);
    call->error_code = code;
    cg_http_response_error(call->out, status, code, field, message);
}

static void reply_json(Call *call, guint status, json_t *json)
{
    g_free(call->out->body);
    call->out->status = status;
    call->out->body = cg_json_take_text(json);
}

static void reply_internal(Call *call, const char *what, const GError *error)
{
    g_warning("admin api: %s: %s", what, error ? error->message : "failed");
    reply_error(call, 500, "internal", NULL, "%s failed on the server", what);
}

static void audit(Call *call, const char *action, const char *consult, const char *participant,
                  const char *role, const char *outcome)
{
    CgAuditEvent ev = {.tenant = call->tenant_id, .consult = consult,
                       .participant = participant, .role = role, .action = action,
                       .outcome = outcome, .remote = call->remote};
    g_autoptr(GError) error = NULL;
    if (!cg_audit_append(call->api->store, &ev, call->now * G_USEC_PER_SEC, &error))
        g_warning("admin api: audit append: %s", error->message);
}

/* ---- field validation ----------------------------------------------------- */

/* A string member of 1..max_chars characters (UTF-8 code points). FALSE after
 * replying 400 naming the field. @required FALSE: absence leaves *out alone. */
static gboolean get_string(Call *call, json_t *obj, const char *key, const char *field,
                           gsize max_chars, gboolean required, const char **out)
{
    json_t *value = json_object_get(obj, key);
    if (!value && !required)
        return TRUE;
    if (!value) {
        reply_error(call, 400, "missing_field", field, "%s is required", field);
        return FALSE;
    }
    if (!json_is_string(value)) {
        reply_error(call, 400, "invalid_field", field, "%s must be a string", field);
        return FALSE;
    }
    const char *s = json_string_value(value);
    glong chars = g_utf8_strlen(s, -1);
    if (chars < 1 || (gsize)chars > max_chars || strlen(s) != json_string_length(value)) {
        reply_error(call, 400, "invalid_field", field, "%s must be 1 to %zu characters", field,
                    max_chars);
        return FALSE;
    }
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

static gboolean get_time(Call *call, json_t *obj, const char *field, gboolean required,
                         gint64 *out)
{
    const char *text = NULL;
    if (!get_string(call, obj, field, field, 64, required, &text))
        return FALSE;
    if (text && !parse_rfc3339(text, out)) {
        reply_error(call, 400, "invalid_field", field,
                    "%s must be an RFC 3339 UTC time such as 2026-11-22T14:00:00Z", field);
        return FALSE;
    }
    return TRUE;
}

static gboolean get_int(Call *call, json_t *obj, const char *key, const char *field,
                        gint64 lo, gint64 hi, gboolean required, guint *out)
{
    json_t *value = json_object_get(obj, key);
    if (!value && !required)
        return TRUE;
    if (!value) {
        reply_error(call, 400, "missing_field", field, "%s is required", field);
        return FALSE;
    }
    if (!json_is_integer(value) || json_integer_value(value) < lo ||
        json_integer_value(value) > hi) {
        reply_error(call, 400, "invalid_field", field,
                    "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                    field, lo, hi);
        return FALSE;
    }
    *out = (guint)json_integer_value(value);
    return TRUE;
}

/* Refuses members not in @known (NULL-terminated), naming the first. */
static gboolean only_known_members(Call *call, json_t *obj, const char *prefix,
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
            reply_error(call, 400, "invalid_field", shown, "%s is not a known field", shown);
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

static const char *phase_of(const CgAdminApi *api, const CgConsultRecord *c, gint64 now)
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

static json_t *consult_json(const CgAdminApi *api, const CgConsultRecord *c, gint64 now)
{
    CgConsultWindow w = window_of(api);
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(c->id));
    json_object_set_new(j, "kind", json_string(c->kind));
    json_object_set_new(j, "specialty", json_string(c->specialty));
    json_object_set_new(j, "title", json_string(c->title));
    json_object_set_new(j, "starts_at", time_or_null(c->starts_at));
    json_object_set_new(j, "duration_min", json_integer(c->duration_min));
    json_object_set_new(j, "state", json_string(phase_of(api, c, now)));
    json_object_set_new(j, "opens_at", time_or_null(cg_consult_opens_at(c, &w)));
    json_object_set_new(j, "ends_at", time_or_null(cg_consult_ends_at(c, &w)));
    json_object_set_new(j, "providers_wait", json_boolean(c->providers_wait));
    json_object_set_new(j, "series_id", string_or_null(c->series_id));
    json_object_set_new(j, "live_since", time_or_null(c->live_since));
    json_object_set_new(j, "ended_at", time_or_null(c->ended_at));
    json_object_set_new(j, "end_reason", string_or_null(c->end_reason));
    return j;
}

/* A participant with a fresh join token for @c. */
static json_t *participant_with_token(const CgAdminApi *api, const CgTenant *tenant,
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
    };
    gsize secret_len = 0;
    const guint8 *secret = cg_tenant_secret(tenant, &secret_len);
    g_autofree char *token = cg_jwt_sign(&claims, secret, secret_len);
    g_autofree char *url = g_strdup_printf("%s/c/%s#token=%s", conf->public_url, c->id, token);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->id, "name", p->name, "role", p->role,
                     "token", token, "join_url", url);
}

/* Loads the path's consult of the caller's tenant; FALSE after replying 404. */
static gboolean load_consult(Call *call, CgConsultRecord *out)
{
    g_autoptr(GError) error = NULL;
    if (cg_store_get_consult(call->api->store, call->tenant_id, call->consult_id, out, &error))
        return TRUE;
    if (g_error_matches(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND))
        reply_error(call, 404, "not_found", NULL, "no consult %s", call->consult_id);
    else
        reply_internal(call, "reading the consult", error);
    return FALSE;
}

static gboolean refuse_if_over(Call *call, const CgConsultRecord *c)
{
    if (!is_over(call->api, c, call->now))
        return FALSE;
    reply_error(call, 409, "consult_ended", NULL, "consult %s is %s", c->id,
                phase_of(call->api, c, call->now));
    return TRUE;
}

/* ---- POST /consults ------------------------------------------------------- */

typedef struct {
    const char *kind, *specialty, *title;
    gint64 starts_at;
    guint duration_min;
    gboolean providers_wait;
    guint every_weeks, count; /* count 0 = not recurring */
    json_t *participants;     /* borrowed */
} CreateRequest;

/* Role of a participant entry, checked against the consult's kind. */
static gboolean check_role(Call *call, const char *role, const char *kind, const char *field)
{
    if (!cg_role_is_known(role)) {
        reply_error(call, 400, "invalid_field", field,
                    "%s must be specialist, provider, patient, interpreter or observer", field);
        return FALSE;
    }
    if (!cg_role_allowed_in_kind(role, kind)) {
        reply_error(call, 400, "invalid_field", field,
                    "a case_conference never includes the patient role");
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_person(Call *call, json_t *p, const char *at, const char *kind,
                             const char **name, const char **role)
{
    static const char *const known[] = {"name", "role", NULL};
    g_autofree char *name_field = g_strdup_printf("%sname", at);
    g_autofree char *role_field = g_strdup_printf("%srole", at);
    if (!json_is_object(p)) {
        g_autofree char *field = at[0] ? g_strndup(at, strlen(at) - 1) : g_strdup("body");
        reply_error(call, 400, "invalid_field", field, "%s must be an object", field);
        return FALSE;
    }
    return get_string(call, p, "name", name_field, NAME_MAX_CHARS, TRUE, name) &&
           get_string(call, p, "role", role_field, 32, TRUE, role) &&
           check_role(call, *role, kind, role_field) && only_known_members(call, p, at, known);
}

static gboolean validate_participants(Call *call, const CreateRequest *req)
{
    guint max = call->api->config->max_participants;
    gsize n = json_array_size(req->participants);
    if (n < 1 || n > max) {
        reply_error(call, 400, "invalid_field", "participants",
                    "participants must list 1 to %u people", max);
        return FALSE;
    }
    gboolean has_specialist = FALSE;
    for (gsize i = 0; i < n; i++) {
        g_autofree char *at = g_strdup_printf("participants[%zu].", i);
        const char *name = NULL, *role = NULL;
        if (!parse_person(call, json_array_get(req->participants, i), at, req->kind, &name,
                          &role))
            return FALSE;
        has_specialist |= g_str_equal(role, "specialist");
    }
    if (!has_specialist) {
        reply_error(call, 400, "invalid_field", "participants",
                    "a consult needs at least one specialist to host it");
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_recurrence(Call *call, json_t *body, CreateRequest *req)
{
    static const char *const known[] = {"every_weeks", "count", NULL};
    json_t *r = json_object_get(body, "recurrence");
    if (!r || json_is_null(r))
        return TRUE;
    if (!json_is_object(r)) {
        reply_error(call, 400, "invalid_field", "recurrence",
                    "recurrence must be an object {every_weeks, count}");
        return FALSE;
    }
    return get_int(call, r, "every_weeks", "recurrence.every_weeks", 1,
                   CG_RECURRENCE_EVERY_WEEKS_MAX, TRUE, &req->every_weeks) &&
           get_int(call, r, "count", "recurrence.count", 1, CG_RECURRENCE_COUNT_MAX, TRUE,
                   &req->count) &&
           only_known_members(call, r, "recurrence.", known);
}

static gboolean parse_create(Call *call, CreateRequest *req)
{
    static const char *const known[] = {"kind",           "specialty",    "title",
                                        "starts_at",      "duration_min", "participants",
                                        "providers_wait", "recurrence",   NULL};
    json_t *body = call->body;
    if (!get_string(call, body, "kind", "kind", 32, TRUE, &req->kind))
        return FALSE;
    if (!cg_consult_kind_is_known(req->kind)) {
        reply_error(call, 400, "invalid_field", "kind",
                    "kind must be virtual_consult or case_conference");
        return FALSE;
    }
    if (!get_string(call, body, "specialty", "specialty", SPECIALTY_MAX, TRUE, &req->specialty) ||
        !get_string(call, body, "title", "title", TITLE_MAX, TRUE, &req->title) ||
        !get_time(call, body, "starts_at", TRUE, &req->starts_at) ||
        !get_int(call, body, "duration_min", "duration_min", DURATION_MIN_MIN, DURATION_MAX_MIN,
                 TRUE, &req->duration_min))
        return FALSE;
    json_t *wait = json_object_get(body, "providers_wait");
    if (wait && !json_is_boolean(wait)) {
        reply_error(call, 400, "invalid_field", "providers_wait",
                    "providers_wait must be true or false");
        return FALSE;
    }
    req->providers_wait = json_is_true(wait);
    req->participants = json_object_get(body, "participants");
    if (!req->participants) {
        reply_error(call, 400, "missing_field", "participants", "participants is required");
        return FALSE;
    }
    if (!json_is_array(req->participants)) {
        reply_error(call, 400, "invalid_field", "participants", "participants must be an array");
        return FALSE;
    }
    return validate_participants(call, req) && parse_recurrence(call, body, req) &&
           only_known_members(call, body, "", known);
}

/* The consults and participants of a create, all owned here. */
typedef struct {
    guint n_consults, n_per;
    CgConsultRecord *consults;
    CgParticipantRecord *parts; /* n_consults * n_per, consult by consult */
    char *series_id;
} Creation;

static void creation_clear(Creation *cr)
{
    for (guint i = 0; i < cr->n_consults; i++)
        g_free(cr->consults[i].id);
    for (guint i = 0; i < cr->n_consults * cr->n_per; i++)
        g_free(cr->parts[i].id);
    g_free(cr->consults);
    g_free(cr->parts);
    g_free(cr->series_id);
}

static void build_creation(Call *call, const CreateRequest *req, Creation *cr)
{
    cr->n_consults = req->count ? req->count : 1;
    cr->n_per = (guint)json_array_size(req->participants);
    cr->consults = g_new0(CgConsultRecord, cr->n_consults);
    cr->parts = g_new0(CgParticipantRecord, cr->n_consults * cr->n_per);
    cr->series_id = req->count ? cg_id_new("s") : NULL;
    g_autofree gint64 *starts = g_new0(gint64, cr->n_consults);
    if (!req->count || !cg_recurrence_expand(req->starts_at, req->every_weeks, req->count, starts))
        starts[0] = req->starts_at;
    for (guint c = 0; c < cr->n_consults; c++) {
        CgConsultRecord *rec = &cr->consults[c];
        *rec = (CgConsultRecord){
            .id = cg_id_new("c"), .tenant = (char *)call->tenant_id, .kind = (char *)req->kind,
            .specialty = (char *)req->specialty, .title = (char *)req->title,
            .starts_at = starts[c], .duration_min = req->duration_min, .state = "scheduled",
            .providers_wait = req->providers_wait, .series_id = cr->series_id};
        for (guint i = 0; i < cr->n_per; i++) {
            json_t *p = json_array_get(req->participants, i);
            cr->parts[c * cr->n_per + i] = (CgParticipantRecord){
                .id = cg_id_new("p"), .consult_id = rec->id, .tenant = rec->tenant,
                .name = (char *)json_string_value(json_object_get(p, "name")),
                .role = (char *)json_string_value(json_object_get(p, "role"))};
        }
    }
}

static json_t *created_json(Call *call, const Creation *cr, guint c)
{
    json_t *j = consult_json(call->api, &cr->consults[c], call->now);
    json_t *list = json_array();
    for (guint i = 0; i < cr->n_per; i++)
        json_array_append_new(list, participant_with_token(call->api, call->tenant,
                                                           &cr->consults[c],
                                                           &cr->parts[c * cr->n_per + i]));
    json_object_set_new(j, "participants", list);
    return j;
}

static void route_create(Call *call)
{
    CreateRequest req = {0};
    if (!parse_create(call, &req))
        return;
    Creation cr = {0};
    build_creation(call, &req, &cr);
    g_autoptr(GError) error = NULL;
    if (!cg_store_create_consults(call->api->store, cr.consults, cr.n_consults, cr.parts,
                                  cr.n_consults * cr.n_per, &error)) {
        reply_internal(call, "storing the consult", error);
        creation_clear(&cr);
        return;
    }
    if (cr.series_id) {
        json_t *list = json_array();
        for (guint c = 0; c < cr.n_consults; c++) {
            json_array_append_new(list, created_json(call, &cr, c));
            audit(call, "consult.create", cr.consults[c].id, NULL, NULL, "ok");
        }
        call->audited = TRUE;
        reply_json(call, 201, json_pack("{s:s, s:o}", "series_id", cr.series_id, "consults", list));
    } else {
        call->owned_consult_id = g_strdup(cr.consults[0].id);
        call->consult_id = call->owned_consult_id;
        reply_json(call, 201, created_json(call, &cr, 0));
    }
    g_info("consult %s created (%u occurrence(s), %u participants each)", cr.consults[0].id,
           cr.n_consults, cr.n_per);
    creation_clear(&cr);
}

/* ---- GET /consults?from=&to=&state= ------------------------------------- */

typedef struct {
    gint64 from, to;
    const char *state; /* NULL = any */
} ListQuery;

static gboolean is_phase_name(const char *name)
{
    for (CgConsultPhase p = CG_CONSULT_PHASE_SCHEDULED; p <= CG_CONSULT_PHASE_CANCELLED; p++)
        if (g_str_equal(name, cg_consult_phase_name(p)))
            return TRUE;
    return FALSE;
}

/* One "key=value" of the query string into @q; FALSE after replying 400. */
static gboolean parse_query_pair(Call *call, const char *pair, ListQuery *q, char **state_store)
{
    const char *eq = strchr(pair, '=');
    g_autofree char *key = g_strndup(pair, eq ? (gsize)(eq - pair) : strlen(pair));
    g_autofree char *value = g_uri_unescape_string(eq ? eq + 1 : "", NULL);
    if (value) /* "+02:00" arrives as " 02:00" when the client did not escape '+' */
        g_strdelimit(value, " ", '+');
    gboolean is_time = g_str_equal(key, "from") || g_str_equal(key, "to");
    if (is_time && (!value || !parse_rfc3339(value, g_str_equal(key, "from") ? &q->from : &q->to))) {
        reply_error(call, 400, "invalid_field", key,
                    "%s must be an RFC 3339 UTC time such as 2026-11-22T14:00:00Z", key);
        return FALSE;
    }
    if (is_time)
        return TRUE;
    if (g_str_equal(key, "state")) {
        if (!value || !is_phase_name(value)) {
            reply_error(call, 400, "invalid_field", "state",
                        "state must be scheduled, open, live, ended or cancelled");
            return FALSE;
        }
        *state_store = g_steal_pointer(&value);
        q->state = *state_store;
        return TRUE;
    }
    g_autofree char *shown = g_utf8_make_valid(key, MIN(strlen(key), 32));
    reply_error(call, 400, "invalid_field", shown, "%s is not a known query parameter", shown);
    return FALSE;
}

static gboolean parse_list_query(Call *call, ListQuery *q, char **state_store)
{
    q->from = G_MININT64 / 2;
    q->to = G_MAXINT64 / 2;
    g_auto(GStrv) pairs = g_strsplit(call->query ? call->query : "", "&", 16);
    for (guint i = 0; pairs[i]; i++)
        if (pairs[i][0] && !parse_query_pair(call, pairs[i], q, state_store))
            return FALSE;
    if (q->from >= q->to) {
        reply_error(call, 400, "invalid_field", "to", "to must be later than from");
        return FALSE;
    }
    return TRUE;
}

static void route_list(Call *call)
{
    ListQuery q = {0};
    g_autofree char *state = NULL;
    if (!parse_list_query(call, &q, &state))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = cg_store_list_consults(call->api->store, call->tenant_id, q.from,
                                                       q.to, LIST_SCAN_MAX, &error);
    if (!rows) {
        reply_internal(call, "listing consults", error);
        return;
    }
    json_t *list = json_array();
    gboolean truncated = rows->len >= LIST_SCAN_MAX;
    for (guint i = 0; i < rows->len; i++) {
        const CgConsultRecord *c = rows->pdata[i];
        if (q.state && !g_str_equal(q.state, phase_of(call->api, c, call->now)))
            continue;
        if (json_array_size(list) == LIST_MAX) {
            truncated = TRUE;
            break;
        }
        json_array_append_new(list, consult_json(call->api, c, call->now));
    }
    reply_json(call, 200, json_pack("{s:o, s:b}", "consults", list, "truncated", truncated));
}

/* ---- GET /consults/ID ------------------------------------------------------ */

static json_t *live_json(Call *call)
{
    CgAdminApi *api = call->api;
    if (!api->live.live_participants)
        return json_array();
    g_autofree char *text = api->live.live_participants(api->live_user, call->tenant_id,
                                                        call->consult_id);
    json_t *json = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(json)) {
        json_decref(json);
        return json_array();
    }
    return json;
}

static void route_get(Call *call)
{
    CgConsultRecord c = {0};
    if (!load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) parts =
        cg_store_list_participants(call->api->store, call->tenant_id, call->consult_id, &error);
    if (!parts) {
        reply_internal(call, "listing participants", error);
        cg_consult_record_clear(&c);
        return;
    }
    json_t *list = json_array();
    for (guint i = 0; i < parts->len; i++) {
        const CgParticipantRecord *p = parts->pdata[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b, s:b}", "id", p->id, "name",
                                              p->name, "role", p->role, "admitted", p->admitted,
                                              "removed", p->removed));
    }
    json_t *j = consult_json(call->api, &c, call->now);
    json_object_set_new(j, "participants", list);
    json_object_set_new(j, "live", live_json(call));
    reply_json(call, 200, j);
    cg_consult_record_clear(&c);
}

/* ---- PATCH /consults/ID ---------------------------------------------------- */

static gboolean parse_patch(Call *call, CgConsultRecord *c)
{
    static const char *const known[] = {"starts_at", "duration_min", "title", "specialty", NULL};
    const char *title = NULL, *specialty = NULL;
    if (!only_known_members(call, call->body, "", known))
        return FALSE;
    if (json_object_size(call->body) == 0) {
        reply_error(call, 400, "missing_field", "starts_at",
                    "send at least one of starts_at, duration_min, title, specialty");
        return FALSE;
    }
    if (!get_time(call, call->body, "starts_at", FALSE, &c->starts_at) ||
        !get_int(call, call->body, "duration_min", "duration_min", DURATION_MIN_MIN,
                 DURATION_MAX_MIN, FALSE, &c->duration_min) ||
        !get_string(call, call->body, "title", "title", TITLE_MAX, FALSE, &title) ||
        !get_string(call, call->body, "specialty", "specialty", SPECIALTY_MAX, FALSE, &specialty))
        return FALSE;
    if (title) {
        g_free(c->title);
        c->title = g_strdup(title);
    }
    if (specialty) {
        g_free(c->specialty);
        c->specialty = g_strdup(specialty);
    }
    return TRUE;
}

static void route_patch(Call *call)
{
    CgConsultRecord c = {0};
    if (!load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (!refuse_if_over(call, &c) && parse_patch(call, &c)) {
        if (cg_store_update_consult(call->api->store, &c, &error)) {
            if (call->api->live.consult_changed)
                call->api->live.consult_changed(call->api->live_user, &c);
            reply_json(call, 200, consult_json(call->api, &c, call->now));
        } else
            reply_internal(call, "updating the consult", error);
    }
    cg_consult_record_clear(&c);
}

/* ---- POST /consults/ID/cancel ---------------------------------------------- */

static void route_cancel(Call *call)
{
    CgAdminApi *api = call->api;
    CgConsultRecord c = {0};
    if (!load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (!refuse_if_over(call, &c)) {
        if (!cg_store_end_consult(api->store, call->tenant_id, c.id, "cancelled", "cancelled",
                                  call->now, &error)) {
            reply_internal(call, "cancelling the consult", error);
        } else {
            if (api->live.consult_ended)
                api->live.consult_ended(api->live_user, call->tenant_id, c.id, "cancelled");
            cg_consult_record_clear(&c);
            if (load_consult(call, &c))
                reply_json(call, 200, consult_json(api, &c, call->now));
        }
    }
    cg_consult_record_clear(&c);
}

/* ---- POST /consults/ID/participants ---------------------------------------- */

static gboolean check_room(Call *call)
{
    guint count = 0, max = call->api->config->max_participants;
    g_autoptr(GError) error = NULL;
    if (!cg_store_count_participants(call->api->store, call->tenant_id, call->consult_id, &count,
                                     &error)) {
        reply_internal(call, "counting participants", error);
        return FALSE;
    }
    if (count >= max) {
        reply_error(call, 409, "too_many_participants", "participants",
                    "consult %s already has %u participants (the limit)", call->consult_id, max);
        return FALSE;
    }
    return TRUE;
}

static void route_add_participant(Call *call)
{
    CgConsultRecord c = {0};
    if (!load_consult(call, &c))
        return;
    const char *name = NULL, *role = NULL;
    if (!refuse_if_over(call, &c) && parse_person(call, call->body, "", c.kind, &name, &role) &&
        check_room(call)) {
        call->owned_participant_id = cg_id_new("p");
        call->participant_id = call->owned_participant_id;
        CgParticipantRecord p = {.id = call->owned_participant_id, .consult_id = c.id,
                                 .tenant = c.tenant, .name = (char *)name, .role = (char *)role};
        g_autoptr(GError) error = NULL;
        if (cg_store_add_participant(call->api->store, &p, &error))
            reply_json(call, 201, participant_with_token(call->api, call->tenant, &c, &p));
        else
            reply_internal(call, "adding the participant", error);
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
        reply_error(call, 404, "not_found", NULL, "no participant %s in consult %s",
                    call->participant_id, call->consult_id);
    else
        reply_internal(call, "reading the participant", error);
    return FALSE;
}

static void route_mint(Call *call)
{
    CgConsultRecord c = {0};
    CgParticipantRecord p = {0};
    if (!load_consult(call, &c))
        return;
    if (load_participant(call, &p) && !refuse_if_over(call, &c)) {
        if (p.removed)
            reply_error(call, 409, "participant_removed", NULL,
                        "participant %s was removed from the consult", p.id);
        else if (!cg_role_allowed_in_kind(p.role, c.kind))
            reply_error(call, 409, "role_not_allowed", NULL,
                        "a %s may not join a %s", p.role, c.kind);
        else
            reply_json(call, 200, participant_with_token(call->api, call->tenant, &c, &p));
    }
    cg_participant_record_clear(&p);
    cg_consult_record_clear(&c);
}

/* ---- DELETE /consults/ID/participants/PID ---------------------------------- */

static void route_kick(Call *call)
{
    CgAdminApi *api = call->api;
    CgConsultRecord c = {0};
    CgParticipantRecord p = {0};
    if (!load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (load_participant(call, &p)) {
        if (!cg_store_set_participant_removed(api->store, call->tenant_id, c.id, p.id, &error)) {
            reply_internal(call, "removing the participant", error);
        } else {
            if (api->live.kick)
                api->live.kick(api->live_user, call->tenant_id, c.id, p.id);
            reply_json(call, 200, json_pack("{s:s, s:s, s:b}", "id", p.id, "role", p.role,
                                            "removed", TRUE));
        }
    }
    cg_participant_record_clear(&p);
    cg_consult_record_clear(&c);
}

/* ---- GET /consults/ID/audit ------------------------------------------------ */

static void route_audit(Call *call)
{
    CgConsultRecord c = {0};
    if (!load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    g_autofree char *text =
        cg_audit_consult_json(call->api->store, call->tenant_id, c.id, &error);
    json_t *records = text ? json_loads(text, 0, NULL) : NULL;
    if (records)
        reply_json(call, 200, json_pack("{s:s, s:o}", "consult", c.id, "records", records));
    else
        reply_internal(call, "reading the audit log", error);
    cg_consult_record_clear(&c);
}

/* ---- dispatch ------------------------------------------------------------- */

static const Route routes[] = {
    {"POST", "consults", TRUE, "consult.create", route_create},
    {"GET", "consults", FALSE, "consult.list", route_list},
    {"GET", "consults/*", FALSE, "consult.get", route_get},
    {"PATCH", "consults/*", TRUE, "consult.update", route_patch},
    {"POST", "consults/*/cancel", FALSE, "consult.cancel", route_cancel},
    {"POST", "consults/*/participants", TRUE, "participant.add", route_add_participant},
    {"POST", "consults/*/participants/*/token", FALSE, "token.mint", route_mint},
    {"DELETE", "consults/*/participants/*", FALSE, "participant.kick", route_kick},
    {"GET", "consults/*/audit", FALSE, "audit.read", route_audit},
};

/* Matches @segments against @pattern, capturing up to two ids. */
static gboolean match_route(const char *pattern, char **segments, const char **ids)
{
    g_auto(GStrv) parts = g_strsplit(pattern, "/", -1);
    guint n_ids = 0;
    if (g_strv_length(parts) != g_strv_length(segments))
        return FALSE;
    for (guint i = 0; parts[i]; i++) {
        if (g_str_equal(parts[i], "*")) {
            if (!segments[i][0] || strlen(segments[i]) > PATH_ID_MAX || n_ids == 2)
                return FALSE;
            ids[n_ids++] = segments[i];
        } else if (!g_str_equal(parts[i], segments[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

/* The route for @method and @path; NULL after replying 404 or 405. */
static const Route *find_route(Call *call, const char *method, char **segments, const char **ids)
{
    gboolean path_known = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
        if (!match_route(routes[i].pattern, segments, ids))
            continue;
        path_known = TRUE;
        if (g_str_equal(method, routes[i].method))
            return &routes[i];
    }
    if (path_known)
        reply_error(call, 405, "method_not_allowed", NULL,
                    "%s is not allowed here; see docs/api.md", method);
    else
        reply_error(call, 404, "not_found", NULL, "no such resource");
    return NULL;
}

static gboolean parse_body(Call *call, const char *body, gsize body_len)
{
    if (body_len > CG_ADMIN_MAX_BODY_BYTES) {
        reply_error(call, 413, "body_too_large", NULL, "the request body exceeds 64 KiB");
        return FALSE;
    }
    json_error_t jerr;
    call->body = json_loadb(body ? body : "", body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object(call->body))
        return TRUE;
    if (call->body)
        reply_error(call, 400, "malformed_json", NULL, "the body must be a JSON object");
    else
        reply_error(call, 400, "malformed_json", NULL,
                    "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                    jerr.column);
    return FALSE;
}

/* FALSE after replying 429 or 401 (both audited with no tenant). */
static gboolean authenticate(Call *call)
{
    gint64 retry_after = 0;
    if (!cg_rate_limit_allowed(call->api->auth_failures, call->remote, call->now,
                               &retry_after)) {
        reply_error(call, 429, "too_many_failures", NULL,
                    "too many failed authentications from this address; retry in %" G_GINT64_FORMAT
                    " s",
                    retry_after);
        call->out->retry_after_s = retry_after;
        audit(call, "auth", NULL, NULL, NULL, "too_many_failures");
        return FALSE;
    }
    if (call->tenant)
        return TRUE;
    cg_rate_limit_fail(call->api->auth_failures, call->remote, call->now);
    reply_error(call, 401, "unauthorized", NULL,
                "send the tenant's API key as Authorization: Bearer KEY");
    audit(call, "auth", NULL, NULL, NULL, "unauthorized");
    return FALSE;
}

static void dispatch(Call *call, const char *method, const char *path, const char *body,
                     gsize body_len)
{
    const char *ids[2] = {NULL, NULL};
    const char *q = strchr(path, '?');
    g_autofree char *bare = q ? g_strndup(path, (gsize)(q - path)) : g_strdup(path);
    call->query = q ? g_strdup(q + 1) : NULL;
    if (!g_str_has_prefix(bare, "/api/v1/")) {
        reply_error(call, 404, "not_found", NULL, "no such resource");
        return;
    }
    g_auto(GStrv) segments = g_strsplit(bare + strlen("/api/v1/"), "/", 8);
    const Route *route = find_route(call, method, segments, ids);
    if (!route)
        return;
    call->consult_id = ids[0];
    call->participant_id = ids[1];
    if (!route->has_body || parse_body(call, body, body_len))
        route->handler(call);
    if (!call->audited)
        audit(call, route->action, call->consult_id, call->participant_id, NULL,
              call->error_code ? call->error_code : "ok");
}

void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len,
                         const char *remote, gint64 now, CgHttpResponse *out)
{
    Call call = {.api = api, .tenant = tenant, .tenant_id = tenant ? cg_tenant_id(tenant) : NULL,
                 .remote = remote, .now = now, .out = out};
    out->retry_after_s = 0;
    if (authenticate(&call))
        dispatch(&call, method, path, body, body_len);
    json_decref(call.body);
    g_free(call.query);
    g_free(call.owned_consult_id);
    g_free(call.owned_participant_id);
}
