/* ctl_audit.h — consultctl's audit commands, on the SQLite file itself (no
 * server needed): verify (the keyed chain, optionally against an anchor from
 * consultd's log) and prune (retention, behind a keyed checkpoint). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes, as consultctl documents them. */
enum { CTL_AUDIT_OK = 0, CTL_AUDIT_BROKEN = 1, CTL_AUDIT_USAGE = 2, CTL_AUDIT_DATABASE = 4 };

/* @v: the command's "--name value" options by name (db, key-file, anchor). */
int ctl_audit_verify(GHashTable *v);
/* @v: db, key-file, and older-than-days or before. */
int ctl_audit_prune(GHashTable *v);

G_END_DECLS
