/* flow_common.h — shared steps of the integration-consult-flow-* tests.
 *
 * FlowEp is a participant like tests/support/test_endpoint.h, but it keeps
 * every message the server sent (waiting, waiting_list, muted, consult_ended,
 * error...) so tests can wait for any of them, and it sends raw control
 * messages. It publishes media only once "joined" arrives (a waiting peer
 * publishes nothing). FlowConsult creates consults at any time through the
 * admin API. flow_respawn() starts consultd again on the temp dir (and so the
 * database) of a killed daemon. Every helper asserts: these are test
 * programs and the inputs are their own.
 */
#pragma once

#include "daemon_harness.h"
#include "rtc_peer.h"
#include "wss_client.h"

G_BEGIN_DECLS

#define FLOW_TIMEOUT_MS 10000
#define FLOW_MEDIA_TIMEOUT_MS 30000

typedef struct {
    char *id;
    char *tenant;
    guint n;
    char *ids[8];
    char *roles[8];
    char *tokens[8];
} FlowConsult;

void flow_consult_free(FlowConsult *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FlowConsult, flow_consult_free)

/* @auth_extra: libconfig settings for the auth group (nullable). */
CgTestDaemon *flow_start_daemon(guint n_tenants, const char *auth_extra);
/* A consult of tenant 0 starting @starts_in_s from now (may be negative),
 * @duration_min long, with @roles (NULL-terminated). */
FlowConsult *flow_create(CgTestDaemon *d, const char *kind, gint64 starts_in_s,
                         guint duration_min, const char *const *roles);
/* (transfer full) an HS256 token signed with @secret (NULL: alg none). */
char *flow_mint(const char *secret, const char *alg, const char *iss, const char *sub,
                const char *consult, const char *role, gint64 nbf, gint64 exp);

typedef struct _FlowEp FlowEp;
/* Connects and joins; publishes a @rgb / @tone_hz stream once admitted
 * (@tone_hz 0: join only, never publish). */
FlowEp *flow_ep_new(guint16 port, GTlsCertificate *cert, const char *token, guint32 rgb,
                    guint tone_hz);
void flow_ep_free(FlowEp *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FlowEp, flow_ep_free)
CgWssClient *flow_ep_wss(FlowEp *ep);
CgRtcPeer *flow_ep_peer(FlowEp *ep);
gboolean flow_ep_joined(FlowEp *ep);
/* (transfer none) the newest message of @type, waiting up to @timeout_ms; NULL if none. */
json_t *flow_ep_wait(FlowEp *ep, const char *type, guint timeout_ms);
/* (transfer none) the newest message of @type received so far, or NULL. */
json_t *flow_ep_last(FlowEp *ep, const char *type);
/* Messages of @type about @participant received so far ("participant" is
 * the id, or an object with that "id"). */
guint flow_ep_count_about(FlowEp *ep, const char *type, const char *participant);
/* Waits for an error with @code; asserts it came. */
void flow_ep_expect_error(FlowEp *ep, const char *code);
/* Waits for a waiting_list whose ids are exactly @ids (NULL-terminated). */
void flow_ep_expect_waiting_list(FlowEp *ep, const char *const *ids);
/* Sends {"type": @type, "participant": @participant} (participant nullable). */
void flow_ep_send(FlowEp *ep, const char *type, const char *participant);
/* Asserts the socket closes with @status and @reason. */
void flow_ep_expect_closed(FlowEp *ep, guint status, const char *reason);
/* Waits until @ep decoded @n frames from @id. */
void flow_ep_expect_frames(FlowEp *ep, const char *id, guint n);
/* Video frames @ep decoded from @id so far (0 without media). */
guint flow_ep_frames(FlowEp *ep, const char *id);

/* Resuming (docs/protocol.md "Reconnecting"). */
/* Connects and sends join with @token and the resume id @resume; never publishes. */
FlowEp *flow_ep_new_resuming(guint16 port, GTlsCertificate *cert, const char *token,
                             const char *resume);
/* (transfer none) the resume id of @ep's newest "joined", or NULL. */
const char *flow_ep_resume_id(FlowEp *ep);
/* Drops the WebSocket as a broken network would: the TCP connection ends
 * without "leave" or a close frame. The media peer stays as it is. */
void flow_ep_drop(FlowEp *ep);
/* A new WebSocket that joins with the token and @resume; every message
 * received so far is forgotten, so waits see only the new socket's. */
void flow_ep_reconnect(FlowEp *ep, guint16 port, GTlsCertificate *cert, const char *resume);
/* (transfer full) the audit records of @c (its "records" array). */
json_t *flow_audit(CgTestDaemon *d, FlowConsult *c);
/* Records of @audit with @action by @participant. */
guint flow_audit_count(json_t *audit, const char *action, const char *participant);

/* (transfer full) the temp dir of a RUNNING daemon (its working directory):
 * config, keys, certificate and consultd.db. */
char *flow_daemon_dir(CgTestDaemon *running);
/* A consultd started again on @dir (the daemon that used it must be gone). */
typedef struct _FlowDaemon FlowDaemon;
FlowDaemon *flow_respawn(const char *dir);
guint16 flow_daemon_port(FlowDaemon *d);
/* SIGTERM and wait; asserts a clean exit. */
void flow_daemon_stop(FlowDaemon *d);
void flow_daemon_free(FlowDaemon *d);

G_END_DECLS
