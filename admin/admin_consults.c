/* admin_consults.c — the consult routes: create (one or a recurring
 * series), list, get, update and cancel. */
#include "admin-private.h"

/* ---- POST /consults ------------------------------------------------------- */

typedef struct {
    const char *kind, *specialty, *title;
    gint64 starts_at;
    guint duration_min;
    gboolean providers_wait;
    gboolean video_bitrate_set; /* else consults.video_bitrate_kbps applies */
    guint video_bitrate_kbps;
    guint every_weeks, count; /* count 0 = not recurring */
    json_t *participants;     /* borrowed */
    /* owned: the interpretation fields only (the rest stays NULL) */
    CgConsultRecord interpretation;
    char **languages, **relays; /* owned, per participant (NULL = none) */
} CreateRequest;

static void create_request_clear(CreateRequest *req)
{
    cg_consult_record_clear(&req->interpretation);
    for (gsize i = 0; req->languages && i < json_array_size(req->participants); i++) {
        g_free(req->languages[i]);
        g_free(req->relays[i]);
    }
    g_clear_pointer(&req->languages, g_free);
    g_clear_pointer(&req->relays, g_free);
}

/* Role of a participant entry, checked against the consult's kind. */
static gboolean check_role(Call *call, const char *role, const char *kind, const char *field)
{
    if (!cg_role_is_known(role)) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s must be specialist, provider, patient, interpreter or observer",
                             field);
        return FALSE;
    }
    if (!cg_role_allowed_in_kind(role, kind)) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "a case_conference never includes the patient role");
        return FALSE;
    }
    return TRUE;
}

gboolean cg_admin_parse_person(Call *call, json_t *p, const char *at, const char *kind,
                               const char **name, const char **role)
{
    static const char *const known[] = {"name", "role", "language", "relay_from", NULL};
    g_autofree char *name_field = g_strdup_printf("%sname", at);
    g_autofree char *role_field = g_strdup_printf("%srole", at);
    if (!json_is_object(p)) {
        g_autofree char *field = at[0] ? g_strndup(at, strlen(at) - 1) : g_strdup("body");
        cg_admin_reply_error(call, 400, "invalid_field", field, "%s must be an object", field);
        return FALSE;
    }
    return cg_admin_get_string(call, p, "name", name_field, NAME_MAX_CHARS, TRUE, name) &&
           cg_admin_get_string(call, p, "role", role_field, 32, TRUE, role) &&
           check_role(call, *role, kind, role_field) &&
           cg_admin_only_known_members(call, p, at, known);
}

