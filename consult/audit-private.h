/* audit-private.h — what audit.c (append) and audit_verify.c (verify,
 * prune) share: a record's fields and its hash. Not for other modules. */
#pragma once

#include "audit.h"
#include "store-private.h"

G_BEGIN_DECLS

#define CG_AUDIT_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define CG_AUDIT_KEY_START "audit.key_start"
#define CG_AUDIT_CHECKPOINT "audit.checkpoint"

typedef struct {
    gint64 id;
    gint64 ts_us;
    const char *tenant, *consult, *participant, *role, *action, *outcome, *remote;
    const char *detail; /* keyed records only; a checkpoint's pruned range */
    const char *prev_hash;
    gboolean keyed;
} CgAuditRow;

/* (transfer full) lowercase hex hash of @row: HMAC-SHA256 under @key for a
 * keyed row (NULL if @key is NULL), bare SHA-256 for an unkeyed one. */
char *cg_audit_row_hash(const CgAuditRow *row, GBytes *key);

/* (transfer none, nullable) the key cg_audit_set_key() installed. */
GBytes *cg_audit_installed_key(void);

/* Appends @event (with @detail) keyed under @key (nullable: unkeyed), in
 * the caller's transaction. */
gboolean cg_audit_insert(CgStore *store, GBytes *key, const CgAuditEvent *event, const char *detail,
                         gint64 now_us, GError **error);

G_END_DECLS
