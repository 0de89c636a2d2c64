/* audit_anchor.c — see audit_anchor.h. */
#include "audit_anchor.h"

#include "audit.h"
#include "store.h"

struct _CgAuditAnchorTimer {
    CgStore *store;
    guint source;
};

static void write_anchor(CgAuditAnchorTimer *t, const char *why)
{
    gint64 id = 0;
    g_autofree char *hash = NULL;
    g_autoptr(GError) error = NULL;
    if (!cg_audit_head(t->store, &id, &hash, &error)) {
        g_warning("audit anchor: cannot read the audit log's head: %s", error->message);
        return;
    }
    g_autofree char *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
    g_autofree char *anchor = g_strdup_printf("%s:%s", id_text, hash ? hash : "");
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "AUDIT_ID", id_text, "AUDIT_HASH",
                     hash ? hash : "", "ANCHOR", anchor, "REASON", why, "MESSAGE", "audit anchor");
}

static gboolean on_tick(gpointer data)
{
    write_anchor(data, "periodic");
    return G_SOURCE_CONTINUE;
}

CgAuditAnchorTimer *cg_audit_anchor_start(const char *store_path, guint interval_min,
                                          GError **error)
{
    CgStore *store = cg_store_open(store_path, error);
    if (!store)
        return NULL;
    /* A log from before the key: its last unkeyed record is sealed now. */
    if (!cg_audit_start_keyed(store, g_get_real_time(), error)) {
        cg_store_close(store);
        return NULL;
    }
    CgAuditAnchorTimer *t = g_new0(CgAuditAnchorTimer, 1);
    t->store = store;
    write_anchor(t, "start");
    t->source = g_timeout_add_seconds(MAX(interval_min, 1) * 60, on_tick, t);
    return t;
}

void cg_audit_anchor_stop(CgAuditAnchorTimer *t)
{
    if (!t)
        return;
    g_clear_handle_id(&t->source, g_source_remove);
    write_anchor(t, "stop");
    cg_store_close(t->store);
    g_free(t);
}
