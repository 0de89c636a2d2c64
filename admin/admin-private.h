/* admin-private.h — what the admin API's files share: the API object, one
 * request on its way through a route (Call), the route table's shape, and the
 * helpers every route uses (responses, field validation, consult JSON).
 * admin_api.c dispatches; admin_fields.c validates and renders; the routes
 * live in admin_consults.c and admin_participants.c. Not a public interface.
 */
#pragma once

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
#include "refusal_tally.h"
#include "roles.h"

#define SPECIALTY_MAX 64
#define TITLE_MAX 200
#define NAME_MAX_CHARS 100
#define DURATION_MIN_MIN 5
#define DURATION_MAX_MIN 480
/* starts_at is within this many years of now (issue 9: 9999-12-31 was taken). */
#define CG_ADMIN_TIME_RANGE_YEARS 10
#define CG_ADMIN_TIME_RANGE_S ((gint64)CG_ADMIN_TIME_RANGE_YEARS * 366 * 86400)
#define PATH_ID_MAX 64      /* longer ids in a path are simply not found */
#define LIST_MAX 500        /* consults in one list answer */
#define LIST_SCAN_MAX 10000 /* rows read to filter a list by phase */

struct _CgAdminApi {
    const CgConfig *config;
    CgStore *store;
    CgAdminLive live;
    gpointer live_user;
    CgRateLimit *auth_failures;
    /* issue 9 findings 1, 5: refusals audited or logged in aggregate */
    CgRefusalTally *refused;
    CgRefusalTally *logged;
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
    json_t *body; /* the parsed JSON object, or NULL (routes without a body) */
    char *query;  /* the query string after '?', or NULL */
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

/* Responses (admin_api.c). A handler that fails calls cg_admin_reply_error();
 * its code becomes the audit outcome. */
void cg_admin_reply_error(Call *call, guint status, const char *code, const char *field,
                          const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void cg_admin_reply_json(Call *call, guint status, json_t *json);
void cg_admin_reply_internal(Call *call, const char *what, const GError *error);
void cg_admin_audit(Call *call, const char *action, const char *consult, const char *participant,
                    const char *role, const char *outcome);

/* Field validation (admin_fields.c): each returns FALSE after replying 400
 * with the field named. */
gboolean cg_admin_get_string(Call *call, json_t *obj, const char *key, const char *field,
                             gsize max_chars, gboolean required, const char **out);
gboolean cg_admin_get_int(Call *call, json_t *obj, const char *key, const char *field, gint64 lo,
                          gint64 hi, gboolean required, guint *out);
/* Parses a request body like json_loadb(JSON_REJECT_DUPLICATES), except that
 * an integer too large for 64 bits is kept as a real instead of failing the
 * whole body: the field holding it is then refused by name. */
json_t *cg_admin_load_body(const char *text, gsize len, json_error_t *jerr);
gboolean cg_admin_get_time(Call *call, json_t *obj, const char *field, gboolean required,
                           gint64 *out);
/* "video_bitrate_kbps": absent leaves @set and @kbps alone; null clears @set
 * (the config default applies); 0 (no cap) or CG_VIDEO_BITRATE_MIN_KBPS..
 * CG_VIDEO_BITRATE_MAX_KBPS sets both. */
gboolean cg_admin_get_video_bitrate(Call *call, json_t *obj, gboolean *set, guint *kbps);
gboolean cg_admin_parse_rfc3339(const char *text, gint64 *out);
gboolean cg_admin_only_known_members(Call *call, json_t *obj, const char *prefix,
                                     const char *const *known);
gboolean cg_admin_parse_person(Call *call, json_t *p, const char *at, const char *kind,
                               const char **name, const char **role);

/* Consults as the API shows them (admin_fields.c). */
const char *cg_admin_phase_of(const CgAdminApi *api, const CgConsultRecord *c, gint64 now);
json_t *cg_admin_consult_json(const CgAdminApi *api, const CgConsultRecord *c, gint64 now);
json_t *cg_admin_participant_with_token(const CgAdminApi *api, const CgTenant *tenant,
                                        const CgConsultRecord *c, const CgParticipantRecord *p);
gboolean cg_admin_load_consult(Call *call, CgConsultRecord *out);
gboolean cg_admin_refuse_if_over(Call *call, const CgConsultRecord *c);

/* Interpretation (admin_interpretation.c, issue 11). Each returns FALSE
 * after replying (400 naming the field, or 500). */
/* `interpretation`, `floor_language`, `floor_level_db` of @body onto the
 * interpretation fields of @c (owned strings; absent members leave them). */
gboolean cg_admin_parse_interpretation(Call *call, json_t *body, CgConsultRecord *c);
/* `language` and `relay_from` of the participant entry @p (@at: its field
 * prefix, "participants[1]." or "") checked for @role in consult @c; on
 * success *language and *relay_from are (transfer full) lower-cased tags or
 * NULL. */
gboolean cg_admin_parse_participant_language(Call *call, json_t *p, const char *at,
                                             const char *role, const CgConsultRecord *c,
                                             char **language, char **relay_from);
/* PATCH: every stored interpreter of @c (not removed) still fits @c's
 * (changed) interpretation. */
gboolean cg_admin_check_interpreters(Call *call, const CgConsultRecord *c);
/* Adds "interpretation", "floor_language", "floor_level_db" to @j. */
void cg_admin_interpretation_json(json_t *j, const CgConsultRecord *c);
/* Adds "language", "relay_from" (null when unset) to @j. */
void cg_admin_participant_language_json(json_t *j, const CgParticipantRecord *p);

/* Routes (admin_consults.c, admin_participants.c). */
void cg_admin_route_create(Call *call);
void cg_admin_route_list(Call *call);
void cg_admin_route_get(Call *call);
void cg_admin_route_patch(Call *call);
void cg_admin_route_cancel(Call *call);
void cg_admin_route_add_participant(Call *call);
void cg_admin_route_mint(Call *call);
void cg_admin_route_kick(Call *call);
void cg_admin_route_audit(Call *call);
