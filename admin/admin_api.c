/* admin_api.c — the admin API's routes: one small handler per route, found
 * through a table of (method, path pattern). The dispatcher does what every
 * route shares: the failed-authentication limiter, the API key, the body
 * limit and JSON parse, and one audit record per call. Handlers validate,
 * touch the store and fill the response; a handler that fails calls
 * cg_admin_reply_error(), so the audit record carries the error code as its outcome.
 *
 * Every store access is scoped by the caller's tenant: another tenant's
 * consult is simply not found (404), never forbidden (403), so ids do not leak.
 */
#include "admin-private.h"

/* ---- responses ---------------------------------------------------------- */

/* One audit row per address and window for the refusals past the limit
 * that were not audited one by one (docs/api.md "Audit"). */
static void audit_suppressed(const char *key, guint suppressed, gint64 window_start, gpointer user)
{
    CgAdminApi *api = user;
    g_autofree char *outcome = g_strdup_printf("%u refusals not audited one by one", suppressed);
    CgAuditEvent ev = {.action = "auth_refused", .outcome = outcome, .remote = key};
    (void)window_start;
    cg_audit_note(api->store, &ev, g_get_real_time());
}

static void log_suppressed(const char *key, guint suppressed, gint64 window_start, gpointer user)
{
    (void)user;
    (void)window_start;
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "REMOTE", key, "MESSAGE",
                     "%u more refusals of %s not logged one by one (at most %u lines per %u s)",
                     suppressed, key, CG_REFUSAL_LOG_LINES, CG_REFUSAL_LOG_WINDOW_S);
}

CgAdminApi *cg_admin_api_new(const CgConfig *config, CgStore *store, const CgAdminLive *live,
                             gpointer live_user)
{
    CgAdminApi *api = g_new0(CgAdminApi, 1);
    api->config = config;
    api->store = store;
    if (live)
        api->live = *live;
    api->live_user = live_user;
    api->auth_failures =
        cg_rate_limit_new(config->max_auth_failures ? config->max_auth_failures : 10,
                          config->auth_failure_window_s ? config->auth_failure_window_s : 60);
    api->refused =
        cg_refusal_tally_new(1, config->auth_failure_window_s ? config->auth_failure_window_s : 60,
                             TRUE, audit_suppressed, api);
    api->logged = cg_refusal_tally_new(CG_REFUSAL_LOG_LINES, CG_REFUSAL_LOG_WINDOW_S, TRUE,
                                       log_suppressed, NULL);
    return api;
}

void cg_admin_api_free(CgAdminApi *api)
{
    if (!api)
        return;
    cg_refusal_tally_free(api->refused);
    cg_refusal_tally_free(api->logged);
    cg_rate_limit_free(api->auth_failures);
    g_free(api);
}

void cg_http_response_clear(CgHttpResponse *response)
{
    g_clear_pointer(&response->body, g_free);
}

void cg_http_response_error(CgHttpResponse *out, guint status, const char *code, const char *field,
                            const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field)
        json_object_set_new(error, "field", json_string(field));
    g_free(out->body);
    out->status = status;
    out->body = cg_json_take_text(json_pack("{s:o}", "error", error));
}

void cg_admin_reply_error(Call *call, guint status, const char *code, const char *field,
                          const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    g_autofree char *message = g_strdup_vprintf(fmt, args);
    va_end(args);
    call->error_code = code;
    cg_http_response_error(call->out, status, code, field, message);
}

void cg_admin_reply_json(Call *call, guint status, json_t *json)
{
    g_free(call->out->body);
    call->out->status = status;
    call->out->body = cg_json_take_text(json);
}

void cg_admin_reply_internal(Call *call, const char *what, const GError *error)
{
    g_warning("admin api: %s: %s", what, error ? error->message : "failed");
    cg_admin_reply_error(call, 500, "internal", NULL, "%s failed on the server", what);
}

void cg_admin_audit(Call *call, const char *action, const char *consult, const char *participant,
                    const char *role, const char *outcome)
{
    CgAuditEvent ev = {.tenant = call->tenant_id,
                       .consult = consult,
                       .participant = participant,
                       .role = role,
                       .action = action,
                       .outcome = outcome,
                       .remote = call->remote};
    cg_audit_note(call->api->store, &ev, call->now * G_USEC_PER_SEC);
}

/* ---- dispatch ------------------------------------------------------------- */

