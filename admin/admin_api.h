/* admin_api.h — the admin API under /api/v1/, independent of the HTTP server.
 *
 * The server hands over an authenticated tenant (or NULL), the method, path and
 * body; this module validates, touches the store, and returns a status and a
 * JSON body. Errors follow docs/api.md: {"error": {code, field, message}} with
 * the offending field named. Main thread only; time is passed in.
 */
#pragma once

#include <glib.h>

#include "config.h"
#include "store.h"
#include "tenants.h"

G_BEGIN_DECLS

#define CG_ADMIN_MAX_BODY_BYTES 65536

typedef struct _CgAdminApi CgAdminApi;

typedef struct {
    guint status;
    char *body;           /* (transfer full) JSON text */
    gint64 retry_after_s; /* > 0: send "Retry-After: N" (429 too_many_failures) */
} CgHttpResponse;

void cg_http_response_clear(CgHttpResponse *response);
/* Fills @out with the error shape of docs/api.md. */
void cg_http_response_error(CgHttpResponse *out, guint status, const char *code, const char *field,
                            const char *message);

/* What the admin API needs from the live side (the WebSocket peers). */
typedef struct {
    /* (transfer full) a JSON array of the connected participants of
     * @consult_id: [{"id", "role", "name", "state": "waiting"|"admitted"}]. */
    char *(*live_participants)(gpointer user, const char *tenant, const char *consult_id);
    /* Disconnects @participant_id (removed) if connected, telling it why. */
    void (*kick)(gpointer user, const char *tenant, const char *consult_id,
                 const char *participant_id);
    /* The consult was cancelled or ended: disconnect everyone with @reason. */
    void (*consult_ended)(gpointer user, const char *tenant, const char *consult_id,
                          const char *reason);
    /* The consult's times changed (PATCH): re-arm its end timer. */
    void (*consult_changed)(gpointer user, const CgConsultRecord *consult);
} CgAdminLive;

/* @config and @store are borrowed and must outlive the API. @live may be NULL
 * (unit tests): then nobody is connected. */
CgAdminApi *cg_admin_api_new(const CgConfig *config, CgStore *store, const CgAdminLive *live,
                             gpointer live_user);
void cg_admin_api_free(CgAdminApi *api);

/* Routes, errors and audit actions: docs/api.md. A request with a valid
 * key (@tenant not NULL) is served whatever others at its address did. One
 * without gets 401 and counts as a failure; past the limit (config
 * auth.max_auth_failures per auth.auth_failure_window_s, per address as
 * rate_limit.h groups them) it gets 429 too_many_failures with retry_after_s
 * set. Every call is one audit record, except refusals past the limit:
 * cg_admin_api_note_refusal() aggregates those. @path may carry a query
 * string. @remote is the client address (for the audit log). @now in seconds. */
void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len, const char *remote,
                         gint64 now, CgHttpResponse *out);

/* Refusals past the failed-authentication limit, from the admin API or the
 * join path (issue 9 finding 5): TRUE for the first of @remote's window,
 * which the caller audits itself; the others are counted and written as one
 * "auth_refused" record per address and window when the window ends. */
gboolean cg_admin_api_note_refusal(CgAdminApi *api, const char *remote, gint64 now);
/* Endpoint refusals to log (issue 9 finding 1): TRUE for the first
 * CG_REFUSAL_LOG_LINES of @remote's CG_REFUSAL_LOG_WINDOW_S window, which the
 * caller logs; the rest are counted into one warning per address and window.
 * Kept here because this object lives as long as the server, and the store. */
#define CG_REFUSAL_LOG_LINES 10
#define CG_REFUSAL_LOG_WINDOW_S 60
gboolean cg_admin_api_note_logged_refusal(CgAdminApi *api, const char *remote, gint64 now);

G_END_DECLS
