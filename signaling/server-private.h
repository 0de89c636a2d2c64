/* server-private.h — state shared by server.c (context, lws events), http.c
 * (HTTP requests), the WebSocket peers (peers.c, peer_socket.c, peer_io.c,
 * dispatch.c, seats.c), the join path (join.h) and the live side
 * of consults (lifecycle.h: waiting room, admission, specialist controls,
 * end timers). Not a public interface. Main thread only.
 *
 * A peer is in one of three states: pending (connected, no accepted join
 * yet; closed after CG_JOIN_TIMEOUT_S), waiting (in the waiting room: its
 * info is set, media knows nothing of it) or joined (admitted: media was told
 * through events.peer_joined). A joined peer whose socket dropped without
 * "leave" is held (wsi NULL) for consults.resume_grace_s: still a member of
 * its consult for everyone, media included, until it resumes on a new socket
 * or its seat is given up (seats.c, rules in resume.h). */
#pragma once

#include <libwebsockets.h>

#include "admin_api.h"
#include "consult_rules.h"
#include "protocol.h"
#include "rate_limit.h"
#include "signaling.h"
#include "store.h"
#include "tenants.h"

/* A socket that has not joined (or entered the waiting room) this long after
 * connecting is closed with join_timeout. Below 10 s on purpose: lws 4.1
 * drops a WebSocket that has sent no frame at all at 10 s without a close
 * frame, and the client should hear why. */
#define CG_JOIN_TIMEOUT_S 9

/* issue 9 finding 1: what one socket may cost (peer_io.c, docs/protocol.md
 * "Limits per connection"). An open socket's outbox holds at most this many
 * messages and bytes (a held seat's: resume.h); past either, the socket is
 * closed (1008 outbox_full). */
#define CG_PEER_OUTBOX_MAX_MESSAGES 256
#define CG_PEER_OUTBOX_MAX_BYTES (256 * 1024)
/* A socket with something to send that takes nothing for this long is
 * closed: its reader is gone or is not reading. */
#define CG_PEER_WRITE_STALL_S 20
/* A closing socket gets this long to take its last messages and close frame. */
#define CG_PEER_CLOSE_GRACE_S 5
/* More than this many protocol errors in CG_PEER_ERROR_WINDOW_S: the socket
 * is closed (1008 too_many_errors) instead of answered again. */
#define CG_PEER_ERROR_BUDGET 20
#define CG_PEER_ERROR_WINDOW_S 60

/* Per-connection data lws keeps for us: one pointer to our own object. */
typedef struct {
    struct _CgHttpRequest *http;
    struct _CgPeer *peer;
} CgConnData;

typedef struct _CgPeer {
    struct _CgSignaling *s;
    struct lws *wsi; /* NULL while its seat is held after the socket dropped */
    CgPeerId id;
    char remote[64];
    GByteArray *rx;
    gboolean rx_binary;      /* the frame being received is binary: discard it */
    GQueue outbox;           /* char* JSON texts */
    gboolean joined;         /* admitted: handed to media */
    gboolean waiting;        /* in the waiting room */
    gboolean audio_off;      /* the endpoint says its microphone is off */
    gboolean video_off;      /* the endpoint says its camera is off */
    CgPeerInfo info;         /* strings owned by the peer once joined or waiting; log_tag
                              * always set ("[peer|N]" until it joins) */
    const char *left_reason; /* for participant_left */
    gboolean closing;
    CgCloseStatus close_status;
    char close_reason[64];
    guint join_timeout_id;
    gint64 token_exp; /* the token's exp: a held seat is not kept past it */
    char *resume_id;  /* set with each "joined": the secret that takes the seat back */
    guint seat_timer; /* a held seat is given up when it fires */
    /* issue 9 finding 1: per-socket bounds (peer_io.c) */
    gsize queued_bytes;  /* outbox bytes, open or held (both bounded) */
    guint errors;        /* protocol errors answered in the current window */
    gint64 errors_since; /* that window's start (s) */
    /* issue 11: interpretation (interpretation.c) */
    gboolean audio_muted; /* a specialist's mute the relay enforces holds */
    char *interp_sent;    /* the last "interpretation" message sent to it */
} CgPeer;

/* A consult with at least one peer joined or waiting. */
typedef struct {
    struct _CgSignaling *s;
    char *tenant;
    char *id;
    gint64 ends_at;   /* the end timer fires then */
    guint end_timer;  /* GLib source id */
    CgInterp *interp; /* its interpretation: channels, live interpreters */
} CgLiveConsult;

