/* store-private.h — what the store's sibling modules (audit.c) share with it.
 *
 * Not for other folders: the SQLite handle stays behind the store interface.
 * Main thread only, like the store.
 */
#pragma once

#include <sqlite3.h>

#include "store.h"

G_BEGIN_DECLS

/* (transfer none) the store's connection. */
sqlite3 *cg_store_db(CgStore *store);
/* Sets @error (CG_STORE_ERROR_FAILED) naming @job and SQLite's message; returns FALSE. */
gboolean cg_store_fail(CgStore *store, const char *job, GError **error);
/* Runs @sql with no result rows; FALSE with @error on failure. */
gboolean cg_store_exec(CgStore *store, const char *sql, const char *job, GError **error);

G_END_DECLS
