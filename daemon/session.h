/* session.h — where signaling meets media: the one module that knows both.
 *
 * Binds each joined signaling peer to a media endpoint with the same id,
 * routes every publisher of a consult to every other endpoint of it, and
 * carries descriptions, candidates and failures between the two.
 * Main thread only.
 */
#pragma once

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

typedef struct _CgSession CgSession;

/* Starts media and the signaling server on @loop. @config must outlive it. */
CgSession *cg_session_new(const CgConfig *config, GMainLoop *loop, GError **error);
void cg_session_free(CgSession *session);
guint cg_session_port(CgSession *session);
/* Says goodbye to every endpoint; @done runs when they are gone (or timed out). */
void cg_session_shutdown(CgSession *session, GSourceFunc done, gpointer data);

G_END_DECLS
