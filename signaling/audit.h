/* audit.h — the append-only audit log, in the store's database.
 *
 * Every admin call, join, refusal (with its reason), admission, decline,
 * removal, mute, end and token mint is one record: time, tenant, consult,
 * participant, role, action, outcome, remote address. Each record carries the
 * SHA-256 of the previous record (hash chain), so a changed or deleted record
 * is detectable by cg_audit_verify(). Records never hold tokens, names or SDP.
 * Main thread only.
 */
#pragma once

#include <glib.h>

#include "store.h"

G_BEGIN_DECLS

typedef struct {
    const char *tenant;      /* nullable (e.g. a refused token with no known issuer) */
    const char *consult;     /* nullable */
    const char *participant; /* nullable */
    const char *role;        /* nullable */
    const char *action;      /* e.g. "join", "admit", "decline", "remove", "mute", "end",
                              * "consult.create", "consult.cancel", "token.mint", ... */
    const char *outcome;     /* "ok" or a refusal code such as "token_expired" */
    const char *remote;      /* peer address, nullable */
} CgAuditEvent;

/* Appends one record at @now_us (microseconds since the epoch). */
gboolean cg_audit_append(CgStore *store, const CgAuditEvent *event, gint64 now_us,
                         GError **error);

/* (transfer full) a JSON array text of @consult_id's records, oldest first,
 * scoped by @tenant (records of other tenants are never returned). */
char *cg_audit_consult_json(CgStore *store, const char *tenant, const char *consult_id,
                            GError **error);

/* Walks the whole chain. Returns TRUE if intact; otherwise FALSE with
 * @broken_at set to the id of the first record that does not match. */
gboolean cg_audit_verify(CgStore *store, gint64 *broken_at, guint64 *records, GError **error);

G_END_DECLS
