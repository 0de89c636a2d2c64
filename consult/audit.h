/* audit.h — the append-only audit log, in the store's database.
 *
 * Every admin call, join, refusal (with its reason), admission, decline,
 * removal, mute, end and token mint is one record: time, tenant, consult,
 * participant, role, action, outcome, remote address. Records never hold
 * tokens, names or SDP.
 *
 * Each record carries the hash of the previous one (a chain). Since schema 4
 * the chain is keyed: a record's hash is an HMAC-SHA256 under the audit key,
 * a file outside the database (store.audit_key_file), so whoever can rewrite
 * the database but not read the key cannot rewrite records and recompute the
 * chain. Records written before the key existed keep their bare SHA-256; the
 * first keyed record covers the last of them. Truncating the newest records
 * is caught against an anchor (the head's id and hash, which consultd writes
 * to its log periodically; see daemon/audit_anchor.h). Pruning old records
 * (cg_audit_prune) leaves a keyed checkpoint record that names the hash of the
 * last pruned one, so what remains still verifies.
 * Main thread only.
 */
#pragma once

#include <glib.h>

#include "store.h"

G_BEGIN_DECLS

/* The audit key file holds at least this many characters (first start
 * writes 32 random bytes as base64url). */
#define CG_AUDIT_KEY_MIN_CHARS 32

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

/* (transfer full) the key in @path (its text, trailing whitespace dropped),
 * or NULL + @error when it cannot be read or is shorter than
 * CG_AUDIT_KEY_MIN_CHARS. */
GBytes *cg_audit_read_key_file(const char *path, GError **error);

/* The key this process appends with (consultd installs it at start, before
 * any append). NULL uninstalls: appends then write unkeyed records, which is
 * refused once the log holds a keyed one. */
void cg_audit_set_key(GBytes *key);

/* Appends one record at @now_us (microseconds since the epoch). With a key
 * installed and an unkeyed head, an "audit.key_start" record comes first. */
gboolean cg_audit_append(CgStore *store, const CgAuditEvent *event, gint64 now_us, GError **error);

/* cg_audit_append() for callers that go on whatever happens (a join, a
 * control, an admin call): a failure is logged as a warning, never returned. */
void cg_audit_note(CgStore *store, const CgAuditEvent *event, gint64 now_us);

/* With a key installed: if the newest record is unkeyed (a log from before
 * the key), appends the "audit.key_start" record now, so that a log this
 * consultd has opened always ends with a keyed record. */
gboolean cg_audit_start_keyed(CgStore *store, gint64 now_us, GError **error);

/* The newest record's id and hash (0 and NULL for an empty log). */
gboolean cg_audit_head(CgStore *store, gint64 *id, char **hash, GError **error);

/* (transfer full) a JSON array text of @consult_id's records, oldest first,
 * scoped by @tenant (records of other tenants are never returned). */
char *cg_audit_consult_json(CgStore *store, const char *tenant, const char *consult_id,
                            GError **error);

typedef struct {
    gint64 id;        /* 0: no anchor */
    const char *hash; /* the hash logged with it */
} CgAuditAnchor;

typedef struct {
    guint64 records; /* records checked */
    guint64 unkeyed; /* of which written before the key (bare SHA-256) */
    gint64 first_id; /* 0 for an empty log */
    gint64 last_id;
    gint64 broken_at; /* first record that does not match; 0 if none (or the log's end) */
    char *problem;    /* what failed, one sentence; NULL if intact */
} CgAuditReport;

void cg_audit_report_clear(CgAuditReport *report);

/* Walks the whole chain with @key (nullable: only unkeyed records can then be
 * checked; with a key, the newest record must be keyed, so a log rewritten
 * wholesale as unkeyed records fails) and, when @anchor is non-NULL with a non-zero id, checks that
 * the log still holds the anchored record unchanged. TRUE if intact; FALSE with
 * @report->problem set when not, or with @error when the log cannot be read
 * (report->problem NULL). */
gboolean cg_audit_verify_chain(CgStore *store, GBytes *key, const CgAuditAnchor *anchor,
                               CgAuditReport *report, GError **error);

/* cg_audit_verify_chain() with the installed key and no anchor. */
gboolean cg_audit_verify(CgStore *store, gint64 *broken_at, guint64 *records, GError **error);

/* Deletes the oldest records written before @before_us (an unbroken run from
 * the oldest on: a record is kept if any older one is kept), in batches, each
 * batch followed by an "audit.checkpoint" record (keyed with @key) that names
 * the last pruned record and its hash. @pruned: how many were deleted. */
gboolean cg_audit_prune(CgStore *store, GBytes *key, gint64 before_us, gint64 now_us,
                        guint64 *pruned, GError **error);

G_END_DECLS
