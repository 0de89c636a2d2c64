/* test_endpoint.h — one consult participant for integration tests: the WSS
 * protocol client (wss_client.h) glued to a webrtcbin peer (rtc_peer.h).
 *
 * cg_test_endpoint_new() connects, sends join with the token and, once
 * "joined" arrives, publishes (unless told not to). It forwards offers,
 * answers and candidates both ways, closes subscribe connections on
 * pc_closed, and records what the server said: participant_joined/left,
 * error codes, pc_closed, bye, and the close status; and every message of
 * the current socket, for tests that wait for any of them.
 *
 * Threads: the thread-default main context current at creation; wait
 * functions iterate it.
 */
#pragma once

#include "rtc_peer.h"
#include "wss_client.h"

G_BEGIN_DECLS

typedef struct _CgTestEndpoint CgTestEndpoint;

typedef struct {
    CgRtcPeerOptions media;
    gboolean no_publish; /* join only: no CgRtcPeer */
    /* As a specialist: admit everyone who appears in a waiting_list (tests
     * whose subject is not the waiting room itself). */
    gboolean admit_waiting;
    /* Use the TURN server and credentials of joined.ice_servers, as a browser
     * would (set media.relay_only to force every path through it). */
    gboolean use_turn_from_joined;
    /* Sent with join as "resume" (docs/protocol.md "Reconnecting"); copied. */
    const char *resume;
} CgTestEndpointOptions;

/* (transfer full) Starts connecting and joining. */
CgTestEndpoint *cg_test_endpoint_new(guint16 port, GTlsCertificate *cert, const char *token,
                                     const CgTestEndpointOptions *options);
void cg_test_endpoint_free(CgTestEndpoint *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgTestEndpoint, cg_test_endpoint_free)

/* Waits for "joined"; FALSE (with what happened instead in @error) otherwise. */
gboolean cg_test_endpoint_wait_joined(CgTestEndpoint *ep, guint timeout_ms, GError **error);
gboolean cg_test_endpoint_joined(const CgTestEndpoint *ep);
/* Monotonic time join was sent (0 before). */
gint64 cg_test_endpoint_join_time(const CgTestEndpoint *ep);
/* (transfer none) own participant id from "joined", or NULL. */
const char *cg_test_endpoint_id(const CgTestEndpoint *ep);
/* (transfer none) the "joined" message, or NULL. */
json_t *cg_test_endpoint_joined_message(const CgTestEndpoint *ep);

/* (transfer none) the media peer; NULL before joined or with no_publish. */
CgRtcPeer *cg_test_endpoint_peer(const CgTestEndpoint *ep);
/* (transfer none) the WSS client. */
CgWssClient *cg_test_endpoint_wss(const CgTestEndpoint *ep);

/* Decoded video frames from participant @id (0 without a peer). */
guint cg_test_endpoint_frames_from(const CgTestEndpoint *ep, const char *id);
/* Waits until @ep decoded at least @n frames from @id. */
gboolean cg_test_endpoint_wait_frames(CgTestEndpoint *ep, const char *id, guint n,
                                      guint timeout_ms);

/* Did the server send error @code (at any time)? */
gboolean cg_test_endpoint_got_error(const CgTestEndpoint *ep, const char *code);
gboolean cg_test_endpoint_wait_error(CgTestEndpoint *ep, const char *code, guint timeout_ms);
/* (transfer none) the reason of participant_left for @id, NULL if none yet. */
const char *cg_test_endpoint_left_reason(const CgTestEndpoint *ep, const char *id);
gboolean cg_test_endpoint_wait_left(CgTestEndpoint *ep, const char *id, guint timeout_ms);
gboolean cg_test_endpoint_saw_joined(const CgTestEndpoint *ep, const char *id);
guint cg_test_endpoint_n_pc_closed(const CgTestEndpoint *ep);
/* (transfer none) the reason of "bye", or NULL. */
const char *cg_test_endpoint_bye_reason(const CgTestEndpoint *ep);

/* Sends @msg (transfer full) on the current socket. */
void cg_test_endpoint_send(CgTestEndpoint *ep, json_t *msg);

/* Sends "leave". */
void cg_test_endpoint_leave(CgTestEndpoint *ep);

/* (transfer none) the last "stats" message (NULL if none) and, in @n_stats
 * (nullable), how many arrived. */
json_t *cg_test_endpoint_last_stats(const CgTestEndpoint *ep, guint *n_stats);
/* (transfer none) the participant of the last "active_speaker", or NULL. */
const char *cg_test_endpoint_active_speaker(const CgTestEndpoint *ep);

/* Every message the server sent on the current socket, oldest first:
 * (transfer none) message @i, or NULL past the end. */
guint cg_test_endpoint_n_messages(const CgTestEndpoint *ep);
json_t *cg_test_endpoint_message(const CgTestEndpoint *ep, guint i);

/* Drops the WebSocket as a broken network would: the TCP connection ends
 * without "leave" or a close frame. The media peer stays as it is (what it
 * would send meanwhile is lost); cg_test_endpoint_wss() is NULL until
 * cg_test_endpoint_reconnect(). */
void cg_test_endpoint_drop(CgTestEndpoint *ep);
/* A new WebSocket that joins with the token and @resume (nullable); the
 * messages of the old socket are forgotten, so waits see only the new one's
 * (what else was recorded, errors included, stays). */
void cg_test_endpoint_reconnect(CgTestEndpoint *ep, guint16 port, GTlsCertificate *cert,
                                const char *resume);

G_END_DECLS
