/* audit_anchor.h — writes the audit chain's head to the log.
 *
 * An "audit anchor" line (fields AUDIT_ID, AUDIT_HASH and ANCHOR="ID:HASH")
 * at start, every store.audit_anchor_interval_min minutes and at stop. The
 * log leaves the machine's database (journald keeps it), so deleting the
 * newest audit records, or rewriting the whole log, no longer matches the
 * last anchor: `consultctl audit verify --anchor ID:HASH` says so.
 * It reads the head on its own connection to the store (one indexed row).
 * Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgAuditAnchorTimer CgAuditAnchorTimer;

/* Opens @store_path (already created and migrated), logs one anchor ("start")
 * and every @interval_min minutes after. */
CgAuditAnchorTimer *cg_audit_anchor_start(const char *store_path, guint interval_min,
                                          GError **error);
/* Logs a final anchor ("stop") and frees. NULL is fine. */
void cg_audit_anchor_stop(CgAuditAnchorTimer *timer);

G_END_DECLS