static gboolean validate_participants(Call *call, CreateRequest *req)
{
    guint max = call->api->config->max_participants;
    gsize n = json_array_size(req->participants);
    if (n < 1 || n > max) {
        cg_admin_reply_error(call, 400, "invalid_field", "participants",
                             "participants must list 1 to %u people", max);
        return FALSE;
    }
    gboolean has_specialist = FALSE;
    req->languages = g_new0(char *, n);
    req->relays = g_new0(char *, n);
    for (gsize i = 0; i < n; i++) {
        g_autofree char *at = g_strdup_printf("participants[%zu].", i);
        const char *name = NULL, *role = NULL;
        json_t *p = json_array_get(req->participants, i);
        if (!cg_admin_parse_person(call, p, at, req->kind, &name, &role) ||
            !cg_admin_parse_participant_language(call, p, at, role, &req->interpretation,
                                                 &req->languages[i], &req->relays[i]))
            return FALSE;
        has_specialist |= g_str_equal(role, "specialist");
    }
    if (!has_specialist) {
        cg_admin_reply_error(call, 400, "invalid_field", "participants",
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
        cg_admin_reply_error(call, 400, "invalid_field", "recurrence",
                             "recurrence must be an object {every_weeks, count}");
        return FALSE;
    }
    return cg_admin_get_int(call, r, "every_weeks", "recurrence.every_weeks", 1,
                            CG_RECURRENCE_EVERY_WEEKS_MAX, TRUE, &req->every_weeks) &&
           cg_admin_get_int(call, r, "count", "recurrence.count", 1, CG_RECURRENCE_COUNT_MAX, TRUE,
                            &req->count) &&
           cg_admin_only_known_members(call, r, "recurrence.", known);
}

static gboolean parse_create(Call *call, CreateRequest *req)
{
    static const char *const known[] = {"kind",
                                        "specialty",
                                        "title",
                                        "starts_at",
                                        "duration_min",
                                        "participants",
                                        "providers_wait",
                                        "video_bitrate_kbps",
                                        "recurrence",
                                        "interpretation",
                                        "floor_language",
                                        "floor_level_db",
                                        NULL};
    json_t *body = call->body;
    if (!cg_admin_get_string(call, body, "kind", "kind", 32, TRUE, &req->kind))
        return FALSE;
    if (!cg_consult_kind_is_known(req->kind)) {
        cg_admin_reply_error(call, 400, "invalid_field", "kind",
                             "kind must be virtual_consult or case_conference");
        return FALSE;
    }
    if (!cg_admin_get_string(call, body, "specialty", "specialty", SPECIALTY_MAX, TRUE,
                             &req->specialty) ||
        !cg_admin_get_string(call, body, "title", "title", TITLE_MAX, TRUE, &req->title) ||
        !cg_admin_get_time(call, body, "starts_at", TRUE, &req->starts_at) ||
        !cg_admin_get_int(call, body, "duration_min", "duration_min", DURATION_MIN_MIN,
                          DURATION_MAX_MIN, TRUE, &req->duration_min))
        return FALSE;
    json_t *wait = json_object_get(body, "providers_wait");
    if (wait && !json_is_boolean(wait)) {
        cg_admin_reply_error(call, 400, "invalid_field", "providers_wait",
                             "providers_wait must be true or false");
        return FALSE;
    }
    req->providers_wait = json_is_true(wait);
    if (!cg_admin_get_video_bitrate(call, body, &req->video_bitrate_set, &req->video_bitrate_kbps))
        return FALSE;
    req->interpretation.floor_level_db = CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT;
    if (!cg_admin_parse_interpretation(call, body, &req->interpretation))
        return FALSE;
    req->participants = json_object_get(body, "participants");
    if (!req->participants) {
        cg_admin_reply_error(call, 400, "missing_field", "participants",
                             "participants is required");
        return FALSE;
    }
    if (!json_is_array(req->participants)) {
        cg_admin_reply_error(call, 400, "invalid_field", "participants",
                             "participants must be an array");
        return FALSE;
    }
    return validate_participants(call, req) && parse_recurrence(call, body, req) &&
           cg_admin_only_known_members(call, body, "", known);
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
        *rec = (CgConsultRecord){.id = cg_id_new("c"),
                                 .tenant = (char *)call->tenant_id,
                                 .kind = (char *)req->kind,
                                 .specialty = (char *)req->specialty,
                                 .title = (char *)req->title,
                                 .starts_at = starts[c],
                                 .duration_min = req->duration_min,
                                 .state = "scheduled",
                                 .providers_wait = req->providers_wait,
                                 .series_id = cr->series_id,
                                 .video_bitrate_set = req->video_bitrate_set,
                                 .video_bitrate_kbps = req->video_bitrate_kbps,
                                 .interpretation_mode = req->interpretation.interpretation_mode,
                                 .interpretation_languages =
                                     req->interpretation.interpretation_languages,
                                 .floor_language = req->interpretation.floor_language,
                                 .floor_level_db = req->interpretation.floor_level_db};
        for (guint i = 0; i < cr->n_per; i++) {
            json_t *p = json_array_get(req->participants, i);
            cr->parts[c * cr->n_per + i] =
                (CgParticipantRecord){.id = cg_id_new("p"),
                                      .consult_id = rec->id,
                                      .tenant = rec->tenant,
                                      .name = (char *)json_string_value(json_object_get(p, "name")),
                                      .role = (char *)json_string_value(json_object_get(p, "role")),
                                      .language = req->languages[i],
                                      .relay_from = req->relays[i]};
        }
    }
}

static json_t *created_json(Call *call, const Creation *cr, guint c)
{
    json_t *j = cg_admin_consult_json(call->api, &cr->consults[c], call->now);
    json_t *list = json_array();
    for (guint i = 0; i < cr->n_per; i++)
        json_array_append_new(list, cg_admin_participant_with_token(call->api, call->tenant,
                                                                    &cr->consults[c],
                                                                    &cr->parts[c * cr->n_per + i]));
    json_object_set_new(j, "participants", list);
    return j;
}

