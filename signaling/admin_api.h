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
    char *body;          /* (transfer full) JSON text */
    gint64 retry_after_s; /* > 0: send "Retry-After: N" (429 too_many_failures) */
} CgHttpResponse;

void cg_http_response_clear(CgHttpResponse *response);
/* Fills @out with the error shape of docs/api.md. */
void cg_http_response_error(CgHttpResponse *out, guint status, const char *code,
                            const char *field, const char *message);

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

/* Routes, errors and audit actions: docs/api.md. Requests from an address
 * over the failed-authentication limit (config auth.max_auth_failures per
 * auth.auth_failure_window_s) get 429 too_many_failures with retry_after_s
 * set, before the key is looked at; a request with no valid key counts as a
 * failure and gets 401. Every call, refused or not, is one audit record.
 * @tenant is NULL when the request carried no valid API key. @path may carry
 * a query string. @remote is the client address (for the audit log). @now in
 * seconds. */
void cg_admin_api_handle(CgAdminApi *api, const CgTenant *tenant, const char *method,
                         const char *path, const char *body, gsize body_len,
                         const char *remote, gint64 now, CgHttpResponse *out);

G_END_DECLS