struct _CgSignaling {
    const CgConfig *config;
    CgSignalingEvents events;
    gpointer user;
    struct lws_context *context;
    struct lws_vhost *vhost;
    CgStore *store;
    CgTenants *tenants;
    CgAdminApi *admin;
    GBytes *turn_secret;  /* media.turn_secret_file, or NULL */
    GHashTable *peers;    /* CgPeerId -> CgPeer (every open WebSocket) */
    GHashTable *consults; /* consult id -> CgLiveConsult */
    CgConsultWindow window;
    CgRateLimit *join_failures; /* refused join tokens per address */
    CgPeerId next_peer_id;
    gint64 started_us;
    gboolean shutting_down;
    GSourceFunc shutdown_done;
    gpointer shutdown_done_data;
    guint shutdown_timeout_id;
    /* ---- connection limits (conn_limits.h; server.c owns this block) ---- */
    struct _CgConnLimits *conn_limits; /* conn_limits.h: per-address limits */
    /* ---- end of connection limits ---- */
};

/* http.c */
int cg_http_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                     enum lws_callback_reasons reason, void *in, size_t len);

/* peer_io.c: a peer's outbox, errors and refusals, within their bounds. */
/* SERVER_WRITEABLE: the next message, or the close once drained. */
int cg_peer_on_writeable(CgPeer *peer);
/* A refusal's log line, at most CG_REFUSAL_LOG_LINES per address and window. */
void cg_peer_log_refusal(CgPeer *peer, const char *code, const char *message, CgCloseStatus status);
/* Queues @json (transfer full); dropped once the peer is closing. A held
 * seat keeps it (bounded) for when it resumes. */
void cg_peer_send(CgPeer *peer, char *json);
void cg_peer_close(CgPeer *peer, CgCloseStatus status, const char *reason);
/* Sends error @code; closes when the code's close status (protocol_errors.h)
 * says so. To a held seat it is queued and the seat ends with it. */
void cg_peer_error(CgPeer *peer, CgErrorCode code, const char *message);

/* peer_socket.c: the lws callbacks of /ws. */
int cg_peers_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                      enum lws_callback_reasons reason, void *in, size_t len);
/* Shutdown: every peer is told "bye" and closed (1001). */
void cg_peers_say_goodbye(CgSignaling *s);

/* dispatch.c: one complete client text message of @peer (@len bytes). */
void cg_peer_dispatch(CgPeer *peer, const guint8 *data, gsize len);

/* peers.c: the peer set. */
void cg_peer_free(CgPeer *peer);
/* Joined or waiting, not closing, in @consult_id. */
gboolean cg_peer_in_consult(const CgPeer *peer, const char *consult_id);
/* @peer as the protocol shows it; its strings belong to the peer. */
CgProtocolParticipant cg_peer_participant(const CgPeer *peer);
/* Sends @json (transfer full, a protocol builder's text) to every joined peer
 * of @from's consult but @from. */
void cg_peer_broadcast(CgPeer *from, char *json);
/* (transfer none) the live peer of @participant_id in @consult_id, or NULL. */
CgPeer *cg_peers_find(CgSignaling *s, const char *consult_id, const char *participant_id);
/* @peer (joined or waiting) leaves its consult now: the others get
 * participant_left with @reason, media forgets it, the waiting room hears of
 * it. It stays in s->peers (the caller removes it, or its socket's close
 * does). Does nothing the second time. */
void cg_peer_depart(CgPeer *peer, const char *reason);

/* seats.c: a joined peer's seat across a dropped socket (resume.h). */
/* @peer's socket closed: TRUE if its seat is now held (it stays in s->peers
 * with wsi NULL), FALSE if it departs as before. */
gboolean cg_seat_hold(CgPeer *peer);
/* Queues @json (transfer full) for the held @peer, or gives the seat up when
 * the queue is full. */
void cg_seat_queue(CgPeer *peer, char *json);
/* The server ends the held @peer (removal, end, media failure, shutdown): it
 * departs from the main loop with its left_reason (default connection_lost). */
void cg_seat_give_up(CgPeer *peer);
/* The pending @peer's join (authorised: @consult, the token's @token_exp)
 * named @seat's resume id: @seat takes over @peer's socket and is told
 * "joined" (resumed), then what was queued for it. @seat's old socket, if
 * still open, is closed with session_replaced; else @peer is left without a
 * socket and the caller removes it once its message is handled. */
void cg_seat_resume(CgPeer *peer, CgPeer *seat, const CgConsultRecord *consult, gint64 token_exp);

/* lifecycle.h: the live side of a consult (waiting room, admission,
 * controls, end timers, the admin view, audit of peers). */

/* server.c */
void cg_signaling_check_shutdown_done(CgSignaling *s);