void cg_admin_route_create(Call *call)
{
    CreateRequest req = {0};
    if (!parse_create(call, &req)) {
        create_request_clear(&req);
        return;
    }
    Creation cr = {0};
    build_creation(call, &req, &cr);
    g_autoptr(GError) error = NULL;
    if (!cg_store_create_consults(call->api->store, cr.consults, cr.n_consults, cr.parts,
                                  cr.n_consults * cr.n_per, &error)) {
        cg_admin_reply_internal(call, "storing the consult", error);
        creation_clear(&cr);
        create_request_clear(&req);
        return;
    }
    if (cr.series_id) {
        json_t *list = json_array();
        for (guint c = 0; c < cr.n_consults; c++) {
            json_array_append_new(list, created_json(call, &cr, c));
            cg_admin_audit(call, "consult.create", cr.consults[c].id, NULL, NULL, "ok");
        }
        call->audited = TRUE;
        cg_admin_reply_json(call, 201,
                            json_pack("{s:s, s:o}", "series_id", cr.series_id, "consults", list));
    } else {
        call->owned_consult_id = g_strdup(cr.consults[0].id);
        call->consult_id = call->owned_consult_id;
        cg_admin_reply_json(call, 201, created_json(call, &cr, 0));
    }
    g_info("consult %s created (%u occurrence(s), %u participants each)", cr.consults[0].id,
           cr.n_consults, cr.n_per);
    creation_clear(&cr);
    create_request_clear(&req);
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
    if (is_time &&
        (!value || !cg_admin_parse_rfc3339(value, g_str_equal(key, "from") ? &q->from : &q->to))) {
        cg_admin_reply_error(call, 400, "invalid_field", key,
                             "%s must be an RFC 3339 UTC time such as 2026-11-22T14:00:00Z", key);
        return FALSE;
    }
    if (is_time)
        return TRUE;
    if (g_str_equal(key, "state")) {
        if (!value || !is_phase_name(value)) {
            cg_admin_reply_error(call, 400, "invalid_field", "state",
                                 "state must be scheduled, open, live, ended or cancelled");
            return FALSE;
        }
        *state_store = g_steal_pointer(&value);
        q->state = *state_store;
        return TRUE;
    }
    g_autofree char *shown = g_utf8_make_valid(key, MIN(strlen(key), 32));
    cg_admin_reply_error(call, 400, "invalid_field", shown, "%s is not a known query parameter",
                         shown);
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
        cg_admin_reply_error(call, 400, "invalid_field", "to", "to must be later than from");
        return FALSE;
    }
    return TRUE;
}

void cg_admin_route_list(Call *call)
{
    ListQuery q = {0};
    g_autofree char *state = NULL;
    if (!parse_list_query(call, &q, &state))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = cg_store_list_consults(call->api->store, call->tenant_id, q.from,
                                                       q.to, LIST_SCAN_MAX, &error);
    if (!rows) {
        cg_admin_reply_internal(call, "listing consults", error);
        return;
    }
    json_t *list = json_array();
    gboolean truncated = rows->len >= LIST_SCAN_MAX;
    for (guint i = 0; i < rows->len; i++) {
        const CgConsultRecord *c = rows->pdata[i];
        if (q.state && !g_str_equal(q.state, cg_admin_phase_of(call->api, c, call->now)))
            continue;
        if (json_array_size(list) == LIST_MAX) {
            truncated = TRUE;
            break;
        }
        json_array_append_new(list, cg_admin_consult_json(call->api, c, call->now));
    }
    cg_admin_reply_json(call, 200,
                        json_pack("{s:o, s:b}", "consults", list, "truncated", truncated));
}

/* ---- GET /consults/ID ------------------------------------------------------ */

static json_t *live_json(Call *call)
{
    CgAdminApi *api = call->api;
    if (!api->live.live_participants)
        return json_array();
    g_autofree char *text =
        api->live.live_participants(api->live_user, call->tenant_id, call->consult_id);
    json_t *json = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(json)) {
        json_decref(json);
        return json_array();
    }
    return json;
}