static const Route routes[] = {
    {"POST", "consults", TRUE, "consult.create", cg_admin_route_create},
    {"GET", "consults", FALSE, "consult.list", cg_admin_route_list},
    {"GET", "consults/*", FALSE, "consult.get", cg_admin_route_get},
    {"PATCH", "consults/*", TRUE, "consult.update", cg_admin_route_patch},
    {"POST", "consults/*/cancel", FALSE, "consult.cancel", cg_admin_route_cancel},
    {"POST", "consults/*/participants", TRUE, "participant.add", cg_admin_route_add_participant},
    {"POST", "consults/*/participants/*/token", FALSE, "token.mint", cg_admin_route_mint},
    {"DELETE", "consults/*/participants/*", FALSE, "participant.kick", cg_admin_route_kick},
    {"GET", "consults/*/audit", FALSE, "audit.read", cg_admin_route_audit},
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
        cg_admin_reply_error(call, 405, "method_not_allowed", NULL,
                             "%s is not allowed here; see docs/api.md", method);
    else
        cg_admin_reply_error(call, 404, "not_found", NULL, "no such resource");
    return NULL;
}

static gboolean parse_body(Call *call, const char *body, gsize body_len)
{
    if (body_len > CG_ADMIN_MAX_BODY_BYTES) {
        cg_admin_reply_error(call, 413, "body_too_large", NULL, "the request body exceeds 64 KiB");
        return FALSE;
    }
    json_error_t jerr;
    call->body = cg_admin_load_body(body ? body : "", body_len, &jerr);
    if (json_is_object(call->body))
        return TRUE;
    if (call->body)
        cg_admin_reply_error(call, 400, "malformed_json", NULL, "the body must be a JSON object");
    else
        cg_admin_reply_error(call, 400, "malformed_json", NULL,
                             "the body is not valid JSON: %s (line %d, column %d)", jerr.text,
                             jerr.line, jerr.column);
    return FALSE;
}

/* FALSE after replying 429 or 401 (both audited with no tenant). A right
 * key is never refused because of others' failures at the same address
 * (issue 9 finding 8): the limit applies to wrong or missing keys only. Past
 * the limit, the first 429 of a window is audited, the rest are counted into
 * one "auth_refused" record per address and window (finding 5). */
static gboolean authenticate(Call *call)
{
    gint64 retry_after = 0;
    if (call->tenant)
        return TRUE;
    if (!cg_rate_limit_allowed(call->api->auth_failures, call->remote, call->now, &retry_after)) {
        cg_admin_reply_error(
            call, 429, "too_many_failures", NULL,
            "too many failed authentications from this address; retry in %" G_GINT64_FORMAT " s",
            retry_after);
        call->out->retry_after_s = retry_after;
        if (cg_refusal_tally_note(call->api->refused, call->remote, call->now))
            cg_admin_audit(call, "auth", NULL, NULL, NULL, "too_many_failures");
        return FALSE;
    }
    cg_rate_limit_fail(call->api->auth_failures, call->remote, call->now);
    cg_admin_reply_error(call, 401, "unauthorized", NULL,
                         "send the tenant's API key as Authorization: Bearer KEY");
    cg_admin_audit(call, "auth", NULL, NULL, NULL, "unauthorized");
    return FALSE;
}

gboolean cg_admin_api_note_refusal(CgAdminApi *api, const char *remote, gint64 now)
{
    return cg_refusal_tally_note(api->refused, remote, now);
}

gboolean cg_admin_api_note_logged_refusal(CgAdminApi *api, const char *remote, gint64 now)
{
    return cg_refusal_tally_note(api->logged, remote, now);
}

static void dispatch(Call *call, const char *method, const char *path, const char *body,
                     gsize body_len)
{
    const char *ids[2] = {NULL, NULL};
    const char *q = strchr(path, '?');
    g_autofree char *bare = q ? g_strndup(path, (gsize)(q - path)) : g_strdup(path);
    call->query = q ? g_strdup(q + 1) : NULL;
    if (!g_str_has_prefix(bare, "/api/v1/")) {
        cg_admin_reply_error(call, 404, "not_found", NULL, "no such resource");
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
        cg_admin_audit(call, route->action, call->consult_id, call->participant_id, NULL,
                       call->error_code ? call->error_code : "ok");
}

void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len, const char *remote,
                         gint64 now, CgHttpResponse *out)
{
    Call call = {.api = api,
                 .tenant = tenant,
                 .tenant_id = tenant ? cg_tenant_id(tenant) : NULL,
                 .remote = remote,
                 .now = now,
                 .out = out};
    out->retry_after_s = 0;
    if (authenticate(&call))
        dispatch(&call, method, path, body, body_len);
    json_decref(call.body);
    g_free(call.query);
    g_free(call.owned_consult_id);
    g_free(call.owned_participant_id);
}
