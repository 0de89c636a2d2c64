/* protocol.h — the endpoint WebSocket protocol codec (docs/protocol.md).
 *
 * Pure: no sockets, loop, clock or globals; callable from any thread.
 * cg_protocol_parse() turns one client text frame into a CgClientMessage,
 * enforcing the limits of the contract (JSON nesting, SDP and candidate size,
 * pc names, m-line index) so later code only sees well-formed values. Its
 * error codes map 1:1 onto the protocol's "error" codes
 * (cg_protocol_error_code()). The frame size limit is the server's job.
 * The builders make the server->client messages as compact JSON; joined,
 * participant_joined and participant_left are built by the session code.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* Limits of docs/protocol.md, set here once. */
#define CG_PROTOCOL_MAX_DEPTH 8              /* JSON nesting levels, top object is 1 */
#define CG_PROTOCOL_MAX_SDP_BYTES 32768      /* "sdp" member */
#define CG_PROTOCOL_MAX_CANDIDATE_BYTES 1024 /* "candidate" member */
#define CG_PROTOCOL_MAX_PC_CHARS 32          /* "pc": 1..32 of [a-z0-9-] */
#define CG_PROTOCOL_MAX_MLINE_INDEX 63       /* "sdpMLineIndex": 0..63 */
#define CG_PROTOCOL_MAX_ID_CHARS 64          /* "participant", "resume": 1..64 printable ASCII */

typedef enum {
    CG_CLIENT_JOIN,
    CG_CLIENT_OFFER,
    CG_CLIENT_ANSWER,
    CG_CLIENT_CANDIDATE,
    CG_CLIENT_LEAVE,
    /* Specialist controls (docs/protocol.md "Specialist controls"). */
    CG_CLIENT_ADMIT,
    CG_CLIENT_DECLINE,
    CG_CLIENT_REMOVE,
    CG_CLIENT_MUTE,
    CG_CLIENT_UNMUTE,
    CG_CLIENT_END,
    CG_CLIENT_MEDIA_STATE,
    CG_CLIENT_RECEIVE,
} CgClientMessageType;

/* Members not used by a type are NULL / 0. */
typedef struct {
    CgClientMessageType type;
    char *token;       /* join */
    char *resume;      /* join: the resume id of a held seat, or NULL for a new seat */
    char *pc;          /* offer, answer, candidate */
    char *sdp;         /* offer, answer */
    char *candidate;   /* candidate ("" = end of candidates) */
    guint mline_index; /* candidate */
    char *participant; /* admit, decline, remove, mute, unmute */
    gboolean audio;    /* media_state: the microphone is on */
    gboolean video;    /* media_state: the camera is on; receive: send me video */
} CgClientMessage;

#define CG_PROTOCOL_ERROR (cg_protocol_error_quark())
GQuark cg_protocol_error_quark(void);

typedef enum {
    CG_PROTOCOL_ERROR_MALFORMED,    /* "malformed_message" */
    CG_PROTOCOL_ERROR_UNKNOWN_TYPE, /* "unknown_type" */
    CG_PROTOCOL_ERROR_BAD_SDP,      /* "bad_sdp": the sdp member exceeds the size limit */
} CgProtocolError;

/* Parses @len bytes at @data (not necessarily NUL-terminated) as one client
 * message. On success fills @out (overwritten, not cleared first), which the
 * caller releases with cg_client_message_clear(). On failure @out is zeroed
 * and @error is set in CG_PROTOCOL_ERROR; its message names the bad member
 * and never echoes member values. */
gboolean cg_protocol_parse(const char *data, gsize len, CgClientMessage *out, GError **error);

/* Frees the members of @msg and zeroes it; NULL is accepted. */
void cg_client_message_clear(CgClientMessage *msg);

/* (transfer none) the protocol "code" for an error from cg_protocol_parse():
 * "malformed_message", "unknown_type" or "bad_sdp". Any other error gives
 * "internal". */
const char *cg_protocol_error_code(const GError *error);

/* Consumes @json (steals its reference) and returns its compact text
 * (transfer full, g_free). Shared by every JSON producer of signaling/. */
char *cg_json_take_text(json_t *json);

/* Builders of server->client messages. Each returns (transfer full, g_free) a
 * compact JSON object text. String arguments must be non-NULL unless marked
 * nullable; bytes that are not UTF-8 are replaced (U+FFFD), so the result is
 * always valid JSON. */
char *cg_protocol_error_message(const char *code, const char *message);
/* @type is "offer" or "answer"; @participant (nullable) is omitted when NULL. */
char *cg_protocol_description(const char *type, const char *pc, const char *participant,
                              const char *sdp);
char *cg_protocol_candidate(const char *pc, guint mline_index, const char *candidate);
char *cg_protocol_pc_closed(const char *pc);
char *cg_protocol_bye(const char *reason);
/* An error that also says when the consult opens (consult_not_open_yet);
 * @opens_at is RFC 3339 UTC. */
char *cg_protocol_error_opens(const char *code, const char *message, const char *opens_at);
/* {"type":"consult_ended","reason":...}: sent to everyone before the close. */
char *cg_protocol_consult_ended(const char *reason);
/* {"type":"muted"|"unmuted","by":{id,name,role},"may_unmute":bool}; @type is
 * "muted" or "unmuted" (may_unmute is left out of "unmuted"). */
char *cg_protocol_muted(const char *type, const char *by_id, const char *by_name,
                        const char *by_role, gboolean may_unmute);

/* One endpoint's link, for its own client. "sent" is what the endpoint sends
 * (as consultd receives it), "received" what consultd sends it (from its
 * receiver reports). Negative values are unknown and written as null. */
typedef struct {
    guint interval_ms;
    const char *quality; /* "good", "fair", "poor", "unknown" */
    double rtt_ms;
    double sent_kbps, sent_loss_pct, sent_jitter_ms;
    double received_kbps, received_loss_pct, received_jitter_ms;
} CgProtocolStats;
/* {"type":"stats","interval_ms":2000,"quality":...,"rtt_ms":...,
 *  "sent":{"kbps","loss_pct","jitter_ms"},"received":{...}} */
char *cg_protocol_stats(const CgProtocolStats *stats);
/* {"type":"active_speaker","participant":...} to everyone in the consult. */
char *cg_protocol_active_speaker(const char *participant);

G_END_DECLS