void cg_admin_route_get(Call *call)
{
    CgConsultRecord c = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) parts =
        cg_store_list_participants(call->api->store, call->tenant_id, call->consult_id, &error);
    if (!parts) {
        cg_admin_reply_internal(call, "listing participants", error);
        cg_consult_record_clear(&c);
        return;
    }
    json_t *list = json_array();
    for (guint i = 0; i < parts->len; i++) {
        const CgParticipantRecord *p = parts->pdata[i];
        json_t *pj = json_pack("{s:s, s:s, s:s}", "id", p->id, "name", p->name, "role", p->role);
        cg_admin_participant_language_json(pj, p);
        json_object_set_new(pj, "admitted", json_boolean(p->admitted));
        json_object_set_new(pj, "removed", json_boolean(p->removed));
        json_array_append_new(list, pj);
    }
    json_t *j = cg_admin_consult_json(call->api, &c, call->now);
    json_object_set_new(j, "participants", list);
    json_object_set_new(j, "live", live_json(call));
    cg_admin_reply_json(call, 200, j);
    cg_consult_record_clear(&c);
}

/* ---- PATCH /consults/ID ---------------------------------------------------- */

static gboolean parse_patch(Call *call, CgConsultRecord *c)
{
    static const char *const known[] = {"starts_at",      "duration_min",       "title",
                                        "specialty",      "video_bitrate_kbps", "interpretation",
                                        "floor_language", "floor_level_db",     NULL};
    const char *title = NULL, *specialty = NULL;
    if (!cg_admin_only_known_members(call, call->body, "", known))
        return FALSE;
    if (json_object_size(call->body) == 0) {
        cg_admin_reply_error(call, 400, "missing_field", "starts_at",
                             "send at least one of starts_at, duration_min, title, specialty, "
                             "video_bitrate_kbps, interpretation, floor_language, "
                             "floor_level_db");
        return FALSE;
    }
    if (!cg_admin_get_time(call, call->body, "starts_at", FALSE, &c->starts_at) ||
        !cg_admin_get_int(call, call->body, "duration_min", "duration_min", DURATION_MIN_MIN,
                          DURATION_MAX_MIN, FALSE, &c->duration_min) ||
        !cg_admin_get_string(call, call->body, "title", "title", TITLE_MAX, FALSE, &title) ||
        !cg_admin_get_string(call, call->body, "specialty", "specialty", SPECIALTY_MAX, FALSE,
                             &specialty) ||
        !cg_admin_get_video_bitrate(call, call->body, &c->video_bitrate_set,
                                    &c->video_bitrate_kbps) ||
        !cg_admin_parse_interpretation(call, call->body, c))
        return FALSE;
    /* A new interpretation must still fit every interpreter already added. */
    if (json_object_get(call->body, "interpretation") && !cg_admin_check_interpreters(call, c))
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

void cg_admin_route_patch(Call *call)
{
    CgConsultRecord c = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (!cg_admin_refuse_if_over(call, &c) && parse_patch(call, &c)) {
        if (cg_store_update_consult(call->api->store, &c, &error)) {
            if (call->api->live.consult_changed)
                call->api->live.consult_changed(call->api->live_user, &c);
            cg_admin_reply_json(call, 200, cg_admin_consult_json(call->api, &c, call->now));
        } else
            cg_admin_reply_internal(call, "updating the consult", error);
    }
    cg_consult_record_clear(&c);
}

/* ---- POST /consults/ID/cancel ---------------------------------------------- */

void cg_admin_route_cancel(Call *call)
{
    CgAdminApi *api = call->api;
    CgConsultRecord c = {0};
    if (!cg_admin_load_consult(call, &c))
        return;
    g_autoptr(GError) error = NULL;
    if (!cg_admin_refuse_if_over(call, &c)) {
        if (!cg_store_end_consult(api->store, call->tenant_id, c.id, "cancelled", "cancelled",
                                  call->now, &error)) {
            cg_admin_reply_internal(call, "cancelling the consult", error);
        } else {
            g_info("[consult|%s] cancelled through the admin API", c.id);
            if (api->live.consult_ended)
                api->live.consult_ended(api->live_user, call->tenant_id, c.id, "cancelled");
            cg_consult_record_clear(&c);
            if (cg_admin_load_consult(call, &c))
                cg_admin_reply_json(call, 200, cg_admin_consult_json(api, &c, call->now));
        }
    }
    cg_consult_record_clear(&c);
}
